#!/usr/bin/env bash
# The missed-call list with many rows: filtered pages over HTTP, p50 and p99.
#   bench/missed_list.sh [ROWS] [REQUESTS]     (defaults: 100000 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p web --example missed_list_load
"$CARGO_TARGET_DIR/release/examples/missed_list_load" "${1:-100000}" "${2:-2000}"
