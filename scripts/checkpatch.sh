#!/usr/bin/env bash
# Run QEMU's scripts/checkpatch.pl on every patch of the series.  A patch
# passes with no errors and no warnings, except those listed in
# patches/checkpatch-exceptions, each with its reason:
#
#   <patch file> | <extended regex matching the message> | <why>
. "$(dirname "$0")/lib.sh"

tree=$BUILD/qemu
pdir=$TOP/patches
exceptions=$pdir/checkpatch-exceptions
[ -x "$tree/scripts/checkpatch.pl" ] || die "no build/qemu: run 'make tree'"

# Check the exception file itself: three fields, a reason for each.
if [ -f "$exceptions" ]; then
    bad=$(sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$exceptions" |
          awk -F'|' 'NF != 3 || $3 ~ /^[[:space:]]*$/' || true)
    [ -z "$bad" ] || die "malformed checkpatch exceptions (need patch | regex | reason): $bad"
fi

status=0
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    out=$(cd "$tree" && perl scripts/checkpatch.pl --no-color "$pdir/$p" 2>&1) || true
    msgs=$(printf '%s\n' "$out" | grep -E '^(ERROR|WARNING): ' || true)
    if [ -f "$exceptions" ] && [ -n "$msgs" ]; then
        while IFS='|' read -r file re _; do
            file=$(echo "$file" | xargs)
            re=$(echo "$re" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
            case "$file" in ''|'#'*) continue ;; esac
            [ "$file" = "$p" ] || continue
            msgs=$(printf '%s\n' "$msgs" | grep -Ev -- "$re" || true)
        done < "$exceptions"
    fi
    if [ -z "$msgs" ]; then
        echo "PASS: checkpatch $p"
    else
        echo "FAIL: checkpatch $p"
        printf '%s\n' "$out" | sed 's/^/    /'
        status=1
    fi
done < "$pdir/series"
exit $status
