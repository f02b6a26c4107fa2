#!/usr/bin/env bash
# Installs the test peers (aiosmtpd, standardwebhooks, python-dateutil; PostgreSQL, which the
# tests start themselves on loopback in a temporary folder) and runs every test, warnings as errors.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
command -v python3 >/dev/null 2>&1 || as_root apt-get install -y -qq python3 python3-pip >/dev/null
if ! python3 -c 'import aiosmtpd, standardwebhooks' 2>/dev/null; then
    echo "test: installing the Python test peers (aiosmtpd, standardwebhooks)" >&2
    python3 -m pip install --quiet aiosmtpd standardwebhooks 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages aiosmtpd standardwebhooks
fi
if ! python3 -c 'import dateutil.rrule' 2>/dev/null; then
    echo "test: installing python-dateutil (the RRULE cross-check)" >&2
    python3 -m pip install --quiet python-dateutil 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages python-dateutil
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    echo "test: installing PostgreSQL (the store suite runs against it too)" >&2
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null \
        || { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null; }
fi
swift test -Xswiftc -warnings-as-errors "$@"
