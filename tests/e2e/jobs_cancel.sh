#!/usr/bin/env bash
# Issue 24, "The daemon stays responsive": cancel no longer blocks the loop. A run that
# ignores SIGTERM (a stand-in for filmrestore, via --filmrestore) is cancelled: the cancel
# and the requests after it are answered at once, and the loop's tick kills the run's
# whole session FR_JOB_CANCEL_GRACE (5) seconds later; the job ends cancelled.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap stop_daemon EXIT
ff -f lavfi -i testsrc2=size=64x48:rate=12 -t 1 -c:v libx264 -pix_fmt yuv420p clip.mkv
cat > stubborn <<SH
#!/bin/bash
trap '' TERM
sleep 600 &
echo "\$\$ \$!" > "$PWD/stubborn.pids"
wait
SH
chmod +x stubborn
start_daemon "$PWD/spool" --allow-root "$PWD" --filmrestore "$PWD/stubborn"
id=$("$FR_BIN" submit clip.mkv -o out.mkv --model tint --ranks 1)
for _ in $(seq 100); do [[ -s stubborn.pids ]] && break; sleep 0.1; done
[[ -s stubborn.pids ]] || fail "the stand-in run did not start"
read -r runpid sleeppid < stubborn.pids
"$PYTHON" - "$REQ" "$id" <<'PY'
import json, sys, time, zmq
ep, jid = sys.argv[1:3]
ctx = zmq.Context()
s = ctx.socket(zmq.REQ); s.connect(ep)
def call(**r):
    t = time.monotonic(); s.send_json(r)
    if not s.poll(10000): raise SystemExit("no reply to %s in 10 s" % r["op"])
    return s.recv_json(), time.monotonic() - t
t0 = time.monotonic()
rep, dt = call(op="cancel", id=jid)
assert rep["ok"], rep
print(f"cancel answered in {dt*1000:.0f} ms")
assert dt < 1.0, "cancel blocked the loop for %.1f s" % dt
worst = 0
while True:
    rep, dt = call(op="ping"); worst = max(worst, dt)
    st, _ = call(op="status", id=jid)
    if st["job"]["state"] != "running": break
    if time.monotonic() - t0 > 20: raise SystemExit("the job is still running 20 s after its cancel")
    time.sleep(0.1)
took = time.monotonic() - t0
print(f"job {st['job']['state']} {took:.1f} s after the cancel; slowest ping {worst*1000:.0f} ms")
assert st["job"]["state"] == "cancelled", st
assert 4.5 <= took <= 10, "escalation after %.1f s, expected about 5" % took
assert worst < 1.0, "a ping waited %.1f s" % worst
PY
# gone, or a zombie waiting for whoever inherited it
alive() { [[ -r /proc/$1/stat ]] && [[ $(sed 's/.*) //' "/proc/$1/stat" | cut -c1) != Z ]]; }
! alive "$runpid" || fail "the run ($runpid) is still alive"
! alive "$sleeppid" || fail "a process of the run's session ($sleeppid) is still alive"
grep -q "killed" "spool/logs/$id.log" || { cat "spool/logs/$id.log"; fail "the log does not say the run was killed"; }
