#!/bin/bash
# Boot the rootfs guest (guest-kernel.sh, guest-initramfs.sh and
# guest-rootfs.sh's squashfs image, read-only) on one display device and run
# a command script in it, with screendumps on request and timeouts.
#
# usage: guest-run.sh [-d DEVICE] [-o OUTDIR] [-t TIMEOUT] [-T CMD_TIMEOUT]
#                     [-b BOOT_TIMEOUT] [-f FILE]... (-s SCRIPT | -e TEXT)
#                     [-- QEMU-ARGS...]
#   -d DEVICE   -device string of the display (default: virtio-gpu-pci)
#   -o OUTDIR   results (default: $BUILD/guest/run); emptied first
#   -s SCRIPT   the guest's commands (bash): run NAME [-t S] CMD [ARGS...]
#               runs one command between markers, "screendump NAME" (a
#               guest program) saves OUTDIR/NAME.png; see guest/rootfs-runner
#   -e TEXT     the commands as a string, instead of -s
#   -f FILE     copy FILE into the guest's /job/bin (first in its PATH;
#               same file name), e.g. a virtgpu-test newer than the image's
#   -t TIMEOUT  seconds for the whole run (default 900)
#   -T SECONDS  default timeout of one command (default 300)
#   -b SECONDS  seconds for the boot, up to GUEST-ROOTFS-READY (default 300)
# env: QEMU (default $BUILD/bin/qemu-system-x86_64), ACCEL (tcg), MACHINE
#      (pc), MEM (2G), SMP (1), DISPLAY_OPT (-display value; none), APPEND
#      (extra kernel command line), ROOTFS (default $BUILD/guest/rootfs.img).
#
# A commands file, e.g.:
#     run params virtgpu-test params
#     run kms -t 120 sh -c '(sleep 10; screendump kms) & kmscube -c 300'
# (a screendump while kmscube runs: kmscube keeps the idle stdin that run
# gives it, and quits on a readable one, so it is not the one sent to the
# background).
#
# The commands reach the guest through a 9p share of OUTDIR/job (tag job,
# mounted on /job), which also carries the screendump acknowledgements.
# QEMU is killed when the boot, a command (its timeout + 30 s) or the whole
# run takes too long; the report names the command that hung.
#
# Leaves in OUTDIR: serial.log, qemu.log (QEMU's stderr), cmd/NAME.log (the
# output of each command, kernel messages included), NAME.png, results
# ("NAME rc=N secs=S" per command started; rc=hung for one that never
# ended), status (done, or what went wrong) and info (key=value: device,
# boot_seconds to GUEST-ROOTFS-READY, first_cmd_seconds, total_seconds, ...).
# Prints OUTDIR on stdout; exit status 0 when the guest ran every command
# (whatever their own exit status), 1 otherwise.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

DEVICE=virtio-gpu-pci
OUT=$BUILD/guest/run
TIMEOUT=900
CMD_TIMEOUT=300
BOOT_TIMEOUT=300
SCRIPT=
TEXT=
FILES=()
while getopts d:o:t:T:b:s:e:f:h opt; do
    case $opt in
        d) DEVICE=$OPTARG ;;
        o) OUT=$OPTARG ;;
        t) TIMEOUT=$OPTARG ;;
        T) CMD_TIMEOUT=$OPTARG ;;
        b) BOOT_TIMEOUT=$OPTARG ;;
        s) SCRIPT=$OPTARG ;;
        e) TEXT=$OPTARG ;;
        f) FILES+=("$OPTARG") ;;
        *) sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$SCRIPT$TEXT" ] || die "no commands: give -s SCRIPT or -e TEXT (-h for help)"
[ -z "$SCRIPT" ] || [ -f "$SCRIPT" ] || die "no such script: $SCRIPT"

QEMU=${QEMU:-$BUILD/bin/qemu-system-x86_64}
ACCEL=${ACCEL:-tcg}
MACHINE=${MACHINE:-pc}
MEM=${MEM:-2G}
SMP=${SMP:-1}
DISPLAY_OPT=${DISPLAY_OPT:-none}
ROOTFS=${ROOTFS:-$BUILD/guest/rootfs.img}
KDIR=$BUILD/guest/kernel
INITRD=$BUILD/guest/initramfs.cpio.gz
[ -x "$QEMU" ] || die "no QEMU binary at $QEMU (build it first, or set QEMU=)"
if [ ! -f "$KDIR/vmlinuz" ] || [ ! -f "$INITRD" ] || [ ! -f "$ROOTFS" ]; then
    die "no guest: run guest-kernel.sh, guest-initramfs.sh and guest-rootfs.sh"
