#!/usr/bin/env bash
# RTP loss through the B2BUA with real sipp calls: CALLS concurrent calls from the trunk to an
# extension, each caller playing sipp's g711a.pcap (7 s of PCMA, 30 ms packets) into the
# relay; tcpdump counts the packets the callers sent and those the relay delivered to the
# callee. (sipp's RTP player itself stays clean up to about 500 calls; for more, see
# relay_capacity.sh.)
#   bench/relay_sipp.sh [CALLS]     (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-500}
source bench/lib.sh
sysctl -qw net.core.rmem_max=4194304 net.core.wmem_max=4194304 2>/dev/null || true
UASMP=42000; UACMP=40000
P=$(port)
start_switchboard "$P"
sipp -sf bench/uas_g711a.xml -i 127.0.0.1 -p "$P" -mp "$UASMP" -nostdin -bg -max_socket 5000 >/dev/null 2>&1 || true
sleep 0.3
tcpdump -i lo -nn -B 32768 -s 64 -w "$WORK/rtp.pcap" "udp and (src port $UACMP or dst port $UASMP)" 2>"$WORK/tcpdump.err" &
TD=$!
sleep 1
CPU0=$(awk '{print $14+$15}' /proc/$SBPID/stat)
sipp "127.0.0.1:$SP" -sf bench/uac_g711a.xml -i 127.0.0.2 -p "$(port)" -mp "$UACMP" -s 48220000000 -nostdin \
  -l "$CALLS" -m "$CALLS" -r 100 -d 9000 -max_socket 5000 -timeout 120s >"$WORK/uac.txt" 2>&1 || true
CPU1=$(awk '{print $14+$15}' /proc/$SBPID/stat)
sleep 1
kill -INT "$TD"; wait "$TD" 2>/dev/null || true
OK=$(grep -E "Successful call" "$WORK/uac.txt" | awk -F'|' '{gsub(/ /,"",$3); print $3}' | tail -n1)
FAILED=$(grep -E "Failed call" "$WORK/uac.txt" | awk -F'|' '{gsub(/ /,"",$3); print $3}' | tail -n1)
SENT=$(tcpdump -r "$WORK/rtp.pcap" -nn "src port $UACMP" 2>/dev/null | wc -l)
GOT=$(tcpdump -r "$WORK/rtp.pcap" -nn "dst port $UASMP and not src port $UACMP" 2>/dev/null | wc -l)
DROPPED=$(grep -Eo "[0-9]+ packets dropped by kernel" "$WORK/tcpdump.err" | grep -Eo "^[0-9]+" || echo "?")
python3 - "$CALLS" "${OK:-0}" "${FAILED:-0}" "$SENT" "$GOT" "$DROPPED" "$CPU0" "$CPU1" "$(getconf CLK_TCK)" <<'PY'
import sys
calls, ok, failed, sent, got, dropped, c0, c1, tck = sys.argv[1:]
sent, got = int(sent), int(got)
loss = 100 * (sent - got) / sent if sent else 100
cpu = (float(c1) - float(c0)) / float(tck)
print(f"{calls} concurrent calls through the B2BUA: {ok} ok, {failed} failed")
print(f"RTP caller -> callee: sent {sent}, delivered {got}, loss {loss:.2f}% (tcpdump dropped: {dropped})")
if got:
    print(f"Switchboard CPU {cpu:.2f} s: {cpu / got * 1e6:.1f} us per relayed packet (signalling included)")
PY
