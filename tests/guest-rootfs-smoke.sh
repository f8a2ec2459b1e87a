#!/bin/bash
# Rootfs guest smoke test on the 2D device: boot the trixie rootfs
# (guest-rootfs.sh) with scripts/guest-run.sh and check, from inside the
# guest, what virtio-gpu-pci offers without 3D: the GETPARAMs, guest blobs
# (mapped, and scanned out: the screendump must show the blob's colour
# bars), drm_info, kmscube on Mesa's software path (kms_swrast: llvmpipe
# into dumb buffers, page flips), and that the 3D-only uAPI (capsets,
# CONTEXT_INIT, EXECBUFFER) is refused with the right errno.  A second boot
# without blob=on checks that blobs are off and skipped.
# env: SKIP_KMSCUBE=1, plus guest-run.sh's QEMU, ACCEL, MEM, SMP, ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

OUT=$BUILD/tests/guest-rootfs-smoke
t0=$SECONDS


"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"

# Helpers on the run in $run: a command's exit status, its log has a match.
rc()   { sed -n "s/^$1 rc=\([^ ]*\).*/\1/p" "$run/results"; }
has()  { grep -Eq -- "$2" "$run/cmd/$1.log" 2>/dev/null; }
ok()   { [ "$(rc "$1")" = 0 ]; }
refused() {                     # NAME ERRNO-NAME: exit 1 and FAIL with it
    [ "$(rc "$1")" = 1 ] && has "$1" "^FAIL .*errno [0-9]+ $2\)"
}

# guest DEVICE NAME COMMANDS: run them; $run is the output directory.
guest() {
    run=$OUT/$2
    guest_check "$run" "$1" -t 600 -e "$3"
}

# ---- 1. the 2D device with guest blobs and a host-visible window ----------
dev=virtio-gpu-pci,blob=on,hostmem=64M
kmscube_cmd=
if [ -z "${SKIP_KMSCUBE:-}" ]; then
    # A screendump once kmscube has rendered for 2 s (its first "Rendered"
    # line), while it still runs; stdbuf: its stdout is a pipe here.
    kmscube_cmd="run kmscube -t 240 bash -c 'set -o pipefail
        stdbuf -oL kmscube -c 120 | { shot=
            while IFS= read -r l; do
                echo \"\$l\"
                case \$l in Rendered*) [ -n \"\$shot\" ] || { screendump kmscube; shot=1; } ;; esac
            done; }'"
fi
if guest "$dev" blob "
run params virtgpu-test params
run blob-guest virtgpu-test blob-guest
run blob-guest-shareable virtgpu-test blob-guest --size 8388608 --flags 3
run all virtgpu-test all
run capsets virtgpu-test capsets
run context-init virtgpu-test context-init --capset 2
run fence virtgpu-test fence --capset 0 --count 10
run drm_info -t 120 drm_info
run scanout -t 120 virtgpu-test blob-scanout --then 'screendump scanout'
$kmscube_cmd
"; then
    check "$dev: params" ok params
    for p in 3d_features=0 resource_blob=1 host_visible=1 context_init=0; do
        check "$dev: params: $p" has params "^PASS params.* $p( |\$)"
    done
    check "$dev: blob-guest (1 MB, MAPPABLE): map, write, read back" \
        has blob-guest '^PASS blob-guest'
    check "$dev: blob-guest (8 MB, MAPPABLE|SHAREABLE)" \
        has blob-guest-shareable '^PASS blob-guest'
    check "$dev: all: no FAIL" has all '^SUMMARY pass=[0-9]+ fail=0 '
    for s in capsets context-init blob-host3d fence; do
        check "$dev: all: $s is reported as needing 3D" has all "^SKIP $s: "
    done
    check "$dev: no capsets: GET_CAPS fails with ENOSYS" refused capsets ENOSYS
    check "$dev: CONTEXT_INIT fails with EINVAL" refused context-init EINVAL
    check "$dev: EXECBUFFER fails with ENOSYS" refused fence ENOSYS
    check "$dev: drm_info sees virtio_gpu" has drm_info 'Driver: virtio_gpu'

    check "$dev: blob-scanout: a guest blob is the framebuffer" ok scanout
    check_colour_bars "$dev: blob-scanout" "$run/scanout.png"

    if [ -n "$kmscube_cmd" ]; then
        check "$dev: kmscube (software) renders frames" \
            eval 'ok kmscube && has kmscube "^Rendered [0-9]+ frames"'
        colours=0
        if stat=$("$PYTHON" "$TOP/tests/pngstat.py" "$run/kmscube.png" 2>/dev/null); then
            colours=$(sed -n 's/.*colours=\([0-9]*\).*/\1/p' <<< "$stat")
        fi
        check "$dev: kmscube's cube is on the screendump ($colours colours)" \
            [ "$colours" -ge 1000 ]
        echo "info: kmscube: $(grep -h '^Rendered' "$run/cmd/kmscube.log" | tail -n1)"
    fi
fi

# ---- 2. the plain 2D device: no blobs ---------------------------------------
dev=virtio-gpu-pci
if guest "$dev" noblob "
run params virtgpu-test params
run blob-guest virtgpu-test blob-guest
run all virtgpu-test all
"; then
    check "$dev: params: resource_blob=0 host_visible=0" \
        eval 'has params "^PASS params.* resource_blob=0 host_visible=0 "'
    check "$dev: blob-guest fails with EINVAL" refused blob-guest EINVAL
    check "$dev: all: blob-guest is reported as needing blobs, no FAIL" \
        eval 'has all "^SKIP blob-guest: resource_blob=0" && has all "^SUMMARY pass=[0-9]+ fail=0 "'
fi

test_summary "$OUT" "$t0"
