#!/usr/bin/env bash
# Build the benchmark's contenders, each with the same configure options
# (those of scripts/build.sh plus the GTK display with OpenGL, which the
# upstream virgl device needs), x86_64-softmmu only, cached under
# build/bench/:
#
#   stock     QEMU 7.2.22 as Debian ships it: the series' base commit
#   ours      the base commit plus patches/ (git am; redone when patches/
#             changes)
#   upstream  QEMU 10.2.2 from Debian's source package qemu 1:10.2.2+ds-1
#             with Debian's patches (dpkg-source -x)
#
#   bench/build.sh [CONTENDER...]     default: all three
#   NINJA_JOBS (default 2), NICE (default 10)
#
# QEMU 10.2 wants meson >= 1.5.0; bookworm has 1.0.1 and the +ds tarball
# has no python/wheels, and PyPI may be out of reach: trixie's meson 1.7.0
# (pure Python) is downloaded with apt (trixie pinned at 100, nothing
# installed) and unpacked into build/bench/meson-deb, and configure runs on
# a private venv (build/bench/pyvenv) that sees it (symlinks in its
# site-packages); mkvenv nests its own venv on top of that one.
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

B=$BUILD/bench
UP_VERSION=1:10.2.2+ds-1
UP_DSC=qemu_10.2.2+ds-1.dsc
UP_POOL=https://deb.debian.org/debian/pool/main/q/qemu
NINJA_JOBS=${NINJA_JOBS:-2}
NICE=${NICE:-10}

"$TOP/scripts/deps.sh" build
# The GTK display (gl=on under Xvfb) for every contender.
need_pkgs libgtk-3-dev

ts() { date +%s; }

# The stock and ours worktrees of build/qemu's repository.  Both start at
# the base commit (the first one), which never changes.
worktree() {                            # DIR
    local dir=$1 base
    [ -d "$BUILD/qemu/.git" ] || die "no build/qemu: run 'make tree' first"
    base=$(git -C "$BUILD/qemu" rev-list --max-parents=0 HEAD | tail -n 1)
    if [ ! -e "$dir/.git" ]; then
        rm -rf "$dir"
        git -C "$BUILD/qemu" worktree prune
        git -C "$BUILD/qemu" worktree add -q --detach "$dir" "$base" >&2
    fi
    echo "$base"
}

prepare_stock() {
    local dir=$B/stock/qemu base
    base=$(worktree "$dir")
    if [ "$(git -C "$dir" rev-parse HEAD)" != "$base" ]; then
        git -C "$dir" checkout -q --detach "$base"
    fi
}

# ours: the series as patches/ holds it, not whatever build/qemu holds
# right now (the lead's work in progress).
prepare_ours() {
    local dir=$B/ours/qemu base want p
    base=$(worktree "$dir")
    want=$(cd "$TOP/patches" && { cat series
        sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' series |
            while read -r p; do cat "$p"; done; } | sha256sum | cut -c1-16)
    if [ "$(cat "$B/ours/.patches" 2>/dev/null)" = "$want" ] &&
       [ -z "$(git -C "$dir" status --porcelain)" ]; then
        return 0
    fi
    say "ours: applying patches/ on the base commit"
    git -C "$dir" am --abort >/dev/null 2>&1 || true
    git -C "$dir" checkout -q -f --detach "$base"
    sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$TOP/patches/series" |
        while read -r p; do echo "$TOP/patches/$p"; done |
        xargs git -C "$dir" -c user.name=bench -c user.email=bench@localhost am -q
    echo "$want" > "$B/ours/.patches"
}

