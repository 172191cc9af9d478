"""tests/e2e/jobs_protocol.py: an independent client of filmrestored, written
from docs/jobs.md with pyzmq alone. Sends good and bad requests and checks each
reply; the daemon must stay up throughout. Usage: jobs_protocol.py SPOOL ROOT
(the daemon holds its jobs: --max-running 0)."""
import json, os, random, socket, sys, time
import zmq

spool, root = sys.argv[1:3]
ep = json.load(open(os.path.join(spool, "endpoints.json")))
ctx = zmq.Context()
ctx.setsockopt(zmq.LINGER, 0)
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def req_socket(kind=zmq.REQ):
    s = ctx.socket(kind)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    s.connect(ep["requests"])
    return s


req = req_socket()


def call(obj):
    req.send(obj if isinstance(obj, bytes) else json.dumps(obj).encode())
    return json.loads(req.recv())


def refused(obj, words, what):
    r = call(obj)
    ok = r.get("ok") is False and all(w in r.get("error", "") for w in words)
    check(ok, f"{what}: {r.get('error')!r}")
    return r


film = os.path.join(root, "clip.mkv")
out = os.path.join(root, "out.mkv")
good = {"input": film, "output": out, "model": "tint", "render-factor": 4, "ranks": 1}

r = call({"op": "ping"})
check(r["ok"] is True and r["service"] == "filmrestored" and r["events"] == ep["events"], "ping")

# envelope errors
refused(b"{not json", ["malformed JSON"], "malformed JSON")
refused(b"", ["malformed JSON"], "empty message")
refused(b"[1,2]", ["JSON object"], "an array")
refused({"id": "j000001"}, ["missing field 'op'"], "no op")
refused({"op": 7}, ["'op' must be a string"], "op of the wrong type")
refused({"op": "explode"}, ["unknown op"], "unknown op")
refused({"op": "list", "verbose": True}, ["unknown field 'verbose'"], "unknown top-level field")
refused({"op": "status"}, ["needs field 'id'"], "status without id")
refused({"op": "status", "id": 12}, ["job id"], "id of the wrong type")
refused({"op": "status", "id": "../../etc"}, ["job id"], "malformed id")
r = refused({"op": "status", "id": "j424242"}, ["no job j424242"], "unknown job")
check(r.get("id") == "j424242", "the error reply names the id")
refused({"op": "submit", "job": [good]}, ["'job' must be an object"], "job of the wrong type")
refused(b'{"op":"ping","op":"list"}', ["duplicate"], "duplicate keys")

# spec errors, field by field
def bad_spec(change, words, what):
    job = dict(good)
    job.update(change)
    job = {k: v for k, v in job.items() if v is not None}
    refused({"op": "submit", "job": job}, words, what)

bad_spec({"render_factor": 8}, ["unknown field 'render_factor'"], "unknown spec field")
bad_spec({"batch": "8"}, ["field 'batch' must be an integer"], "string for an integer")
bad_spec({"batch": 8.5}, ["field 'batch' must be an integer"], "real for an integer")
bad_spec({"smooth-strength": "1"}, ["field 'smooth-strength' must be a number"], "string for a number")
bad_spec({"overwrite": 1}, ["field 'overwrite' must be true or false"], "integer for a flag")
bad_spec({"model": 3}, ["field 'model' must be a string"], "number for a string")
bad_spec({"render-factor": 2}, ["render-factor", "[4, 128]"], "out of range")
bad_spec({"cut-ratio": 0.5}, ["cut-ratio"], "detector option out of range")
bad_spec({"priority": 5000}, ["priority"], "priority out of range")
bad_spec({"smoothing": "maybe"}, ["smoothing"], "bad enumeration")
bad_spec({"codec": "mpeg1"}, ["codec"], "unknown codec")
bad_spec({"input": None}, ["missing field 'input'"], "no input")
bad_spec({"output": None}, ["missing field 'output'"], "no output")
bad_spec({"input": "clip.mkv"}, ["not an absolute path"], "relative path")
bad_spec({"input": "/etc/hostname"}, ["outside the allowed roots"], "input outside the roots")
bad_spec({"output": "/tmp/elsewhere.mkv"}, ["outside the allowed roots"], "output outside the roots")
bad_spec({"output": root + "/../escape.mkv"}, ["outside the allowed roots"], "output escaping with ..")
link = os.path.join(root, "link-out")
if not os.path.islink(link):
    os.symlink("/etc", link)
