#!/bin/bash
# Cross-domain contexts from a real guest kernel: start Debian's Weston
# headless (scripts/weston-headless.sh), boot the rootfs guest on a device
# with the cross-domain capset connected to it, and run guest/xd-test in
# the guest: a Wayland client made of raw virtio-gpu ioctls that gets the
# compositor's globals through RECEIVE, allocates an image blob with
# GET_IMAGE_REQUIREMENTS, writes its pixels and hands it to the compositor
# as a wl_shm buffer, and finds them, exact, in Weston's screenshot of its
# output taken into another blob.  Also fails when the host answered a
# command of the guest with an error (the guest kernel logs those).
# env: QEMU_SRC, QEMU_BUILD (default build/qemu and build/qemu-build),
#      XD_DEVICE (the -device string without the socket path), plus
#      guest-run.sh's ACCEL, MEM, ...
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

src=${QEMU_SRC:-$BUILD/qemu}
obj=${QEMU_BUILD:-$BUILD/qemu-build}
XD_DEVICE=${XD_DEVICE:-virtio-gpu-rutabaga-pci,cross-domain=on,hostmem=256M}
OUT=$BUILD/tests/cross-domain-guest
CHECK_PREFIX="cross-domain-guest: "

if [ ! -f "$src/hw/display/virtio-gpu-cross-domain.c" ]; then
    echo "FAIL: cross-domain-guest: the series in $src has no cross-domain backend"
    exit 1
fi

need_pkgs weston gcc libc6-dev
"$TOP/scripts/build.sh" "$src" "$obj" >&2
"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
"$TOP/scripts/guest-rootfs.sh"

mkdir -p "$OUT"
gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/xd-test" "$TOP/guest/xd-test.c"

weston_start cross-domain-guest

run=$OUT/run
if ! QEMU=$obj/qemu-system-x86_64 "$TOP/scripts/guest-run.sh" -o "$run" \
        -d "$XD_DEVICE,wayland-socket-path=$WESTON_SOCKET" -f "$OUT/xd-test" \
        -T 240 -e 'run xd xd-test --timeout 120' > /dev/null; then
    echo "FAIL: cross-domain-guest: the guest runs xd-test ($run/status:" \
         "$(cat "$run/status" 2>/dev/null))"
    exit 1
fi

log=$run/cmd/xd.log
check "xd-test exits with 0" grep -q '^xd rc=0 ' "$run/results"
for step in setup registry image shm screenshot; do
    check "$step" grep -q "^PASS $step\b" "$log"
done
check "Weston's wl_compositor and wl_shm seen in the guest" \
    eval 'grep -q "^GLOBAL [0-9]* wl_compositor " "$log" &&
          grep -q "^GLOBAL [0-9]* wl_shm " "$log"'
check "no error answers from the host" \
    bash -c "! grep -q 'ERROR\\* response' '$log' '$run/serial.log'"
check "weston still runs" "$TOP/scripts/weston-headless.sh" status "$WESTON_DIR"
cp "$WESTON_DIR/weston.log" "$OUT/weston.log" 2>/dev/null || true
echo "results: $run"
[ "$fails" -eq 0 ]
