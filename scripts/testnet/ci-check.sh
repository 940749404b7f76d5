#!/usr/bin/env bash
# The launcher's acceptance run (scripts/test.sh runs it; bounded, everything on 127.0.0.1):
# scripts/testnet/start.sh with a small configuration (minimal preset, 128 validators from
# deposits, 2 Fresnel nodes and 1 Lodestar node, 3-second slots); every node must finalize,
# one Fresnel node is killed with SIGKILL for 2 epochs and restarted and must catch up while
# finality goes on to epoch >= 4 on one root; the health report's rows must show
# participation >= 90 % in every finalized epoch and no fork; every metric the dashboard uses
# must be served by the live Fresnel nodes; stop.sh must leave no process and no port behind.
#   NO_BUILD=1 scripts/testnet/ci-check.sh     (uses target/debug; otherwise builds it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/testnet"
# shellcheck source=scripts/testnet/lib.sh
source "$HERE/lib.sh"
export TESTNET_DIR
TESTNET_DIR="$(mktemp -d /tmp/fresnel-testnet-ci.XXXXXX)"
finish() {
    local rc=$?
    if (( rc != 0 )); then
        echo "--- the health report now, and the tails of the node logs ---"
        timeout 30 "$ROOT/target/debug/lcli" testnet-status "$TESTNET_DIR" --once --json /dev/null || true
        for log in "$TESTNET_DIR"/nodes/*/bn.log "$TESTNET_DIR"/nodes/*/vc.log "$TESTNET_DIR"/nodes/lodestar-*/beacon.out; do
            [[ -f "$log" ]] && { echo "--- $log"; tail -n 15 "$log"; }
        done
    fi
    "$HERE/stop.sh" > /dev/null 2>&1 || true
    if (( rc != 0 )); then
        echo "(the testnet's directory is kept: $TESTNET_DIR)"
    else
        rm -rf "$TESTNET_DIR"
    fi
}
trap finish EXIT
if [[ "${NO_BUILD:-0}" != 1 ]]; then
    (cd "$ROOT" && cargo build --locked --bin fresnel --bin lcli)
fi

NO_BUILD=1 PROFILE=debug PRESET=minimal VALIDATORS=128 FRESNEL_NODES=2 LODESTAR_NODES=1 \
    SECONDS_PER_SLOT=3 ETH1_BLOCK_TIME=1 ETH1_FOLLOW_DISTANCE=4 GENESIS_DELAY=60 \
    "$HERE/start.sh"

step "the Prometheus configuration it wrote passes promtool"
"$("$HERE/metrics/install-promtool.sh")" check config "$TESTNET_DIR/prometheus.yml"

step "a second start must refuse while this one runs"
if NO_BUILD=1 PROFILE=debug "$HERE/start.sh" > "$TESTNET_DIR/second-start.out" 2>&1; then
    die "a second start.sh succeeded while a testnet was running"
fi
grep -q "already running" "$TESTNET_DIR/second-start.out" || die "the second start failed for another reason: $(cat "$TESTNET_DIR/second-start.out")"

step "every node finalizes"
python3 "$HERE/check_run.py" finalized "$TESTNET_DIR" 2 --timeout 400

step "kill -9 fresnel-2 for 2 epochs, then restart it"
since="$(date +%s)"
"$HERE/chaos.sh" kill fresnel-2 2
python3 "$HERE/check_run.py" caught-up "$TESTNET_DIR" fresnel-2 "$since" --timeout 300

step "finality goes on: every node finalizes epoch >= 4 (and 2 past the drill) on one root"
after="$(python3 - "$TESTNET_DIR" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(f"{sys.argv[1]}/status.jsonl") if l.strip()]
print(max(r.get("finalized_epoch") or 0 for r in rows if r["kind"] == "node"))
PY
)"
python3 "$HERE/check_run.py" finalized "$TESTNET_DIR" "$(( after + 2 > 4 ? after + 2 : 4 ))" --timeout 400

step "every metric the dashboard and the scrape config use is served by the live Fresnel nodes"
metrics_urls=()
while read -r url; do metrics_urls+=(--metrics-url "$url"); done < <(python3 -c '
import json, sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["client"] == "fresnel":
        print(n["metrics"])' "$TESTNET_DIR/nodes.json")
python3 "$HERE/metrics/check-metrics.py" --dashboard "$HERE/metrics/fresnel-testnet.json" \
    --prometheus-config "$TESTNET_DIR/prometheus.yml" "${metrics_urls[@]}"

step "stop.sh stops everything and leaves no port open"
"$HERE/stop.sh"
if any_running "$TESTNET_DIR"; then
    die "stop.sh left processes running: $(cat "$TESTNET_DIR/pids")"
fi
python3 - "$TESTNET_DIR/ports" <<'PY'
import socket, sys
busy = []
for port in map(int, open(sys.argv[1]).read().split()):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        if kind == socket.SOCK_STREAM:
            # Connections just closed linger in TIME_WAIT; only a listener makes the bind fail.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            busy.append(f"{port}/{'tcp' if kind == socket.SOCK_STREAM else 'udp'}")
        finally:
            s.close()
if busy:
    sys.exit(f"ports still open after stop.sh: {', '.join(busy)}")
print(f"no process and none of the {len(open(sys.argv[1]).read().split())} ports left open")
PY

step "the health report's verdict"
python3 "$HERE/check_run.py" verdict "$TESTNET_DIR" --min-participation 0.9
cat "$TESTNET_DIR/summary.txt"
