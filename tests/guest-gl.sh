#!/bin/bash
# shellcheck disable=SC2016,SC2034 # checks are eval'd strings: they expand later
# The 3D device end to end, from inside the trixie rootfs guest
# (guest-rootfs.sh, booted by scripts/guest-run.sh, TCG, -display none):
# virtio-gpu-gl-pci rendering headless with virglrenderer on the host's
# surfaceless EGL (llvmpipe), with blobs, a hostmem window and
# CONTEXT_INIT.
#
# Boot 1, virtio-gpu-gl-pci,blob=on,hostmem=256M,context_init=on:
#   - the guest driver's feature lines (+virgl +resource_blob +host_visible,
#     +context_init) and the GETPARAMs;
#   - guest/virtgpu-test: capsets, CONTEXT_INIT (virgl, virgl2, 2 rings),
#     guest and host3d blobs mapped, written and read back, fences on ring
#     0, on the device-wide timeline and in the default context, a guest
#     blob as the scanout (its colour bars in a screendump);
#   - Mesa's virgl driver: eglinfo names the virgl renderer, kmscube renders
#     KMSCUBE_FRAMES frames (a screendump while it runs must show the cube
#     on kmscube's grey), glmark2-es2-drm runs on screen and off screen;
#   - no command of the workloads was answered with an error (the guest
#     kernel logs every error response), and QEMU (-d guest_errors) logged
#     no guest error in the whole run.
# Boot 2, the same with venus=on (bookworm's virgl-server package provides
# the render server virglrenderer's venus proxy runs; installed here):
#   - the venus capset (4) is offered, a venus context is created and ring
#     0 fences on it complete;
#   - a fence the backend refuses (ring 1 of a virgl context: virglrenderer
#     gives virgl contexts one timeline) is answered with an error and still
#     completes; the device works afterwards;
#   - Vulkan in the guest through venus: asserted when the host's venus
#     speaks the wire format guest Mesa needs (1); with bookworm's
#     virglrenderer 0.10.4 (format 0) it is a SKIP with the reason, see
#     README.md "Venus".
#
# env: KMSCUBE_FRAMES (default 3000), plus guest-run.sh's QEMU, ACCEL, MEM,
#      SMP...  Results in $BUILD/tests/guest-gl/.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

OUT=$BUILD/tests/guest-gl
KMSCUBE_FRAMES=${KMSCUBE_FRAMES:-3000}
DEV=virtio-gpu-gl-pci,blob=on,hostmem=256M,context_init=on
t0=$SECONDS


"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"
# The venus render server (/usr/libexec/virgl_render_server) of bookworm's
# virglrenderer 0.10.4 is in its own package.
need_pkgs virgl-server

# Helpers on the run in $run: a command's exit status, its log has a match.
rc()   { sed -n "s/^$1 rc=\([^ ]*\).*/\1/p" "$run/results"; }
has()  { grep -Eq -- "$2" "$run/cmd/$1.log" 2>/dev/null; }
ok()   { [ "$(rc "$1")" = 0 ]; }
# No error response in the kernel messages a command caused.
clean() {
    [ -f "$run/cmd/$1.log" ] && ! grep -q 'ERROR\* response' "$run/cmd/$1.log"
}
field() { sed -n "s/.*$2 \([0-9.]*\).*/\1/p" "$run/cmd/$1.log" | tail -n1; }

# guest NAME DEVICE COMMANDS [QEMU-ARGS...]: run them; $run is the output
# directory.
guest() {
    run=$OUT/$1
    guest_check "$run" "$2" -t 900 -e "$3" -- "${@:4}"
}

