#!/usr/bin/env bash
# Issue 24, "Messages that name the real cause": a missing picture in an image sequence
# (named; --tolerate-damage passes it and records the loss), `run` while `verify --store`
# reads the store, a 1x1 film (exit 2, in one process and distributed), and the service's
# tcp://localhost: and port '*' (the docs' forms work). A NUL in a CSV line is in
# references_bounds.sh.
source "$(dirname "$0")/../lib.sh"
source "$FR_ROOT/tests/jobs_lib.bash"
trap 'stop_daemon; [[ -n ${vpid:-} ]] && kill $vpid 2>/dev/null; true' EXIT
fast=(--model tint --render-factor 4)

# 1. image sequences with one picture missing: at a point image2's probing lands on (5:
#    it used to end the film there, silently) and one it skips (4: "Input/output error")
for gap in 005 004; do
    mkdir "s$gap"
    ff -f lavfi -i testsrc2=size=64x48:rate=12 -frames:v 10 "s$gap/f_%03d.png"
    rm "s$gap/f_$gap.png"
    expect_error "gap-$gap" "f_$gap.png is missing" run "s$gap/f_%03d.png" -o "o$gap.mkv" "${fast[@]}" --ranks 0
    expect_error "gap-$gap-distributed" "f_$gap.png is missing" run "s$gap/f_%03d.png" -o "d$gap.mkv" "${fast[@]}" --ranks 1
    "$FR_BIN" run "s$gap/f_%03d.png" -o "t$gap.mkv" "${fast[@]}" --ranks 1 --tolerate-damage 2>err \
        || { cat err; fail "--tolerate-damage did not pass the missing picture"; }
    grep -q "f_$gap.png missing" err || { cat err; fail "the tolerated gap was not logged"; }
    [[ $(frame_count "t$gap.mkv") == 9 ]] || fail "t$gap.mkv: $(frame_count "t$gap.mkv") frames, expected the 9 there are"
    "$FR_BIN" verify "t$gap.mkv" --store "t$gap.mkv.h5" 2>err || { cat err; fail "verify --store of the tolerated run failed"; }
    grep -qi "missing\|lost\|damage" err || { cat err; fail "verify --store does not list the loss"; }
done

# 2. a 1x1 film: one line naming the size, exit 2, both ways
ff -f lavfi -i color=gray:size=2x2:rate=12 -t 1 -vf scale=1:1 -c:v ffv1 one.mkv
for ranks in 0 1; do
    set +e; "$FR_BIN" run one.mkv -o "one$ranks.out.mkv" "${fast[@]}" --ranks $ranks 2>err; rc=$?; set -e
    [[ $rc == 2 ]] && grep -q "the picture is 1x1; filmrestore needs at least 8x8" err || { cat err; fail "1x1 film, --ranks $ranks: exit $rc"; }
done

# 3. run while verify --store reads the store
ff -f lavfi -i testsrc2=size=320x240:rate=24 -t 30 -c:v libx264 -pix_fmt yuv420p long.mkv
"$FR_BIN" run long.mkv -o long.out.mkv "${fast[@]}" --ranks 1 2>/dev/null || fail "the long run failed"
"$FR_BIN" verify long.out.mkv --store long.out.mkv.h5 >/dev/null 2>&1 & vpid=$!
for _ in $(seq 300); do ls -l /proc/$vpid/fd 2>/dev/null | grep -q 'long.out.mkv.h5$' && break; sleep 0.05; done
ls -l /proc/$vpid/fd 2>/dev/null | grep -q 'long.out.mkv.h5$' || skip "verify ended before it opened the store"
expect_error verify-reads "is open in another process" run long.mkv -o long.out.mkv "${fast[@]}" --ranks 1
wait $vpid || true; vpid=

# 4. the service on tcp://localhost:* (its publish port follows: '*' too), a client on tcp://localhost:PORT
rm -f spool/endpoints.json; mkdir -p spool
"$FRD" --spool "$PWD/spool" --allow-root "$PWD" --bind 'tcp://localhost:*' >>spool.log 2>&1 & DAEMON_PID=$!
for _ in $(seq 100); do [[ -s spool/endpoints.json ]] && break; sleep 0.1; done
[[ -s spool/endpoints.json ]] || { cat spool.log; fail "filmrestored --bind tcp://localhost:* did not start"; }
port=$("$PYTHON" -c 'import json; print(json.load(open("spool/endpoints.json"))["requests"].rsplit(":",1)[1])')
"$FR_BIN" list --connect "tcp://localhost:$port" >/dev/null || fail "a client on tcp://localhost:$port was not answered"
stop_daemon

# 5. the codec list names every codec there is
expect_error codec "is not h264, ffv1, prores, png or tiff" run long.mkv -o x.mkv --codec vp9
help=$("$FR_BIN" run --help)  # not piped into grep -q: its early exit is a SIGPIPE under pipefail
grep -q "png or tiff" <<<"$help" || fail "run --help does not list png and tiff"
echo "messages: each names its cause"