bad_spec({"input": link + "/hostname"}, ["outside the allowed roots"], "input escaping by a symlink")
bad_spec({"store": "/var/tmp/x.h5"}, ["field 'store'", "outside"], "store outside the roots")
bad_spec({"model": "/etc/hostname"}, ["field 'model'", "outside"], "model file outside the roots")
bad_spec({"input": root + "/missing.mkv"}, ["field 'input'", "No such file"], "missing input")
bad_spec({"output": "x" * 5000}, ["output"], "huge string")

# a multi-part request is refused; DEALER without a delimiter is answered
req.send_multipart([b'{"op":"ping"}', b"extra"])
r = json.loads(req.recv())
check(r["ok"] is False and "one message part" in r["error"], "multipart request refused")
d = req_socket(zmq.DEALER)
d.send(b'{"op":"ping"}')
check(json.loads(d.recv())["ok"] is True, "DEALER without delimiter")
d.close()

# huge message: the connection is dropped, nothing is answered, the daemon stays up
h = req_socket()
h.setsockopt(zmq.RCVTIMEO, 1500)
h.send(b'{"op":"ping","pad":"' + b"x" * (2 << 20) + b'"}')
try:
    h.recv()
    check(False, "a 2 MiB request was answered")
except zmq.Again:
    check(True, "a 2 MiB request was dropped")
h.close()
check(call({"op": "ping"})["ok"], "daemon up after the huge message")

# random bytes: as ZMTP payloads (answered) and as raw TCP (dropped)
rng = random.Random(13)
for i in range(200):
    blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    r = call(blob)
    if r.get("ok") is not False or "error" not in r:
        check(False, f"random payload {i} got {r}")
        break
else:
    check(True, "200 random payloads each got an error reply")
host, port = ep["requests"][len("tcp://"):].rsplit(":", 1)
for i in range(20):
    with socket.create_connection((host, int(port)), timeout=2) as s:
        try:
            s.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096))))
            s.recv(64)
        except OSError:
            pass
check(call({"op": "ping"})["ok"], "daemon up after raw random bytes")

# a held job: submit, list, status, events, cancel
sub = ctx.socket(zmq.SUB)
sub.connect(ep["events"])
r = call({"op": "submit", "job": dict(good, priority=3)})
check(r["ok"] and r["job"]["state"] == "queued" and r["job"]["spec"]["input"] == os.path.realpath(film), "submit")
jid = r["id"]
check(os.path.isfile(os.path.join(spool, "jobs", jid + ".json")), "the job is on disk once acknowledged")
sub.setsockopt_string(zmq.SUBSCRIBE, jid)
time.sleep(0.3)
r = call({"op": "status", "id": jid})
check(r["ok"] and r["job"]["log"] == os.path.join(os.path.realpath(spool), "logs", jid + ".log"), "status names the log")
ids = [j["id"] for j in call({"op": "list"})["jobs"]]
check(ids.count(jid) == 1, "list shows the job once")
r = call({"op": "cancel", "id": jid})
check(r["ok"] and r["job"]["state"] == "cancelled", "cancel a queued job")
got = None
if sub.poll(3000):
    topic, body = sub.recv_multipart()
    got = (topic.decode(), json.loads(body)["state"])
check(got == (jid, "cancelled"), f"event after cancel: {got}")
refused({"op": "cancel", "id": jid}, ["already cancelled"], "cancel twice")

# docs/jobs.md lists every option of `filmrestore run` as a spec key
doc = open(os.path.join(os.environ["FR_ROOT"], "docs", "jobs.md")).read()
helptext = os.popen(os.environ["FR_BIN"] + " run --help").read()
opts = [w[2:] for line in helptext.splitlines() for w in line.split() if w.startswith("--") and w != "--help"]
missing = [o for o in opts if f"`{o}`" not in doc]
check(len(opts) > 20 and not missing, f"docs/jobs.md covers run's {len(opts)} options (missing: {missing})")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