# ---- 1. virgl: virtgpu-test, eglinfo, kmscube, glmark2 ----------------------
# kmscube: a screendump once it has rendered for 2 s (its first "Rendered"
# line), while it still runs; stdbuf: its stdout is a pipe here.  glmark2
# picks the connector's largest mode (5120x2160) and, by default, an ARGB
# config, which the guest kernel's primary plane (XRGB8888 only) refuses:
# a=0 asks for XRGB.
if guest virgl "$DEV" "
run drm sh -c 'dmesg | grep -F \"[drm]\"'
run params virtgpu-test params
run all virtgpu-test all
run ctx-virgl virtgpu-test context-init --capset 1
run ctx-rings virtgpu-test context-init --capset 2 --rings 2
run blob-guest virtgpu-test blob-guest --size 8388608 --flags 3
run blob-host3d virtgpu-test blob-host3d --capset 2 --size 4194304 --blob-id 7
run blob-host3d-default virtgpu-test blob-host3d --capset 0
run fence-ring0 virtgpu-test fence --capset 2 --ring 0 --count 300
run fence-global virtgpu-test fence --capset 2 --no-ring-idx --count 300
run fence-default virtgpu-test fence --capset 0 --count 300
run scanout -t 120 virtgpu-test blob-scanout --then 'screendump scanout'
run eglinfo -t 180 eglinfo -B -p gbm
run kmscube -t 300 bash -c 'set -o pipefail
    stdbuf -oL kmscube -c $KMSCUBE_FRAMES | { shot=
        while IFS= read -r l; do
            echo \"\$l\"
            case \$l in Rendered*) [ -n \"\$shot\" ] || { screendump kmscube; shot=1; } ;; esac
        done; }'
run glmark2 -t 300 glmark2-es2-drm --visual-config a=0 -b build:duration=3
run glmark2-offscreen -t 300 glmark2-es2-drm --off-screen -b build:duration=2 -b texture:duration=2 -b shading:duration=2
" -d guest_errors; then
    check "$DEV: features: +virgl +resource_blob +host_visible" \
        has drm 'features: \+virgl \+edid \+resource_blob \+host_visible'
    check "$DEV: features: +context_init" has drm 'features: \+context_init'
    check "$DEV: the host window is 256 MiB" \
        has drm 'Host memory window: 0x[0-9a-f]+ \+0x10000000'
    check "$DEV: params" ok params
    for p in 3d_features=1 resource_blob=1 host_visible=1 context_init=1 supported_capset_ids=0x6; do
        check "$DEV: params: $p" has params "^PASS params.* $p( |\$)"
    done
    check "$DEV: virtgpu-test all: 7 passed, no FAIL, no SKIP" \
        has all '^SUMMARY pass=7 fail=0 skip=0'
    while IFS='|' read -r name re; do
        check "$DEV: virtgpu-test all: $name" has all "^PASS $re"
    done <<'LIST'
