#!/usr/bin/env bash
# Restoration on the nodes (--restore): the stage table's luma rows run on each segment's
# window at the source's resolution, and the output carries the restored luma. The bytes
# do not depend on the number of node ranks, on --ranks 0, on the codec's path (a segment
# re-encoded from the store's chroma) or on a SIGKILL and a resume; verify rebuilds the
# restored luma and accepts the output, and refuses a store an earlier version of a stage's
# algorithm made (so does a resume); restoration off keeps the source's luma exact; a bad
# list is one clear error.
source "$(dirname "$0")/../lib.sh"
src=$FR_ROOT/samples/calais-1906.ogv
# the real 1906 film (grain, flicker, dust), cut to 120 frames (its cut at 81) at 160x120
ff -i "$src" -frames:v 120 -vf scale=160:120 -c:v ffv1 -pix_fmt yuv420p film.mkv
args=(--model tint --render-factor 8 --segment-frames 24 --restore all,regrain)

"$FR_BIN" run film.mkv -o r1.mkv --ranks 1 "${args[@]}" 2>r1.log || { cat r1.log; fail "restored run, 1 node rank"; }
"$FR_BIN" run film.mkv -o r3.mkv --ranks 3 "${args[@]}" 2>r3.log || { cat r3.log; fail "restored run, 3 node ranks"; }
cmp r1.mkv r3.mkv || fail "restored output differs between 1 and 3 node ranks"
grep -q "deflicker+dust+scratches+denoise+colorize+smooth+regrain" r1.log || { cat r1.log; fail "progress does not name the stages"; }
grep -q "stage times: deflicker [0-9.]* s, dust" r1.log || { cat r1.log; fail "the node did not log its stage times"; }
"$FR_BIN" run film.mkv -o r0.mkv --ranks 0 "${args[@]}" 2>r0.log || { cat r0.log; fail "restored run, --ranks 0"; }
cmp r1.mkv r0.mkv || fail "restored output differs between --ranks 0 and 1 node rank"
grep -q "stages=deflicker(deflicker-strength=1,version=3) dust(dust-strength=1,version=7) scratches(scratches-strength=1,version=2) denoise(denoise-strength=0.5)" \
    <(ffprobe -v error -show_entries format_tags=FILMRESTORE_SETTINGS -of default=nw=1 r1.mkv) \
    || fail "the output's settings tag does not record the restoration"

# restoration changes the luma; without it the luma is the source's, sample for sample
same "luma_hashes film.mkv" "luma_hashes r1.mkv" && fail "--restore left the luma untouched"
"$FR_BIN" run film.mkv -o plain.mkv --ranks 2 --model tint --render-factor 8 --segment-frames 16 2>plain.log \
    || { cat plain.log; fail "plain run"; }
same "luma_hashes film.mkv" "luma_hashes plain.mkv" || fail "without --restore the luma is not the source's"

# verify rebuilds the restored luma, and refuses a restored output checked as a plain one
"$FR_BIN" verify r1.mkv --store r1.mkv.h5 >v.out || { cat v.out; fail "verify refused a restored output"; }
grep -q "luma identical to the source as restored" v.out || { cat v.out; fail "verify did not check the restored luma"; }
set +e; "$FR_BIN" verify r1.mkv --store plain.mkv.h5 >v2.out 2>&1; rc=$?; set -e
[[ $rc != 0 ]] || fail "verify accepted a restored output against a plain run's store"

# a store whose dust stage an earlier version of its algorithm made (its identity names no
# version): verify cannot rebuild its frames and says so, and a run does not resume it
cp r1.mkv.h5 old.h5
"$PYTHON" -c "import h5py,numpy,sys; f=h5py.File(sys.argv[1],'r+'); v=f.attrs['stage_settings']; v=v.decode() if isinstance(v,bytes) else v; assert ',version=7' in v, v; f.attrs['stage_settings']=numpy.bytes_(v.replace('dust(dust-strength=1,version=7)','dust(dust-strength=1)'))" old.h5
set +e; "$FR_BIN" verify r1.mkv --store old.h5 >v3.out 2>&1; rc=$?; set -e
[[ $rc != 0 ]] || { cat v3.out; fail "verify accepted a store an earlier dust made"; }
grep -q "dust stage is version 1 of its algorithm and this build's is 7" v3.out || { cat v3.out; fail "verify did not name the stage's version"; }
cp old.h5 o.mkv.h5
set +e; "$FR_BIN" run film.mkv -o o.mkv --ranks 1 "${args[@]}" >o.log 2>&1; rc=$?; set -e
[[ $rc != 0 && ! -e o.mkv ]] || { cat o.log; fail "a store an earlier dust made was resumed"; }
grep -q "belongs to another run: its stage settings" o.log || { cat o.log; fail "the refused resume did not say why"; }

