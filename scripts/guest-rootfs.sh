#!/bin/bash
# Build the guest root filesystem: Debian trixie with Mesa (virgl, venus,
# llvmpipe, lavapipe), kmscube, glmark2-es2-drm, vulkan-tools, mesa-utils,
# drm-info and the project's own test program guest/virtgpu-test.c, for
# scripts/guest-run.sh.
#
# Output (all in $BUILD/guest/):
#   virtgpu-test        the test program, static (gcc -static, no libdrm)
#   rootfs-base/        mmdebstrap's output, cached (the slow part)
#   rootfs.img          the image: squashfs, zstd; booted read-only
#   rootfs.manifest     package versions in the image
# Cached: each stage is redone only when its inputs change.  The image's
# stamp hashes this script, guest/rootfs.packages, guest/virtgpu-test.c with
# the uAPI header it includes (guest/virtgpu-uapi.h), and the guest files
# copied into the image; the base's stamp hashes the package list, the
# mirror and the mmdebstrap options.  FORCE=1 rebuilds everything (say, to
# pick up new trixie package versions).
#
# env: MIRROR (default: the Debian mirror of the host's apt sources),
#      FORCE=1.
#
# Why squashfs, not ext4: the guest only ever reads the image (its writable
# root is a tmpfs overlay, see guest/rootfs-boot), and squashfs is read-only
# by construction, so a crashed or hung guest can never leave it dirty and
# any number of guests can share one image at once.  It is also about a
# third of the size (zstd) and is made from a directory by mksquashfs without
# loop mounts.  zstd decompresses fast enough even under TCG.
#
# The modules the guest needs before it can mount this image (virtio-blk,
# squashfs, overlay, 9p, virtio-gpu) are in the initramfs (guest-kernel.sh
# picks them, guest-initramfs.sh packs them) and are copied into the
# overlay at boot, so the image does not depend on the kernel version.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

GUEST=$BUILD/guest
PKGLIST=$TOP/guest/rootfs.packages
SRC=$TOP/guest/virtgpu-test.c
# what the test program is built from: its source and the uAPI header
SRCS=("$SRC" "$TOP/guest/virtgpu-uapi.h")
TOOL=$GUEST/virtgpu-test
BASE=$GUEST/rootfs-base
IMG=$GUEST/rootfs.img
SUITE=trixie
# Files of guest/ that go into the image: source -> path in the image.
GUEST_FILES=(
    "guest/rootfs-runner:/usr/local/sbin/guest-runner"
    "guest/screendump:/usr/local/bin/screendump"
)

step=0
stage() { step=$((step + 1)); say "[rootfs $step] $*"; }

# The URI of the Debian archive the host's apt uses (deb822 or one-line
# sources), so that the guest comes from the same mirror.
host_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
             /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        case $f in
            *.sources)
                awk 'BEGIN { RS = ""; FS = "\n" }
                     {
                         t = s = u = ""
                         for (i = 1; i <= NF; i++) {
                             split($i, w, /[ \t]+/)
                             if (w[1] == "Types:") t = " " $i " "
                             if (w[1] == "Suites:") s = $i
                             if (w[1] == "URIs:") u = w[2]
                         }
                         if (t ~ / deb / && s ~ /bookworm/ && u != "") print u
                     }' "$f" ;;
            *)  sed -n 's/^deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?\([^ \t]\+\)[ \t]\+bookworm[ \t].*/\2/p' "$f" ;;
        esac
    done | grep -v -e security -e '^$' | head -n1
}

packages() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PKGLIST" | tr -s ' \t' '\n' | sed '/^$/d'; }

