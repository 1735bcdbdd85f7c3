#!/usr/bin/env bash
# Browser-phone calls with audio on this machine: CALLS WebRTC clients (str0m, DTLS-SRTP, in
# one separate process: crates/webphone/examples/browser_load.rs), each logged in as its own
# user with a browser phone, dial the echo test *43 and send 20 ms PCMU frames; Switchboard
# bridges each call between DTLS-SRTP and RTP and echoes it. Prints the loss and Switchboard's
# CPU per bridged packet; then, for comparison on the same machine, the plain RTP relay's
# figure from bench/relay_sipp.sh with as many calls.
#   bench/browser_phone.sh [CALLS]     (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-50}
source bench/lib.sh
cargo build --release -q -p switchboard -p webphone --example browser_load
BIN="$CARGO_TARGET_DIR/release/switchboard"
export SWITCHBOARD_LOG=error
USERS=()
( cd "$WORK"
  for i in $(seq 0 $((CALLS - 1))); do
    echo "bench-pass-1" | "$BIN" user add --org bench --name "agent$i" --role agent --extension $((200 + i)) --phone browser --password-stdin >/dev/null
  done
  "$BIN" org seats --org bench $((CALLS + 10)) >/dev/null )
for i in $(seq 0 $((CALLS - 1))); do USERS+=("agent$i@bench"); done
SP=$(port); HP=$(port)
( cd "$WORK" && SWITCHBOARD_LOG=error SWITCHBOARD_SIP_ADDR="127.0.0.1:$SP" SWITCHBOARD_HTTP_ADDR="127.0.0.1:$HP" exec "$BIN" serve >"$WORK/serve.log" 2>&1 ) &
SBPID=$!
PIDS+=("$SBPID")
for _ in $(seq 50); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.2; done
"$CARGO_TARGET_DIR/release/examples/browser_load" "http://127.0.0.1:$HP" "bench-pass-1" "$SBPID" "${USERS[@]}"
kill "$SBPID" 2>/dev/null || true
echo "--- the plain RTP relay, $CALLS calls, for comparison:"
bench/relay_sipp.sh "$CALLS"
