#!/usr/bin/env bash
# Call events recorded per second and the time from the SIP event to the committed rows (p50,
# p99) with 200 calls in progress, on SQLite and on PostgreSQL (a throw-away server); then 10 s
# of events at RATE per second (default 2 × 3 events × the call setups per second the B2BUA
# sustains on this machine, bench/sip_setups.sh: 2 × 3 × 1,500) checking that nothing is lost.
#   bench/call_events.sh [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
RATE=${1:-9000}
cargo build --release -q -p crm --example call_events_load
BIN="$CARGO_TARGET_DIR/release/examples/call_events_load"
"$BIN" 200 20000 "$RATE"
eval "$(scripts/pg-start.sh)"
trap 'scripts/pg-stop.sh "$SWITCHBOARD_TEST_PG_DIR"' EXIT
BENCH_PG="$SWITCHBOARD_TEST_PG_URL" "$BIN" 200 20000 "$RATE"
