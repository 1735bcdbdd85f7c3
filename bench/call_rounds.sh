#!/usr/bin/env bash
# Whether memory grows with calls: ROUNDS bursts of CALLS short carrier calls (at 1,000/s) into
# one running Switchboard, and its resident memory 90 s after each (anonymous memory — the
# process's own — and file pages apart). A first burst sizes what a busy server keeps; the
# rounds after it must add next to nothing.
#   bench/call_rounds.sh [ROUNDS] [CALLS]      e.g. 3 20000
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
CALLS=${2:-20000}
source bench/lib.sh
start_with_fast_phone
echo "before:                 RSS $(rss)"
for round in $(seq "$ROUNDS"); do
  sipp "127.0.0.1:$SP" -sn uac -i 127.0.0.2 -p "$(port)" -s 48220000000 -nostdin -r 1000 -rp 1000 -m "$CALLS" \
    -l 20000 -d 0 -max_socket 5000 -recv_timeout 2000 -timeout 600s >"$WORK/uac$round.txt" 2>&1 || true
  OK=$(grep -E "Successful call" "$WORK/uac$round.txt" | tail -1 | awk -F'|' '{print $3+0}')
  sleep 90
  echo "90 s after round $round ($OK ok): RSS $(rss)"
done
