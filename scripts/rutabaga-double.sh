#!/usr/bin/env bash
# Build the rutabaga_gfx test double (tests/rutabaga-double/) into
# build/rutabaga-double/install: librutabaga_gfx_ffi.so.0, its header and
# a rutabaga_gfx_ffi.pc, laid out like an installed rutabaga_gfx.
#
#   rutabaga-double.sh          print the directory for PKG_CONFIG_PATH
#
# Like the real .pc, the double's has no rpath: run programs linked with
# it with LD_LIBRARY_PATH=<prefix>/lib.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

src=$TOP/tests/rutabaga-double
prefix=$BUILD/rutabaga-double/install

"$TOP/scripts/deps.sh" build >&2

lib=$prefix/lib/librutabaga_gfx_ffi.so.0
inputs=("$src/rutabaga_double.c" "$src/include/rutabaga_gfx/rutabaga_gfx_ffi.h"
        "$0")
stale=
[ -f "$lib" ] || stale=1
for f in "${inputs[@]}"; do
    [ -n "$stale" ] || [ "$f" -nt "$lib" ] && stale=1
done

if [ -n "$stale" ]; then
    say "building the rutabaga_gfx test double in $prefix"
    rm -rf "$prefix"
    mkdir -p "$prefix/lib/pkgconfig" "$prefix/include/rutabaga_gfx"
    cp "$src/include/rutabaga_gfx/rutabaga_gfx_ffi.h" \
        "$prefix/include/rutabaga_gfx/"
    gcc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror \
        -fPIC -fvisibility=hidden -pthread -shared \
        -I"$src/include" -Wl,-soname,librutabaga_gfx_ffi.so.0 \
        -o "$lib.tmp" "$src/rutabaga_double.c"
    mv "$lib.tmp" "$lib"
    ln -sfn librutabaga_gfx_ffi.so.0 "$prefix/lib/librutabaga_gfx_ffi.so"
    cat > "$prefix/lib/pkgconfig/rutabaga_gfx_ffi.pc" <<EOF
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib
rutabaga_gfx_test_double=yes

Name: rutabaga_gfx_ffi
Description: rutabaga_gfx C API (the project's test double)
Version: 0.1.85
Cflags: -I\${includedir}
Libs: -L\${libdir} -lrutabaga_gfx_ffi
EOF
fi
echo "$prefix/lib/pkgconfig"