capsets virgl (v1) and virgl2 (v2)|capsets 1\(virgl,v1,[0-9]+B\) 2\(virgl2,v2,[0-9]+B\)$
CONTEXT_INIT virgl|context-init capset=1
CONTEXT_INIT virgl2|context-init capset=2
guest blob 1 MiB|blob-guest .*size=1048576
host3d blob 1 MiB (virgl2 context)|blob-host3d capset=2
100 fences on virgl2 ring 0|fence capset=2\(virgl2\) ring=0 n=100
LIST
    check "$DEV: CONTEXT_INIT virgl (capset 1)" ok ctx-virgl
    check "$DEV: CONTEXT_INIT virgl2 with 2 rings" \
        eval 'ok ctx-rings && has ctx-rings "^PASS context-init capset=2\(virgl2\) rings=2"'
    check "$DEV: guest blob 8 MiB MAPPABLE|SHAREABLE: map, write, read back" \
        eval 'ok blob-guest && has blob-guest "^PASS blob-guest .*size=8388608 flags=0x3"'
    check "$DEV: host3d blob 4 MiB (virgl2 context): map through hostmem, write, read back" \
        eval 'ok blob-host3d && has blob-host3d "^PASS blob-host3d capset=2.*size=4194304 blob_id=7"'
    check "$DEV: host3d blob in the default context" ok blob-host3d-default
    for f in ring0 global default; do
        check "$DEV: fences ($f): 300 submitted, all signalled" \
            eval "ok fence-$f && has fence-$f '^RESULT fence_rtt_us .* n=300 '"
    done

    check "$DEV: blob-scanout: a guest blob is the framebuffer" ok scanout
    check_colour_bars "$DEV: blob-scanout" "$run/scanout.png"

    renderer=$(sed -n 's/^OpenGL ES profile renderer: //p' "$run/cmd/eglinfo.log")
    check "$DEV: eglinfo (GBM): the GLES renderer is virgl (${renderer:-none})" \
        eval 'ok eglinfo && [[ $renderer == virgl\ \(* ]]'

    frames=$(sed -n 's/^Rendered \([0-9]*\) frames.*/\1/p' "$run/cmd/kmscube.log" | tail -n1)
    # kmscube starts its clock after the first frame: -c N reports N - 1.
    check "$DEV: kmscube renders $KMSCUBE_FRAMES frames on virgl (${frames:-none} after the first)" \
        eval 'ok kmscube && has kmscube "renderer: \"virgl \(" &&
              [ "${frames:-0}" -ge $((KMSCUBE_FRAMES - 1)) ]'
    check "$DEV: kmscube: no error responses" clean kmscube
    stat=$("$PYTHON" "$TOP/tests/pngstat.py" --hues "$run/kmscube.png" 2>/dev/null || true)
    colours=$(sed -n 's/.*colours=\([0-9]*\).*/\1/p' <<< "$stat")
    bg=$(sed -n 's/.*background=\([0-9a-f]*\).*/\1/p' <<< "$stat")
    # hue sectors with at least 500 saturated pixels: the cube's faces
    hues=$(sed -n 's/.*hues=//p' <<< "$stat" | tr , '\n' |
           awk -F: '$2 >= 500 { printf "%s%s", n++ ? "," : "", $1 }')
    check "$DEV: kmscube screendump: not blank, the cube on kmscube's grey (${stat:-no PNG})" \
        eval '[ "${colours:-0}" -ge 1000 ] && [ "$bg" = 808080 ]'
    check "$DEV: kmscube screendump: kmscube's colours (saturated: ${hues:-none})" \
        [ "$(tr , '\n' <<< "$hues" | grep -c .)" -ge 3 ]

    for g in glmark2 glmark2-offscreen; do
        score=$(field "$g" 'glmark2 Score:')
        check "$DEV: $g: runs on virgl, score ${score:-none}" \
            eval 'ok $g && has $g "GL_RENDERER: +virgl \(" && [ "${score:-0}" -ge 1 ] &&
                  ! has $g "Error: "'
        check "$DEV: $g: no error responses" clean "$g"
    done
    check "$DEV: eglinfo: no error responses" clean eglinfo
    # -d guest_errors: whatever QEMU logged besides virglrenderer's start-up
    # lines and the udmabuf warning (no /dev/udmabuf here).
    noise='^(GLSL feature level [0-9]+|gl_version [0-9]+ - .*|qemu-system-x86_64: warning: open /dev/udmabuf: .*)$'
    logged=$(grep -Ev "$noise" "$run/qemu.log" | head -n 5 | paste -sd '|' || true)
    check "$DEV: QEMU logged no guest error in the whole run${logged:+ (got: $logged)}" \
        eval '[ -f "$run/qemu.log" ] && [ -z "$logged" ]'
    echo "info: kmscube: $(grep -h '^Rendered' "$run/cmd/kmscube.log" | tail -n1)"
    echo "info: glmark2: $(grep -h -E '^\[|Surface Size' "$run/cmd/glmark2.log" | tr -s ' ' | paste -sd ' ')"
    echo "info: fence latency: $(grep -h '^RESULT' "$run"/cmd/fence-*.log |
         sed 's/.*median=\([0-9.]*\) p99=\([0-9.]*\).* capset=\([0-9]*\) ring=\([a-z0-9]*\).*/capset \3 ring \4: median \1 us p99 \2 us;/' | paste -sd ' ')"
