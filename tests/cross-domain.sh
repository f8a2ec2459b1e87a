#!/bin/bash
# Cross-domain contexts (capset 5) against a real compositor: start Debian's
# Weston headless (scripts/weston-headless.sh) on a private XDG_RUNTIME_DIR
# and run the cross-domain qtests with QTEST_WAYLAND_SOCKET set, so that
# the cases that talk to Weston run too (globals and a sync callback
# through RECEIVE, a wl_shm buffer made of a blob written through the
# BAR, and Weston's screenshot of it, compared pixel by pixel).  The other
# cases play the compositor themselves.
# env: QEMU_SRC, QEMU_BUILD (default build/qemu and build/qemu-build)
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../scripts/lib.sh"

src=${QEMU_SRC:-$BUILD/qemu}
obj=${QEMU_BUILD:-$BUILD/qemu-build}
qos=$obj/tests/qtest/qos-test
log=$BUILD/logs/cross-domain.log
fails=0

if [ ! -f "$src/hw/display/virtio-gpu-cross-domain.c" ]; then
    echo "FAIL: cross-domain: the series in $src has no cross-domain backend"
    exit 1
fi

need_pkgs weston
NINJA_TARGETS=tests/qtest/qos-test "$TOP/scripts/build.sh" "$src" "$obj" >&2

weston_start cross-domain
echo "PASS: cross-domain: weston starts headless"

export QTEST_QEMU_BINARY=$obj/qemu-system-x86_64
export G_TEST_SRCDIR=$src/tests/qtest G_TEST_BUILDDIR=$obj/tests/qtest
export QTEST_WAYLAND_SOCKET=$WESTON_SOCKET
# qos-test's virtio run (scripts/qtests.sh) has the other cross-domain
# cases already: only those against Weston run here.
mapfile -t paths < <("$qos" -l | grep '/cross-domain-weston-')
args=(--tap -k)
nweston=${#paths[@]}
for p in "${paths[@]}"; do
    args+=(-p "$p")
done
# The cases that need the compositor register only with the socket set:
# they must be there, a missing one is no pass.
if [ "$nweston" -lt 3 ]; then
    echo "FAIL: cross-domain: the Weston cases are registered ($nweston of 3)"
    fails=$((fails + 1))
fi

mkdir -p "$BUILD/logs"
rc=0
[ "$nweston" -gt 0 ] &&
timeout 900 "$qos" "${args[@]}" > "$log" 2>&1 || rc=$?
"$PYTHON" "$TOP/scripts/tap.py" cross-domain "$rc" < "$log" | tee "$log.result"
grep -q '^FAIL' "$log.result" && fails=$((fails + 1))

if "$TOP/scripts/weston-headless.sh" status "$WESTON_DIR"; then
    echo "PASS: cross-domain: weston still runs after the tests"
else
    echo "FAIL: cross-domain: weston still runs after the tests"
    fails=$((fails + 1))
fi
cp "$WESTON_DIR/weston.log" "$BUILD/logs/cross-domain-weston.log" 2>/dev/null ||
    true

[ "$fails" -eq 0 ]