fi
[ "$(zcat "$INITRD" | cpio -t --quiet 2>/dev/null | grep -c 'rootfs-boot$')" -gt 0 ] ||
    die "the initramfs predates guest/rootfs-boot: run guest-kernel.sh and guest-initramfs.sh"
need_pkgs python3                       # for qmp.py

rm -rf "$OUT"
mkdir -p "$OUT/cmd" "$OUT/job/ack" "$OUT/job/bin"
OUT=$(cd "$OUT" && pwd)
JOB=$OUT/job
LOG=$OUT/serial.log
: > "$LOG"
if [ -n "$SCRIPT" ]; then cp "$SCRIPT" "$JOB/commands"; else printf '%s\n' "$TEXT" > "$JOB/commands"; fi
for f in "${FILES[@]}"; do install -m 0755 "$f" "$JOB/bin/"; done

qemu_session_start guest-run

qmp() { "$PYTHON" "$TOP/scripts/qmp.py" "$QMP" "$@"; }
since() { awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }

say "guest-run: $DEVICE (accel $ACCEL, timeout ${TIMEOUT}s) -> $OUT"
start=$EPOCHREALTIME
"$QEMU" -nodefaults -no-user-config -no-reboot \
    -machine "$MACHINE" -accel "$ACCEL" -m "$MEM" -smp "$SMP" \
    -display "$DISPLAY_OPT" -vga none -device "$DEVICE" \
    -kernel "$KDIR/vmlinuz" -initrd "$INITRD" \
    -append "console=tty1 console=ttyS0 panic=-1 consoleblank=0 guest.root=vda guest.timeout=$((TIMEOUT + 60)) guest.cmd_timeout=$CMD_TIMEOUT ${APPEND:-}" \
    -drive "file=$ROOTFS,if=none,id=rootfs,format=raw,readonly=on" \
    -device virtio-blk-pci,drive=rootfs \
    -fsdev "local,id=job,path=$JOB,security_model=none" \
    -device virtio-9p-pci,fsdev=job,mount_tag=job \
    -serial "file:$LOG" -qmp "unix:$QMP,server=on,wait=off" \
    "$@" > "$OUT/qemu.log" 2>&1 &
pid=$!

# Follow the serial log line by line (complete lines only).
status=
done_lines=0
ready=
first_cmd=
cur=
cur_start=
cur_timeout=
boot_deadline=$((SECONDS + BOOT_TIMEOUT))
deadline=$((SECONDS + TIMEOUT))
shots=0

screendump() {                          # NAME: take it, then acknowledge
    local name=$1 answer=ok
    if ! err=$(qmp screendump "{\"filename\": \"$OUT/$name.png\", \"format\": \"png\"}" 2>&1 >/dev/null); then
        answer="error: ${err//$'\n'/ }"
        warn "screendump $name failed: $err"
    else
        shots=$((shots + 1))
    fi
    printf '%s\n' "$answer" > "$JOB/ack/.$name.tmp"
    mv "$JOB/ack/.$name.tmp" "$JOB/ack/$name"
}

