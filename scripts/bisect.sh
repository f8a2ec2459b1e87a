#!/usr/bin/env bash
# Check that every patch builds on top of the previous one: one full build
# of the first patch in a separate worktree, then one incremental build per
# patch.  build/qemu itself is not touched.
. "$(dirname "$0")/lib.sh"

tree=$BUILD/qemu
wt=$BUILD/bisect/qemu
obj=$BUILD/bisect/qemu-build

base=$(git -C "$tree" rev-list --max-parents=0 HEAD | tail -n 1)
mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..HEAD")
if [ ${#commits[@]} -eq 0 ]; then
    say "bisect: the series has no patches yet"
    exit 0
fi

if ! git -C "$wt" rev-parse --git-dir >/dev/null 2>&1; then
    rm -rf "$wt"
    git -C "$tree" worktree prune
    mkdir -p "$(dirname "$wt")"
    git -C "$tree" worktree add -q --detach "$wt" "${commits[0]}"
fi

status=0
n=0
for c in "${commits[@]}"; do
    n=$((n + 1))
    name=$(sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' \
           "$TOP/patches/series" | sed -n "${n}p")
    git -C "$wt" checkout -q --detach -f "$c"
    # The emulator and the qtests: test patches must build too.
    if NINJA_TARGETS=$(qtest_targets) "$TOP/scripts/build.sh" "$wt" "$obj" \
        > "$BUILD/bisect/$n.log" 2>&1; then
        echo "PASS: bisect $name builds"
    else
        echo "FAIL: bisect $name does not build (log: build/bisect/$n.log)"
        grep -E 'error|FAILED' "$BUILD/bisect/$n.log" | head -n 20 | sed 's/^/    /'
        status=1
    fi
done
exit $status
