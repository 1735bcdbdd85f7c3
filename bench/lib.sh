# Shared by the benchmark scripts: a work folder cleaned on exit, free ports, and a Switchboard
# (release build) with an organization whose trunk (from 127.0.0.2) brings number 48220000000
# to extension 100. Source it from the repository root.

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
WORK=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
PIDS=()
# The callee sipp runs in the background (-bg) under its own pid: stop it by its scenario (in
# bench/ or made in the work folder).
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  pkill -f "sipp -sf bench/uas_" 2>/dev/null || true
  pkill -f "sipp -sf $WORK/" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts Switchboard and registers extension 100 from 127.0.0.1:$1 (where the callee's sipp
# will listen). Sets SP (SIP port), HP (web port) and SBPID.
start_switchboard() {
  cargo build --release -q -p switchboard
  local bin="$CARGO_TARGET_DIR/release/switchboard" sippw
  # The carrier is sipp on 127.0.0.2: loopback trunks are allowed for benchmarks and tests only.
  export SWITCHBOARD_LOOPBACK_TRUNKS=true
  # Every call of a benchmark rings one extension: its share of calls at once is lifted.
  export SWITCHBOARD_MAX_CALLS_PER_ORGANIZATION=100000 SWITCHBOARD_MAX_CALLS_PER_EXTENSION=100000
  ( cd "$WORK"
    echo "bench-pass-1" | "$bin" user add --org bench --name agent --role agent --extension 100 --password-stdin >"$WORK/user.txt"
    "$bin" trunk add --org bench --name carrier --host 127.0.0.2 --inbound 127.0.0.2 >/dev/null
    "$bin" trunk number --org bench --number 48220000000 --extension 100 >/dev/null )
  sippw=$(sed -n 's/^SIP password: //p' "$WORK/user.txt")
  SP=$(port); HP=$(port)
  ( cd "$WORK" && SWITCHBOARD_LOG=${BENCH_LOG:-error} SWITCHBOARD_SIP_ADDR="127.0.0.1:$SP" SWITCHBOARD_HTTP_ADDR="127.0.0.1:$HP" exec "$bin" serve >"$WORK/serve.log" 2>&1 ) &
  SBPID=$!
  PIDS+=("$SBPID")
  for _ in $(seq 50); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.2; done
  # The server answers 503 until its routing snapshot is loaded: register again until it stands.
  for _ in $(seq 25); do
    sipp "127.0.0.1:$SP" -sf crates/telephony/tests/sipp/register.xml -m 1 -i 127.0.0.1 -p "$1" -nostdin \
      -s 100 -au 100 -ap "$sippw" -key domain 127.0.0.1 -timeout 10s >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "extension 100 could not register" >&2
  return 1
}

# The running server's resident memory (MB, and KiB), CPU ticks used so far, and its live-object
# gauges from /metrics (calls, SIP dialogs and transactions, legs, relays, RTP ports, tasks).
TICKS=$(getconf CLK_TCK)
# Switchboard with a phone that answers every call at once (bench/uas_fast.xml) as extension 100.
start_with_fast_phone() {
  sysctl -qw net.core.rmem_max=4194304 net.core.wmem_max=4194304 2>/dev/null || true
  local p; p=$(port)
  start_switchboard "$p"
  sipp -sf bench/uas_fast.xml -i 127.0.0.1 -p "$p" -nostdin -bg -max_socket 5000 >/dev/null 2>&1 || true
  sleep 0.5
}

# Resident memory, and how much of it is the process's own (anonymous: heap, stacks) rather than
# pages of files (the binary's code as it gets used, SQLite's shared memory), which the kernel
# can take back at any time.
rss() { awk '/VmRSS/ {r=$2} /RssAnon/ {a=$2} /RssFile/ {f=$2} /RssShmem/ {s=$2}
  END {printf "%.1f MB (anonymous %.1f, files %.1f, shared %.1f)", r / 1024, a / 1024, f / 1024, s / 1024}' "/proc/$SBPID/status"; }
kb() { awk '/VmRSS/ {print $2}' "/proc/$SBPID/status"; }
anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$SBPID/status"; }
cpu() { awk '{print $14 + $15}' "/proc/$SBPID/stat"; }
gauges() {
  curl -s "http://127.0.0.1:$HP/metrics" | grep -E '^switchboard_(calls|sip_|call_legs|relays|rtp_ports|tasks)' \
    | awk '{printf "%s=%s ", $1, $2}' | sed 's/switchboard_//g'
  echo
}
