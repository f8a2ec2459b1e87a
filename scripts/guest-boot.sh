#!/bin/bash
# Boot the smoke-test guest (guest-kernel.sh + guest-initramfs.sh) with one
# display device, wait for its GUEST-READY marker, take a QMP screendump and
# quit QEMU.
#
# usage: guest-boot.sh [-d DEVICE] [-o OUTDIR] [-t TIMEOUT] [-- QEMU-ARGS...]
#   DEVICE   -device string of the display (default: virtio-gpu-pci)
#   OUTDIR   where results go (default: $BUILD/guest/out); emptied first
#   TIMEOUT  seconds to wait for the guest (default: 180; TCG is slow)
# env: QEMU (default $BUILD/bin/qemu-system-x86_64), ACCEL (tcg; kvm works
#      where nested KVM does), MACHINE (pc), MEM (1G), APPEND (extra
#      kernel command line).
#
# Leaves in OUTDIR: serial.log, qemu.log (QEMU's stderr), screen.png,
# drm.txt (the guest's "[drm]" kernel lines) and info (key=value: kernel,
# device, mode, boot_seconds, guest_uptime).  Prints OUTDIR on stdout.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

DEVICE=virtio-gpu-pci
OUT=$BUILD/guest/out
TIMEOUT=180
while getopts d:o:t:h opt; do
    case $opt in
        d) DEVICE=$OPTARG ;;
        o) OUT=$OPTARG ;;
        t) TIMEOUT=$OPTARG ;;
        *) sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

QEMU=${QEMU:-$BUILD/bin/qemu-system-x86_64}
ACCEL=${ACCEL:-tcg}
MACHINE=${MACHINE:-pc}
MEM=${MEM:-1G}
KDIR=$BUILD/guest/kernel
INITRD=$BUILD/guest/initramfs.cpio.gz
[ -x "$QEMU" ] || die "no QEMU binary at $QEMU (build it first, or set QEMU=)"
if [ ! -f "$KDIR/vmlinuz" ] || [ ! -f "$INITRD" ]; then
    die "no guest kernel/initramfs: run guest-kernel.sh and guest-initramfs.sh"
fi
need_pkgs python3                       # for qmp.py

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
LOG=$OUT/serial.log
: > "$LOG"
qemu_session_start guest-qmp

fail() {
    warn "guest boot failed: $*"
    { echo "--- serial log (tail) ---"; tail -n 40 "$LOG" | tr -d '\r'
      echo "--- qemu log (tail) ---"; tail -n 20 "$OUT/qemu.log"; } >&2
    exit 1
}

qmp() { "$PYTHON" "$TOP/scripts/qmp.py" "$QMP" "$@"; }

say "booting guest: $DEVICE (accel $ACCEL, timeout ${TIMEOUT}s) -> $OUT"
start=$(date +%s.%N)
"$QEMU" -nodefaults -no-user-config -no-reboot \
    -machine "$MACHINE" -accel "$ACCEL" -m "$MEM" -smp 1 \
    -display none -vga none -device "$DEVICE" \
    -kernel "$KDIR/vmlinuz" -initrd "$INITRD" \
    -append "console=tty1 console=ttyS0 panic=-1 consoleblank=0 guest.timeout=$((TIMEOUT + 300)) ${APPEND:-}" \
    -serial "file:$LOG" -qmp "unix:$QMP,server=on,wait=off" \
    "$@" > "$OUT/qemu.log" 2>&1 &
pid=$!

deadline=$((SECONDS + TIMEOUT))
until grep -q '^GUEST-READY' "$LOG"; do
    if grep -q '^GUEST-FAIL' "$LOG"; then
        fail "$(grep -m1 '^GUEST-FAIL' "$LOG" | tr -d '\r')"
    fi
    kill -0 "$pid" 2>/dev/null || fail "QEMU exited early"
    [ "$SECONDS" -lt "$deadline" ] || fail "no GUEST-READY within ${TIMEOUT}s"
    sleep 0.5
done
boot=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }')

qmp screendump "{\"filename\": \"$OUT/screen.png\", \"format\": \"png\"}" \
    > /dev/null || fail "screendump failed"
qmp quit > /dev/null 2>&1 || true
for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
qemu_session_stop
pid=

tr -d '\r' < "$LOG" | sed -n '/^=== DRM-BEGIN ===$/,/^=== DRM-END ===$/{/^===/d;p}' \
    > "$OUT/drm.txt"
ready=$(tr -d '\r' < "$LOG" | grep -m1 '^GUEST-READY')
{
    echo "kernel=$(cat "$KDIR/version")"
    echo "device=$DEVICE"
    echo "accel=$ACCEL"
    echo "mode=$(sed -n 's/.* mode=\([^ ]*\).*/\1/p' <<< "$ready")"
    echo "boot_seconds=$boot"
    echo "guest_uptime=$(sed -n 's/.* uptime=\([^ ]*\).*/\1/p' <<< "$ready")"
} > "$OUT/info"
[ -s "$OUT/screen.png" ] || fail "no screendump written"
say "guest ready after ${boot%.*}s; results in $OUT"
echo "$OUT"
