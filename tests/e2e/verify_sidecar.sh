#!/usr/bin/env bash
# Integrity: every output gets OUTPUT.framemd5, byte for byte what
# `ffmpeg -i OUTPUT -map 0:v -f framemd5 -` prints; `filmrestore verify OUTPUT` passes an
# untouched output and catches one flipped byte in the video stream and a dropped frame.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 \
   -c:v libx264 -pix_fmt yuv420p -c:a flac src.mkv
"$FR_BIN" run src.mkv -o out.mkv --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "run failed"; }
"$FR_BIN" run src.mkv -o local.mkv --ranks 0 --model tint --render-factor 4 -c ffv1 2>log || { cat log; fail "local run failed"; }
for f in out.mkv local.mkv; do
    [[ -s $f.framemd5 ]] || fail "$f has no sidecar"
    cmp "$f.framemd5" <(ffmpeg -nostdin -v error -i "$f" -map 0:v -f framemd5 -) || fail "$f.framemd5 differs from ffmpeg's framemd5"
    "$FR_BIN" verify "$f" > verify.out || fail "verify refused an untouched $f"
    grep -q "48 frames match" verify.out || { cat verify.out; fail "verify did not check 48 frames"; }
done

# One byte flipped in the video stream (the audio is left intact, so the change is video).
"$PYTHON" - <<'PY'
import subprocess
data = bytearray(open("out.mkv", "rb").read())
# The packets of video stream 0, with their positions in the file.
pk = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pos,size",
                     "-of", "csv=p=0", "out.mkv"], capture_output=True, text=True, check=True).stdout.split()
pos, size = max((tuple(map(int, l.split(","))) for l in pk), key=lambda p: p[1])
data[pos + size // 2] ^= 0x5A
open("flipped.mkv", "wb").write(data)
PY
cp out.mkv.framemd5 flipped.mkv.framemd5
expect_error flipped-byte "flipped.mkv" verify flipped.mkv

# One frame dropped (a stream copy without packet 30: every other byte of video unchanged).
ff -i out.mkv -map 0 -c copy -bsf:v "noise=drop=eq(n\,30)" dropped.mkv
[[ $(frame_count dropped.mkv) == 47 ]] || fail "the cut copy has $(frame_count dropped.mkv) frames"
cp out.mkv.framemd5 dropped.mkv.framemd5
expect_error dropped-frame "dropped.mkv" verify dropped.mkv
expect_error no-sidecar "no sidecar" verify src.mkv
echo ok
