#!/bin/bash
# Guest smoke test: boot the guest on virtio-gpu-pci, check what the guest
# driver reports and that the screendump shows the console.
# env: EXPECT_SIZE (default 1280x800), plus guest-boot.sh's QEMU, ACCEL, ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

EXPECT_SIZE=${EXPECT_SIZE:-1280x800}
MIN_TEXT_PIXELS=${MIN_TEXT_PIXELS:-2000}
OUT=$BUILD/tests/guest-smoke

need_pkgs python3
"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"

# smoke DEVICE FEATURE...: boot on DEVICE, expect each feature (+x or -x) in
# the guest driver's feature lines and the console in the screendump.
smoke() {
    local dev=$1 out f stat mode width='' height='' colours=0 nonbg=0
    shift
    out=$OUT/$(tr -c 'A-Za-z0-9.\n-' _ <<< "$dev")
    if ! "$TOP/scripts/guest-boot.sh" -d "$dev" -o "$out" > /dev/null; then
        check "guest boots on $dev" false
        return
    fi
    check "guest boots on $dev" true

    local drm=$out/drm.txt
    check "$dev: guest driver initialized" \
        grep -q '\[drm\] Initialized virtio_gpu' "$drm"
    for f in "$@"; do
        check "$dev: guest reports $f" \
            grep -q -- "\[drm\] features: .*$f\b" "$drm"
    done

    if stat=$("$PYTHON" "$TOP/tests/pngstat.py" "$out/screen.png"); then
        eval "$stat"            # width= height= colours= background= nonbg=
    fi
    mode=$(sed -n 's/^mode=//p' "$out/info")
    check "$dev: screendump is a valid PNG" [ -n "$width" ]
    check "$dev: screendump is $EXPECT_SIZE (got ${width:-?}x${height:-?})" \
        [ "${width}x${height}" = "$EXPECT_SIZE" ]
    check "$dev: screendump size matches the guest mode ($mode)" \
        [ "$width,$height" = "$mode" ]
    check "$dev: screendump shows console text ($nonbg text pixels)" \
        test "$nonbg" -ge "$MIN_TEXT_PIXELS" -a "$colours" -ge 2
}

smoke virtio-gpu-pci +edid -resource_blob -host_visible -context_init
# Guest blobs without udmabuf (the fbdev console is one), host-visible BAR.
smoke virtio-gpu-pci,blob=on,hostmem=256M +resource_blob +host_visible
# virgl headless (surfaceless EGL on llvmpipe) with blobs, hostmem and
# CONTEXT_INIT; the console is read back from virglrenderer.
smoke virtio-gpu-gl-pci,blob=on,hostmem=256M,context_init=on \
    +virgl +resource_blob +host_visible +context_init

echo "results: $OUT"
[ "$fails" -eq 0 ]
