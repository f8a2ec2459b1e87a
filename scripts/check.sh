#!/usr/bin/env bash
# Everything CI runs, in order.  Every step prints PASS:/FAIL:/SKIP: lines;
# the last line is the total: "N passed, N failed".
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh" build check demo

# The series under test is patches/: build/qemu must hold exactly it.
if ! git -C "$BUILD/qemu" rev-parse --git-dir >/dev/null 2>&1; then
    "$TOP/scripts/series.sh" tree
fi
state=$("$TOP/scripts/series.sh" status)
if printf '%s\n' "$state" | grep -qv ' commits after the base'; then
    printf '%s\n' "$state" >&2
    die "build/qemu and patches/ differ: 'make export' or 'make tree' first"
fi

mkdir -p "$BUILD/logs"
results=$BUILD/logs/check-results
: > "$results"

# step NAME COMMAND...: run a step, keep its PASS/FAIL/SKIP lines.
step() {
    local name=$1 rc=0 log=$BUILD/logs/check-$1.log
    shift
    say "check: $name"
    "$@" 2> >(tee "$log.err" >&2) | tee "$log" || rc=$?
    grep -E '^(PASS|FAIL|SKIP): ' "$log" >> "$results" || true
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$log"; then
        echo "FAIL: $name stopped with status $rc" | tee -a "$results"
    fi
}

step checkpatch "$TOP/scripts/checkpatch.sh"
step bisect "$TOP/scripts/bisect.sh"
step qtests "$TOP/scripts/qtests.sh"
for t in "$TOP"/tests/*.sh; do
    [ -x "$t" ] || continue
    step "$(basename "$t" .sh)" "$t"
done

passed=$(grep -c '^PASS: ' "$results" || true)
failed=$(grep -c '^FAIL: ' "$results" || true)
skipped=$(grep -c '^SKIP: ' "$results" || true)
echo
if [ "$failed" -gt 0 ]; then
    echo "Failures:"
    grep '^FAIL: ' "$results" | sed 's/^/  /'
fi
# Skips are neither passes nor failures: say how many, apart.
[ "$skipped" -gt 0 ] && echo "($skipped skipped: see the SKIP: lines)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
