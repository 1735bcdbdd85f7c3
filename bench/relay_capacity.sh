#!/usr/bin/env bash
# How many calls the media relay carries at under 1% RTP loss on this machine: for each count
# of calls, that many relays with two phones each sending 50 G.711 packets/s both ways, on
# loopback, with our own lean generator (sipp's RTP player stays clean only to ~500 calls).
#   bench/relay_capacity.sh [SECONDS] [CALLS...]    (defaults: 10 s; 250 500 1000 1500 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-10}
shift || true
COUNTS=${*:-250 500 1000 1500 2000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release -q -p media --example relay_load
for n in $COUNTS; do
  "$CARGO_TARGET_DIR/release/examples/relay_load" "$n" "$SECONDS_EACH"
done