while [ -z "$status" ]; do
    n=$(wc -l < "$LOG")
    if [ "$n" -gt "$done_lines" ]; then
        while IFS= read -r line; do
            line=${line%$'\r'}
            if [[ $line =~ ===\ CMD-BEGIN\ ([A-Za-z0-9._-]+)\ timeout=([0-9]+)\ === ]]; then
                cur=${BASH_REMATCH[1]}
                cur_timeout=${BASH_REMATCH[2]}
                cur_start=$SECONDS
                [ -n "$first_cmd" ] || first_cmd=$(since "$start")
                say "  $cur ..."
            elif [[ $line =~ ===\ CMD-END\ ([A-Za-z0-9._-]+)\ rc=([0-9]+)\ secs=([0-9.]+)\ === ]]; then
                say "  ${BASH_REMATCH[1]}: rc=${BASH_REMATCH[2]} (${BASH_REMATCH[3]}s)"
                cur=
            elif [[ $line =~ ===\ SCREENDUMP\ ([A-Za-z0-9._-]+)\ === ]]; then
                screendump "${BASH_REMATCH[1]}"
            elif [[ $line == GUEST-ROOTFS-READY* ]]; then
                ready=$(since "$start")
                say "  guest ready after ${ready}s: ${line#GUEST-ROOTFS-READY }"
            elif [[ $line == GUEST-FAIL* ]]; then
                status="guest failed: ${line#GUEST-FAIL: }"
            elif [[ $line == GUEST-TIMEOUT* ]]; then
                status="guest timed out by itself"
            elif [[ $line =~ ===\ ALL-DONE ]]; then
                status="done"
            fi
        done < <(sed -n "$((done_lines + 1)),${n}p" "$LOG")
        done_lines=$n
    fi
    [ -n "$status" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then
        status="QEMU exited early${cur:+ during command $cur}"
    elif [ -z "$ready" ] && [ "$SECONDS" -ge "$boot_deadline" ]; then
        status="boot timeout: no GUEST-ROOTFS-READY within ${BOOT_TIMEOUT}s"
    elif [ -n "$cur" ] && [ "$SECONDS" -ge $((cur_start + cur_timeout + 30)) ]; then
        status="hung: command $cur still running after $((SECONDS - cur_start))s (its timeout: ${cur_timeout}s)"
    elif [ "$SECONDS" -ge "$deadline" ]; then
        status="timeout: the run took over ${TIMEOUT}s${cur:+; command $cur was running for $((SECONDS - cur_start))s}"
    else
        sleep 0.2
    fi
done
total=$(since "$start")

if [ "$status" = "done" ]; then
    # The guest powers itself off; give it a moment, then insist.
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { qmp quit > /dev/null 2>&1 || true; }
else
    # A picture of the hung guest helps; never wait long for it.
    if kill -0 "$pid" 2>/dev/null; then
        timeout 10 "$PYTHON" "$TOP/scripts/qmp.py" "$QMP" screendump \
            "{\"filename\": \"$OUT/at-failure.png\", \"format\": \"png\"}" > /dev/null 2>&1 || true
    fi
fi
qemu_session_stop
pid=

# Per-command logs and results from the serial log.
tr -d '\r' < "$LOG" | awk -v dir="$OUT/cmd" -v res="$OUT/results" '
    match($0, /=== CMD-BEGIN [A-Za-z0-9._-]+ /) {
        name = substr($0, RSTART + 14, RLENGTH - 15); file = dir "/" name ".log"
        printf "" > file; next
    }
    match($0, /=== CMD-END [A-Za-z0-9._-]+ rc=[0-9]+ secs=[0-9.]+ ===/) {
        split(substr($0, RSTART + 12, RLENGTH - 16), f, " ")
        print f[1], f[2], f[3] > res; close(file); name = ""; next
    }
    name != "" { print > file }
    END { if (name != "") print name, "rc=hung" > res }
'
touch "$OUT/results"
echo "$status" > "$OUT/status"
{
    echo "device=$DEVICE"
    echo "accel=$ACCEL"
    echo "qemu=$QEMU"
    echo "rootfs=$ROOTFS"
    echo "boot_seconds=${ready:-}"
    echo "first_cmd_seconds=${first_cmd:-}"
    echo "total_seconds=$total"
    echo "screendumps=$shots"
    echo "guest=$(tr -d '\r' < "$LOG" | sed -n 's/^GUEST-ROOTFS-READY //p' | head -n1)"
} > "$OUT/info"

if [ "$status" != "done" ]; then
    warn "guest run failed: $status"
    { echo "--- serial log (tail) ---"; tail -n 30 "$LOG" | tr -d '\r'
      echo "--- qemu log (tail) ---"; tail -n 10 "$OUT/qemu.log"; } >&2
    echo "$OUT"
    exit 1
fi
say "guest run done in ${total}s (ready after ${ready}s, first command at ${first_cmd:-none}s); results in $OUT"
echo "$OUT"
