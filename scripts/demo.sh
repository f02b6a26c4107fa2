#!/usr/bin/env bash
# Builds Rapport and runs it once on the bundled example: SQLite store, messages written as
# files under Examples/state/outbox. Time is fixed with --now so the demo always has mail due.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product rapport
rapport=.build/release/rapport
config=Examples/rapport.toml
rm -rf Examples/state
echo "== rapport check"
"$rapport" check --config "$config"
echo "== rapport run --once (as of Monday 7 December 2026, 10:00 UTC)"
"$rapport" run --once --now 2026-12-07T10:00:00Z --config "$config" 2>/dev/null
echo "== rapport queue"
"$rapport" queue --config "$config"
echo "== written to Examples/state/outbox:"
find Examples/state/outbox -type f | sort
first=$("$rapport" queue --state sent --json --config "$config" | sed -n 's/.*"id" : "\([0-9a-f]*\)".*/\1/p' | head -1)
echo "== rapport show $first"
"$rapport" show "$first" --config "$config"
