#!/usr/bin/env bash
# Checks systemd/rapport.service: `systemd-analyze verify` must print nothing (unknown keys are
# only warnings there, with exit 0) and `systemd-analyze security --offline=yes` must report an
# overall exposure of 2.0 or lower. Installs systemd from Debian when systemd-analyze is
# missing; neither check needs systemd to be running.
#
# Usage: scripts/check-unit.sh [RAPPORT_BINARY]  (default .build/debug/rapport, else /bin/true:
# verify checks that ExecStart= names an executable, so the unit is checked with ExecStart=
# pointing at a real file.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "check-unit: installing systemd (for systemd-analyze)" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi

binary="${1:-.build/debug/rapport}"
[ -x "$binary" ] || binary=/bin/true
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/rapport|$binary|" systemd/rapport.service > "$work/rapport.service"

echo "== systemd-analyze verify --man=no systemd/rapport.service"
if ! systemd-analyze verify --man=no "$work/rapport.service" > "$work/verify.out" 2>&1; then
    cat "$work/verify.out" >&2
    echo "check-unit: verify failed" >&2
    exit 1
fi
if [ -s "$work/verify.out" ]; then
    cat "$work/verify.out" >&2
    echo "check-unit: verify printed warnings" >&2
    exit 1
fi
echo "clean"

echo "== systemd-analyze security --offline=yes --threshold=20 systemd/rapport.service"
status=0
systemd-analyze security --offline=yes --threshold=20 --no-pager "$work/rapport.service" > "$work/security.out" 2>&1 \
    || status=$?
tail -n 1 "$work/security.out"
if [ "$status" -ne 0 ]; then
    grep '✗' "$work/security.out" >&2 || true
    echo "check-unit: exposure above 2.0 (or systemd-analyze failed, status $status)" >&2
    exit 1
fi
