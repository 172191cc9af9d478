#!/usr/bin/env bash
# Streams and metadata an output keeps (shared/fr_remux_streams.h): an interlaced source
# keeps its field order (tt, bb, tb) in the container and in each frame's flags, in FFV1
# .mkv and H.264 .mp4 (coded as fields), and verify --store passes it; an attachment
# (a font in MKV) is copied byte for byte, verify catches it removed, and an .mp4 output
# of such a source is refused naming the stream; a second video stream is refused naming
# it, before anything is written; cover art is dropped with one log line.
source "$(dirname "$0")/../lib.sh"
run() { "$FR_BIN" run "$1" -o "$2" --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "run $1 -o $2 failed"; }; }
fields() { # field order, then "interlaced,top_field_first" of each distinct frame
    echo "$(ffprobe -v error -show_entries stream=field_order -of csv=p=0 "$1")" \
         "$(ffprobe -v error -select_streams v -show_entries frame=interlaced_frame,top_field_first -of csv=p=0 "$1" |
            sed 's/,*$//' | grep . | sort -u | tr '\n' ' ')"
}

# Interlaced sources: the field order and the frames' flags carried over.
ff -f lavfi -i "testsrc2=size=160x120:rate=25" -t 2 -vf interlace=scan=tff -c:v libx264 -flags +ildct+ilme \
   -x264opts tff=1 -pix_fmt yuv420p -field_order tt tt.mkv
ff -f lavfi -i "testsrc2=size=160x120:rate=25" -t 2 -vf interlace=scan=bff -c:v ffv1 -field_order bb bb.mkv
ff -f lavfi -i "testsrc2=size=160x120:rate=25" -t 2 -vf interlace=scan=tff -c:v ffv1 -field_order tb tb.mkv
check_fields() { # $1 source, $2 output, $3 expected fields
    run "$1" "$2"
    [[ $(fields "$2") == "$3" ]] || fail "$2: field order and frame flags are '$(fields "$2")', expected '$3'"
    "$FR_BIN" verify "$2" --store "$2.h5" >/dev/null || fail "verify --store refused $2"
}
check_fields tt.mkv tt-out.mkv "tt 1,1 "
check_fields tt.mkv tt-out.mp4 "tt 1,1 "
check_fields bb.mkv bb-out.mkv "bb 1,0 "
check_fields bb.mkv bb-out.mp4 "bb 1,0 "
check_fields tb.mkv tb-out.mkv "tb 1,1 "
check_fields tb.mkv tb-out.mov "tb 1,1 "
# a progressive source stays progressive
ff -f lavfi -i "testsrc2=size=160x120:rate=25" -t 1 -c:v libx264 -pix_fmt yuv420p prog.mkv
run prog.mkv prog-out.mp4
[[ $(fields prog-out.mp4) == "progressive 0,0 " ]] || fail "a progressive source came out '$(fields prog-out.mp4)'"

# An attachment (a font): copied byte for byte into .mkv; refused for .mp4, naming it.
head -c 3000 /dev/urandom >font.ttf
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -f lavfi -i "sine=d=2" -t 2 -c:v libx264 -pix_fmt yuv420p -c:a aac \
   -attach font.ttf -metadata:s:t mimetype=application/x-truetype-font font.mkv
run font.mkv font-out.mkv
ff -dump_attachment:t:0 got.ttf -i font-out.mkv -f null - 2>/dev/null || true
cmp -s got.ttf font.ttf || fail "the font did not come through unchanged"
[[ $(ffprobe -v error -select_streams t -show_entries stream_tags=filename -of csv=p=0 font-out.mkv) == font.ttf ]] ||
    fail "the attachment lost its file name"
"$FR_BIN" verify font-out.mkv --store font-out.mkv.h5 >/dev/null || fail "verify --store refused font-out.mkv"
ff -i font-out.mkv -map 0 -map -0:t -c copy no-font.mkv
ffmpeg -nostdin -v error -i no-font.mkv -map 0:v -f framemd5 - >no-font.mkv.framemd5
expect_error font-removed "the source's attachment stream #2 (ttf) is missing" verify no-font.mkv --store font-out.mkv.h5
expect_error font-mp4 "the mp4 container cannot hold the source's attachment stream #2 (ttf); write .mkv" \
    run font.mkv -o font-out.mp4 --ranks 2 --model tint --render-factor 4
[[ ! -e font-out.mp4 ]] || fail "a refused run wrote its output"

# A second video stream: refused, naming it, before anything is written.
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -f lavfi -i "testsrc=size=80x60:rate=24" -t 1 -map 0 -map 1 \
   -c:v libx264 -pix_fmt yuv420p two.mkv
expect_error second-video "the source's stream #1 is a second video stream (h264, 80x60)" \
    run two.mkv -o two-out.mkv --ranks 2 --model tint --render-factor 4
[[ ! -e two-out.mkv && ! -e two-out.mkv.h5 ]] || fail "a refused run left an output or a store"
expect_error second-video-1 "second video stream" run two.mkv -o two-out.mkv --ranks 0 --model tint --render-factor 4

# Cover art: not copied, said in one line; verify expects none.
ff -f lavfi -i "testsrc=size=64x64" -frames:v 1 cover.png
ff -i font.mkv -i cover.png -map 0:v -map 0:a -map 1 -c copy -c:v:1 png -disposition:v:1 attached_pic cover.mp4
run cover.mp4 cover-out.mkv
grep -q "the source's attached picture stream #2 (png) is not copied into cover-out.mkv" log || { cat log; fail "cover art dropped without a word"; }
"$FR_BIN" verify cover-out.mkv --store cover-out.mkv.h5 >/dev/null || fail "verify --store refused cover-out.mkv"
echo ok
