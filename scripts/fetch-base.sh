#!/usr/bin/env bash
# Obtain Debian bookworm's qemu source package, verify it against its .dsc,
# unpack it and apply Debian's patch queue.  The result is a plain source
# tree in build/base/src, reused as long as its stamp matches.
#
# BASE_VERSION=...      the Debian version wanted (default: the series' base)
# ACCEPT_BASE_VERSION=V accept version V when BASE_VERSION can't be had
. "$(dirname "$0")/lib.sh"

dl=$BUILD/base/download
src=$BUILD/base/src
stamp=$BUILD/base/stamp

if [ -f "$stamp" ] && [ -d "$src" ] &&
   [ "$(cat "$stamp")" = "$BASE_VERSION" ]; then
    exit 0
fi

need_pkgs dpkg-dev patch xz-utils ca-certificates
ensure_deb_src

# What version does apt offer?  Prefer the exact one.
avail=$(apt-cache showsrc "$BASE_PKG" | sed -n 's/^Version: //p' | sort -u)
version=$BASE_VERSION
if ! printf '%s\n' "$avail" | grep -qxF "$BASE_VERSION"; then
    found=$(printf '%s\n' "$avail" | sort -V | tail -n 1)
    if [ -n "${ACCEPT_BASE_VERSION:-}" ] &&
       printf '%s\n' "$avail" | grep -qxF "$ACCEPT_BASE_VERSION"; then
        warn "using $BASE_PKG $ACCEPT_BASE_VERSION instead of $BASE_VERSION"
        version=$ACCEPT_BASE_VERSION
    else
        die "the series needs $BASE_PKG $BASE_VERSION, but apt offers" \
            "${found:-nothing}. To build on $found anyway, run again with" \
            "ACCEPT_BASE_VERSION=$found"
    fi
fi

rm -rf "$dl" "$src"
mkdir -p "$dl"
say "downloading $BASE_PKG $version"
(cd "$dl" && apt-get source -qq --download-only \
    -o APT::Sandbox::User=root "$BASE_PKG=$version" >&2)

# apt checked the files against the archive's index; check them against the
# .dsc as well, so that a stray file in the download directory can't slip in.
noepoch=${version#*:}
dsc=$dl/${BASE_PKG}_$noepoch.dsc
[ -f "$dsc" ] || die "no $dsc after download"
say "verifying against $(basename "$dsc")"
sums=$(awk '/^Checksums-Sha256:/ { on = 1; next }
            /^[^ ]/ { on = 0 }
            on && NF == 3 { print $1 "  " $3 }' "$dsc")
[ -n "$sums" ] || die "$dsc lists no SHA-256 checksums"
(cd "$dl" && printf '%s\n' "$sums" | sha256sum --check --strict --quiet) ||
    die "checksum mismatch against $dsc"

# Unpack without patches, then apply debian/patches/series ourselves so that
# every patch of Debian's queue visibly applies (or the script stops).
say "unpacking"
dpkg-source -q --skip-patches -x "$dsc" "$src" >&2
series=$src/debian/patches/series
n=0
while read -r patch opts; do
    case "$patch" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086  # opts are patch(1) options from the series
    patch -d "$src" -p1 -s -t -N -F0 -E --no-backup-if-mismatch ${opts:-} \
        < "$src/debian/patches/$patch" ||
        die "Debian patch $patch does not apply"
    n=$((n + 1))
done < "$series"
say "applied $n patches of Debian's queue; VERSION is $(cat "$src/VERSION")"
printf '%s\n' "$version" > "$stamp"
