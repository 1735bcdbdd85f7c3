#!/usr/bin/env bash
# What calls leave behind: N short carrier calls (default 20,000) at RATE per second (default
# 1,500) through the B2BUA to an extension answered by a sipp phone (media anchored), then the
# server's resident memory and CPU before, right after the last call, and 60 s later, with the
# live-object gauges of /metrics (calls, dialogs, transactions, relays, RTP ports, tasks), which
# must all be back to 0. CPU is given for the 60 s after the last call (the transactions kept
# for retransmissions expire then: RFC 3261's 64 × T1) and for the 60 s after those (idle).
#   bench/call_leftovers.sh [CALLS] [RATE]      e.g. 100000 1000
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-20000}
RATE=${2:-1500}
source bench/lib.sh
start_with_fast_phone
echo "before:        RSS $(rss); $(gauges)"
R0=$(kb); A0=$(anon_kb)
sipp "127.0.0.1:$SP" -sn uac -i 127.0.0.2 -p "$(port)" -s 48220000000 -nostdin -r "$RATE" -rp 1000 -m "$CALLS" \
  -l 20000 -d 0 -max_socket 5000 -recv_timeout 2000 -timeout 600s >"$WORK/uac.txt" 2>&1 || true
OK=$(grep -E "Successful call" "$WORK/uac.txt" | tail -1 | awk -F'|' '{print $3+0}')
FAILED=$(grep -E "Failed call" "$WORK/uac.txt" | tail -1 | awk -F'|' '{print $3+0}')
echo "$CALLS calls offered at $RATE/s: ${OK:-?} ok, ${FAILED:-?} failed"
C0=$(cpu)
echo "right after:   RSS $(rss); $(gauges)"
sleep 60
C1=$(cpu)
awk -v a="$C0" -v b="$C1" -v t="$TICKS" 'BEGIN { printf "the 60 s after: CPU %.2f s (%.1f%% of a core)\n", (b - a) / t, (b - a) / t / 60 * 100 }'
echo "60 s later:    RSS $(rss); $(gauges)"
sleep 60
C2=$(cpu)
awk -v a="$C1" -v b="$C2" -v t="$TICKS" 'BEGIN { printf "60-120 s after: CPU %.2f s (%.1f%% of a core)\n", (b - a) / t, (b - a) / t / 60 * 100 }'
echo "120 s later:   RSS $(rss); $(gauges)"
awk -v a="$R0" -v b="$(kb)" 'BEGIN { printf "RSS 120 s later is %+.0f%% of the start\n", (b - a) / a * 100 }'
awk -v a="$A0" -v b="$(anon_kb)" 'BEGIN { printf "anonymous memory 120 s later is %+.0f%% of the start\n", (b - a) / a * 100 }'
echo "database: $(du -sh "$WORK/data" | cut -f1) in $WORK/data ($(ls "$WORK/data" | tr '\n' ' '))"
