#!/usr/bin/env bash
# Segments on the nodes (docs/architecture.md): every node decodes, colourises, guides, smooths,
# merges and encodes its own segments, and rank 0 only demuxes, plans and muxes. The output is
# byte-identical on 1, 2 and 3 node ranks for FFV1, H.264 and ProRes, with smoothing and a
# reference frame on (FFV1 and ProRes on 1 and 2 threads a node too); it keeps the source's luma (FFV1) and audio; verify --store passes it; its
# .framemd5 sidecar (written from the nodes' digests) is ffmpeg's framemd5; an H.264 output starts
# every segment on a keyframe; and the shots the nodes' features gave are `filmrestore shots`'.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip src.mkv                      # 132 frames, cuts at 48 and 96
ff -i src.mkv -c:v copy -c:a aac src.mp4    # AAC, which MP4 and MOV hold
mkdir -p refs
ff -i src.mkv -vf "select=eq(n\,60)" -frames:v 1 -s 128x128 refs/000060.png
args=(--model tint --render-factor 8 --segment-frames 16 --references refs)
for ext in mkv mp4 mov; do
    src=src.mkv; [[ $ext != mkv ]] && src=src.mp4
    for n in 1 2 3; do
        "$FR_BIN" run $src -o "out$n.$ext" --ranks $n "${args[@]}" 2>log || { cat log; fail "$ext on $n node ranks failed"; }
    done
    cmp "out1.$ext" "out2.$ext" || fail "$ext: output differs between 1 and 2 node ranks"
    cmp "out1.$ext" "out3.$ext" || fail "$ext: output differs between 1 and 3 node ranks"
    if [[ $ext != mp4 ]]; then # FFV1 and ProRes encoders run on the node's --threads: same bytes
        "$FR_BIN" run $src -o "outt.$ext" --ranks 2 --threads 2 "${args[@]}" 2>log || { cat log; fail "$ext with 2 threads failed"; }
        cmp "out1.$ext" "outt.$ext" || fail "$ext: output differs between 1 and 2 threads a node"
    fi
    "$FR_BIN" verify "out2.$ext" --store "out2.$ext.h5" >verify.out || { cat verify.out; fail "$ext: verify --store refused it"; }
    diff <(ffmpeg -nostdin -v error -i "out2.$ext" -map 0:v -f framemd5 -) "out2.$ext.framemd5" >/dev/null \
        || fail "$ext: the sidecar is not ffmpeg's framemd5 of the output"
    same "stream_hash $src a:0" "stream_hash out2.$ext a:0" || fail "$ext: audio differs"
done
same "luma_hashes src.mkv" "luma_hashes out2.mkv" || fail "FFV1: luma differs from the source"
# H.264: a keyframe at every segment's first frame (a guided shot is one segment, whole)
"$PYTHON" - out2.mp4.h5 > starts.txt <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
shots, guided = f["shots"][()], f["references/shot_hash"][()].any(axis=1)
for b in f["batches"][()]:
    k = int(b["shot"])
    if not (k < len(guided) and guided[k]) or b["start"] == shots[k]["start_frame"]:
        print(int(b["start"]))
PY
ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -of csv=p=0 out2.mp4 | grep . | awk -F, '$1 == 1 {print NR - 1}' > keys.txt
comm -23 <(sort starts.txt) <(sort keys.txt) | grep -q . && fail "H.264: a segment does not start on a keyframe ($(comm -23 <(sort starts.txt) <(sort keys.txt) | tr '\n' ' '))"
# the shots from the nodes' features are the shot command's
"$FR_BIN" shots src.mkv 2>/dev/null | tail -n +2 | cut -d, -f2,3 > shots.csv
"$PYTHON" - out2.mkv.h5 > store_shots.csv <<'PY'
import sys, h5py
for s in h5py.File(sys.argv[1], "r")["shots"][()]:
    print("%d,%d" % (s["start_frame"], s["end_frame"]))
PY
diff shots.csv store_shots.csv || fail "the run's shots differ from filmrestore shots"
[[ $(wc -l < shots.csv) == 3 ]] || fail "expected 3 shots, got $(wc -l < shots.csv)"
echo ok
