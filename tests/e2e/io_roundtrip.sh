#!/usr/bin/env bash
# Video path round trips: the output keeps the source's luma byte for byte (at
# its own depth), its audio and subtitle streams bit for bit, its frame count,
# timestamps (VFR too) and rotation.
source "$(dirname "$0")/../lib.sh"

# 8-bit YUV with FLAC audio and SRT subtitles, variable frame rate.
printf '1\n00:00:00,500 --> 00:00:01,500\nHello\n' > sub.srt
ff -f lavfi -i "testsrc2=size=320x240:rate=24,settb=1/1000,setpts='PTS+if(gte(N,20),50,0)'" \
   -f lavfi -i sine=frequency=440:sample_rate=48000 -i sub.srt -t 2 \
   -map 0:v -map 1:a -map 2:s -c:v libx264 -pix_fmt yuv420p -c:a flac -c:s srt -fps_mode passthrough src.mkv
"$FR_BIN" run src.mkv -o out.mkv --model tint 2>log || { cat log; fail "run failed"; }
same "luma_hashes src.mkv" "luma_hashes out.mkv" || fail "ffv1 luma differs from the source"
same "stream_hash src.mkv a:0" "stream_hash out.mkv a:0" || fail "audio differs"
same "stream_hash src.mkv s:0" "stream_hash out.mkv s:0" || fail "subtitles differ"
same "frame_times src.mkv" "frame_times out.mkv" || fail "timestamps differ"
[[ $(frame_count out.mkv) == $(frame_count src.mkv) ]] || fail "frame count differs"
# chroma is really there: the tint generator is not neutral
u=$(ffmpeg -nostdin -v error -i out.mkv -frames:v 1 -vf extractplanes=u,scale=1:1:flags=area -f rawvideo - | od -An -tu1 | tr -d ' ')
(( u < 124 || u > 132 )) || fail "chroma looks neutral (U mean $u)"

# 8-bit gray PNG sequence.
mkdir -p png; ff -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 10 -pix_fmt gray png/frame_%06d.png
"$FR_BIN" run png/frame_%06d.png -o png.mkv --model tint 2>log || { cat log; fail "png run failed"; }
same "luma_hashes png/frame_%06d.png" "luma_hashes png.mkv" || fail "png sequence luma differs"

# 16-bit gray TIFF sequence keeps 16 bits in FFV1.
mkdir -p tif; ff -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 8 -pix_fmt gray16le tif/f_%04d.tif
"$FR_BIN" run tif/f_%04d.tif -o tif.mkv --model tint 2>log || { cat log; fail "tiff run failed"; }
[[ $(ffprobe -v error -show_entries stream=pix_fmt -of csv=p=0 tif.mkv) == yuv444p16le ]] || fail "16-bit depth not kept"
same "luma_hashes tif/f_%04d.tif gray16le" "luma_hashes tif.mkv gray16le" || fail "16-bit luma differs"

# 10-bit source keeps 10 bits in FFV1 and in ProRes.
ff -f lavfi -i testsrc2=size=320x240:rate=24 -t 1 -c:v ffv1 -pix_fmt yuv422p10le \
   -color_range tv -colorspace bt709 -color_primaries bt709 -color_trc bt709 ten.mkv
"$FR_BIN" run ten.mkv -o ten_out.mkv --model tint 2>log || { cat log; fail "10-bit ffv1 run failed"; }
same "luma_hashes ten.mkv gray10le" "luma_hashes ten_out.mkv gray10le" || fail "10-bit luma differs (ffv1)"
tags() { ffprobe -v error -select_streams v:0 -show_entries stream=color_range,color_space,color_primaries,color_transfer -of csv=p=0 "$1"; }
[[ $(tags ten_out.mkv) == "$(tags ten.mkv)" ]] || fail "colour tags not kept: $(tags ten.mkv) -> $(tags ten_out.mkv)"
"$FR_BIN" run ten.mkv -o ten_out.mov --model tint 2>log || { cat log; fail "10-bit prores run failed"; }
[[ $(ffprobe -v error -show_entries stream=codec_name,pix_fmt -of csv=p=0 ten_out.mov) == prores,yuv422p10le ]] || fail "not 10-bit ProRes"

# Rotation and H.264 review output.
ff -f lavfi -i testsrc2=size=320x240:rate=24 -t 1 -c:v libx264 plain.mp4
ff -i plain.mp4 -c copy -metadata:s:v:0 rotate=90 rot.mp4
"$FR_BIN" run rot.mp4 -o rot_out.mp4 --model tint 2>log || { cat log; fail "h264 run failed"; }
rot() { "$FR_BIN" probe "$1" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["streams"][d["video_stream"]]["rotation"])'; }
[[ $(rot rot.mp4) == $(rot rot_out.mp4) && $(rot rot.mp4) != 0.0 ]] || fail "rotation not kept: $(rot rot.mp4) vs $(rot rot_out.mp4)"
[[ $(frame_count rot_out.mp4) == 24 ]] || fail "h264 frame count"
ls -a | grep -q partial && fail "temporary files left behind"
echo ok
