#!/usr/bin/env bash
# Damaged and oversized sources. 2 KB zeroed in the middle of an MKV make the demuxer
# resync past a frame: the run must refuse it, in one process and distributed, unless
# --tolerate-damage is given, which logs the loss, records it in the store's /damage, and goes
# on; a resume meets the same loss and keeps one row, and verify --store lists it. A lone
# timestamp gap in a constant-rate stream is a dropped frame too. A header claiming a picture larger
# than --max-pixels is refused before the frames are decoded. A 4096x3112 16-bit scan goes into FFV1
# (the encoder's fixed four slices once refused it).
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 3 -c:v mjpeg -q:v 5 -fflags +bitexact -flags +bitexact intra.mkv
frames=$(frame_count intra.mkv)
# Find a spot near the middle where zeroes cost the demuxer a whole frame.
found=
for frac in 50 45 55 40 60 35 65; do
    cp intra.mkv zeroed.mkv
    "$PYTHON" -c 'import os, sys; p = sys.argv[1]; f = open(p, "r+b"); f.seek(os.path.getsize(p) * int(sys.argv[2]) // 100); f.write(bytes(2048))' zeroed.mkv "$frac"
    if [[ $(frame_count zeroed.mkv 2>/dev/null) == $((frames - 1)) ]]; then found=$frac; break; fi
done
[[ -n $found ]] || fail "no offset found where 2 KB of zeroes drop exactly one frame"
echo "zeroed 2 KB at ${found}% of the file"
expect_error zeroed-local "frame(s) missing" run zeroed.mkv -o out.mkv --ranks 0 --model tint --render-factor 4
expect_error zeroed-mpi "frame(s) missing" run zeroed.mkv -o out.mkv --ranks 2 --model tint --render-factor 4
[[ ! -e out.mkv ]] || fail "a refused run wrote an output"
"$FR_BIN" run zeroed.mkv -o tolerated.mkv --ranks 2 --model tint --render-factor 4 --tolerate-damage 2>log || { cat log; fail "--tolerate-damage run failed"; }
grep -q "1 frame(s) missing before" log || { cat log; fail "the dropped frame was not logged"; }
[[ $(frame_count tolerated.mkv) == $((frames - 1)) ]] || fail "tolerated output has $(frame_count tolerated.mkv) frames"
damage_rows() {
    "$PYTHON" - tolerated.mkv.h5 <<'PY'
import sys, h5py
d = h5py.File(sys.argv[1], "r")["damage"]
for r in d[()]:
    print(int(r["after_frame"]), int(r["missing"]), r["reason"].decode())
PY
}
rows=$(damage_rows) || fail "cannot read /damage"
echo "damage: $rows"
[[ $(wc -l <<<"$rows") == 1 && $rows == *" 1 "* ]] || fail "the store does not record exactly one loss of one frame: $rows"
"$FR_BIN" run zeroed.mkv -o tolerated.mkv --ranks 2 --model tint --render-factor 4 --tolerate-damage -y 2>log || { cat log; fail "resuming the tolerated run failed"; }
[[ $(damage_rows) == "$rows" ]] || fail "a resume changed /damage: $(damage_rows)"
"$FR_BIN" verify tolerated.mkv --store tolerated.mkv.h5 >verify.out || fail "verify --store refused the tolerated output"
grep -q "damage: 1 frame(s) lost after frame" verify.out || { cat verify.out; fail "verify does not list the loss"; }

# A lone timestamp gap in a constant-rate stream is a dropped frame (Matroska's 1 ms clock
# makes the steps 41 and 42 ms); a rate that changes and stays changed is a variable frame rate.
ff -i intra.mkv -c copy -bsf:v "noise=drop=eq(n\,30)" gap.mkv
expect_error gap "1 frame(s) missing after frame 29 (a timestamp gap at" run gap.mkv -o gap-out.mkv --ranks 0 --model tint --render-factor 4
"$FR_BIN" run gap.mkv -o gap-out.mkv --ranks 2 --model tint --render-factor 4 --tolerate-damage 2>log || { cat log; fail "--tolerate-damage refused a timestamp gap"; }
"$PYTHON" -c 'import h5py,sys; r=h5py.File(sys.argv[1],"r")["damage"][()]; assert len(r)==1 and r[0]["after_frame"]==29 and r[0]["missing"]==1, r' gap-out.mkv.h5 || fail "the gap is not in /damage"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -frames:v 48 -vf "setpts='if(lt(N,20),N,20+(N-20)*2)/24/TB'" -c:v mjpeg vfr.mkv
"$FR_BIN" run vfr.mkv -o vfr-out.mkv --ranks 0 --model tint --render-factor 4 2>log || { cat log; fail "a clip whose rate halves was refused"; }
[[ $(frame_count vfr-out.mkv) == 48 ]] || fail "vfr output has $(frame_count vfr-out.mkv) frames"

# A PNG whose header claims 12000x12000, with almost no data.
"$PYTHON" - <<'PY'
import struct, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 12000, 12000, 8, 0, 0, 0, 0)
open("huge.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
PY
start=$(date +%s)
expect_error huge "12000x12000, more than --max-pixels allows (67108864 pixels)" run huge.png -o out.mkv --ranks 0 --model tint --max-pixels 8192x8192
expect_error small-cap "160x120, more than --max-pixels allows (10000 pixels)" run intra.mkv -o out.mkv --ranks 0 --model tint --max-pixels 100x100
expect_error bad-cap "--max-pixels: '12x' is not WxH" run intra.mkv -o out.mkv --ranks 0 --model tint --max-pixels 12x
(( $(date +%s) - start < 20 )) || fail "refusing oversized pictures took too long"

ff -f lavfi -i "testsrc2=size=4096x3112:rate=24" -frames:v 1 -pix_fmt gray16le -c:v ffv1 scan16.mkv
"$FR_BIN" run scan16.mkv -o scan-out.mkv --ranks 0 --model tint --render-factor 4 -c ffv1 2>log || { cat log; fail "FFV1 of a 4K 16-bit scan failed"; }
[[ $(ffprobe -v error -show_entries stream=width,height,pix_fmt -of csv=p=0 scan-out.mkv) == 4096,3112,yuv444p16le ]] || fail "unexpected FFV1 output"
same "luma_hashes scan16.mkv gray16le" "luma_hashes scan-out.mkv gray16le" || fail "the scan's luma was not kept"
echo ok
