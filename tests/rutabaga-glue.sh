#!/usr/bin/env bash
# The rutabaga_gfx backend of virtio-gpu-rutabaga against the project's
# test double of the library (tests/rutabaga-double/, which Debian lacks
# the real library for):
#   1. the double builds (scripts/rutabaga-double.sh);
#   2. QEMU builds with --enable-rutabaga-gfx, in build/rutabaga-double/
#      (a worktree of build/qemu's HEAD, so ccache reuses the main build);
#   3. the backend compiles against the headers of rutabaga_gfx 0.1.2,
#      0.1.3, 0.1.6 and 0.1.85 (the double's header mimics each);
#   4. the qtests of virtio-gpu-rutabaga in that build, the glue ones
#      (gfx-*) included.
# env: QEMU_TREE (default build/qemu): the tree whose HEAD is tested.
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/../scripts/lib.sh"

tree=${QEMU_TREE:-$BUILD/qemu}
dir=$BUILD/rutabaga-double
wt=$dir/qemu
obj=$dir/qemu-build
fails=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -d "$tree/.git" ] || [ -f "$tree/.git" ] ||
    die "no QEMU tree in $tree: run 'make tree'"
if ! git -C "$tree" grep -q "'rutabaga_gfx'" HEAD -- meson_options.txt; then
    echo "FAIL: rutabaga-glue: the series has no rutabaga_gfx option"
    exit 1
fi

if pc=$("$TOP/scripts/rutabaga-double.sh"); then
    pass "the rutabaga_gfx test double builds"
else
    fail "the rutabaga_gfx test double builds"
    exit 1
fi
libdir=$dir/install/lib

rev=$(git -C "$tree" rev-parse HEAD)
if ! git -C "$wt" rev-parse --git-dir > /dev/null 2>&1; then
    rm -rf "$wt"
    git -C "$tree" worktree prune
    mkdir -p "$dir"
    git -C "$tree" worktree add -q --detach "$wt" "$rev"
fi
git -C "$wt" checkout -q --detach -f "$rev"

mkdir -p "$dir/logs"
if PKG_CONFIG_PATH=$pc CONFIGURE_EXTRA=--enable-rutabaga-gfx \
   NINJA_TARGETS=tests/qtest/qos-test \
   "$TOP/scripts/build.sh" "$wt" "$obj" > "$dir/logs/build.log" 2>&1; then
    pass "QEMU builds with the rutabaga_gfx test double"
else
    fail "QEMU builds with the rutabaga_gfx test double" \
         "(log: build/rutabaga-double/logs/build.log)"
    grep -E 'error|FAILED' "$dir/logs/build.log" | head -n 20 | sed 's/^/    /'
    exit 1
fi

# The backend against each release's header: its compile command, checking
# syntax only, with the double's header set to mimic that release.
for v in 2 3 6 85; do
    if "$PYTHON" - "$obj" "$v" > "$dir/logs/header-$v.log" 2>&1 <<'EOF'
import json, shlex, subprocess, sys
obj, version = sys.argv[1], sys.argv[2]
for e in json.load(open(obj + '/compile_commands.json')):
    if e['file'].endswith('hw/display/virtio-gpu-rutabaga-gfx.c'):
        break
else:
    sys.exit('no compile command for virtio-gpu-rutabaga-gfx.c')
args, skip = [], False
for a in shlex.split(e['command']):
    if skip:
        skip = False
    elif a in ('-o', '-MF', '-MQ'):
        skip = True
    elif a not in ('-c', '-MD'):
        args.append(a)
args += ['-fsyntax-only', '-DRUTABAGA_DOUBLE_HEADER=' + version]
sys.exit(subprocess.call(args, cwd=e['directory']))
EOF
    then
        pass "the rutabaga_gfx backend compiles against the 0.1.$v header"
    else
        fail "the rutabaga_gfx backend compiles against the 0.1.$v header" \
             "(log: build/rutabaga-double/logs/header-$v.log)"
    fi
done

# The qtests of the device, in the build with the library
export LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export QTEST_QEMU_BINARY=$obj/qemu-system-x86_64
export G_TEST_SRCDIR=$wt/tests/qtest G_TEST_BUILDDIR=$obj/tests/qtest
qos=$obj/tests/qtest/qos-test
mapfile -t paths < <("$qos" -l | grep '^/.*/virtio-gpu-rutabaga/' || true)
if ! printf '%s\n' "${paths[@]}" | grep -q '/gfx-blob$'; then
    fail "the glue qtests are built (qos-test lists no gfx-blob test)"
else
    args=(--tap -k)
    for p in "${paths[@]}"; do
        args+=(-p "$p")
    done
    rc=0
    timeout 900 "$qos" "${args[@]}" > "$dir/logs/qtests.log" 2>&1 || rc=$?
    "$PYTHON" "$TOP/scripts/tap.py" "rutabaga-glue" "$rc" \
        < "$dir/logs/qtests.log" | tee "$dir/logs/qtests.result"
    fails=$((fails + $(grep -c '^FAIL' "$dir/logs/qtests.result" || true)))
fi

[ "$fails" -eq 0 ]
