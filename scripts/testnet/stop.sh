#!/usr/bin/env bash
# Stop exactly what scripts/testnet/start.sh (and chaos.sh) started, as recorded in
# TESTNET_DIR/pids: the health report first (it prints its summary), then the validator
# clients (so they stop signing before their nodes go), the beacon nodes, the boot node and
# the eth1 chain. Each gets SIGTERM and 30 s, then SIGKILL. Prints the report's summary.
# Environment: TESTNET_DIR as given to start.sh (default ~/.fresnel/testnet).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/testnet/lib.sh
source "$HERE/lib.sh"
TESTNET_DIR="${TESTNET_DIR:-$HOME/.fresnel/testnet}"
[[ -f "$TESTNET_DIR/pids" ]] || { echo "stop.sh: nothing recorded in $TESTNET_DIR/pids"; exit 0; }

stop_one() {
    local name=$1 pid=$2 match=$3
    is_ours "$pid" "$match" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        is_ours "$pid" "$match" || break
        sleep 0.1
    done
    if is_ours "$pid" "$match"; then
        echo "stop.sh: $name (pid $pid) ignored SIGTERM for 30 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $name (pid $pid)"
}

# The order of shutting down, by the kind of process.
rank() {
    case "$1" in
        status) echo 0 ;;
        *:vc) echo 1 ;;
        *:bn) echo 2 ;;
        boot_node:*) echo 3 ;;
        eth1:*) echo 4 ;;
        *) echo 5 ;;
    esac
}
while read -r name pid match; do
    echo "$(rank "$name") $name $pid $match"
done < "$TESTNET_DIR/pids" | sort -n -s -k1,1 | while read -r _ name pid match; do
    stop_one "$name" "$pid" "$match"
done
if [[ -f "$TESTNET_DIR/summary.txt" ]]; then
    echo
    cat "$TESTNET_DIR/summary.txt"
fi
