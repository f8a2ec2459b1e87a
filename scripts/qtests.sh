#!/usr/bin/env bash
# Build and run the qtests that cover the series' area, as PASS/FAIL lines.
# Each line of tests/qtests.list is: <qtest binary> [gtest path prefix...]
. "$(dirname "$0")/lib.sh"

obj=$BUILD/qemu-build
list=$TOP/tests/qtests.list
mapfile -t lines < <(sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$list")

NINJA_TARGETS=$(qtest_targets) "$TOP/scripts/build.sh" >&2

export QTEST_QEMU_BINARY=$obj/qemu-system-x86_64
export G_TEST_SRCDIR=$BUILD/qemu/tests/qtest G_TEST_BUILDDIR=$obj/tests/qtest
mkdir -p "$BUILD/logs"
status=0
for l in "${lines[@]}"; do
    read -r t prefixes <<< "$l"
    args=(--tap -k)
    for p in $prefixes; do
        # A prefix selects every test path below it (GLib's -p is exact).
        while read -r path; do
            args+=(-p "$path")
        done < <("$obj/tests/qtest/$t" -l | grep "^/" | grep -F -- "$p" || true)
    done
    if [ -n "$prefixes" ] && [ ${#args[@]} -eq 2 ]; then
        echo "FAIL: $t has no test matching '$prefixes'"
        status=1
        continue
    fi
    say "qtest $t"
    log=$BUILD/logs/qtest-$t.log
    rc=0
    timeout 900 "$obj/tests/qtest/$t" "${args[@]}" > "$log" 2>&1 || rc=$?
    "$PYTHON" "$TOP/scripts/tap.py" "$t" "$rc" < "$log" | tee "$log.result"
    grep -q '^FAIL' "$log.result" && status=1
done
exit $status
