#!/usr/bin/env bash
# Fault drills on a testnet that scripts/testnet/start.sh launched; watch their effect and
# the recovery with `lcli testnet-status TESTNET_DIR`.
#
#   chaos.sh kill NODE [DOWN_EPOCHS]   SIGKILL NODE's beacon node; start it again at once, or
#                                      after DOWN_EPOCHS epochs (Fresnel nodes)
#   chaos.sh partition NODE EPOCHS     freeze NODE's beacon node (SIGSTOP) for EPOCHS epochs, so
#                                      its peers see it go silent, then let it run on (SIGCONT)
#   chaos.sh restart-eth1              stop the eth1 chain (anvil saves its state) and start it
#                                      again on the same port; the nodes' eth1 followers retry
# NODE is a name from TESTNET_DIR/nodes.json (fresnel-1, lodestar-1, ...).
# Environment: TESTNET_DIR as given to start.sh (default ~/.fresnel/testnet).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/testnet/lib.sh
source "$HERE/lib.sh"
TESTNET_DIR="${TESTNET_DIR:-$HOME/.fresnel/testnet}"
[[ -f "$TESTNET_DIR/nodes.json" ]] || die "no testnet in $TESTNET_DIR (no nodes.json)"

usage() { sed -n '2,12p' "$0"; exit 2; }
epoch_seconds() {
    python3 -c 'import json, sys; l = json.load(open(sys.argv[1])); print(l["seconds_per_slot"] * l["slots_per_epoch"])' \
        "$TESTNET_DIR/nodes.json"
}
# "PID MATCH" of a recorded process.
pid_of() {
    local line
    line="$(grep "^$1 " "$TESTNET_DIR/pids" || true)"
    [[ -n "$line" ]] || die "no process $1 recorded in $TESTNET_DIR/pids"
    echo "${line#* }"
}
log() { echo "chaos: $(date +%T) $*"; }

case "${1:-}" in
    kill)
        node="${2:-}"; down="${3:-0}"
        [[ -n "$node" ]] || usage
        read -r pid match <<< "$(pid_of "$node:bn")"
        is_ours "$pid" "$match" || die "$node's beacon node (pid $pid) is not running"
        kill -KILL "$pid"
        log "killed $node (pid $pid) with SIGKILL"
        [[ -x "$TESTNET_DIR/nodes/$node/bn.run" ]] || { log "$node has no runner (not a Fresnel node): left stopped"; exit 0; }
        if (( down > 0 )); then
            log "leaving it down for $down epochs"
            sleep $(( down * $(epoch_seconds) ))
        fi
        launch "$TESTNET_DIR/nodes/$node" bn
        log "restarted $node (pid $(pid_of "$node:bn" | cut -d' ' -f1))"
        ;;
    partition)
        node="${2:-}"; epochs="${3:-}"
        [[ -n "$node" && -n "$epochs" ]] || usage
        read -r pid match <<< "$(pid_of "$node:bn")"
        is_ours "$pid" "$match" || die "$node's beacon node (pid $pid) is not running"
        kill -STOP "$pid"
        log "froze $node (pid $pid) for $epochs epochs"
        # Let it go on even if this script is interrupted: a frozen node must not be left behind.
        trap 'kill -CONT "$pid" 2>/dev/null || true' EXIT
        sleep $(( epochs * $(epoch_seconds) ))
        kill -CONT "$pid"
        log "let $node run on"
        ;;
    restart-eth1)
        read -r pid match <<< "$(pid_of eth1:anvil)"
        if is_ours "$pid" "$match"; then
            kill -TERM "$pid"
            wait_until 30 "anvil to stop" bash -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid"
        fi
        log "stopped the eth1 chain (pid $pid)"
        launch "$TESTNET_DIR/eth1" anvil
        url="$(sed -n 's/.*--port \([0-9]*\).*/http:\/\/127.0.0.1:\1/p' "$TESTNET_DIR/eth1/anvil.run")"
        wait_until 30 "anvil answering on $url" eth1_up "$url" || die "anvil did not come back; see $TESTNET_DIR/eth1/anvil.log"
        log "eth1 chain back on $url (pid $(pid_of eth1:anvil | cut -d' ' -f1))"
        ;;
    *) usage ;;
esac
