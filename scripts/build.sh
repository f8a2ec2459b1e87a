#!/usr/bin/env bash
# Configure (when needed) and build qemu-system-x86_64 from build/qemu.
#
#   build.sh [SRC [OBJ]]   default: build/qemu into build/qemu-build,
#                          and build/bin/qemu-system-x86_64 points at it
#   NINJA_TARGETS=...      extra ninja targets (qtests, say)
#   CONFIGURE_EXTRA=...    extra configure options, e.g. --enable-rutabaga-gfx
#                          (with PKG_CONFIG_PATH naming the library's .pc)
. "$(dirname "$0")/lib.sh"

src=${1:-$BUILD/qemu}
obj=${2:-$BUILD/qemu-build}
[ -f "$src/configure" ] || die "no QEMU source in $src: run 'make tree'"

"$TOP/scripts/deps.sh" build

cc=gcc
if [ -x /usr/lib/ccache/gcc ]; then
    cc=/usr/lib/ccache/gcc
    # The bisect worktree sits at the same depth as build/qemu: with paths
    # taken relative to build/, its objects come from the cache.
    export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
fi

# Debian's firmware packages (seabios, qemu-system-data, ipxe-qemu).
firmware=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)

# Everything not named here is off: the build stays short.
opts=(
    --target-list=x86_64-softmmu
    --meson=/usr/bin/meson
    --cc="$cc"
    --without-default-features
    --enable-tcg --enable-kvm
    --enable-opengl --enable-virglrenderer
    --enable-virtfs --enable-attr --enable-cap-ng
    --enable-slirp --enable-png
    --enable-debug-info
    --disable-docs --disable-install-blobs
    --firmwarepath="$(IFS=:; echo "${firmware[*]}")"
)
# Optional libraries not named here are "auto": rutabaga_gfx, which Debian
# lacks, is off unless CONFIGURE_EXTRA asks for it (tests/rutabaga-glue.sh).
# shellcheck disable=SC2206  # CONFIGURE_EXTRA is a word list
opts+=(${CONFIGURE_EXTRA:-})

want=$({ printf '%s\n' "${opts[@]}"
         [ -z "${PKG_CONFIG_PATH:-}" ] || echo "PKG_CONFIG_PATH=$PKG_CONFIG_PATH"
       } | sha256sum | cut -c1-16)
if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.series-config" 2>/dev/null)" != "$want" ]; then
    say "configuring $obj"
    rm -rf "$obj"
    mkdir -p "$obj"
    (cd "$obj" && "$src/configure" "${opts[@]}" \
        > configure.log 2>&1) || {
        tail -n 30 "$obj/configure.log" >&2
        die "configure failed (log: $obj/configure.log)"
    }
    echo "$want" > "$obj/.series-config"
fi

say "building in $obj"
# shellcheck disable=SC2086  # NINJA_TARGETS is a word list
ninja -C "$obj" ${NINJA_JOBS:+-j "$NINJA_JOBS"} qemu-system-x86_64 \
    ${NINJA_TARGETS:-} >&2 ||
    die "build failed in $obj"

# A binary next to a qemu-bundle/ directory looks up every configured path
# inside it, the firmware path too: point those at Debian's directories.
for d in "${firmware[@]}"; do
    mkdir -p "$obj/qemu-bundle$(dirname "$d")"
    ln -sfn "$d" "$obj/qemu-bundle$d"
done

if [ "$obj" = "$BUILD/qemu-build" ]; then
    mkdir -p "$BUILD/bin"
    ln -sfn ../qemu-build/qemu-system-x86_64 "$BUILD/bin/qemu-system-x86_64"
fi
