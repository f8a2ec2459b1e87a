#!/bin/bash
# `make demo` (after the QEMU build): boot the trixie rootfs guest headless
# (-display none, TCG) on the series' virtio-gpu-gl-pci, let Mesa's virgl
# driver render kmscube and glmark2-es2-drm on the host's llvmpipe, try
# the Vulkan path (venus; lavapipe in the guest as the fallback), keep the
# screendumps in $BUILD/demo/, then boot the same guest on the plain 2D
# device, where the guest renders with llvmpipe itself, and print both side
# by side.
#
# env: DEMO_GL_DEVICE (default virtio-gpu-gl-pci,blob=on,hostmem=256M,
#      context_init=on,venus=on), DEMO_SW_DEVICE (virtio-gpu-pci; empty: no
#      software row), KMSCUBE_FRAMES (1500), SW_KMSCUBE_FRAMES (300), plus
#      guest-run.sh's QEMU, ACCEL, MEM, SMP.
# Logs of each run: $BUILD/demo/gl/ and $BUILD/demo/sw/ (cmd/NAME.log,
# serial.log, qemu.log).
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

GL_DEV=${DEMO_GL_DEVICE:-virtio-gpu-gl-pci,blob=on,hostmem=256M,context_init=on,venus=on}
SW_DEV=${DEMO_SW_DEVICE-virtio-gpu-pci}
KMSCUBE_FRAMES=${KMSCUBE_FRAMES:-1500}
SW_KMSCUBE_FRAMES=${SW_KMSCUBE_FRAMES:-300}
QEMU=${QEMU:-$BUILD/bin/qemu-system-x86_64}
DEMO=$BUILD/demo
export QEMU

"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"
# venus: virglrenderer's render server (bookworm's virgl-server package)
need_pkgs virgl-server
rm -rf "$DEMO"
mkdir -p "$DEMO"
t0=$SECONDS

# kmscube with a screendump once it has rendered for 2 s (its first
# "Rendered" line), while it still runs.
kmscube_cmd() {                 # NAME FRAMES
    cat <<EOF
run $1 -t 400 bash -c 'set -o pipefail
    stdbuf -oL kmscube -c $2 | { shot=
        while IFS= read -r l; do
            echo "\$l"
            case \$l in Rendered*) [ -n "\$shot" ] || { screendump $1; shot=1; } ;; esac
        done; }'
EOF
}
# The same glmark2 scenes on both devices, off screen: a score of the
# rendering alone.
GLMARK_SCENES="-b build:duration=3 -b texture:duration=3 -b shading:duration=3"

