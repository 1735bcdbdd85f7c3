#!/usr/bin/env bash
# Starts a throw-away PostgreSQL 15 server in a temporary directory on a free loopback port.
# Prints the admin URL on stdout; scripts/pg-stop.sh DIR stops it and removes the directory.
# Usage: eval "$(scripts/pg-start.sh)"   (sets SWITCHBOARD_TEST_PG_URL and SWITCHBOARD_TEST_PG_DIR)
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }
dir=$(mktemp -d /tmp/switchboard-pg.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
run "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
run "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" >/dev/null
echo "export SWITCHBOARD_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "export SWITCHBOARD_TEST_PG_DIR=$dir"