prepare_upstream() {
    local dir=$B/upstream/qemu src=$B/src
    if [ "$(cat "$dir/.bench-version" 2>/dev/null)" = "$UP_VERSION" ]; then
        return 0
    fi
    mkdir -p "$src"
    local f
    for f in "$UP_DSC" qemu_10.2.2+ds.orig.tar.xz qemu_10.2.2+ds-1.debian.tar.xz; do
        [ -s "$src/$f" ] && continue
        say "downloading $f"
        curl -fsSL -o "$src/$f.part" "$UP_POOL/$f" || die "cannot download $UP_POOL/$f"
        mv "$src/$f.part" "$src/$f"
    done
    # The .dsc's SHA-256 sums for the tarballs (the .dsc itself comes over
    # https from Debian's mirror).
    (cd "$src" && awk '/^Checksums-Sha256:/ { s = 1; next } /^[^ ]/ { s = 0 }
                        s && NF == 3 { print $1 "  " $3 }' "$UP_DSC" | sha256sum -c --quiet) ||
        die "checksum mismatch for the upstream source"
    say "unpacking $UP_DSC with Debian's patches"
    rm -rf "$dir"
    mkdir -p "$(dirname "$dir")"
    dpkg-source --no-check -x "$src/$UP_DSC" "$dir" > "$B/upstream/unpack.log" 2>&1 ||
        die "dpkg-source failed (log: $B/upstream/unpack.log)"
    echo "$UP_VERSION" > "$dir/.bench-version"
}

# Meson >= 1.5 for QEMU 10.2, without touching the host's packages.
prepare_meson() {
    local venv=$B/pyvenv deb=$B/meson-deb pth
    if [ ! -d "$deb/root/usr/lib/python3/dist-packages/mesonbuild" ]; then
        ensure_trixie
        mkdir -p "$deb"
        (cd "$deb" && rm -f meson_*.deb && apt-get download -q meson/trixie >&2) ||
            die "cannot download meson from trixie"
        rm -rf "$deb/root"
        dpkg -x "$deb"/meson_*_all.deb "$deb/root"
    fi
    if [ ! -x "$venv/bin/python3" ]; then
        need_pkgs python3-venv
        "$PYTHON" -m venv --system-site-packages "$venv"
    fi
    # Links, not a .pth file: mkvenv's nested venv adds this directory to
    # its path, but does not read the .pth files in it.
    pth=$("$venv/bin/python3" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    rm -f "$pth/meson-trixie.pth"
    for f in "$deb"/root/usr/lib/python3/dist-packages/*; do
        ln -sfn "$f" "$pth/$(basename "$f")"
    done
    "$venv/bin/python3" -c 'import mesonbuild' || die "meson not usable in $venv"
}

firmware=(/usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu)

build_one() {                           # NAME
    local name=$1 src=$B/$1/qemu obj=$B/$1/qemu-build cc=gcc opts want t0 kind
    opts=(
        --target-list=x86_64-softmmu
        --without-default-features
        --enable-tcg --enable-kvm
        --enable-opengl --enable-virglrenderer
        --enable-virtfs --enable-attr --enable-cap-ng
        --enable-slirp --enable-png
        --enable-gtk
        --enable-debug-info
        --disable-docs --disable-install-blobs
        --firmwarepath="$(IFS=:; echo "${firmware[*]}")"
    )
    if [ -x /usr/lib/ccache/gcc ]; then
        cc=/usr/lib/ccache/gcc
        export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
    fi
    opts+=(--cc="$cc")
    # Options the tree knows that the others do not: the tool, not the build.
    if grep -q -- '--meson=' "$src/configure"; then
        opts+=(--meson=/usr/bin/meson)
    else
        prepare_meson
        opts+=(--python="$B/pyvenv/bin/python3")
    fi
    # pixman: always built in before 8.x, an option (default on) later.
    if grep -q "^option('pixman'" "$src/meson_options.txt"; then
        opts+=(--enable-pixman)
    fi
    # rutabaga_gfx (ours) stays "auto", as in scripts/build.sh: Debian has
    # no rutabaga_gfx_ffi.
    want=$(printf '%s\n' "${opts[@]}" | sha256sum | cut -c1-16)
    t0=$(ts)
    kind=incremental
    if [ ! -f "$obj/build.ninja" ] || [ "$(cat "$obj/.bench-config" 2>/dev/null)" != "$want" ]; then
        kind=full
        say "$name: configuring $obj"
        rm -rf "$obj"
        mkdir -p "$obj"
        (cd "$obj" && nice -n "$NICE" "$src/configure" "${opts[@]}" > configure.log 2>&1) || {
            tail -n 30 "$obj/configure.log" >&2
            die "$name: configure failed (log: $obj/configure.log)"
        }
        echo "$want" > "$obj/.bench-config"
    fi
    say "$name: building in $obj (ninja -j$NINJA_JOBS, nice $NICE)"
    # shellcheck disable=SC2086
    nice -n "$NICE" ninja -C "$obj" -j "$NINJA_JOBS" qemu-system-x86_64 \
        ${BENCH_NINJA_TARGETS:-} > "$obj/ninja.log" 2>&1 || {
        tail -n 30 "$obj/ninja.log" >&2
        die "$name: build failed (log: $obj/ninja.log)"
    }
    for d in "${firmware[@]}"; do
        mkdir -p "$obj/qemu-bundle$(dirname "$d")"
        ln -sfn "$d" "$obj/qemu-bundle$d"
    done
    mkdir -p "$B/bin"
    ln -sfn "../$name/qemu-build/qemu-system-x86_64" "$B/bin/qemu-$name"
    say "$name: $B/bin/qemu-$name ($(( $(ts) - t0 )) s)"
    # "NAME SECONDS full|incremental" (full: configured and built from
    # scratch, with whatever ccache held)
    echo "$name $(( $(ts) - t0 )) $kind" >> "$B/build-times"
}

[ $# -gt 0 ] || set -- stock ours upstream
for c in "$@"; do
    case $c in
        stock|ours|upstream) "prepare_$c"; build_one "$c" ;;
        *) die "unknown contender: $c (stock, ours, upstream)" ;;
    esac
done
