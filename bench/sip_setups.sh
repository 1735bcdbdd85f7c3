#!/usr/bin/env bash
# Call setups per second on this machine, in one run: sipp UAC -> sipp UAS directly (the
# harness's own ceiling), through Kamailio as a stateful proxy (Debian's kamailio, when
# installed), and through Switchboard's B2BUA (a trunk call to a number ringing an extension;
# RTP ports allocated and the relay started for every call). For each path the offered rate
# grows by half from 250/s (SECONDS of calls at each step) until more than 1% of calls fail; the
# figure is the best rate sustained with at most 1% failures. Prints a table with the ratios.
#   bench/sip_setups.sh [SECONDS] [MAX_RATE]     (defaults: 3 s per step, up to 32000/s)
set -euo pipefail
cd "$(dirname "$0")/.."
STEP_SECONDS=${1:-3}
MAX_RATE=${2:-32000}
source bench/lib.sh
# Bigger UDP buffers help every contestant alike (ignored where not allowed).
sysctl -qw net.core.rmem_max=4194304 net.core.wmem_max=4194304 2>/dev/null || true

uas() { # start a sipp UAS on $1
  # sipp -bg returns 99 from the parent while the child keeps serving.
  sipp -sf bench/uas_fast.xml -i 127.0.0.1 -p "$1" -nostdin -bg -max_socket 5000 >/dev/null 2>&1 || true
  sleep 0.3
}
# Runs the built-in UAC from address $1 against $2, calling number $3, at rate $4 for
# STEP_SECONDS; prints "setups/s ok failed".
uac_at() {
  local out="$WORK/uac.$RANDOM.txt" calls=$(( $4 * STEP_SECONDS )) t0 t1
  t0=$(date +%s.%N)
  # A call not answered within 2 s fails at once: a failed call must not stretch the elapsed
  # time by SIP's 32 s transaction timeout.
  sipp "$2" -sn uac -i "$1" -p "$(port)" -s "$3" -nostdin -r "$4" -rp 1000 -m "$calls" -l 20000 -d 0 \
    -max_socket 5000 -recv_timeout 2000 -timeout 120s >"$out" 2>&1 || true
  t1=$(date +%s.%N)
  python3 - "$out" "$t0" "$t1" <<'PY'
import re, sys
t = open(sys.argv[1], errors="replace").read()
ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", t)
fail = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", t)
secs = max(float(sys.argv[3]) - float(sys.argv[2]), 0.001)
if not ok:
    print("0 0 1"); sys.exit()
print(f"{int(ok[-1]) / secs:.0f} {ok[-1]} {fail[-1] if fail else 0}")
PY
}

# The best rate a path sustains with at most 1% failed calls: "setups/s ok failed".
uac() {
  local rate=250 best="0 0 0"
  while [ "$rate" -le "$MAX_RATE" ]; do
    read -r cps ok failed < <(uac_at "$1" "$2" "$3" "$rate")
    echo "  $4 offered $rate/s: $cps/s, $ok ok, $failed failed" >&2
    if [ $(( failed * 100 )) -gt $(( ok + failed )) ] || [ "$ok" -eq 0 ]; then break; fi
    best="$cps $ok $failed"
    rate=$(( rate * 3 / 2 ))
  done
  echo "$best"
}

echo "offered rates grow by half from 250/s, $STEP_SECONDS s each, up to $MAX_RATE/s; 2 cores shared by every process"

# 1. Direct (the harness's own ceiling).
P=$(port); uas "$P"
read -r DIRECT DOK DFAIL < <(uac 127.0.0.1 "127.0.0.1:$P" 1000 direct)
pkill -f "uas_fast.xml -i 127.0.0.1 -p $P" || true

# 2. Kamailio 5.6, stateful (tm), forwarding everything to the UAS.
KAM="-"; KOK=0; KFAIL=0
if command -v kamailio >/dev/null; then
  P=$(port); KP=$(port); uas "$P"
  MP=$(ls -d /usr/lib/*/kamailio/modules 2>/dev/null | head -n1)
  cat >"$WORK/kamailio.cfg" <<CFG
#!KAMAILIO
debug=0
log_stderror=yes
children=2
listen=udp:127.0.0.1:$KP
mpath="$MP"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "pv.so"
request_route {
  if (has_totag()) {
    # sipp's built-in UAC sends ACK and BYE to the proxy itself, without a Route: on this
    # one-hop bench those go to the UAS as well.
    if (!loose_route()) { \$du = "sip:127.0.0.1:$P"; }
    t_relay(); exit;
  }
  if (is_method("INVITE")) { record_route(); }
  \$du = "sip:127.0.0.1:$P";
  t_relay();
}
CFG
  kamailio -f "$WORK/kamailio.cfg" -DD -E -m 2048 -M 16 >"$WORK/kamailio.log" 2>&1 &
  PIDS+=($!)
  sleep 1
  read -r KAM KOK KFAIL < <(uac 127.0.0.1 "127.0.0.1:$KP" 1000 kamailio)
  kill "${PIDS[-1]}" 2>/dev/null || true
  pkill -f "uas_fast.xml -i 127.0.0.1 -p $P" || true
fi

# 3. Switchboard: a trunk from 127.0.0.2, number 48220000000 ringing extension 100's phone.
P=$(port)
start_switchboard "$P"
uas "$P"
CPU0=$(awk '{print $14+$15}' /proc/$SBPID/stat)
read -r SB SBOK SBFAIL < <(uac 127.0.0.2 "127.0.0.1:$SP" 48220000000 switchboard)
CPU1=$(awk '{print $14+$15}' /proc/$SBPID/stat)
TICKS=$(getconf CLK_TCK)

python3 - "$DIRECT" "$DOK" "$DFAIL" "$KAM" "$KOK" "$KFAIL" "$SB" "$SBOK" "$SBFAIL" "$CPU0" "$CPU1" "$TICKS" <<'PY'
import sys
d, dok, dfail, k, kok, kfail, s, sok, sfail, c0, c1, ticks = sys.argv[1:]
d, s = float(d), float(s)
kv = None if k == "-" else float(k)
print()
print(f"{'path (best rate with <= 1% failed)':<34}{'setups/s':>10}{'calls ok':>10}{'failed':>8}{'vs direct':>11}{'vs Kamailio':>13}")
print(f"{'sipp UAC -> UAS (direct)':<34}{d:>10.0f}{dok:>10}{dfail:>8}{'100%':>11}{'':>13}")
if kv is not None:
    print(f"{'sipp -> Kamailio 5.6 (tm) -> UAS':<34}{kv:>10.0f}{kok:>10}{kfail:>8}{kv / d:>11.0%}{'100%':>13}")
else:
    print(f"{'sipp -> Kamailio (not installed)':<34}{'-':>10}")
ratio_k = f"{s / kv:.0%}" if kv else "-"
print(f"{'sipp -> Switchboard B2BUA -> UAS':<34}{s:>10.0f}{sok:>10}{sfail:>8}{s / d:>11.0%}{ratio_k:>13}")
cpu = (float(c1) - float(c0)) / float(ticks)
if int(sok):
    print(f"\nSwitchboard CPU: {cpu:.2f} s for {sok} calls = {cpu / int(sok) * 1e6:.0f} us per call setup (both legs, RTP ports, relay)")
PY
