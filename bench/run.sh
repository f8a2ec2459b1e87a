#!/usr/bin/env bash
# make bench: build the contenders (bench/build.sh), run every benchmark,
# write a results directory with raw.tsv, report.md and PNG plots, and
# print its path.
#
#   bench/run.sh [--quick] [--only LIST] [--no-build]
#     --quick       fewer iterations and a short glmark2: under 10 minutes
#                   once the builds are cached
#     --only LIST   comma-separated subset of: fence,2d,guest,qtest,replay
#     --no-build    use the binaries in build/bench/bin as they are
#   env: BENCH_RESULTS (default build/bench/results), NINJA_JOBS, NICE
#
# Contenders: stock (QEMU 7.2.22, Debian's, the series' base), ours (the
# base plus patches/) and upstream (QEMU 10.2.2, Debian's 1:10.2.2+ds-1),
# all configured alike (bench/build.sh).  Guest benchmarks boot the trixie
# rootfs guest with scripts/guest-run.sh under TCG, one boot per
# contender and device; the GL displays run under one Xvfb.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

QUICK=
ONLY=fence,2d,guest,qtest,replay
DO_BUILD=1
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --only) ONLY=$2; shift ;;
        --only=*) ONLY=${1#--only=} ;;
        --no-build) DO_BUILD= ;;
        -h|--help) sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//p}' "$0"; exit 0 ;;
        *) die "unknown option $1 (--help)" ;;
    esac
    shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

B=$BUILD/bench
BIN=$B/bin
# Xvfb for the GL displays, matplotlib for the plots (bookworm's)
need_pkgs xvfb xauth python3-matplotlib
T0=$SECONDS
stamp=$(date +%Y%m%d-%H%M%S)
RES=${BENCH_RESULTS:-$B/results}/$stamp${QUICK:+-quick}
mkdir -p "$RES/runs"
RAW=$RES/raw.tsv
printf 'bench\tcontender\tconfig\tmetric\tvalue\tunit\n' > "$RAW"

# Progress: numbered steps with the elapsed time.
step=0
progress() {
    step=$((step + 1))
    printf '[bench %3ds] %s\n' "$((SECONDS - T0))" "$*" >&2
}
record() {                              # BENCH CONTENDER CONFIG METRIC VALUE UNIT
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"
}
# The key=value fields of a RESULT line: field LINE KEY
field() { sed -n "s/.*[ ]$2=\([^ ]*\).*/\1/p" <<< "$1"; }

# Iterations.
if [ -n "$QUICK" ]; then
    FENCE_N=2000; TWO_D_N=300; KMSCUBE_FRAMES=60
    GLMARK_ARGS="-b build:duration=3 -b texture:duration=3 -b shading:shading=phong:duration=3"
    MAP_N=500; REPLAY_FRAMES=60; REPLAY_REPS=6
else
    FENCE_N=5000; TWO_D_N=1000; KMSCUBE_FRAMES=300
    GLMARK_ARGS=""                      # glmark2's default benchmark set
    MAP_N=3000; REPLAY_FRAMES=300; REPLAY_REPS=21
fi

{
    echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode=$([ -n "$QUICK" ] && echo quick || echo full)"
    echo "host=$(hostname)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
    echo "cpus=$(nproc)"
    echo "mem_gb=$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "virglrenderer=$(dpkg-query -W -f='${Version}' libvirglrenderer1 2>/dev/null)"
    echo "mesa=$(dpkg-query -W -f='${Version}' libgl1-mesa-dri 2>/dev/null)"
    echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "fence_n=$FENCE_N"
    echo "two_d_n=$TWO_D_N"
    echo "kmscube_frames=$KMSCUBE_FRAMES"
    echo "glmark2_args=${GLMARK_ARGS:-default set}"
    echo "map_n=$MAP_N"
    echo "replay_frames=$REPLAY_FRAMES"
} > "$RES/meta.txt"

say "bench: results in $RES"

# ---- builds -----------------------------------------------------------------
if [ -n "$DO_BUILD" ]; then
    progress "building the contenders (first time: long; cached after)"
    "$TOP/bench/build.sh" stock ours upstream 2>&1 | sed 's/^/    /' >&2
    [ "${PIPESTATUS[0]}" = 0 ] || die "bench/build.sh failed"