# run_guest NAME DEVICE COMMANDS: boot, run, keep the screendumps.
run_guest() {
    local name=$1 dev=$2 cmds=$3 out=$DEMO/$1
    say "demo: $dev"
    if ! "$TOP/scripts/guest-run.sh" -d "$dev" -o "$out" -t 900 -e "$cmds" > /dev/null; then
        warn "the $name guest run failed: $(cat "$out/status")"
    fi
    for png in "$out"/*.png; do
        [ -f "$png" ] && cp "$png" "$DEMO/$name-$(basename "$png")"
    done
    return 0
}

# ---- the 3D device ----------------------------------------------------------
# glmark2 on screen: the guest kernel's primary plane takes XRGB8888 only
# (a=0), and glmark2 2023.01 uses the largest mode, 5120x2160.
run_guest gl "$GL_DEV" "
run drm sh -c 'dmesg | grep -F \"[drm]\"'
run params virtgpu-test params
run capsets virtgpu-test capsets
run eglinfo -t 180 eglinfo -B -p gbm
$(kmscube_cmd kmscube "$KMSCUBE_FRAMES")
run glmark2 -t 400 sh -c '(sleep 6; screendump glmark2) & glmark2-es2-drm --visual-config a=0 $GLMARK_SCENES; r=\$?; wait; exit \$r'
run glmark2-offscreen -t 400 glmark2-es2-drm --off-screen $GLMARK_SCENES
run fence -t 60 virtgpu-test fence --capset 2 --count 1000
run ctx-venus virtgpu-test context-init --capset 4
run vulkaninfo -t 180 env VN_DEBUG=init vulkaninfo --summary
uuid=\$(vulkaninfo --summary 2>/dev/null | awk '/deviceName *= Virtio-GPU Venus/ { v = 1 }
    v && /deviceUUID/ { gsub(\"-\", \"\", \$3); print \$3; exit }')
if [ -n \"\$uuid\" ]; then
    run vkmark -t 300 vkmark --winsys headless -D \"\$uuid\" -b cube:duration=4
else
    run vkmark -t 300 vkmark --winsys headless -b cube:duration=4
fi
"

# ---- the 2D device: the guest renders with llvmpipe -------------------------
if [ -n "$SW_DEV" ]; then
    run_guest sw "$SW_DEV" "
run drm sh -c 'dmesg | grep -F \"[drm]\"'
run eglinfo -t 180 eglinfo -B -p gbm
$(kmscube_cmd kmscube "$SW_KMSCUBE_FRAMES")
run glmark2-offscreen -t 600 glmark2-es2-drm --off-screen $GLMARK_SCENES
"
fi

# ---- the summary ------------------------------------------------------------
log() { cat "$DEMO/$1/cmd/$2.log" 2>/dev/null; }
infov() { sed -n "s/^$2=//p" "$DEMO/$1/info" 2>/dev/null; }
features() {
    log "$1" drm | sed -n 's/.*\[drm\] features: //p' | paste -sd ' ' | sed 's/^$/-/'
}
renderer() {
    log "$1" eglinfo | sed -n 's/^OpenGL ES profile renderer: //p' | head -n1 | sed 's/^$/-/'
}
kmscube_result() {
    log "$1" kmscube | awk '/^Rendered [0-9]+ frames in/ { n = $2; t = $5; f = $7 }
        END { if (n == "") print "-"; else { sub(/^\(/, "", f)
              printf "%d frames in %.1f s: %.1f fps\n", n, t, f } }'
}
glmark() {                      # RUN NAME: score (scene fps...)
    local score scenes
    score=$(log "$1" "$2" | sed -n 's/.*glmark2 Score: \([0-9]*\).*/\1/p')
    # "[scene] options: FPS: N ...", a kernel message may split the line
    scenes=$(log "$1" "$2" | awk '
        match($0, /^\[[a-z0-9-]+\]/) { scene = substr($0, 2, RLENGTH - 2) }
        match($0, /FPS: [0-9]+/) && scene != "" {
            printf "%s%s %s", n++ ? ", " : "", scene, substr($0, RSTART + 5, RLENGTH - 5); scene = "" }')
    if [ -n "$score" ]; then echo "score $score ($scenes fps)"; else echo "-"; fi
}
capsets() {
    log "$1" capsets | sed -n 's/^PASS capsets //p' | sed 's/^$/-/'
}
shot() { [ -f "$DEMO/$1-$2.png" ] && echo "$DEMO/$1-$2.png" || echo "-"; }

vulkan_status() {
    local v dev wire
    v=$(log gl vulkaninfo)
    dev=$(sed -n 's/^[[:space:]]*deviceName *= //p' <<< "$v" | paste -sd ',' | sed 's/,/, /g')
    if grep -q 'deviceName *= Virtio-GPU Venus' <<< "$v"; then
        echo "venus: $dev"
        return
    fi
    wire=$(log gl capsets | sed -n 's/^CAPSET-VENUS wire_format_version=\([0-9]*\).*/\1/p')
    if grep -q 'Unsupported wire format version' <<< "$v"; then
        echo "venus: not usable: the host's venus speaks wire format ${wire:-?}, guest Mesa needs 1 (README.md, Venus)"
    elif [ -z "$wire" ]; then
        echo "venus: the device offers no venus capset"
    else
        echo "venus: not listed (see $DEMO/gl/cmd/vulkaninfo.log)"
    fi
}

row() { printf '  %-22s %s\n' "$1" "$2"; }
{
echo
echo "=== virtio-gpu demo: $("$QEMU" --version | head -n1); guest: Debian trixie, $(infov gl guest | grep -o 'kernel=[^ ]* mesa=[^ ]*' | tr '=' ' ') ==="
echo
echo "3D: $GL_DEV"
row "boot" "$(infov gl boot_seconds)s to the guest's first command ($(infov gl accel))"
row "driver features" "$(features gl)"
row "capsets" "$(capsets gl)"
row "GL renderer (guest)" "$(renderer gl)"
row "kmscube" "$(kmscube_result gl)"
row "glmark2 on screen" "$(glmark gl glmark2) at $(log gl glmark2 | sed -n 's/.*Surface Size: *\([0-9x]*\).*/\1/p')"
row "glmark2 off screen" "$(glmark gl glmark2-offscreen)"
row "fence round trip" "$(log gl fence | sed -n 's/^RESULT fence_rtt_us median=\([0-9.]*\) p99=\([0-9.]*\).* n=\([0-9]*\).*/median \1 us, p99 \2 us (n=\3, virgl2 ring 0)/p')"
row "venus context" "$(if grep -q '^PASS' <<< "$(log gl ctx-venus)"; then echo "created (host render server running)"; else log gl ctx-venus | grep -m1 '^FAIL' | sed 's/^FAIL context-init: //;s/^$/-/'; fi)"
row "Vulkan (guest)" "$(vulkan_status)"
vkdev=$(log gl vkmark | sed -n 's/^ *Device Name: *//p' | head -n1)
case $vkdev in
    llvmpipe*) vkdev="lavapipe in the guest, $vkdev" ;;
esac
row "vkmark (headless)" "${vkdev:--}: $(log gl vkmark | sed -n 's/.*vkmark Score: \([0-9]*\).*/score \1/p')"
row "screendumps" "$(shot gl kmscube) $(shot gl glmark2)"
if [ -n "$SW_DEV" ]; then
    echo
    echo "software: $SW_DEV (Mesa renders with llvmpipe inside the guest, under TCG)"
    row "boot" "$(infov sw boot_seconds)s to the guest's first command ($(infov sw accel))"
    row "driver features" "$(features sw)"
    row "GL renderer (guest)" "$(renderer sw)"
    row "kmscube" "$(kmscube_result sw)"
    row "glmark2 off screen" "$(glmark sw glmark2-offscreen)"
    row "screendumps" "$(shot sw kmscube)"
fi
echo
echo "Logs: $DEMO/gl/cmd/ and $DEMO/sw/cmd/; demo took $((SECONDS - t0))s."
} | tee "$DEMO/summary.txt"
