#!/usr/bin/env bash
# The queue reports over many queue events (default 10,000,000) on PostgreSQL: a month by day,
# a week by hour, a year by month; p50 and p99 of each (the goal: p99 <= 200 ms).
#   bench/queue_report.sh [EVENTS] [REPORTS]      (SQLITE=1 runs it on SQLite instead)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p crm --example queue_report_load
if [ -z "${SQLITE:-}" ]; then
  eval "$(scripts/pg-start.sh)"
  trap 'scripts/pg-stop.sh "$SWITCHBOARD_TEST_PG_DIR"' EXIT
  export BENCH_PG="$SWITCHBOARD_TEST_PG_URL"
fi
"$CARGO_TARGET_DIR/release/examples/queue_report_load" "${1:-10000000}" "${2:-300}"
