#!/usr/bin/env bash
# The call lists at size (issue 18): a CSV of N numbers (default 1,000,000) imported into a list
# through the import engine; the export of all of them; then A agents (default 200) asking
# "next number" all at the same moment, 100 times (p50/p99 of "next number"), and flat out for
# S seconds (default 20), each asking again once its outcome is written (numbers handed out
# per second). SQLite; BENCH_PG=ADMIN_URL for PostgreSQL; BENCH_IMPORT_ONLY=1 stops after the
# import (and the copy of the write-ahead log into the database file, printed apart).
#   bench/call_lists.sh [NUMBERS] [AGENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p crm --example call_list_load
"$CARGO_TARGET_DIR/release/examples/call_list_load" "${1:-1000000}" "${2:-200}" "${3:-20}"
