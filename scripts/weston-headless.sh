#!/usr/bin/env bash
# A headless Wayland compositor for the cross-domain tests: Debian's Weston
# (10.0 in bookworm) with its headless backend, the pixman renderer and
# the fullscreen shell, on a private XDG_RUNTIME_DIR.  No GPU, no seat, no
# display needed.
#
#   weston-headless.sh start DIR   install weston if needed, start it with
#                                  DIR as XDG_RUNTIME_DIR, wait for its
#                                  socket and print the socket's path
#   weston-headless.sh stop DIR    stop the Weston started on DIR
#   weston-headless.sh status DIR  exit 0 if it still runs
#
# DIR holds weston.pid, weston.log and the socket (wayland-xd).
# env: WESTON_TIMEOUT (seconds to wait for the socket, default 30)
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 start|stop|status DIR"; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
socket=wayland-xd

running() {
    local pid
    pid=$(cat "$dir/weston.pid" 2>/dev/null) || return 1
    # the pid is ours only while it is still weston
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = weston ]
}

case $cmd in
start)
    need_pkgs weston
    running && die "a weston already runs on $dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    rm -f "$dir/$socket" "$dir/$socket.lock" "$dir/weston.log"
    # fullscreen-shell starts no helper clients (desktop-shell starts two)
    # and repaints (kiosk-shell of weston 10 sends no frame callbacks here);
    # --debug lets any client use weston_screenshooter
    XDG_RUNTIME_DIR=$dir setsid weston --backend=headless-backend.so \
        --use-pixman --shell=fullscreen-shell.so --socket="$socket" \
        --no-config --idle-time=0 --debug --log="$dir/weston.log" \
        < /dev/null > "$dir/weston.out" 2>&1 &
    pid=$!
    echo "$pid" > "$dir/weston.pid"
    for ((i = 0; i < ${WESTON_TIMEOUT:-30} * 10; i++)); do
        if [ -S "$dir/$socket" ] && running; then
            echo "$dir/$socket"
            exit 0
        fi
        # (until it execs weston, the child has another name)
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$dir/weston.log" "$dir/weston.out" >&2 2>/dev/null || true
    "$0" stop "$dir" || true
    die "weston did not come up on $dir"
    ;;
stop)
    if running; then
        pid=$(cat "$dir/weston.pid")
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            running || break
            sleep 0.1
        done
        if running; then
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/weston.pid"
    ;;
status)
    running
    ;;
*)
    usage
    ;;
esac
