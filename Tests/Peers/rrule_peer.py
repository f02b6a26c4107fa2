#!/usr/bin/env python3
"""Expands RFC 5545 recurrence rules with python-dateutil, as a reference for Rapport's own.

Reads one JSON object per line on stdin:
  {"rule": "FREQ=...", "dtstart": "YYYY-MM-DDTHH:MM:SS" (wall clock), "zone": "Area/City",
   "limit": N, "end": "YYYY-MM-DDTHH:MM:SSZ"}
and writes one JSON list of UTC instants ("YYYY-MM-DDTHH:MM:SSZ") per line, or {"error": ...}.

Wall-clock results are placed in the zone with Rapport's policy: a time in a spring-forward gap
fires at the first valid instant after the gap, a repeated time at its first occurrence, and
two wall times that land on one instant fire once.
"""
import datetime as datetime_module
import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def place(wall, zone):
    """The instant `wall` (naive) shows in `zone`, with the gap and fold policy."""
    probe = wall
    for _ in range(24 * 60 + 1):
        aware = probe.replace(tzinfo=zone, fold=0)
        back = aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
        if back == probe:
            return aware.astimezone(timezone.utc)
        probe = probe + timedelta(minutes=1)
        probe = probe.replace(second=0)
    raise ValueError(f"no valid time after {wall}")


def expand(case):
    zone = ZoneInfo(case["zone"])
    start = datetime.fromisoformat(case["dtstart"])
    end = datetime.fromisoformat(case["end"].replace("Z", "+00:00"))
    rule_text = case["rule"]
    until = None
    parts = []
    for part in rule_text.split(";"):
        if part.upper().startswith("UNTIL="):
            value = part.split("=", 1)[1]
            until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        else:
            parts.append(part)
    # Expand in wall-clock time (naive), then place each result in the zone.
    rule = rrulestr(";".join(parts), dtstart=start)
    out = []
    last = None
    for wall in rule:
        instant = place(wall, zone)
        if until is not None and instant > until:
            break
        if instant > end or len(out) >= case["limit"]:
            break
        if last is not None and instant <= last:
            continue
        last = instant
        out.append(instant.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if wall.year > start.year + 400:
            break
    return out


def main():
    # dateutil walks every period up to MAXYEAR before giving up on a rule that never matches
    # (BYMONTHDAY=30;BYMONTH=2); callers ask about the next few years, so stop at 2200.
    datetime_module.MAXYEAR = 2200
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            result = expand(json.loads(line))
        except Exception as error:  # report, keep going
            result = {"error": str(error)}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
