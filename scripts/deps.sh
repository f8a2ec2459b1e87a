#!/usr/bin/env bash
# Install the Debian packages a step needs (idempotent).
#   deps.sh build|check|demo...
. "$(dirname "$0")/lib.sh"

build_pkgs=(
    git ca-certificates make gcc g++ ccache ninja-build meson pkg-config
    python3 flex bison
    libglib2.0-dev libpixman-1-dev zlib1g-dev libfdt-dev
    libepoxy-dev libgbm-dev libdrm-dev libvirglrenderer-dev
    libslirp-dev libpng-dev libattr1-dev libcap-ng-dev
    # Firmware the +dfsg source lacks.
    seabios qemu-system-data ipxe-qemu
    # Headless GL: Mesa's llvmpipe through surfaceless EGL.
    libegl-mesa0 libgl1-mesa-dri
)
check_pkgs=(perl python3)
demo_pkgs=(cpio kmod xz-utils python3)

for step in "$@"; do
    case "$step" in
    build) need_pkgs "${build_pkgs[@]}" ;;
    check) need_pkgs "${check_pkgs[@]}" ;;
    demo) need_pkgs "${demo_pkgs[@]}" ;;
    *) die "deps.sh: unknown step $step" ;;
    esac
done
