#!/usr/bin/env bash
# Long calls hold nothing more as they last: CALLS concurrent carrier calls (default 200) through
# the B2BUA to an extension, audio both ways (a looping tone from each side, media anchored),
# held MINUTES (default 10). The server's resident memory and CPU are printed every minute while
# they run (memory must stay flat), then the live-object gauges and memory once they ended.
#   bench/long_calls.sh [CALLS] [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-200}
MINUTES=${2:-10}
source bench/lib.sh
sysctl -qw net.core.rmem_max=4194304 net.core.wmem_max=4194304 2>/dev/null || true
P=$(port)
start_switchboard "$P"
sox -n -r 8000 -c 1 -e u-law "$WORK/tone.wav" synth 20 sine 600
for s in uas_answer trunk_uac; do
  sed "s|\[tone\]|$WORK/tone.wav|" "crates/telephony/tests/sipp/$s.xml" >"$WORK/$s.xml"
done
sipp -sf "$WORK/uas_answer.xml" -i 127.0.0.1 -p "$P" -mp 14000 -nostdin -bg -max_socket 5000 >/dev/null 2>&1 || true
sleep 0.5
echo "before: RSS $(rss); $(gauges)"
sipp "127.0.0.1:$SP" -sf "$WORK/trunk_uac.xml" -i 127.0.0.2 -p "$(port)" -mp 12000 -s 48220000000 -key caller 48600000000 \
  -nostdin -r 50 -l "$CALLS" -m "$CALLS" -d $((MINUTES * 60000)) -max_socket 5000 -timeout $((MINUTES * 60 + 120))s \
  >"$WORK/uac.txt" 2>&1 &
UAC=$!
sleep 10
echo "$CALLS calls up: $(gauges)"
for m in $(seq 1 "$MINUTES"); do
  C0=$(cpu)
  sleep 60
  C1=$(cpu)
  awk -v m="$m" -v r="$(rss)" -v a="$C0" -v b="$C1" -v t="$TICKS" \
    'BEGIN { printf "minute %2d: RSS %s, CPU %.1f%% of a core\n", m, r, (b - a) / t / 60 * 100 }'
  kill -0 "$UAC" 2>/dev/null || break
done
wait "$UAC" || true
OK=$(grep -E "Successful call" "$WORK/uac.txt" | tail -1 | awk -F'|' '{print $3+0}')
FAILED=$(grep -E "Failed call" "$WORK/uac.txt" | tail -1 | awk -F'|' '{print $3+0}')
echo "$CALLS calls of $MINUTES min: ${OK:-?} ok, ${FAILED:-?} failed"
echo "right after: RSS $(rss); $(gauges)"
sleep 60
echo "60 s later:  RSS $(rss); $(gauges)"
