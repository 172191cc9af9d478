#!/usr/bin/env bash
# Issue 24, "The daemon stays responsive": 1,100 raw TCP connections that never speak
# ZMTP (on loopback, bounded, closed at the end) no longer starve clients. Connections
# beyond --max-connections are dropped as they are accepted, a silent peer is dropped
# after the 2 s handshake timeout, and a REQ client is answered throughout.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
start_daemon "$PWD/spool" --allow-root "$PWD" --max-connections 64
"$PYTHON" - "$REQ" <<'PY'
import resource, socket, sys, time, zmq
ep = sys.argv[1]
host, port = ep[len("tcp://"):].rsplit(":", 1)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
ctx = zmq.Context()
req = ctx.socket(zmq.REQ); req.setsockopt(zmq.LINGER, 0); req.connect(ep)
def ping():
    t = time.monotonic(); req.send_json({"op": "ping"})
    if not req.poll(10000): raise SystemExit("no answer to ping in 10 s")
    assert req.recv_json()["ok"]
    return time.monotonic() - t
ping()
# one silent peer: the handshake timeout drops it
lone = socket.create_connection((host, int(port)))
lone.settimeout(6)
t0 = time.monotonic(); got = b"x"
try:
    while got: got = lone.recv(4096)
except socket.timeout:
    raise SystemExit("a peer that never spoke ZMTP was kept for 6 s")
print(f"a silent peer was dropped after {time.monotonic() - t0:.1f} s")
lone.close()
# the flood
conns, t0, worst = [], time.monotonic(), 0.0
while len(conns) < 1100 and time.monotonic() - t0 < 30:
    try:
        conns.append(socket.create_connection((host, int(port)), timeout=2))
    except OSError:
        pass
    if len(conns) % 100 == 0:
        worst = max(worst, ping())
print(f"{len(conns)} raw connections opened")
end = time.monotonic() + 6
while time.monotonic() < end:
    worst = max(worst, ping()); time.sleep(0.2)
for c in conns: c.close()
print(f"slowest ping during the flood: {worst*1000:.0f} ms")
assert worst < 1.5, "a client waited %.1f s" % worst
PY
grep -q "refusing new ones" spool.log || { tail spool.log; fail "the daemon never applied its connection cap"; }
"$FR_BIN" list >/dev/null || fail "the daemon does not answer after the flood"
