#!/usr/bin/env bash
# Writes crates/crm/src/outbound/zones.rs: each country's time zones from the tz database's
# zone.tab (Debian's tzdata). Run it again when tzdata changes; the test
# `outbound::compliance::tests::every_zone_is_known` checks chrono-tz knows each one.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "${1:-/usr/share/zoneinfo/zone.tab}" <<'PY'
import sys
rows = {}
for ln in open(sys.argv[1]):
    if ln.startswith('#') or not ln.strip():
        continue
    parts = ln.rstrip('\n').split('\t')
    rows.setdefault(parts[0], []).append(parts[2])
out = ["//! The time zones of each country (ISO 3166), from the tz database's `zone.tab` (Debian's",
       "//! tzdata), made by `scripts/zones.sh`. A calling window must hold in every zone of the",
       "//! callee's country.", "", "pub const ZONES: &[(&str, &[&str])] = &["]
for c in sorted(rows):
    out.append('    ("%s", &[%s]),' % (c, ', '.join('"%s"' % z for z in rows[c])))
out.append("];")
open("crates/crm/src/outbound/zones.rs", "w").write("\n".join(out) + "\n")
PY
