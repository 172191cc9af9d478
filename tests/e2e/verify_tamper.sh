#!/usr/bin/env bash
# `verify --store` checks the whole output, not only its pictures: each tampering below
# is done with ffmpeg (-c copy, so every frame still matches) and a sidecar rewritten to
# match, and each must fail with one line naming what changed: the audio replaced or
# removed, the video retimed 2x, the sample aspect ratio, colour tags or field order
# changed (in the container, and in the H.264 bitstream's VUI), the provenance tags
# stripped or forged, a tag added; and a store whose /timestamps were reversed, made
# flat, or shifted. The untouched outputs (FFV1 .mkv and H.264 .mp4, audio copied, of a
# Matroska and of an MPEG-TS source) pass. Plain `verify` takes the store beside the output
# (OUTPUT.h5) and catches the same; without one, stripped or added tags.
source "$(dirname "$0")/../lib.sh"
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -f lavfi -i "sine=f=440:d=2" -t 2 -c:v libx264 -pix_fmt yuv420p \
   -c:a aac -shortest src.mkv
for out in out.mkv review.mp4; do
    "$FR_BIN" run src.mkv -o $out --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "run $out failed"; }
    "$FR_BIN" verify $out --store $out.h5 >verify.out || { cat verify.out; fail "verify --store refused an untouched $out"; }
done

# An MPEG-TS source: its AAC is in ADTS frames, which the muxer turns into raw frames with
# extra data (aac_adtstoasc); verify compares them through the same filter. The .mp4's
# edit list moves its start by under a millisecond: still the source's timestamps.
ff -i src.mkv -map 0 -c copy -f mpegts src.ts
for out in ts.mkv ts.mp4; do
    "$FR_BIN" run src.ts -o $out --ranks 2 --model tint --render-factor 4 2>log || { cat log; fail "run $out failed"; }
    "$FR_BIN" verify $out --store $out.h5 >verify.out || { cat verify.out; fail "verify --store refused $out of an MPEG-TS source"; }
done

# A full-range BT.709 source in H.264 .mp4: tags kept, and the decoder's yuvj420p is yuv420p.
ff -f lavfi -i "testsrc2=size=160x120:rate=24" -t 1 -c:v libx264 -pix_fmt yuv420p -colorspace bt709 \
   -color_primaries bt709 -color_trc bt709 -color_range pc full709.mkv
"$FR_BIN" run full709.mkv -o full709.mp4 --ranks 1 --model tint --render-factor 4 2>log || { cat log; fail "run full709.mp4 failed"; }
"$FR_BIN" verify full709.mp4 --store full709.mp4.h5 >verify.out || { cat verify.out; fail "verify --store refused a full-range BT.709 .mp4"; }

# A copy of out.mkv (or $src) through ffmpeg, with its sidecar rewritten to match.
tamper() { # $1 name, then ffmpeg's output options
    local name=$1; shift
    [[ $name == *.mp4 ]] && set -- "$@" -movflags use_metadata_tags  # keep the FILMRESTORE_* tags
    ff -i "${src:-out.mkv}" "$@" "$name"
    ffmpeg -nostdin -v error -i "$name" -map 0:v -f framemd5 - >"$name.framemd5"
    [[ ${tags_changed:-0} == 1 ]] || "$FR_BIN" verify --sidecar-only "$name" >/dev/null \
        || fail "$name: its rewritten sidecar does not match (the test is wrong)"
}
ff -f lavfi -i "sine=f=880:d=2" -c:a aac other.m4a
ff -i out.mkv -i other.m4a -map 0:v -map 1:a -c copy -map_metadata 0 new-audio.mkv
ffmpeg -nostdin -v error -i new-audio.mkv -map 0:v -f framemd5 - >new-audio.mkv.framemd5
expect_error audio-replaced "its audio stream #1 differs from the source's stream #1" verify new-audio.mkv --store out.mkv.h5
tamper no-audio.mkv -map 0:v -c copy
expect_error audio-removed "the source's audio stream #1 (aac) is missing" verify no-audio.mkv --store out.mkv.h5
tamper retimed.mkv -map 0 -c copy -bsf:v setts=ts=2*PTS
expect_error retimed "frame 0 is at .* the source's and the store's at .* (retimed?)" verify retimed.mkv --store out.mkv.h5
tamper aspect.mkv -map 0 -c copy -aspect 2:1
expect_error sar "its sample aspect ratio is 3:2, the source's 1:1" verify aspect.mkv --store out.mkv.h5
tamper primaries.mkv -map 0 -c copy -color_primaries bt709
expect_error primaries "its colour primaries are bt709" verify primaries.mkv --store out.mkv.h5
tamper trc.mkv -map 0 -c copy -color_trc smpte428
expect_error trc "its transfer characteristic is smpte428" verify trc.mkv --store out.mkv.h5
tamper range.mkv -map 0 -c copy -color_range pc
expect_error range "its colour range is pc, the run writes tv" verify range.mkv --store out.mkv.h5
tamper field.mkv -map 0 -c copy -field_order tb
expect_error field-order "its field order is tb" verify field.mkv --store out.mkv.h5
src=review.mp4 tamper vui.mp4 -map 0 -c copy -bsf:v h264_metadata=matrix_coefficients=1
expect_error vui-matrix "its colour matrix is bt709, the run writes bt470bg" verify vui.mp4 --store review.mp4.h5
src=review.mp4 tamper retimed.mp4 -map 0 -c copy -bsf:v setts=ts=2*PTS
expect_error retimed-mp4 "(retimed?)" verify retimed.mp4 --store review.mp4.h5

