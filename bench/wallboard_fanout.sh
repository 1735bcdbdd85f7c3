#!/usr/bin/env bash
# A wallboard change (board.changed) fanned out over SSE to 200 logged-in supervisors: p50 and
# p99 of one delivery and of reaching all of them.
#   bench/wallboard_fanout.sh [SUPERVISORS] [ROUNDS]      (defaults: 200 50)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p web --example wallboard_fanout_load
"$CARGO_TARGET_DIR/release/examples/wallboard_fanout_load" "${1:-200}" "${2:-50}"
