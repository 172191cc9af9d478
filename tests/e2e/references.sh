#!/usr/bin/env bash
# Reference frames (issue 16) on the three-shot clip, with the tint model at 128 px:
#  - references export writes one gray frame per shot, named by its middle frame;
#  - the reference frame comes out with its own chroma (within 1 level), the shot changes, and
#    the shots next to it keep their bytes; 1 and 2 node ranks give the same output;
#  - a reference added later re-runs only its shot, and the result equals a fresh run; a CSV
#    index equals the folder; a timecode name and a picture of another size are accepted;
#  - verify --store checks guided shots against their guided chroma, and a rerun without
#    references clears the store's guidance and gives back the unguided output;
#  - bad references are refused with one line and a non-zero exit.
source "$(dirname "$0")/../lib.sh"
make_cuts_clip src.mkv
run() { "$FR_BIN" run src.mkv --model tint --render-factor 8 --segment-frames 8 "$@"; }
vmd5() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f framemd5 - | grep -v '^#' | awk -F, '{print $6}'; }

# 1. export
"$FR_BIN" references export src.mkv --every-shot exp 2>log || { cat log; fail "export failed"; }
[[ $(ls exp | tr '\n' ' ') == "000023.png 000071.png 000113.png " ]] || { ls exp; fail "export: wrong frames"; }
"$PYTHON" - <<'PY'
from PIL import Image
for n in ("000023", "000071", "000113"):
    im = Image.open("exp/%s.png" % n)
    assert im.mode == "L" and im.size == (320, 240), (n, im.mode, im.size)
PY

# 2. one reference in shot 1 (frames 48-95), painted from the source's own colour at 128 px
mkdir -p refs
ff -i src.mkv -vf "select=eq(n\,60)" -frames:v 1 -s 128x128 refs/000060.png
run -o base.mkv --ranks 2 2>log || { cat log; fail "run without references failed"; }
run -o one1.mkv --ranks 1 --references refs 2>log || { cat log; fail "run with a reference failed"; }
grep -q "guide: 1 shots run, 0 already done" log || { cat log; fail "the shot was not guided"; }
run -o one2.mkv --ranks 2 --references refs 2>log || { cat log; fail "run with a reference on 2 ranks failed"; }
cmp one1.mkv one2.mkv || fail "output differs between 1 and 2 node ranks"
paste -d' ' <(vmd5 base.mkv) <(vmd5 one2.mkv) | awk '{s = NR <= 48 || NR > 96 ? "other" : "shot"; print s, ($1 == $2)}' | sort | uniq -c >cmp.txt
grep -q " other 1" cmp.txt && ! grep -q " other 0" cmp.txt || { cat cmp.txt; fail "a reference changed the shots next to its own"; }
grep -q " shot 0" cmp.txt || { cat cmp.txt; fail "the reference changed nothing in its shot"; }
"$PYTHON" - one2.mkv.h5 <<'PY'
import sys, h5py, numpy as np
from PIL import Image
f = h5py.File(sys.argv[1], "r")
ref = np.asarray(Image.open("refs/000060.png").convert("YCbCr")).astype(int)[..., 1:]
got = f["references/chroma_guided"][60].astype(int)
d = np.abs(got - ref).max()
print("reference frame: max |guided - reference| =", d)
assert d <= 1, d
h = f["references/shot_hash"][()]
assert h.shape[1] == 32 and not h[0].any() and h[1].any(), h.any(axis=1)
# the neighbours of the reference frame moved towards it
sm = f["chroma_smoothed"][()].astype(int); g = f["references/chroma_guided"][48:96].astype(int)
assert np.abs(g[61 - 48] - ref).mean() < np.abs(sm[61] - ref).mean()
PY

# 3. a second reference, in shot 2, added later (timecode name, full-size picture): only shot 2 runs
cp one2.mkv.h5 later.h5
ff -i src.mkv -vf "select=eq(n\,100)" -frames:v 1 refs/00-00-04-04.png
run -o later.mkv --ranks 2 --store later.h5 --references refs 2>log || { cat log; fail "resume with a new reference failed"; }
grep -q "guide: 1 shots run, 1 already done" log || { cat log; fail "adding a reference re-ran more than its shot"; }
grep -q "generator: 0 frames run" log || { cat log; fail "adding a reference re-ran the model"; }
run -o fresh.mkv --ranks 2 --references refs 2>log || { cat log; fail "fresh run with two references failed"; }
cmp later.mkv fresh.mkv || fail "resumed output differs from a fresh run"
printf 'frame,file\n60,refs/000060.png\n00:00:04:04,refs/00-00-04-04.png\n' >index.csv
run -o csv.mkv --ranks 2 --references index.csv 2>log || { cat log; fail "CSV index failed"; }
cmp csv.mkv fresh.mkv || fail "the CSV index gives other output than the folder"

# verify --store knows which shots are guided: it passes the guided output, and after the same
# store is run again without references (the shots revert to the model's chroma), the new output
"$FR_BIN" verify fresh.mkv --store fresh.mkv.h5 >verify.out || { cat verify.out; fail "verify --store refused a guided output"; }
grep -q "2 shot(s) guided by reference frames" verify.out || { cat verify.out; fail "verify did not check the guided shots"; }
run -o fresh.mkv --ranks 2 -y 2>log || { cat log; fail "rerun without references failed"; }
cmp fresh.mkv base.mkv || fail "dropping the references did not give back the unguided output"
"$FR_BIN" verify fresh.mkv --store fresh.mkv.h5 >verify.out || { cat verify.out; fail "verify --store refused the unguided rerun"; }
grep -q "guided" verify.out && { cat verify.out; fail "the store still says shots are guided"; }

# 4. refusals
bad() { rm -rf b; mkdir b; cp refs/000060.png b/; }
bad; echo "not a picture" >b/000010.png
expect_error unreadable "000010.png" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references b
bad; cp refs/000060.png b/009999.png
expect_error "out of range" "beyond" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references b
bad; cp refs/000060.png b/00-00-02-12.png
expect_error duplicate "both name frame 60" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references b
bad; cp refs/000060.png b/sky.png
expect_error "bad name" "sky.png" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references b
printf '60;refs/000060.png\n' >bad.csv
expect_error "bad CSV" "bad.csv:1" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references bad.csv
expect_error "missing" "nowhere" run src.mkv -o x.mkv --ranks 2 --model tint --render-factor 8 --references nowhere
# one process (--ranks 0) runs the same pipeline: a reference guides its shot there too
run -o one0.mkv --ranks 0 --references refs 2>log || { cat log; fail "run with a reference in one process failed"; }
cmp one0.mkv csv.mkv || fail "one process and 2 node ranks give other bytes with the same references"
echo ok
