#!/bin/bash
# shellcheck disable=SC2016 # checks are eval'd strings: they expand later
# virtio-gpu-rutabaga-pci end to end, from inside the trixie rootfs guest
# (scripts/guest-run.sh, TCG, -display none), against the gl device:
# virgl2=on,venus=on on our device is served by the same virglrenderer
# backend as virtio-gpu-gl-pci,venus=on, so the guest must see the same
# features, the same virgl2 and venus capsets and the same renderers.
#
# Boot 1, virtio-gpu-rutabaga-pci,virgl2=on,venus=on,cross-domain=on,hostmem=256M:
#   - the driver's feature lines, the GETPARAMs (capsets virgl2, venus and
#     cross-domain, 0x34: no virgl, which only virgl=on would add),
#     virtgpu-test all;
#   - eglinfo's renderers, vulkaninfo's devices, kmscube on virgl;
#   - QEMU (-d guest_errors) logged no guest error.
# Boot 2, virtio-gpu-gl-pci,blob=on,context_init=on,venus=on,hostmem=256M:
#   the same commands; the feature lines, the virgl2 and venus capset data,
#   the renderers and the Vulkan devices must equal those of boot 1.
# (tests/cross-domain-guest.sh runs cross-domain contexts against Weston.)
#
# env: guest-run.sh's QEMU, ACCEL, MEM, SMP...  Results in
# $BUILD/tests/rutabaga-guest/.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

OUT=$BUILD/tests/rutabaga-guest
RDEV=virtio-gpu-rutabaga-pci,virgl2=on,venus=on,cross-domain=on,hostmem=256M
GDEV=virtio-gpu-gl-pci,blob=on,context_init=on,venus=on,hostmem=256M
QEMU=${QEMU:-$BUILD/bin/qemu-system-x86_64}
t0=$SECONDS


if ! "$QEMU" -device help 2>/dev/null | grep -q '"virtio-gpu-rutabaga-pci"'; then
    echo "FAIL: rutabaga-guest: this QEMU has no virtio-gpu-rutabaga-pci"
    exit 1
fi

"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"
# venus: the render server of bookworm's virglrenderer
need_pkgs virgl-server

# kmscube: stdbuf, as its stdout is a pipe here
COMMANDS="
run drm sh -c 'dmesg | grep -F \"[drm]\"'
run params virtgpu-test params
run capsets virtgpu-test capsets
run all virtgpu-test all
run eglinfo -t 180 eglinfo -B -p gbm
run vulkaninfo -t 180 env VN_DEBUG=init vulkaninfo --summary
run kmscube -t 300 stdbuf -oL kmscube -c 300
"

# guest NAME DEVICE: run COMMANDS on DEVICE into $OUT/NAME
guest() {
    QEMU=$QEMU guest_check "$OUT/$1" "$2" -t 900 -e "$COMMANDS" -- \
        -d guest_errors
}

# What a run shows: feature lines, capset data, renderers, Vulkan devices
rc()   { sed -n "s/^$2 rc=\([^ ]*\).*/\1/p" "$OUT/$1/results"; }
ok()   { [ "$(rc "$1" "$2")" = 0 ]; }
has()  { grep -Eq -- "$3" "$OUT/$1/cmd/$2.log" 2>/dev/null; }
features() { grep -o '\[drm\] features: .*' "$OUT/$1/cmd/drm.log"; }
capset() { grep "^CAPSET id=$2 " "$OUT/$1/cmd/capsets.log"; }
renderers() { grep -E '^OpenGL .*renderer:' "$OUT/$1/cmd/eglinfo.log" | sort; }
vkdevices() {
    grep -E 'deviceName|Unsupported wire format' "$OUT/$1/cmd/vulkaninfo.log" |
        sed 's/^[[:space:]]*//' | sort
}

if guest rutabaga "$RDEV"; then
    check "$RDEV: features: +virgl +edid +resource_blob +host_visible" \
        has rutabaga drm 'features: \+virgl \+edid \+resource_blob \+host_visible'
    check "$RDEV: features: +context_init" \
        has rutabaga drm 'features: \+context_init'
    check "$RDEV: the host window is 256 MiB" \
        has rutabaga drm 'Host memory window: 0x[0-9a-f]+ \+0x10000000'
    check "$RDEV: params: supported_capset_ids=0x34 (virgl2, venus, cross-domain)" \
        has rutabaga params '^PASS params.* supported_capset_ids=0x34( |$)'
    check "$RDEV: capsets: virgl2 (v2), venus and cross-domain" \
        has rutabaga capsets '^PASS capsets 2\(virgl2,v2,[0-9]+B\) 4\(venus,v[0-9]+,[0-9]+B\) 5\(cross-domain,v[0-9]+,[0-9]+B\)$'
    check "$RDEV: virtgpu-test all: no FAIL" \
        has rutabaga all '^SUMMARY pass=[0-9]+ fail=0 '
    renderer=$(sed -n 's/^OpenGL ES profile renderer: //p' "$OUT/rutabaga/cmd/eglinfo.log")
    check "$RDEV: eglinfo (GBM): the GLES renderer is virgl (${renderer:-none})" \
        eval 'ok rutabaga eglinfo && [[ $renderer == virgl\ \(* ]]'
    frames=$(sed -n 's/^Rendered \([0-9]*\) frames.*/\1/p' \
             "$OUT/rutabaga/cmd/kmscube.log" | tail -n1)
    check "$RDEV: kmscube renders 300 frames on virgl (${frames:-none} after the first)" \
        eval 'ok rutabaga kmscube && has rutabaga kmscube "renderer: \"virgl \(" &&
              [ "${frames:-0}" -ge 299 ]'
    # virglrenderer's own lines (its venus proxy's too, which the gl
    # device gets as well), and no /dev/udmabuf here
    noise='^(GLSL feature level [0-9]+|gl_version [0-9]+ - .*|proxy: .*|qemu-system-x86_64: warning: open /dev/udmabuf: .*)$'
    logged=$(grep -Ev "$noise" "$OUT/rutabaga/qemu.log" | head -n 5 | paste -sd '|' || true)
    check "$RDEV: QEMU logged no guest error${logged:+ (got: $logged)}" \
        eval '[ -f "$OUT/rutabaga/qemu.log" ] && [ -z "$logged" ]'

    if guest gl "$GDEV"; then
        check "$RDEV: the same feature lines as $GDEV" \
            eval '[ -n "$(features rutabaga)" ] &&
                  [ "$(features rutabaga)" = "$(features gl)" ]'
        for id in 2 4; do
            check "$RDEV: the same capset $id as $GDEV" \
                eval '[ -n "$(capset rutabaga $id)" ] &&
                      [ "$(capset rutabaga $id)" = "$(capset gl $id)" ]'
        done
        check "$RDEV: the same OpenGL renderers as $GDEV" \
            eval '[ -n "$(renderers rutabaga)" ] &&
                  [ "$(renderers rutabaga)" = "$(renderers gl)" ]'
        check "$RDEV: the same Vulkan devices as $GDEV ($(vkdevices rutabaga | paste -sd ';'))" \
            eval '[ -n "$(vkdevices rutabaga)" ] &&
                  [ "$(vkdevices rutabaga)" = "$(vkdevices gl)" ]'
    fi
fi

test_summary "$OUT" "$t0"