fi

# ---- 2. venus=on: the venus context, refused fences, Vulkan -----------------
vdev=$DEV,venus=on
if guest venus "$vdev" "
run params virtgpu-test params
run capsets virtgpu-test capsets
run ctx-venus virtgpu-test context-init --capset 4
run fence-venus virtgpu-test fence --capset 4 --count 100
run fence-refused virtgpu-test fence --capset 2 --ring 1 --count 5 --warmup 0
run after virtgpu-test all
run vulkaninfo -t 180 env VN_DEBUG=init vulkaninfo --summary
if vulkaninfo --summary 2>/dev/null | grep -q 'deviceName *= Virtio-GPU Venus'; then
    run vkmark -t 300 vkmark --winsys headless -D \$(vulkaninfo --summary 2>/dev/null |
        awk '/deviceName *= Virtio-GPU Venus/ { v = 1 } v && /deviceUUID/ { gsub(\"-\", \"\", \$3); print \$3; exit }') \
        -b cube:duration=3
fi
"; then
    check "$vdev: params: supported_capset_ids=0x16 (virgl, virgl2, venus)" \
        has params '^PASS params.* supported_capset_ids=0x16( |$)'
    check "$vdev: capsets: venus (4) answers GET_CAPS" \
        eval 'ok capsets && has capsets "^PASS capsets .* 4\(venus,v[0-9]+,[0-9]+B\)"'
    wire=$(sed -n 's/^CAPSET-VENUS wire_format_version=\([0-9]*\).*/\1/p' "$run/cmd/capsets.log")
    echo "info: venus capset: $(grep -h '^CAPSET-VENUS' "$run/cmd/capsets.log")"
    check "$vdev: CONTEXT_INIT venus (the render server runs)" \
        eval 'ok ctx-venus && has ctx-venus "^PASS context-init capset=4"'
    check "$vdev: venus context: 100 fences on ring 0, all signalled" \
        eval 'ok fence-venus && has fence-venus "^RESULT fence_rtt_us .* n=100 capset=4 ring=0 "'
    check "$vdev: a fence the backend refuses (virgl2 ring 1) is answered with an error and completes" \
        eval '[ "$(rc fence-refused)" = 1 ] &&
              has fence-refused "^FAIL fence: the host answered [0-9]+ commands? with an error, first: ERR_INVALID_PARAMETER to SUBMIT_3D" &&
              ! has fence-refused "not signalled"'
    check "$vdev: the device works afterwards (virtgpu-test all: no FAIL)" \
        has after '^SUMMARY pass=[0-9]+ fail=0 '
    if [ "${wire:-0}" -ge 1 ]; then
        check "$vdev: vulkaninfo lists the Virtio-GPU Venus device" \
            has vulkaninfo 'deviceName *= Virtio-GPU Venus'
        check "$vdev: vkmark renders offscreen on venus" \
            eval 'ok vkmark && [ "$(field vkmark "vkmark Score:")" -ge 1 ]'
    elif has vulkaninfo 'Unsupported wire format version 0'; then
        skip "$vdev: Vulkan through venus: the host's venus speaks wire format 0" \
             "(virglrenderer $(dpkg-query -W -f='${Version}' libvirglrenderer1 2>/dev/null))," \
             "guest Mesa $(sed -n 's/.* mesa=\([^ ]*\).*/\1/p' "$run/info" | head -n1) requires 1" \
             "and drops the device ('Unsupported wire format version 0'): see README.md, Venus"
    else
        check "$vdev: vulkaninfo: venus is listed or refused for its wire format" false
    fi
fi

test_summary "$OUT" "$t0"
