#!/usr/bin/env bash
# Screen-pop latency with many contacts: from an INVITE sent to the SIP port to the ringing
# event with the contact card in the agent's event stream (real binary, sipp as the phone).
#   bench/screen_pop.sh [CONTACTS] [CALLS]     (defaults: 1000000 300)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p switchboard --bin switchboard --example screen_pop_load
SWITCHBOARD_BIN="$CARGO_TARGET_DIR/release/switchboard" SIPP_SCENARIOS="$PWD/crates/telephony/tests/sipp" \
  "$CARGO_TARGET_DIR/release/examples/screen_pop_load" "${1:-1000000}" "${2:-300}"
