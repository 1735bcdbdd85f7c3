#!/usr/bin/env bash
# Stops the server scripts/pg-start.sh started in DIR and removes DIR.
set -u
dir=${1:-${SWITCHBOARD_TEST_PG_DIR:-}}
[ -n "$dir" ] && [ -d "$dir" ] || exit 0
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
else "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1; fi
rm -rf "$dir"
