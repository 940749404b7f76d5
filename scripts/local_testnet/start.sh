#!/usr/bin/env bash
# Start a local chain on 127.0.0.1, in the background: an interop genesis of 64 validators on
# the minimal preset, one `fresnel bn` and one `fresnel vc` holding the 64 keys as EIP-2335
# keystores (pbkdf2, so start-up is quick). Stop it with scripts/local_testnet/stop.sh.
#
# Environment (all optional):
#   SECONDS_PER_SLOT   slot length in seconds (default 6)
#   VALIDATORS         interop validators (default 64)
#   HTTP_PORT          the beacon node's REST API port (default 5052)
#   METRICS_PORT       the beacon node's Prometheus port (default 5054)
#   P2P_PORT           the beacon node's libp2p TCP and discv5 UDP port (default 9000)
#   TESTNET_DIR        where keys, config, databases, logs and pid files go
#                      (default ~/.fresnel/local-testnet; wiped at each start)
#   PROFILE            cargo profile to build and run: debug (default) or release
#   NO_BUILD=1         use the binaries already in target/ instead of building them
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_PER_SLOT="${SECONDS_PER_SLOT:-6}"
VALIDATORS="${VALIDATORS:-64}"
HTTP_PORT="${HTTP_PORT:-5052}"
METRICS_PORT="${METRICS_PORT:-5054}"
P2P_PORT="${P2P_PORT:-9000}"
TESTNET_DIR="${TESTNET_DIR:-$HOME/.fresnel/local-testnet}"
PROFILE="${PROFILE:-debug}"

die() { echo "start.sh: $*" >&2; exit 1; }

# Refuse to start twice: the second chain would fight the first for ports and directories.
for name in bn vc; do
    pid_file="$TESTNET_DIR/$name.pid"
    if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
        die "a local chain is already running ($name pid $(cat "$pid_file")); run scripts/local_testnet/stop.sh first"
    fi
done

case "$PROFILE" in
    debug) cargo_profile=() ;;
    release) cargo_profile=(--release) ;;
    *) die "PROFILE must be debug or release, not $PROFILE" ;;
esac
if [[ "${NO_BUILD:-0}" != 1 ]]; then
    echo "Building fresnel and lcli ($PROFILE)..."
    (cd "$ROOT" && cargo build --locked "${cargo_profile[@]}" --bin fresnel --bin lcli)
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
FRESNEL="$TARGET_DIR/$PROFILE/fresnel"
LCLI="$TARGET_DIR/$PROFILE/lcli"
[[ -x "$FRESNEL" && -x "$LCLI" ]] || die "no binaries in $TARGET_DIR/$PROFILE (drop NO_BUILD=1)"

rm -rf "$TESTNET_DIR"
mkdir -p "$TESTNET_DIR/testnet"
"$LCLI" write-config --network minimal --set "SECONDS_PER_SLOT=$SECONDS_PER_SLOT" \
    -o "$TESTNET_DIR/testnet/config.yaml"
"$LCLI" insecure-validators --count "$VALIDATORS" --kdf pbkdf2 \
    --validators-dir "$TESTNET_DIR/validators" --secrets-dir "$TESTNET_DIR/secrets"

# A few seconds of head room so both processes are up before slot 0.
GENESIS_TIME=$(( $(date +%s) + 10 ))
BN_LOG="$TESTNET_DIR/bn.log"
VC_LOG="$TESTNET_DIR/vc.log"

"$FRESNEL" bn --testnet-dir "$TESTNET_DIR/testnet" --datadir "$TESTNET_DIR/beacon" \
    --interop-validators "$VALIDATORS" --genesis-time "$GENESIS_TIME" \
    --http-port "$HTTP_PORT" --metrics --metrics-port "$METRICS_PORT" \
    --listen-address 127.0.0.1 --port "$P2P_PORT" \
    >"$BN_LOG" 2>&1 &
echo $! >"$TESTNET_DIR/bn.pid"

# Wait for the REST API, bounded: the node prints this line once it serves requests.
for _ in $(seq 1 600); do
    grep -q "http_api listening" "$BN_LOG" 2>/dev/null && break
    kill -0 "$(cat "$TESTNET_DIR/bn.pid")" 2>/dev/null || { tail -n 20 "$BN_LOG" >&2; rm -f "$TESTNET_DIR/bn.pid"; die "the beacon node exited"; }
    sleep 0.1
done
grep -q "http_api listening" "$BN_LOG" || { "$ROOT/scripts/local_testnet/stop.sh"; die "the beacon node's API did not come up in 60 s; see $BN_LOG"; }

"$FRESNEL" vc --testnet-dir "$TESTNET_DIR/testnet" \
    --beacon-nodes "http://127.0.0.1:$HTTP_PORT" \
    --validators-dir "$TESTNET_DIR/validators" --secrets-dir "$TESTNET_DIR/secrets" \
    --init-slashing-protection \
    >"$VC_LOG" 2>&1 &
echo $! >"$TESTNET_DIR/vc.pid"

cat <<INFO
Local chain started: $VALIDATORS validators, minimal preset, ${SECONDS_PER_SLOT}s slots, genesis at $(date -d "@$GENESIS_TIME" +%T).
  REST API:   http://127.0.0.1:$HTTP_PORT   (e.g. curl -s http://127.0.0.1:$HTTP_PORT/eth/v1/beacon/states/head/finality_checkpoints)
  Metrics:    http://127.0.0.1:$METRICS_PORT/metrics
  Logs:       $BN_LOG
              $VC_LOG
  Stop with:  TESTNET_DIR=$TESTNET_DIR $ROOT/scripts/local_testnet/stop.sh
INFO