need_pkgs gcc libc6-dev mmdebstrap squashfs-tools
ensure_trixie
MIRROR=${MIRROR:-$(host_mirror)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
mkdir -p "$GUEST"
# One build at a time: tests run in parallel all call this script, and two
# builds would share rootfs-stage/ and rootfs.img.tmp (one renaming the
# image the other is still writing).  A waiter then finds the image built.
exec 9> "$GUEST/rootfs.lock"
flock 9

# --- 1. the base system (mmdebstrap) ----------------------------------------
# dpkg filters: no docs (but the copyright files), man pages, locales; and
# only the Vulkan drivers a virtual machine can use: venus (virtio),
# lavapipe (lvp, software) and gfxstream.
DPKG_OPTS=(
    'path-exclude=/usr/share/man/*'
    'path-exclude=/usr/share/info/*'
    'path-exclude=/usr/share/locale/*'
    'path-include=/usr/share/locale/locale.alias'
    'path-exclude=/usr/share/doc/*'
    'path-include=/usr/share/doc/*/copyright'
    'path-exclude=/usr/share/lintian/*'
    'path-exclude=/usr/share/bug/*'
    'path-exclude=/usr/lib/x86_64-linux-gnu/libvulkan_*'
    'path-include=/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'
    'path-include=/usr/lib/x86_64-linux-gnu/libvulkan_virtio.so'
    'path-include=/usr/lib/x86_64-linux-gnu/libvulkan_gfxstream.so'
    'path-exclude=/usr/share/vulkan/icd.d/*'
    'path-include=/usr/share/vulkan/icd.d/lvp_icd.*'
    'path-include=/usr/share/vulkan/icd.d/virtio_icd.*'
    'path-include=/usr/share/vulkan/icd.d/gfxstream_vk_icd.*'
)
MM_OPTS=(
    --variant=essential --mode=root --format=directory
    --aptopt='APT::Install-Recommends "false"'
    --aptopt='Acquire::Languages "none"'
    --include="$(packages | paste -sd, -)"
)
for o in "${DPKG_OPTS[@]}"; do MM_OPTS+=(--dpkgopt="$o"); done
# Caches, logs and apt's lists are not wanted in the image.
# shellcheck disable=SC2016 # $1 is mmdebstrap's: the chroot
MM_OPTS+=(--customize-hook='cd "$1" && rm -rf var/cache/apt/* var/cache/debconf/*-old var/log/* var/lib/apt/lists/* usr/share/doc-base usr/share/X11/locale')

base_stamp=$(printf '%s\n' "$SUITE" "$MIRROR" "${MM_OPTS[@]}" "$(mmdebstrap --version)" |
             sha256sum | cut -d' ' -f1)
if [ -f "$BASE.stamp" ] && [ "$(cat "$BASE.stamp")" = "$base_stamp" ] &&
   [ -d "$BASE/usr" ] && [ -z "${FORCE:-}" ]; then
    stage "base system up to date ($BASE)"
else
    stage "mmdebstrap $SUITE from $MIRROR: $(packages | wc -l) packages plus dependencies"
    rm -rf "$BASE" "$BASE.tmp" "$BASE.stamp"
    mkdir -p "$BASE.tmp"
    start=$SECONDS
    # --verbose: apt's and dpkg's own lines are the progress (a progress
    # bar would need a terminal).
    nice -n 10 mmdebstrap --verbose "${MM_OPTS[@]}" "$SUITE" "$BASE.tmp" "$MIRROR" >&2
    mv "$BASE.tmp" "$BASE"
    echo "$base_stamp" > "$BASE.stamp"
    say "base system: $(du -sh "$BASE" | cut -f1) in $((SECONDS - start))s"
fi

# --- 2. the test program ----------------------------------------------------
tool_stamp="$(cat "${SRCS[@]}" | sha256sum | cut -d' ' -f1) $(gcc -dumpfullversion)"
if [ -x "$TOOL" ] && [ "$(cat "$TOOL.stamp" 2>/dev/null)" = "$tool_stamp" ] &&
   [ -z "${FORCE:-}" ]; then
    stage "virtgpu-test up to date"
else
    stage "compiling virtgpu-test (gcc -static)"
    gcc -static -O2 -Wall -Wextra -o "$TOOL.tmp" "$SRC"
    mv "$TOOL.tmp" "$TOOL"
    echo "$tool_stamp" > "$TOOL.stamp"
fi

# --- 3. the image -----------------------------------------------------------
img_stamp="$base_stamp $(cat "$0" "$PKGLIST" "${SRCS[@]}" | sha256sum | cut -d' ' -f1)"
for f in "${GUEST_FILES[@]}"; do
    img_stamp+=" $(sha256sum "$TOP/${f%%:*}" | cut -d' ' -f1)"
done
if [ -f "$IMG" ] && [ "$(cat "$IMG.stamp" 2>/dev/null)" = "$img_stamp" ] &&
   [ -z "${FORCE:-}" ]; then
    stage "image up to date: $IMG ($(du -h "$IMG" | cut -f1))"
    exit 0
fi

stage "assembling the image tree"
stagedir=$GUEST/rootfs-stage
rm -rf "$stagedir"
trap 'rm -rf "$stagedir" "$IMG.tmp"' EXIT
# Hard links: cheap, and nothing below writes into a file of the base.
cp -al "$BASE" "$stagedir"
install -D -m 0755 "$TOOL" "$stagedir/usr/local/bin/virtgpu-test"
for f in "${GUEST_FILES[@]}"; do
    rm -f "$stagedir/${f#*:}"
    install -D -m 0755 "$TOP/${f%%:*}" "$stagedir/${f#*:}"
done
# Mount points of the guest runner; the hostname.
mkdir -p "$stagedir"/{job,run,tmp,proc,sys,dev}
rm -f "$stagedir/etc/hostname"
echo guest > "$stagedir/etc/hostname"
# shellcheck disable=SC2016 # dpkg-query's format
chroot "$stagedir" dpkg-query -W -f='${Package} ${Version}\n' > "$GUEST/rootfs.manifest"

stage "mksquashfs (zstd) of $(du -sh "$stagedir" | cut -f1)"
start=$SECONDS
rm -f "$IMG.tmp"
nice -n 10 mksquashfs "$stagedir" "$IMG.tmp" -comp zstd -Xcompression-level 15 \
    -noappend -no-xattrs -quiet -progress -all-time 0 -mkfs-time 0 >&2
mv "$IMG.tmp" "$IMG"
echo "$img_stamp" > "$IMG.stamp"
say "image: $IMG ($(du -h "$IMG" | cut -f1), $(wc -l < "$GUEST/rootfs.manifest") packages, mksquashfs $((SECONDS - start))s)"
