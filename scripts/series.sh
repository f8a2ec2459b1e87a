#!/usr/bin/env bash
# The patch queue: patches/ (what lasts) and build/qemu (where one works).
#
#   series.sh tree     (re)create build/qemu: base commit + patches/ via git am
#   series.sh export   rewrite patches/ from the commits after the base
#   series.sh status   say whether build/qemu and patches/ agree
#
# Neither command throws work away: 'tree' refuses while build/qemu holds
# edits or commits that patches/ lacks, 'export' refuses while patches/ holds
# patches that build/qemu lacks.  FORCE=1 overrides both.
. "$(dirname "$0")/lib.sh"

tree=$BUILD/qemu
pdir=$TOP/patches
synced=$tree/.git/series-synced   # patch-ids of the last tree/export

g() { git -C "$tree" "$@"; }

base_commit() { g rev-list --max-parents=0 HEAD 2>/dev/null | tail -n 1; }

# Stable patch-ids, one per line, sorted.
ids_of_tree() {
    local base c
    base=$(base_commit)
    g rev-list --reverse "$base..HEAD" | while read -r c; do
        g show "$c" | git patch-id --stable | cut -d' ' -f1
    done | sort
}
ids_of_patches() {
    local p
    series_files | while read -r p; do
        git patch-id --stable < "$pdir/$p" | cut -d' ' -f1
    done | sort
}
series_files() {
    [ -f "$pdir/series" ] || return 0
    sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$pdir/series"
}

tree_is_dirty() {
    [ -n "$(g status --porcelain 2>/dev/null)" ]
}

# Commits in the tree that are neither in patches/ nor known from the last
# sync: work that only the tree holds.
unexported() {
    comm -23 <(ids_of_tree) <(sort -u <(ids_of_patches) "$synced" 2>/dev/null)
}
# Patches that the tree neither has nor had at the last sync.
unapplied() {
    comm -23 <(ids_of_patches) <(sort -u <(ids_of_tree) "$synced" 2>/dev/null)
}

record_sync() { ids_of_tree > "$synced"; }

make_base() {
    local version
    "$TOP/scripts/fetch-base.sh"
    version=$(cat "$BUILD/base/stamp")
    say "creating $tree with the base commit ($BASE_PKG $version)"
    rm -rf "$tree"
    mkdir -p "$tree"
    cp -a "$BUILD/base/src/." "$tree/"
    g init -q -b master
    # The series' authors: Signed-off-by lines must match the commits.
    g config user.name "virtio-gpu series"
    g config user.email "series@localhost"
    g add -A -f
    # A fixed identity and date: the base commit is the same everywhere.
    GIT_AUTHOR_NAME="Debian QEMU Team" \
    GIT_AUTHOR_EMAIL="pkg-qemu-devel@lists.alioth.debian.org" \
    GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
    GIT_COMMITTER_NAME="Debian QEMU Team" \
    GIT_COMMITTER_EMAIL="pkg-qemu-devel@lists.alioth.debian.org" \
    GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
        g commit -q -m "Base: Debian $BASE_PKG $version (QEMU $(cat "$tree/VERSION"))" \
        -m "Debian's source package with its debian/patches/series applied."
    g tag -f base >/dev/null
    echo "$version" > "$tree/.git/series-base"
}

cmd_tree() {
    local want_base have_base="" p
    if [ -d "$tree/.git" ] && [ -z "${FORCE:-}" ]; then
        if tree_is_dirty; then
            g status --short | head -20 >&2
            die "build/qemu has uncommitted edits; commit them and run" \
                "'make export', or discard them (FORCE=1 make tree)"
        fi
        if [ -n "$(unexported)" ]; then
            die "build/qemu has commits that patches/ lacks; run" \
                "'make export' first, or discard them (FORCE=1 make tree)"
        fi
    fi
    want_base=$BASE_VERSION
    [ -f "$tree/.git/series-base" ] && have_base=$(cat "$tree/.git/series-base")
    [ -f "$BUILD/base/stamp" ] && want_base=$(cat "$BUILD/base/stamp")
    if [ -d "$tree/.git" ] && [ "$have_base" = "$want_base" ] &&
       [ -n "$(base_commit)" ]; then
        # Reuse the repository: files the series doesn't touch keep their
        # timestamps, so the next build stays incremental.
        g am --abort >/dev/null 2>&1 || true
        g checkout -q -f master
        g reset -q --hard "$(base_commit)"
        g clean -q -fdx
    else
        make_base
    fi
    series_files | while read -r p; do
        [ -f "$pdir/$p" ] || die "patches/series names $p, which is missing"
        g am -q --whitespace=nowarn "$pdir/$p" ||
            die "$p does not apply (the tree is left in 'git am'; fix it," \
                "'git am --continue', then 'make export')"
    done
    record_sync
    say "build/qemu: base + $(series_files | wc -l) patches, at $(g log -1 --format=%h)"
}

cmd_export() {
    local base tmp n
    [ -d "$tree/.git" ] || die "no build/qemu yet: run 'make tree'"
    if [ -d "$tree/.git/rebase-apply" ] || [ -d "$tree/.git/rebase-merge" ]; then
        die "build/qemu is in the middle of a rebase or git am"
    fi
    if tree_is_dirty; then
        g status --short | head -20 >&2
        die "build/qemu has uncommitted edits: commit them first"
    fi
    if [ -z "${FORCE:-}" ] && [ -n "$(unapplied)" ]; then
        die "patches/ holds patches that build/qemu lacks (new from git?):" \
            "run 'make tree' first, or overwrite them (FORCE=1 make export)"
    fi
    base=$(base_commit)
    tmp=$(mktemp -d)
    # No numbering in subjects, no hashes, no version footer: re-exporting an
    # unchanged series gives byte-identical files.
    g -c core.abbrev=12 -c diff.noprefix=false -c format.signature= \
        format-patch -q --no-numbered --zero-commit --no-signature \
        --full-index --no-thread --no-cover-letter -o "$tmp" "$base..HEAD"
    rm -f "$pdir"/*.patch
    mkdir -p "$pdir"
    n=0
    for p in "$tmp"/*.patch; do
        [ -e "$p" ] || continue
        mv "$p" "$pdir/"
        n=$((n + 1))
    done
    (cd "$pdir" && ls -1 -- *.patch 2>/dev/null || true) > "$pdir/series"
    rmdir "$tmp"
    record_sync
    say "exported $n patches to patches/"
    git -C "$TOP" status --short -- patches >&2 || true
}

cmd_status() {
    [ -d "$tree/.git" ] || { echo "no build/qemu (run 'make tree')"; return 0; }
    tree_is_dirty && echo "build/qemu: uncommitted edits"
    [ -n "$(unexported)" ] && echo "build/qemu: commits not in patches/ ('make export')"
    [ -n "$(unapplied)" ] && echo "patches/: patches not in build/qemu ('make tree')"
    echo "build/qemu: $(g rev-list --count "$(base_commit)..HEAD") commits after the base;" \
         "patches/: $(series_files | wc -l) patches"
}

case "${1:-}" in
tree) cmd_tree ;;
export) cmd_export ;;
status) cmd_status ;;
*) die "usage: $0 tree|export|status" ;;
esac
