#!/usr/bin/env bash
# A freed agent to the next caller ringing, at the desk: 1,000 callers waiting in 5 queues with
# 200 agents on one node (SQLite journal); p50 and p99 of N hand-overs.
#   bench/queue_desk.sh [AGENTS] [CALLERS] [ROUNDS]      (defaults: 200 1000 500)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p crm --example queue_desk_load
"$CARGO_TARGET_DIR/release/examples/queue_desk_load" "${1:-200}" "${2:-1000}" "${3:-500}"
