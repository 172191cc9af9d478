#!/usr/bin/env bash
# Provenance and `verify --store`. A run records its source hash, model, settings,
# version and hosts in the store's /runs (a resume adds a row) and, all but the hosts,
# in the output's container tags, which ffprobe shows. `verify OUTPUT --store STORE`
# rebuilds every frame from the source's luma and the store's chroma: it passes an
# untouched FFV1 output exactly and an H.264 one within its PSNR floor, and catches
# luma changed in the output, chroma changed in the output or in the store, a changed
# source, an output made from another source, and an unfinished store.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 2 -c:v libx264 -pix_fmt yuv420p src.mkv
run() { "$FR_BIN" run src.mkv --ranks 2 --model tint --render-factor 4 "$@" 2>log || { cat log; fail "run $* failed"; }; }
run -o out.mkv
run -o review.mp4

# Container tags: everything but the hosts (the bytes must not depend on where it ran).
tags=$(ffprobe -v error -show_entries format_tags -of default=nw=1 out.mkv)
echo "$tags"
src_hash=$("$PYTHON" -c 'import h5py,sys; print(h5py.File(sys.argv[1],"r").attrs["source_hash"].decode())' out.mkv.h5)
for want in "TAG:FILMRESTORE_SOURCE=src.mkv" "TAG:FILMRESTORE_SOURCE_HASH=$src_hash" "TAG:FILMRESTORE_MODEL=tint" \
            "TAG:FILMRESTORE_VERSION=" "TAG:FILMRESTORE_SETTINGS=render_factor=4 segment_frames=96 shots="; do
    grep -qF "$want" <<<"$tags" || fail "out.mkv lacks the tag $want"
done
ffprobe -v error -show_entries format_tags=FILMRESTORE_MODEL -of csv=p=0 review.mp4 | grep -qx tint || fail "review.mp4 lacks its tags"

# The store's /runs: one row per run, naming this host and the ranks.
runs_of() {
    "$PYTHON" - "$1" <<'PY'
import sys, h5py
for r in h5py.File(sys.argv[1], "r")["runs"][()]:
    print(r["ranks"], r["hosts"].decode(), r["tool_version"].decode(), r["started"].decode())
PY
}
host=$(hostname)
[[ $(runs_of out.mkv.h5) == "3 $host (3 ranks) "* ]] || fail "unexpected /runs: $(runs_of out.mkv.h5)"
run -o out.mkv -y   # a resume on the same store
[[ $(runs_of out.mkv.h5 | wc -l) == 2 ]] || fail "a resume did not add a row to /runs: $(runs_of out.mkv.h5)"

"$FR_BIN" verify out.mkv --store out.mkv.h5 >verify.out || fail "verify --store refused an untouched FFV1 output"
cat verify.out
grep -q "48 frames: luma identical to the source, chroma identical to out.mkv.h5" verify.out || fail "no exact check reported"
grep -q "^run 2: .* 3 ranks on $host" verify.out || fail "verify does not show the provenance"
"$FR_BIN" verify review.mp4 --store review.mp4.h5 >verify.out || fail "verify --store refused an untouched H.264 output"
grep -q "luma within .* dB of the source" verify.out || { cat verify.out; fail "no PSNR check reported for H.264"; }

# The output changed, with a sidecar that matches the change: the store check still sees it.
retouch() { # $1 filter, $2 output
    ff -i out.mkv -map 0 -c:v ffv1 -level 3 -vf "$1" "$2"
    ffmpeg -nostdin -v error -i "$2" -map 0:v -f framemd5 - >"$2.framemd5"
}
retouch "geq=lum='lum(X,Y)+eq(X,10)*eq(Y,20)':cb='cb(X,Y)':cr='cr(X,Y)'" luma.mkv
expect_error luma-changed "luma differs from the source" verify luma.mkv --store out.mkv.h5
retouch "geq=lum='lum(X,Y)':cb='cb(X,Y)+eq(X,10)*eq(Y,20)':cr='cr(X,Y)'" chroma.mkv
expect_error chroma-changed "chroma differs from the store" verify chroma.mkv --store out.mkv.h5

# The store's chroma changed under an untouched output.
cp out.mkv.h5 edited.h5
"$PYTHON" -c 'import h5py,sys; d=h5py.File(sys.argv[1],"r+")["chroma_smoothed"]; d[7,3,3,0]^=0x40' edited.h5
expect_error store-changed "frame 7: chroma differs from the store" verify out.mkv --store edited.h5

# Another source, a changed source, an unfinished store.
ff -f lavfi -i "testsrc=size=160x120:rate=24" -t 2 -c:v libx264 -pix_fmt yuv420p other.mkv
"$FR_BIN" run other.mkv -o other-out.mkv --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "run other failed"; }
expect_error other-source "out.mkv was made from another source than store other-out.mkv.h5" verify out.mkv --store other-out.mkv.h5
ff -f lavfi -i "testsrc=size=160x120:rate=24" -t 1 -c:v libx264 -pix_fmt yuv420p other.mkv
expect_error source-changed "other.mkv changed since store other-out.mkv.h5" verify other-out.mkv --store other-out.mkv.h5
"$PYTHON" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r+"); d=f["state"]; d[0]=-1' edited.h5
expect_error unfinished "is incomplete" verify out.mkv --store edited.h5
expect_error no-store "cannot open the store" verify out.mkv --store missing.h5
echo ok