fi
have() { [ -x "$BIN/qemu-$1" ]; }
for c in stock ours upstream; do
    if have "$c"; then
        echo "qemu_$c=$("$BIN/qemu-$c" --version | head -n1)" >> "$RES/meta.txt"
    else
        warn "no $BIN/qemu-$c: its benchmarks are skipped (bench/build.sh $c)"
    fi
done
have ours || die "no $BIN/qemu-ours: run bench/build.sh"
# The newest full build of each contender, and its last build (this run's)
[ -f "$B/build-times" ] && awk '
    $3 == "full" { full[$1] = $2 } { last[$1] = $2 }
    END { for (k in full) print "build_full_seconds_" k "=" full[k]
          for (k in last) print "build_last_seconds_" k "=" last[k] }' "$B/build-times" |
    sort >> "$RES/meta.txt"
echo "ours_patches=$(git -C "$TOP" log -1 --format='%h %cs' -- patches)" >> "$RES/meta.txt"

# ---- the guest --------------------------------------------------------------
guest_ready=
need_guest() {
    [ -n "$guest_ready" ] && return 0
    progress "guest kernel, initramfs and rootfs image (cached)"
    {
        "$TOP/scripts/guest-kernel.sh"
        "$TOP/scripts/guest-initramfs.sh"
        "$TOP/scripts/guest-rootfs.sh"
    } > "$RES/guest-prepare.log" 2>&1 || die "guest preparation failed (log: $RES/guest-prepare.log)"
    mkdir -p "$B/guest"
    if [ ! -x "$B/guest/bench2d" ] || [ "$TOP/bench/guest/bench2d.c" -nt "$B/guest/bench2d" ]; then
        gcc -static -O2 -Wall -Wextra -o "$B/guest/bench2d" "$TOP/bench/guest/bench2d.c" ||
            die "cannot build bench/guest/bench2d.c"
    fi
    # glmark2 2023.01 takes the largest mode (5120x2160): keep the preferred
    if [ ! -f "$B/guest/prefmode.so" ] || [ "$TOP/bench/guest/prefmode.c" -nt "$B/guest/prefmode.so" ]; then
        gcc -O2 -Wall -Wextra -shared -fPIC -I/usr/include/libdrm -o "$B/guest/prefmode.so" \
            "$TOP/bench/guest/prefmode.c" -ldl || die "cannot build bench/guest/prefmode.c"
    fi
    guest_ready=1
}

# One Xvfb for the GL displays (gtk,gl=on): Mesa's llvmpipe behind GLX/EGL.
XVFB_PID=
start_xvfb() {
    [ -n "$XVFB_PID" ] && return 0
    need_pkgs xvfb xauth
    local n
    for n in $(seq 90 120); do
        [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] || break
    done
    Xvfb ":$n" -screen 0 1920x1200x24 -nolisten tcp > "$RES/xvfb.log" 2>&1 &
    XVFB_PID=$!
    export DISPLAY=":$n"
    for _ in $(seq 50); do
        [ -e "/tmp/.X11-unix/X$n" ] && break
        sleep 0.1
    done
    kill -0 "$XVFB_PID" 2>/dev/null || die "Xvfb did not start (log: $RES/xvfb.log)"
    echo "xvfb_display=:$n" >> "$RES/meta.txt"
}
stop_xvfb() {
    if [ -n "$XVFB_PID" ]; then
        kill "$XVFB_PID" 2>/dev/null || true
        wait "$XVFB_PID" 2>/dev/null || true
        XVFB_PID=
    fi
}
trap stop_xvfb EXIT

