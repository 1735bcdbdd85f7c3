#!/usr/bin/env bash
# The time from a carrier's INVITE to the call bar's banner on a page other than the agent
# panel (the Contacts page, headless Debian chromium): p50 and p99 over CALLS calls, each
# INVITE sent over UDP by the bench itself (so no process start is timed), the banner seen by a
# MutationObserver in the page, both on this machine's clock; each call is then cancelled.
#   bench/banner.sh [CALLS]     (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release -q -p switchboard
(cd e2e && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error)
SWITCHBOARD_BIN="$CARGO_TARGET_DIR/release/switchboard" node bench/banner.mjs "${1:-200}"
