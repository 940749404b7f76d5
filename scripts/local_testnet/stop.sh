#!/usr/bin/env bash
# Stop what scripts/local_testnet/start.sh started (and nothing else): the processes named by
# its pid files, validator client first so it stops signing before its node goes.
# Environment: TESTNET_DIR as given to start.sh (default ~/.fresnel/local-testnet).
set -euo pipefail
TESTNET_DIR="${TESTNET_DIR:-$HOME/.fresnel/local-testnet}"

stop_one() {
    local name=$1 pid_file="$TESTNET_DIR/$1.pid" pid
    [[ -f "$pid_file" ]] || return 0
    pid="$(cat "$pid_file")"
    # Only signal the process if it is still ours: a recycled pid belongs to someone else.
    if kill -0 "$pid" 2>/dev/null && grep -q "fresnel" "/proc/$pid/cmdline" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "stop.sh: $name (pid $pid) ignored SIGTERM for 30 s; killing it" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
        echo "Stopped $name (pid $pid)"
    fi
    rm -f "$pid_file"
}

stop_one vc
stop_one bn