# a segment re-encoded from the store's chroma (its part file lost) restores the same luma
rm r1.mkv.h5.parts/00000001.part r1.mkv.h5.parts/00000004.part r1.mkv
"$FR_BIN" run film.mkv -o r1.mkv --ranks 2 "${args[@]}" 2>again.log || { cat again.log; fail "re-encode run"; }
grep -q "segments: 2 run, 4 already done" again.log || { cat again.log; fail "expected the 2 lost segments re-encoded"; }
cmp r1.mkv r3.mkv || fail "segments re-encoded from the store differ"

# H.264 too: across ranks, and verify within its lossy bound
"$FR_BIN" run film.mkv -o h1.mp4 --ranks 1 "${args[@]}" 2>h1.log || { cat h1.log; fail "H.264, 1 rank"; }
"$FR_BIN" run film.mkv -o h3.mp4 --ranks 3 "${args[@]}" 2>h3.log || { cat h3.log; fail "H.264, 3 ranks"; }
cmp h1.mp4 h3.mp4 || fail "restored H.264 differs between 1 and 3 node ranks"
"$FR_BIN" verify h1.mp4 --store h1.mp4.h5 >/dev/null || fail "verify refused the restored H.264 output"

# a SIGKILL of a node rank mid-run, then of rank 0, then a resume: the same bytes. The
# run's ranks are frozen (SIGSTOP) while the store is read, and the kill lands only where
# segments remain, so a slow or loaded machine cannot turn it into a kill after the work
rank_pids() { # "rank pid", a line for each rank process of the k.mkv run
    local p r
    for p in $(pgrep -f "filmrestore run film.mkv -o k.mkv"); do
        r=$(tr '\0' '\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
        [[ -n $r ]] && echo "$r $p"
    done
    return 0
}
done_segments() { [[ -f k.mkv.h5 ]] && "$PYTHON" -c "import h5py; print(int(h5py.File('k.mkv.h5','r',swmr=True)['batch_done'][()].sum()))" 2>/dev/null || echo 0; }
segments=$(( (120 + 23) / 24 ))
for attempt in 1 2 3; do
    rm -rf k.mkv k.mkv.h5 k.mkv.h5.parts
    kills=0 want=1
    for target in 1 0; do
        "$FR_BIN" run film.mkv -o k.mkv --ranks 2 "${args[@]}" 2>k.log &
        launcher=$!
        # once this run has finished a segment more than the last left, so the store has
        # work to keep
        for _ in $(seq 300); do (( $(done_segments) >= want )) && break; sleep 0.1; done
        ranks=$(rank_pids)
        for p in $(cut -d' ' -f2 <<<"$ranks"); do kill -STOP "$p" 2>/dev/null || true; done
        have=$(done_segments) landed=0
        pid=$(awk -v t=$target '$1 == t {print $2}' <<<"$ranks")
        if [[ -n $pid ]] && (( have < segments )) && kill -9 "$pid" 2>/dev/null; then
            landed=1 kills=$((kills + 1))
        fi
        for p in $(cut -d' ' -f2 <<<"$ranks"); do kill -CONT "$p" 2>/dev/null || true; done
        set +e; wait $launcher; rc=$?; set -e
        (( landed )) && [[ $rc == 0 ]] && { cat k.log; fail "a killed run reported success"; }
        want=$((have + 1))
        [[ -f k.mkv ]] && break
    done
    (( kills == 2 )) && break
    echo "attempt $attempt: $kills kill(s) landed mid-run; again"
done
(( kills == 2 )) || fail "only $kills kill(s) landed"
[[ -f k.mkv ]] || "$FR_BIN" run film.mkv -o k.mkv --ranks 2 "${args[@]}" 2>k.log || { cat k.log; fail "resume"; }
grep -q "segments: [0-9]* run, [1-9][0-9]* already done" k.log || { cat k.log; fail "the resume redid every segment"; }
cmp k.mkv r3.mkv || fail "the resumed restored output differs from an uninterrupted run ($kills kills)"

# a 10-bit source is restored at its own depth, and verify agrees
ff -f lavfi -i "testsrc2=size=128x96:rate=12" -t 2 -vf "noise=alls=20:allf=t" -c:v ffv1 -pix_fmt yuv420p10le deep.mkv
"$FR_BIN" run deep.mkv -o deep-out.mkv --ranks 1 --model tint --render-factor 4 --restore all 2>deep.log || { cat deep.log; fail "10-bit restore"; }
[[ $(ffprobe -v error -show_entries stream=pix_fmt -of csv=p=0 deep-out.mkv) == yuv444p10le ]] || fail "the 10-bit output is not 10-bit"
same "luma_hashes deep.mkv gray10le" "luma_hashes deep-out.mkv gray10le" && fail "--restore left the 10-bit luma untouched"
"$FR_BIN" verify deep-out.mkv --store deep-out.mkv.h5 >/dev/null || fail "verify refused the restored 10-bit output"

expect_error "unknown stage" "'sharpen' is not deflicker" run film.mkv -o x.mkv --restore dust,sharpen
expect_error "strength range" "dust-strength" run film.mkv -o x.mkv --restore dust --dust-strength 2
echo "ok: restored output identical across 0, 1, 3 ranks, re-encode and $kills kill(s); verify checks the restored luma"
