#!/bin/bash
# `make demo` (after the QEMU build): boot the guest on the series' QEMU with
# each display device of DEMO_DEVICES, keep the screendumps in $BUILD/demo/
# and summarise what the guest driver saw.
# env: DEMO_DEVICES (a list of -device strings), plus guest-boot.sh's QEMU,
#      ACCEL, MACHINE, MEM, APPEND.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# The 2D device as 7.2 has it, and with guest blobs and host-visible memory.
DEMO_DEVICES=${DEMO_DEVICES:-virtio-gpu-pci virtio-gpu-pci,blob=on,hostmem=256M}
QEMU=${QEMU:-$BUILD/bin/qemu-system-x86_64}
export QEMU

"$TOP/scripts/guest-kernel.sh"
"$TOP/scripts/guest-initramfs.sh"
mkdir -p "$BUILD/demo"

summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
for dev in $DEMO_DEVICES; do
    name=$(tr -c 'A-Za-z0-9.\n-' _ <<< "$dev")
    out=$("$TOP/scripts/guest-boot.sh" -d "$dev" -o "$BUILD/demo/$name")
    cp "$out/screen.png" "$BUILD/demo/$name.png"
    info() { sed -n "s/^$1=//p" "$out/info"; }
    {
     echo
     echo "device:       $dev (accel $(info accel))"
     echo "guest kernel: $(info kernel)"
     echo "boot time:    $(info boot_seconds)s to GUEST-READY (guest uptime $(info guest_uptime)s)"
     echo "mode:         $(info mode | tr , x)"
     echo "driver:"
     sed 's/^\[ *[0-9.]*\] /  /' "$out/drm.txt"
     echo "screendump:   $BUILD/demo/$name.png"
     echo "serial log:   $out/serial.log"
    } >> "$summary"
done

echo
echo "=== virtio-gpu demo: $("$QEMU" --version | head -n1) ==="
cat "$summary"