# guest NAME CONTENDER DISPLAY DEVICE TIMEOUT COMMANDS: one boot; sets $run.
# DISPLAY is "none" or "gtk-gl" (gtk,gl=on under Xvfb).
guest() {
    local name=$1 c=$2 disp=$3 dev=$4 tmo=$5 cmds=$6 dopt=none
    run=$RES/runs/$name
    if [ "$disp" = gtk-gl ]; then
        start_xvfb
        dopt=gtk,gl=on
    fi
    if ! QEMU=$BIN/qemu-$c DISPLAY_OPT=$dopt nice -n 5 "$TOP/scripts/guest-run.sh" \
            -d "$dev" -o "$run" -t "$tmo" -f "$B/guest/bench2d" \
            -f "$B/guest/prefmode.so" -e "$cmds" \
            > /dev/null 2> "$RES/runs/$name.log"; then
        warn "$name: guest run failed: $(cat "$run/status" 2>/dev/null) (log: $RES/runs/$name.log)"
        printf '%s\t%s\t%s\n' "$name" "$(cat "$run/status" 2>/dev/null)" \
            "$(grep -v '^gl_version' "$run/qemu.log" 2>/dev/null | tail -n 1)" >> "$RES/failures.tsv"
        return 1
    fi
    return 0
}
result_line() { grep -h "^RESULT $2" "$run/cmd/$1.log" 2>/dev/null | tail -n1; }

# ---- 1. fence round trip ----------------------------------------------------
if want fence; then
    need_guest
    fence_one() {                       # CONTENDER DISPLAY [DEVICE-OPTS [CAPSET]]
        local c=$1 disp=$2 opts=${3:-} capset=${4:-0} cfg line dev
        have "$c" || return 0
        cfg=$disp${opts:+,$opts}${4:+,capset$capset}
        dev=virtio-gpu-gl-pci${opts:+,$opts}
        progress "fence round trip: $c, -display ${disp/gtk-gl/gtk,gl=on}, $dev, capset $capset, n=$FENCE_N"
        guest "fence-$c-${cfg//,/-}" "$c" "$disp" "$dev" 600 \
            "run fence -t 400 virtgpu-test fence --capset $capset --count $FENCE_N --warmup 100" || return 0
        line=$(result_line fence fence_rtt_us)
        if [ -z "$line" ]; then
            warn "fence $c $cfg: no RESULT (see $run/cmd/fence.log)"
            return 0
        fi
        record fence "$c" "$cfg" median "$(field "$line" median)" us
        record fence "$c" "$cfg" p99 "$(field "$line" p99)" us
        record fence "$c" "$cfg" n "$(field "$line" n)" count
        record fence "$c" "$cfg" boot "$(sed -n 's/^boot_seconds=//p' "$run/info")" s
    }
    fence_one ours none
    fence_one ours gtk-gl
    fence_one upstream gtk-gl
    fence_one stock gtk-gl
    if [ -z "$QUICK" ]; then
        # Our ring fences (CONTEXT_INIT, virgl2 context, ring 0): headless.
        fence_one ours none context_init=on 2
    fi
fi

# ---- 2. 2D transfer + flush -------------------------------------------------
if want 2d; then
    need_guest
    for c in ours upstream stock; do
        have "$c" || continue
        progress "2D: TRANSFER_TO_HOST_2D + RESOURCE_FLUSH 1920x1080: $c, n=$TWO_D_N"
        guest "2d-$c" "$c" none virtio-gpu-pci,xres=1920,yres=1080 600 \
            "run b2d -t 400 bench2d --size 1920x1080 --count $TWO_D_N" || continue
        line=$(result_line b2d flush2d_us)
        if [ -z "$line" ]; then
            warn "2d $c: no RESULT (see $run/cmd/b2d.log)"
            continue
        fi
        record 2d "$c" 1920x1080 fps "$(field "$line" fps)" fps
        record 2d "$c" 1920x1080 median "$(field "$line" median)" us
        record 2d "$c" 1920x1080 p99 "$(field "$line" p99)" us
        record 2d "$c" 1920x1080 mpix_s "$(field "$line" mpix_s)" Mpix/s
    done
fi

