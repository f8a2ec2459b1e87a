#!/usr/bin/env bash
# Device overhead: record the virgl stream of a guest workload on our
# device, then replay it through the device (qtest) and straight into
# virglrenderer (the limit).
#
#   bench/replay.sh RESULTS_DIR [FRAMES [REPS]]
#
# 1. builds bench/host/virgl-record.so (LD_PRELOAD shim) and
#    bench/host/virgl-replay (the limit) into build/bench/host;
# 2. boots the rootfs guest on ours (virtio-gpu-gl-pci, -display none)
#    with the shim preloaded into QEMU and runs kmscube for FRAMES frames,
#    recording only while kmscube runs: RESULTS_DIR/runs/replay-record/
#    and build/bench/host/kmscube-FRAMES.vglrec;
# 3. replays it REPS times through the device (bench/qtest.sh run replay)
#    and REPS times into virglrenderer (virgl-replay).
# Prints the RESULT lines of both on stdout ("RESULT device ..." and
# "RESULT limit ...").
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

RES=${1:?usage: replay.sh RESULTS_DIR [FRAMES [REPS]]}
FRAMES=${2:-300}
REPS=${3:-5}
B=$BUILD/bench
H=$B/host
mkdir -p "$H" "$RES/runs"

need_pkgs libvirglrenderer-dev pkg-config
gcc -O2 -Wall -Wextra -shared -fPIC -o "$H/virgl-record.so" \
    "$TOP/bench/host/virgl-record.c" -ldl || die "cannot build virgl-record.so"
# shellcheck disable=SC2046
gcc -O2 -Wall -Wextra -o "$H/virgl-replay" "$TOP/bench/host/virgl-replay.c" \
    $(pkg-config --cflags --libs virglrenderer) -lpthread ||
    die "cannot build virgl-replay"

# QEMU with the shim: a wrapper, so that only QEMU gets the preload.
cat > "$H/qemu-ours-record" <<EOF
#!/bin/sh
LD_PRELOAD=$H/virgl-record.so exec $B/bin/qemu-ours "\$@"
EOF
chmod +x "$H/qemu-ours-record"

rec=$H/kmscube-$FRAMES.vglrec
say "recording: kmscube, $FRAMES frames, on ours (virtio-gpu-gl-pci, -display none)"
rm -f "$rec"
# The gate: a file in guest-run.sh's 9p share (OUTDIR/job, /job in the
# guest) that exists only while kmscube runs.
VIRGL_RECORD=$rec VIRGL_RECORD_GATE=$RES/runs/replay-record/job/record \
QEMU=$H/qemu-ours-record nice -n 5 "$TOP/scripts/guest-run.sh" \
    -d virtio-gpu-gl-pci -o "$RES/runs/replay-record" -t 900 \
    -e "run kmscube -t 600 sh -c 'touch /job/record; kmscube -c $FRAMES; rc=\$?; rm -f /job/record; exit \$rc'" > /dev/null ||
    die "the recording run failed (see $RES/runs/replay-record)"
[ -s "$rec" ] || die "no recording in $rec"
say "recording: $(stat -c %s "$rec") bytes"
echo "RESULT record stream bytes=$(stat -c %s "$rec") frames=$FRAMES"

say "replay through the device (qtest), $REPS repetitions"
"$TOP/bench/qtest.sh" run replay "$rec" "$REPS" > "$RES/runs/replay-device.txt" 2> "$RES/runs/replay-device.log" ||
    die "the device replay failed (log: $RES/runs/replay-device.log)"
grep '^RESULT' "$RES/runs/replay-device.txt"

say "replay straight into virglrenderer (the limit), $REPS repetitions"
nice -n 5 "$H/virgl-replay" "$rec" "$REPS" > "$RES/runs/replay-limit.txt" 2> "$RES/runs/replay-limit.log" ||
    die "the limit replay failed (log: $RES/runs/replay-limit.log)"
grep '^RESULT' "$RES/runs/replay-limit.txt"
