#!/usr/bin/env bash
# Importing a generated CSV of contacts (default 1,000,000 rows) into SQLite through the import
# engine (dry run, then run; normalization and duplicate checks), beside the sqlite3 tool's
# plain `.import` of the same file on the same machine. Then the time the search indexes take to
# be built again after it (in the background), and searches with two conditions over the million.
#   bench/import.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ROWS=${1:-1000000}
command -v sqlite3 >/dev/null || { SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq sqlite3 >/dev/null; }
cargo build --release -q -p crm --example import_load
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
"$CARGO_TARGET_DIR/release/examples/import_load" "$ROWS" "$WORK/contacts.csv"
start=$(date +%s.%N)
sqlite3 "$WORK/plain.db" ".mode csv" ".separator ;" ".import $WORK/contacts.csv contacts"
end=$(date +%s.%N)
n=$(sqlite3 "$WORK/plain.db" "select count(*) from contacts")
awk -v s="$start" -v e="$end" -v n="$n" 'BEGIN { printf "sqlite3 .import (no checks): %d rows in %.2f s (%.0f rows/s)\n", n, e - s, n / (e - s) }'
"$CARGO_TARGET_DIR/release/examples/import_load" "$ROWS"
