#!/usr/bin/env bash
# A simulated hour of dialing with A agents (default 10) over the same traffic, progressive then
# predictive: abandonment (cap 3%), the longest wait for the information message, occupancy and
# connected calls per agent-hour. The crm's own pick, rules and records on SQLite, its clock
# moved a second at a time.
#   bench/dialer.sh [AGENTS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p crm --example dialer_sim
"$CARGO_TARGET_DIR/release/examples/dialer_sim" "${1:-10}" "${2:-3600}"
