#!/usr/bin/env bash
# Issue 13, point 5: 1,100 silent SIP TCP connections — from one address, then spread over 22
# loopback addresses — while the web pages are asked for. Prints the connections the server
# holds, its open files, the web's /healthz latency during the flood, and the same 6 s later
# (silent connections are closed after 5 s). Run from anywhere: bench/tcp_flood.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
start_switchboard "$(port)"
python3 - "$SP" "$HP" "$SBPID" <<'PY'
import os, socket, sys, time, urllib.request
sp, hp, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def flood(addrs, n):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((addrs[i % len(addrs)], 0))
        try:
            s.connect(("127.0.0.1", sp))
            socks.append(s)
        except OSError:
            s.close()
    return socks

def health_ms():
    t = time.time()
    urllib.request.urlopen(f"http://127.0.0.1:{hp}/healthz", timeout=5).read()
    return (time.time() - t) * 1000

def held():
    body = urllib.request.urlopen(f"http://127.0.0.1:{hp}/metrics", timeout=5).read().decode()
    return next((float(l.split()[-1]) for l in body.splitlines() if l.startswith("switchboard_sip_tcp_connections")), -1)

def files():
    return len(os.listdir(f"/proc/{pid}/fd"))

print(f"before: server holds {held():.0f} SIP TCP connections, {files()} open files")
for label, addrs in [("from one address", ["127.0.0.1"]), ("from 22 addresses", [f"127.0.1.{i}" for i in range(1, 23)])]:
    socks = flood(addrs, 1100)
    time.sleep(1)
    lat = sorted(health_ms() for _ in range(21))
    print(f"{label}: 1100 opened; server holds {held():.0f}, {files()} open files; /healthz p50 {lat[10]:.1f} ms, max {lat[-1]:.1f} ms")
    time.sleep(6)
    print(f"{label}: 6 s later the server holds {held():.0f}, {files()} open files")
    for s in socks:
        s.close()
    time.sleep(1)
PY
