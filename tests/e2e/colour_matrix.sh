#!/usr/bin/env bash
# Colours in the film's own matrix (shared/fr_colour_matrix.h): a reference frame painted
# in RGB comes back with its painted colour, within 1 level of chroma, on films tagged
# BT.601, BT.709 and BT.2020, limited and full range; the output carries the film's
# matrix and range; an untagged film is read as BT.601 (FFmpeg's convention) with one log
# line. The expected chroma is computed here from the standard's own kr and kb.
source "$(dirname "$0")/../lib.sh"
mkdir -p refs
# painted exactly (ffmpeg's color source passes through YCbCr and comes out a level off)
"$PYTHON" -c 'from PIL import Image; Image.new("RGB", (128, 128), (200, 80, 40)).save("refs/000012.png")'

check() { # $1 name, $2 colorspace tag ("" = none), $3 range (tv|pc), $4 kr, $5 kb
    local name=$1 tags=()
    [[ -n $2 ]] && tags=(-colorspace "$2")
    ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 1 -vf hue=s=0 -c:v ffv1 -pix_fmt yuv444p \
       -color_range "$3" "${tags[@]}" "$name.mkv"
    "$FR_BIN" run "$name.mkv" -o "$name-out.mkv" --ranks 1 --model tint --render-factor 8 --references refs 2>"$name.log" ||
        { cat "$name.log"; fail "$name: run failed"; }
    local got; got=$(ffprobe -v error -show_entries stream=color_space,color_range -of csv=p=0 "$name-out.mkv")
    [[ $got == "$3,${2:-bt470bg}" ]] || fail "$name: the output is tagged '$got', expected '$3,${2:-bt470bg}'"
    ffmpeg -nostdin -v error -i "$name-out.mkv" -vf "select=eq(n\,12)" -frames:v 1 -f rawvideo -pix_fmt yuv444p "$name.yuv"
    "$PYTHON" - "$name" "$3" "$4" "$5" <<'PY' || fail "$1: the reference's colour changed"
import sys, numpy as np
name, rng, kr, kb = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
w, h = 160, 120
yuv = np.fromfile(name + ".yuv", np.uint8).reshape(3, h, w).astype(int)
r, g, b = 200.0, 80.0, 40.0
y = kr * r + (1 - kr - kb) * g + kb * b
cb, cr = 128 + (b - y) / (2 * (1 - kb)), 128 + (r - y) / (2 * (1 - kr))
if rng == "tv":
    cb, cr = 128 + (cb - 128) * 224 / 255, 128 + (cr - 128) * 224 / 255
got = np.median(yuv[1]), np.median(yuv[2])
d = max(abs(got[0] - cb), abs(got[1] - cr))
print("%s: Cb %.1f Cr %.1f, painted %.1f %.1f, off by %.2f" % (name, got[0], got[1], cb, cr, d))
assert d <= 1.0, d
PY
}
check bt601-tv bt470bg tv 0.299 0.114
check bt601-pc smpte170m pc 0.299 0.114
check bt709-tv bt709 tv 0.2126 0.0722
check bt709-pc bt709 pc 0.2126 0.0722
check bt2020-tv bt2020nc tv 0.2627 0.0593
check bt2020-pc bt2020nc pc 0.2627 0.0593
check untagged "" tv 0.299 0.114
[[ $(grep -c "tags no colour matrix: BT.601 assumed" untagged.log) == 1 ]] || { cat untagged.log; fail "no line says BT.601 was assumed"; }
grep -q "assumed" bt709-tv.log && fail "a tagged film said a matrix was assumed"
echo ok
