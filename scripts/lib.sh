# shellcheck shell=bash
# Common helpers for the project's scripts.  Source it; do not run it.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
export TOP BUILD

# The Debian source package the series is based on.
BASE_PKG=qemu
BASE_VERSION=${BASE_VERSION:-1:7.2+dfsg-7+deb12u18}
BASE_UPSTREAM=7.2.22

# Debian's own python first: meson from apt and QEMU's build scripts must
# not run under a pyenv or virtualenv python that lacks Debian's modules.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PYTHON=/usr/bin/python3
export PATH PYTHON

say()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root when we are not (apt, sources).
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

_apt_updated=
apt_update_once() {
    [ -n "$_apt_updated" ] && return 0
    say "apt-get update"
    as_root apt-get update -qq >&2
    _apt_updated=1
}

# need_pkgs PKG...: install the Debian packages that are not installed yet.
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null |
             grep -qx installed; then
            missing+=("$p")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    apt_update_once
    say "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Write FILE (as root) with the contents of stdin when it differs; then the
# package lists are stale and the next apt_update_once refreshes them.
_write_root_file() {
    local file=$1 tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if ! cmp -s "$tmp" "$file" 2>/dev/null; then
        as_root install -D -m 0644 "$tmp" "$file"
        _apt_updated=
    fi
    rm -f "$tmp"
}

# Make 'apt-get source' work: add bookworm deb-src entries unless some
# configured source already knows the base package.
ensure_deb_src() {
    if apt-cache showsrc "$BASE_PKG" 2>/dev/null | grep -q '^Version:'; then
        return 0
    fi
    say "making bookworm source packages available to apt"
    _write_root_file /etc/apt/sources.list.d/qemu-series-src.sources <<'SRC'
# Added by the virtio-gpu series' scripts: source packages for the base.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_update_once
}

# Make trixie's binary packages visible for the guest side (kernel, Mesa),
# pinned at priority 100 so that nothing on the host is upgraded from it.
ensure_trixie() {
    _write_root_file /etc/apt/sources.list.d/qemu-series-trixie.sources <<'SRC'
# Added by the virtio-gpu series' scripts: guest kernel and userspace.
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    _write_root_file /etc/apt/preferences.d/qemu-series-trixie <<'PIN'
# Never upgrade the host from trixie: only explicit downloads use it.
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN
    if ! apt-cache policy 2>/dev/null | grep -q 'n=trixie'; then
        apt_update_once
    fi
}

# The ninja targets of the qtests that tests/qtests.list names.
qtest_targets() {
    sed -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' "$TOP/tests/qtests.list" |
        while read -r t _; do printf 'tests/qtest/%s ' "$t"; done
}

# A QEMU run driven over QMP: qemu_session_start PREFIX makes a socket
# directory in /tmp (Unix socket paths are limited to ~108 bytes) and sets
# $QMP; the caller puts QEMU's pid in $pid.  qemu_session_stop kills QEMU
# and removes the directory; it also runs on exit.
qemu_session_start() {
    sockdir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    QMP=$sockdir/qmp.sock
    pid=
    trap qemu_session_stop EXIT
}

qemu_session_stop() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        sleep 1
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$sockdir"
}

# Test scripts: check NAME CMD... runs CMD and prints "PASS: NAME" or
# "FAIL: NAME" (with $CHECK_PREFIX before NAME), counting both; skip
# prints a SKIP line, which is neither.  test_summary ends the script.
passes=0
fails=0
skips=0
check() {
    local name=$1; shift
    if "$@"; then
        echo "PASS: ${CHECK_PREFIX:-}$name"; passes=$((passes + 1))
    else
        echo "FAIL: ${CHECK_PREFIX:-}$name"; fails=$((fails + 1))
    fi
}
skip() { echo "SKIP: ${CHECK_PREFIX:-}$*"; skips=$((skips + 1)); }
test_summary() {                # DIR START-SECONDS
    echo "results: $1 ($((SECONDS - $2))s; $passes passed, $fails failed," \
         "$skips skipped)"
    [ "$fails" -eq 0 ]
}

# guest_check DIR DEVICE GUEST-RUN-ARGS...: boot the rootfs guest on DEVICE
# with scripts/guest-run.sh into DIR; a check that it ran its commands.
guest_check() {
    local dir=$1 dev=$2 info
    shift 2
    if "$TOP/scripts/guest-run.sh" -d "$dev" -o "$dir" "$@" > /dev/null; then
        info="ready after $(sed -n 's/^boot_seconds=//p' "$dir/info")s,"
        info+=" all done after $(sed -n 's/^total_seconds=//p' "$dir/info")s"
        check "$dev: guest boots and runs its commands ($info)" true
        return 0
    fi
    check "$dev: guest run: $(cat "$dir/status" 2>/dev/null)" false
    return 1
}

# check_colour_bars NAME PNG: a check that PNG shows virtgpu-test's
# blob-scanout picture, 8 vertical colour bars.
check_colour_bars() {
    local want="ffffff ffff00 00ffff 00ff00 ff00ff ff0000 0000ff 202020" got
    got=$("$PYTHON" "$TOP/tests/pngpixel.py" "$2" \
          0.0625,0.5 0.1875,0.5 0.3125,0.5 0.4375,0.5 \
          0.5625,0.5 0.6875,0.5 0.8125,0.5 0.9375,0.5 2>/dev/null || true)
    check "$1: the screendump shows its 8 colour bars (${got:-no PNG})" \
        [ "$got" = "$want" ]
}

# weston_start NAME: Debian's Weston headless on a private runtime
# directory in /tmp (Unix socket paths are short), stopped when the
# script exits.  Sets WESTON_DIR and WESTON_SOCKET; a FAIL line and exit
# when it does not start.
weston_start() {
    WESTON_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xd-weston.XXXXXX")
    trap '"$TOP/scripts/weston-headless.sh" stop "$WESTON_DIR" || true
          rm -rf "$WESTON_DIR"' EXIT
    if ! WESTON_SOCKET=$("$TOP/scripts/weston-headless.sh" start \
                         "$WESTON_DIR"); then
        echo "FAIL: $1: weston starts headless"
        exit 1
    fi
}
