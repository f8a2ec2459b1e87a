#!/bin/bash
# QEMU built with AddressSanitizer and LeakSanitizer (build/asan/), and
# qos-test's cases run against it: every case with ASan, then the cases of
# the devices that load no Mesa driver (the 2D device, cross-domain) with
# leak detection too.  The OpenGL devices are left out of the leak run:
# llvmpipe's threads leave allocations behind whose frames lie in a
# driver that is unloaded by then, which LeakSanitizer can't name or
# suppress.  Not part of make check: the extra build takes about ten
# minutes on two cores.
# usage: scripts/asan.sh   (make asan)
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"

src=$BUILD/asan/qemu
obj=$BUILD/asan/qemu-build
OUT=$BUILD/tests/asan
CHECK_PREFIX="asan: "

[ -d "$BUILD/qemu/.git" ] || die "no build/qemu: run make tree first"
if [ ! -e "$src/.git" ]; then
    git -C "$BUILD/qemu" worktree add --detach "$src" HEAD >&2
fi
git -C "$src" checkout -q --detach "$(git -C "$BUILD/qemu" rev-parse HEAD)"
CONFIGURE_EXTRA="--enable-sanitizers --disable-werror" \
NINJA_TARGETS="qemu-system-x86_64 tests/qtest/qos-test" \
    "$TOP/scripts/build.sh" "$src" "$obj" >&2

rm -rf "$OUT"
mkdir -p "$OUT"
T0=$SECONDS
qos() {                         # LOG ASAN_OPTIONS qos-test-args...
    local log=$1 opts=$2
    shift 2
    (cd "$obj" && ASAN_OPTIONS=$opts QTEST_QEMU_BINARY=./qemu-system-x86_64 \
        timeout 3600 ./tests/qtest/qos-test --tap "$@") > "$log" 2>&1
}

qos "$OUT/all.log" detect_leaks=0
check "qos-test: every case passes ($(grep -c '^ok' "$OUT/all.log") ok)" \
    eval "! grep -q '^not ok\|^Bail out' '$OUT/all.log'"
check "qos-test: no AddressSanitizer report" \
    eval "! grep -q 'ERROR: AddressSanitizer' '$OUT/all.log'"

paths=()
for c in $(cd "$obj" && QTEST_QEMU_BINARY=./qemu-system-x86_64 \
           ./tests/qtest/qos-test -l 2>/dev/null |
           grep '/virtio-gpu-pci/\|/cross-domain-' |
           grep -v 'cross-domain-virgl-\|cross-domain-gbm-\|weston'); do
    paths+=(-p "$c")
done
qos "$OUT/leaks.log" detect_leaks=1 "${paths[@]}"
check "2D and cross-domain cases pass with leak detection" \
    eval "grep -q '^ok' '$OUT/leaks.log' &&
          ! grep -q '^not ok\|^Bail out' '$OUT/leaks.log'"
check "no leak reported ($(grep -c '^ok' "$OUT/leaks.log") cases)" \
    eval "! grep -q 'ERROR: LeakSanitizer' '$OUT/leaks.log'"
test_summary "$OUT" "$T0"
