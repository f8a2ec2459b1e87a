#!/bin/bash
# Build the guest's initramfs: Debian's busybox-static, the modules from
# guest-kernel.sh, guest/init (the smoke test) and guest/rootfs-boot (boots
# the rootfs image of guest-rootfs.sh when the command line says
# guest.root=DEV).
#
# Output: $BUILD/guest/initramfs.cpio.gz (rebuilt only when an input changed).
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

CACHE=$BUILD/guest/cache
KDIR=$BUILD/guest/kernel
OUT=$BUILD/guest/initramfs.cpio.gz

[ -f "$KDIR/stamp" ] || die "no guest kernel: run scripts/guest-kernel.sh"
need_pkgs cpio

# busybox-static from the host's release, downloaded, not installed.
bbver=$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: //p')
case $bbver in ""|"(none)") die "no busybox-static in apt" ;; esac
bbdeb=$CACHE/busybox-static_${bbver//:/%3a}_amd64.deb
if [ ! -f "$bbdeb" ]; then
    say "downloading busybox-static $bbver"
    mkdir -p "$CACHE"
    (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root \
        "busybox-static=$bbver" >&2)
fi
[ -f "$bbdeb" ] || die "download of busybox-static failed"

stamp="$bbver $(cat "$KDIR/stamp") $(cat "$0" "$TOP/guest/init" "$TOP/guest/rootfs-boot" | sha256sum)"
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$stamp" ]; then
    say "guest initramfs up to date"
    exit 0
fi

tmp=$(mktemp -d "$BUILD/guest/initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$bbdeb" "$tmp/bb"
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib}
cp "$tmp/bb/bin/busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp -a "$KDIR/lib/modules" "$root/lib/"
install -m 0755 "$TOP/guest/init" "$root/init"
# With guest.root=DEV on the command line, /init hands over to this script,
# which mounts the rootfs image (guest-rootfs.sh) and switches to it.
install -m 0755 "$TOP/guest/rootfs-boot" "$root/rootfs-boot"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "$stamp" > "$OUT.stamp"
say "guest initramfs: $OUT ($(du -h "$OUT" | cut -f1))"