# Provenance: stripped, forged, or a tag a run never writes.
tags_changed=1 tamper stripped.mkv -map 0 -c copy -map_metadata -1
expect_error stripped "its FILMRESTORE_SOURCE_HASH tag is missing" verify stripped.mkv --store out.mkv.h5
tamper forged-model.mkv -map 0 -c copy -metadata FILMRESTORE_MODEL=deoldify
expect_error forged-model "its FILMRESTORE_MODEL tag is 'deoldify', store out.mkv.h5 says 'tint'" verify forged-model.mkv --store out.mkv.h5
tamper forged-settings.mkv -map 0 -c copy -metadata FILMRESTORE_SETTINGS="render_factor=9 segment_frames=96"
expect_error forged-settings "FILMRESTORE_SETTINGS tag ('render_factor=9 segment_frames=96') is no run's" verify forged-settings.mkv --store out.mkv.h5
tamper forged-hash.mkv -map 0 -c copy -metadata FILMRESTORE_SOURCE_HASH=0000
expect_error forged-hash "was made from another source than store out.mkv.h5" verify forged-hash.mkv --store out.mkv.h5
tags_changed=1 tamper extra-tag.mkv -map 0 -c copy -metadata FILMRESTORE_APPROVED=yes
expect_error extra-tag "its tag FILMRESTORE_APPROVED is not one a run writes" verify extra-tag.mkv --store out.mkv.h5

# Plain verify (no --store) takes the store a run writes beside its output, OUTPUT.h5;
# without one it checks the sidecar and the provenance tags' presence, and says that the
# source and the store were not checked.
"$FR_BIN" verify out.mkv >verify.out || { cat verify.out; fail "plain verify refused an untouched out.mkv"; }
grep -q "checking against the run's store beside it, out.mkv.h5" verify.out || { cat verify.out; fail "plain verify did not take out.mkv.h5"; }
for t in retimed.mkv new-audio.mkv aspect.mkv forged-model.mkv; do cp out.mkv.h5 $t.h5; done
expect_error plain-retimed "(retimed?)" verify retimed.mkv
expect_error plain-audio "its audio stream #1 differs from the source's stream #1" verify new-audio.mkv
expect_error plain-sar "its sample aspect ratio is 3:2" verify aspect.mkv
expect_error plain-forged "its FILMRESTORE_MODEL tag is 'deoldify'" verify forged-model.mkv
expect_error plain-stripped "its FILMRESTORE_VERSION tag is missing" verify stripped.mkv
expect_error plain-extra "its tag FILMRESTORE_APPROVED is not one a run writes" verify extra-tag.mkv
"$FR_BIN" verify no-audio.mkv >verify.out || { cat verify.out; fail "plain verify without a store refused a matching sidecar"; }
grep -q "no store given and none beside it (no-audio.mkv.h5)" verify.out || { cat verify.out; fail "plain verify did not say the store was not checked"; }
expect_error plain-both "exclude each other" verify out.mkv --store out.mkv.h5 --sidecar-only

# The store's /timestamps: reversed, not increasing, or not the source's.
h5ts() { cp out.mkv.h5 "$1"; "$PYTHON" -c "import h5py,sys; d=h5py.File(sys.argv[1],'r+')['timestamps']; $2" "$1"; }
h5ts reversed.h5 'd[...] = d[()][::-1]'
expect_error ts-reversed "store reversed.h5 is damaged: its /timestamps do not increase (frame 1" verify out.mkv --store reversed.h5
h5ts flat.h5 'd[5] = d[4]'
expect_error ts-flat "its /timestamps do not increase (frame 5" verify out.mkv --store flat.h5
h5ts doubled.h5 'd[...] = d[()] * 2'
expect_error ts-doubled "store doubled.h5: frame 0 is at .* in its /timestamps" verify out.mkv --store doubled.h5
echo ok
