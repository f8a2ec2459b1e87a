#!/bin/bash
# Fetch the Debian trixie guest kernel (never installed on the host) and
# extract vmlinuz plus the modules the virtio-gpu guest needs.
#
# Output: $BUILD/guest/kernel/{vmlinuz,version,lib/modules/KVER/...}
# Cached: does nothing when the package version and this script are unchanged.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

# Top-level modules; their dependencies come from modules.dep.  The smoke
# guest needs the first two; the rootfs guest (guest-rootfs.sh, booted by
# guest-run.sh) also its disk, file systems and the host's 9p share.
GUEST_MODULES=${GUEST_MODULES:-virtio_pci virtio_gpu virtio_blk squashfs overlay 9p 9pnet_virtio}

CACHE=$BUILD/guest/cache
OUT=$BUILD/guest/kernel

need_pkgs kmod xz-utils
ensure_trixie

# linux-image-amd64 (trixie) -> linux-image-6.12.N+debX-amd64.
pkg=$(apt-cache depends -t trixie linux-image-amd64 |
      sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 in trixie"
ver=$(apt-cache show -t trixie "$pkg" | sed -n 's/^Version: //p' | head -n1)
[ -n "$ver" ] || die "no version for $pkg"

stamp="$pkg $ver $GUEST_MODULES $(sha256sum "$0" | cut -d' ' -f1)"
if [ -f "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ]; then
    say "guest kernel up to date: $pkg $ver"
    exit 0
fi

mkdir -p "$CACHE"
deb=$CACHE/${pkg}_${ver//:/%3a}_amd64.deb
if [ ! -f "$deb" ]; then
    say "downloading $pkg $ver"
    (cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root \
        "$pkg=$ver" >&2)
    [ -f "$deb" ] || die "download of $pkg failed"
    # Drop superseded kernel packages.
    find "$CACHE" -maxdepth 1 -name 'linux-image-*.deb' ! -name "${deb##*/}" -delete
fi

tmp=$(mktemp -d "$BUILD/guest/kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "extracting $(basename "$deb")"
dpkg-deb -x "$deb" "$tmp/root"

# trixie is merged-/usr: /usr/lib/modules (older: /lib/modules).  The
# package ships no modules.dep (made at install time): generate it.
src=$(find "$tmp/root" -path '*lib/modules/*' -name modules.order -printf '%h\n' | head -n1)
[ -n "$src" ] || die "no modules directory in $deb"
kver=${src##*/}
depmod -b "${src%/lib/modules/*}" "$kver"
dst=$tmp/out/lib/modules/$kver
mkdir -p "$dst"

# Closure of GUEST_MODULES over modules.dep (module names use _ or -).
declare -A want=()
add_mod() {
    local name=${1//-/_} line path dep
    line=$(awk -v n="$name" -F: '{
             b = $1; sub(/.*\//, "", b); sub(/\.ko(\.[a-z]+)?$/, "", b);
             gsub(/-/, "_", b); if (b == n) { print; exit } }' "$src/modules.dep")
    if [ -z "$line" ]; then
        grep -q "/${name//_/[-_]}\.ko\$" "$src/modules.builtin" 2>/dev/null ||
            die "module $name not found in $kver"
        return 0                        # built into the kernel
    fi
    path=${line%%:*}
    [ -n "${want[$path]:-}" ] && return 0
    want[$path]=1
    for dep in ${line#*:}; do
        dep=${dep##*/}; add_mod "${dep%%.ko*}"
    done
}
for m in $GUEST_MODULES; do add_mod "$m"; done

for path in "${!want[@]}"; do
    mkdir -p "$dst/$(dirname "$path")"
    case $path in
        *.ko.xz)  xz -dc "$src/$path" > "$dst/${path%.xz}" ;;
        *.ko)     cp "$src/$path" "$dst/$path" ;;
        *) die "unexpected module file $path" ;;
    esac
done
cp "$src"/modules.order "$src"/modules.builtin* "$dst/"
depmod -b "$tmp/out" "$kver"

cp "$tmp/root/boot/vmlinuz-$kver" "$tmp/out/vmlinuz"
echo "$kver" > "$tmp/out/version"
echo "$stamp" > "$tmp/out/stamp"
rm -rf "$OUT"
mv "$tmp/out" "$OUT"
say "guest kernel $kver: $OUT (modules: $(printf '%s\n' "${!want[@]}" |
     sed 's:.*/::; s:\.ko.*::' | sort | paste -sd' '))"