# ---- 3. guest: kmscube and glmark2 ------------------------------------------
if want guest; then
    need_guest
    guest_one() {                       # CONFIG DEVICE
        local cfg=$1 dev=$2 line score
        progress "guest: kmscube ($KMSCUBE_FRAMES frames) and glmark2-es2-drm on ours, $cfg ($dev)"
        # Both at the device's preferred mode, 1280x800 (prefmode.so), and
        # glmark2 with an XRGB visual: the device scans out no ARGB.
        guest "guest-$cfg" ours none "$dev" 1800 "
run kmscube -t 600 env LD_PRELOAD=/job/bin/prefmode.so kmscube -c $KMSCUBE_FRAMES
run glmark2 -t 1200 env LD_PRELOAD=/job/bin/prefmode.so glmark2-es2-drm --visual-config a=0 $GLMARK_ARGS
" || return 0
        line=$(grep -h '^Rendered [0-9]* frames' "$run/cmd/kmscube.log" 2>/dev/null | tail -n1)
        if [ -n "$line" ]; then
            record guest ours "$cfg" kmscube_fps "$(sed -n 's/.*(\([0-9.]*\) fps).*/\1/p' <<< "$line")" fps
        else
            warn "kmscube on $cfg: no 'Rendered' line (see $run/cmd/kmscube.log)"
        fi
        score=$(sed -n 's/.*glmark2 Score: *\([0-9]*\).*/\1/p' "$run/cmd/glmark2.log" 2>/dev/null | tail -n1)
        if [ -n "$score" ]; then
            record guest ours "$cfg" glmark2_score "$score" score
            # glmark2's score is the mean of the scenes' FPS, truncated: 0
            # for software rendering under TCG.  The same mean, unrounded:
            record guest ours "$cfg" glmark2_fps "$(awk '/FrameTime:/ {
                    for (i = 1; i < NF; i++) if ($i == "FrameTime:") { s += 1000 / $(i + 1); n++ } }
                END { if (n) printf "%.3f", s / n }' "$run/cmd/glmark2.log")" fps
        else
            warn "glmark2 on $cfg: no score (see $run/cmd/glmark2.log)"
        fi
        grep -h 'GL_RENDERER\|GL_VENDOR' "$run/cmd/glmark2.log" 2>/dev/null | head -n2 |
            sed "s/^ */guest_${cfg}_/; s/ *: */=/" >> "$RES/meta.txt" || true
    }
    guest_one virgl virtio-gpu-gl-pci
    guest_one software-2d virtio-gpu-pci
fi

# ---- 4. qtests: MAP/UNMAP cycles ---------------------------------------------
if want qtest; then
    if "$TOP/bench/qtest.sh" build >> "$RES/qtest-build.log" 2>&1; then
        progress "qtest: MAP_BLOB + UNMAP_BLOB cycles, alone and next to a fenced context (n=$MAP_N)"
        if timeout 900 "$TOP/bench/qtest.sh" run map-unmap "$MAP_N" > "$RES/runs/map-unmap.txt" 2> "$RES/runs/map-unmap.log"; then
            grep '^RESULT' "$RES/runs/map-unmap.txt" | while read -r _ name rest; do
                for kv in $rest; do
                    record map-unmap ours "$name" "${kv%%=*}" "${kv#*=}" ""
                done
            done
        else
            warn "map-unmap qtest failed (log: $RES/runs/map-unmap.log)"
        fi
    else
        warn "cannot build the bench qtest (log: $RES/qtest-build.log)"
    fi
fi

# ---- 5. device overhead: replay through the device vs straight ------------
if want replay; then
    progress "device overhead: record a virgl stream (kmscube, $REPLAY_FRAMES frames) and replay it"
    if timeout 1800 "$TOP/bench/replay.sh" "$RES" "$REPLAY_FRAMES" "$REPLAY_REPS" > "$RES/runs/replay.txt" 2> "$RES/runs/replay.log"; then
        grep '^RESULT' "$RES/runs/replay.txt" | while read -r _ who name rest; do
            for kv in $rest; do
                record replay "$who" "$name" "${kv%%=*}" "${kv#*=}" ""
            done
        done
    else
        warn "replay failed (log: $RES/runs/replay.log)"
    fi
fi

stop_xvfb
echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RES/meta.txt"
echo "bench_seconds=$((SECONDS - T0))" >> "$RES/meta.txt"
progress "report"
"$PYTHON" "$TOP/bench/report.py" "$RES" >&2 || warn "report.py failed"
say "bench done in $((SECONDS - T0)) s"
echo "$RES"
