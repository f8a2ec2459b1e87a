#!/usr/bin/env bash
# The bench's qtest program, bench/qtest/virtio-gpu-bench.c, built against
# our tree's libqos (build/bench/ours): compiled with the flags of the
# tree's own qos tests and linked like qos-test, with qos-test's main and
# none of its tests.
#
#   bench/qtest.sh build
#   bench/qtest.sh run map-unmap N [DEPTH]     RESULT lines on stdout
#   bench/qtest.sh run replay FILE REPS
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

B=$BUILD/bench
OBJ=$B/ours/qemu-build
OUT=$B/qtest
PROG=$OUT/virtio-gpu-bench
SRC=$TOP/bench/qtest/virtio-gpu-bench.c
NICE=${NICE:-10}

build() {
    [ -f "$OBJ/build.ninja" ] || die "no $OBJ: run bench/build.sh ours"
    mkdir -p "$OUT"
    say "qtest: building qos-test's libraries in $OBJ"
    nice -n "$NICE" ninja -C "$OBJ" -j "${NINJA_JOBS:-2}" tests/qtest/qos-test >&2 ||
        die "ninja tests/qtest/qos-test failed"
    local cc link
    # The compile command of one of the tree's qos tests, for ours.
    cc=$("$PYTHON" - "$OBJ" <<'EOF'
import json, sys
for e in json.load(open(sys.argv[1] + "/compile_commands.json")):
    if e["file"].endswith("tests/qtest/virtio-gpu-gl-test.c"):
        print(e["command"])
        break
EOF
)
    [ -n "$cc" ] || die "no compile command for tests/qtest/virtio-gpu-gl-test.c"
    cc=${cc%% -MD *}                    # flags only: drop -MD... -o... -c...
    # The link command of qos-test, with our object for its tests.
    link=$(ninja -C "$OBJ" -t commands tests/qtest/qos-test | tail -n 1)
    case $link in *"-o tests/qtest/qos-test "*) ;; *) die "unexpected qos-test link command" ;; esac
    link=$(sed -E -e 's#tests/qtest/qos-test\.p/qos-test\.c\.o#@MAIN@#' \
                  -e 's# tests/qtest/qos-test\.p/[^ ]*\.c\.o##g' \
                  -e "s#@MAIN@#tests/qtest/qos-test.p/qos-test.c.o $OUT/virtio-gpu-bench.o#" \
                  -e "s#-o tests/qtest/qos-test #-o $PROG #" <<< "$link")
    (cd "$OBJ" && eval "nice -n $NICE $cc -I$TOP/bench/host -o $OUT/virtio-gpu-bench.o -c $SRC") ||
        die "compiling $SRC failed"
    (cd "$OBJ" && eval "$link") || die "linking $PROG failed"
    say "qtest: $PROG"
}

run() {
    local what=$1 path
    shift
    [ -x "$PROG" ] || build
    export QTEST_QEMU_BINARY=$B/ours/qemu-build/qemu-system-x86_64
    path=$("$PROG" -l 2>/dev/null | grep "/bench-$what\$" | head -n 1)
    [ -n "$path" ] || die "no qos path for bench-$what (see $PROG -l)"
    case $what in
        map-unmap) export BENCH_N=${1:-1000} BENCH_DEPTH=${2:-2} ;;
        replay) export BENCH_REPLAY=$1 BENCH_REPS=${2:-5} ;;
    esac
    nice -n 5 "$PROG" -p "$path" --verbose
}

case ${1:-} in
    build) build ;;
    run) shift; run "$@" ;;
    *) die "usage: qtest.sh build | run map-unmap N [DEPTH] | run replay FILE REPS" ;;
esac
