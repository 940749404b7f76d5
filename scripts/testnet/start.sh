#!/usr/bin/env bash
# Launch an Altona-style multi-client testnet on 127.0.0.1, in the background, from a
# deposit-contract genesis: a local eth1 chain (anvil) with the deposit contract, deposits
# for VALIDATORS keys derived from a mnemonic, a boot node, Fresnel and Lodestar beacon nodes
# (each Fresnel node computes genesis from the contract itself), a validator client for each,
# and the health report recording in the background. Stop it with scripts/testnet/stop.sh.
#
# Environment (all optional):
#   VALIDATORS        validators, all from deposits (default 16384)
#   PRESET            mainnet (default) or minimal
#   SECONDS_PER_SLOT  slot length (default: the preset's, 12 or 6)
#   FRESNEL_NODES     Fresnel beacon nodes, each with a Fresnel validator client (default 3)
#   LODESTAR_NODES    Lodestar 1.5.1 beacon nodes, each with a Lodestar validator client (default 1)
#   GENESIS_DELAY     seconds from the eth1 block that completes the deposits to genesis
#                     (default 60 + VALIDATORS/32: the nodes and validator clients start in it)
#   ETH1_BLOCK_TIME   anvil's block time in seconds (default 2)
#   ETH1_FOLLOW_DISTANCE  (default 8)
#   MNEMONIC_FILE     the validators' mnemonic (default: a publicly known test mnemonic)
#   KDF               the keystores' KDF: insecure-pbkdf2 (default with the public test
#                     mnemonic: 16,384 keystores in seconds), pbkdf2 (default with
#                     MNEMONIC_FILE) or scrypt
#   NETWORK_NAME      the config's CONFIG_NAME (default fresnel-testnet; never a public
#                     network's name: Lodestar would add that network's boot nodes)
#   TESTNET_DIR       where everything goes (default ~/.fresnel/testnet; wiped at each start)
#   PROFILE           debug or release (default release); NO_BUILD=1 uses target/ as it is
#   MANIFESTS_DIR     also write docker compose and Kubernetes manifests of this testnet there
#
# The published directory, TESTNET_DIR/testnet (config.yaml, genesis.ssz,
# deposit_contract.txt, deploy_block.txt, boot_enr.yaml, bootstrap_nodes.txt), is what a
# client on another machine needs to join.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/scripts/testnet"
# shellcheck source=scripts/testnet/lib.sh
source "$HERE/lib.sh"

VALIDATORS="${VALIDATORS:-16384}"
PRESET="${PRESET:-mainnet}"
FRESNEL_NODES="${FRESNEL_NODES:-3}"
LODESTAR_NODES="${LODESTAR_NODES:-1}"
ETH1_BLOCK_TIME="${ETH1_BLOCK_TIME:-2}"
ETH1_FOLLOW_DISTANCE="${ETH1_FOLLOW_DISTANCE:-8}"
GENESIS_DELAY="${GENESIS_DELAY:-$((60 + VALIDATORS / 32))}"
TESTNET_DIR="${TESTNET_DIR:-$HOME/.fresnel/testnet}"
NETWORK_NAME="${NETWORK_NAME:-fresnel-testnet}"
PROFILE="${PROFILE:-release}"
# The public test mnemonic's keys are public: a slow KDF would only cost time (2^18 PBKDF2
# rounds are ~35 ms per keystore here, to write and again to open: ~10 min at 16,384).
if [[ -n "${MNEMONIC_FILE:-}" ]]; then KDF="${KDF:-pbkdf2}"; else KDF="${KDF:-insecure-pbkdf2}"; fi
case "$PRESET" in
    mainnet) SECONDS_PER_SLOT="${SECONDS_PER_SLOT:-12}" ;;
    minimal) SECONDS_PER_SLOT="${SECONDS_PER_SLOT:-6}" ;;
    *) die "PRESET must be mainnet or minimal, not $PRESET" ;;
esac
case "$NETWORK_NAME" in
    mainnet|minimal|pyrmont|prater|goerli|sepolia|ropsten|gnosis|chiado|zhejiang|medalla|altona|spadina|zinken)
        die "NETWORK_NAME must not be a public network's or preset's name ($NETWORK_NAME): clients would treat the testnet as that network" ;;
    ''|*[!a-z0-9._-]*) die "NETWORK_NAME must be lower-case letters, digits, '.', '_' or '-', not '$NETWORK_NAME'" ;;
esac
NODES=$((FRESNEL_NODES + LODESTAR_NODES))
(( FRESNEL_NODES >= 1 )) || die "FRESNEL_NODES must be at least 1"
(( VALIDATORS >= NODES )) || die "VALIDATORS ($VALIDATORS) must be at least the number of nodes ($NODES)"

# Refuse a second start while one runs: it would fight the first for ports and directories.
if any_running "$TESTNET_DIR"; then
    die "a testnet is already running from $TESTNET_DIR; stop it first: TESTNET_DIR=$TESTNET_DIR $HERE/stop.sh"
fi

case "$PROFILE" in
    debug) cargo_profile=() ;;
    release) cargo_profile=(--release) ;;
    *) die "PROFILE must be debug or release, not $PROFILE" ;;
esac
if [[ "${NO_BUILD:-0}" != 1 ]]; then
    step "building fresnel and lcli ($PROFILE)"
    (cd "$ROOT" && cargo build --locked "${cargo_profile[@]}" --bin fresnel --bin lcli)
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
FRESNEL="$TARGET_DIR/$PROFILE/fresnel"
LCLI="$TARGET_DIR/$PROFILE/lcli"
[[ -x "$FRESNEL" && -x "$LCLI" ]] || die "no binaries in $TARGET_DIR/$PROFILE (drop NO_BUILD=1)"
ANVIL="$("$ROOT/scripts/eth1/install-anvil.sh")"
if (( LODESTAR_NODES > 0 )); then
    step "Lodestar 1.5.1 (npm, cached)"
    "$ROOT/scripts/lodestar/install.sh" >/dev/null || die "Lodestar 1.5.1 could not be installed (node, npm and the npm registry are needed); LODESTAR_NODES=0 runs without it"
fi

rm -rf "$TESTNET_DIR"
mkdir -p "$TESTNET_DIR"/{testnet,eth1,keys,nodes}
TESTNET_DIR="$(cd "$TESTNET_DIR" && pwd)"
PUB="$TESTNET_DIR/testnet"
: > "$TESTNET_DIR/pids"
# If anything below fails, stop what was started rather than leave it running.
started=0
trap 'if [[ $started != 1 ]]; then echo "start.sh: failed; stopping what was started" >&2; TESTNET_DIR="$TESTNET_DIR" "$HERE/stop.sh" >&2 || true; fi' EXIT

# --- the eth1 chain and the deposit contract -------------------------------------------
ETH1_PORT="$(free_port)"
ETH1_URL="http://127.0.0.1:$ETH1_PORT"
step "anvil on $ETH1_URL (${ETH1_BLOCK_TIME}s blocks)"
# --state: the chain is dumped on exit and loaded at start, so the eth1 endpoint can be
# restarted (scripts/testnet/chaos.sh restart-eth1) without losing the deposit contract.
write_runner "$TESTNET_DIR/eth1" anvil "$ANVIL" --host 127.0.0.1 --port "$ETH1_PORT" --chain-id 4242 \
    --block-time "$ETH1_BLOCK_TIME" --gas-limit 1000000000 --balance 1000000000 \
    --state "$TESTNET_DIR/eth1/state.json" --preserve-historical-states
launch "$TESTNET_DIR/eth1" anvil
wait_until 30 "anvil answering on $ETH1_URL" eth1_up "$ETH1_URL"

step "deposit contract"
"$LCLI" deploy-deposit-contract --eth1-endpoint "$ETH1_URL" --testnet-dir "$PUB"
"$LCLI" new-testnet --testnet-dir "$PUB" --preset "$PRESET" \
    --set MIN_GENESIS_TIME="$(date +%s)" --set GENESIS_DELAY="$GENESIS_DELAY" \
    --set MIN_GENESIS_ACTIVE_VALIDATOR_COUNT="$VALIDATORS" --set SECONDS_PER_SLOT="$SECONDS_PER_SLOT" \
    --set ETH1_FOLLOW_DISTANCE="$ETH1_FOLLOW_DISTANCE" --set SECONDS_PER_ETH1_BLOCK="$ETH1_BLOCK_TIME" \
    --set DEPOSIT_CHAIN_ID=4242 --set DEPOSIT_NETWORK_ID=4242 --set CONFIG_NAME="$NETWORK_NAME"
# CONFIG_NAME: Lodestar 1.5.1 takes it as its network when it is a known name, and with
# `mainnet` (the preset's name) it added mainnet's boot nodes and fetched more from GitHub.

# --- keys and deposits ----------------------------------------------------------------
if [[ -n "${MNEMONIC_FILE:-}" ]]; then
    cp "$MNEMONIC_FILE" "$TESTNET_DIR/keys/mnemonic.txt"
else
    # Publicly known: anyone can sign for these validators. Local testnets only.
    echo "$TEST_MNEMONIC" > "$TESTNET_DIR/keys/mnemonic.txt"
fi
echo "fresnel-testnet-password" > "$TESTNET_DIR/keys/password.txt"
names=()
for i in $(seq 1 "$FRESNEL_NODES"); do names+=("fresnel-$i"); done
for i in $(seq 1 "$LODESTAR_NODES"); do names+=("lodestar-$i"); done
step "keys for $VALIDATORS validators, split between ${#names[@]} validator clients"
first=0
deposit_files=()
declare -A first_index count_of
for n in $(seq 0 $((NODES - 1))); do
    name="${names[$n]}"
    # An even split; the first nodes take the remainder.
    count=$((VALIDATORS / NODES + (n < VALIDATORS % NODES ? 1 : 0)))
    first_index[$name]=$first
    count_of[$name]=$count
    # Never scrypt by default: its 256 MiB per key would make 16,384 keystores take hours.
    "$FRESNEL" account create-validators --testnet-dir "$PUB" \
        --mnemonic-file "$TESTNET_DIR/keys/mnemonic.txt" --password-file "$TESTNET_DIR/keys/password.txt" \
        --first-index "$first" --count "$count" --kdf "$KDF" --out-dir "$TESTNET_DIR/keys/$name" \
        > "$TESTNET_DIR/keys/$name.log" 2>&1 || { tail "$TESTNET_DIR/keys/$name.log" >&2; die "key generation for $name failed"; }
    deposit_files+=("$(ls "$TESTNET_DIR/keys/$name"/deposit_data-*.json)")
    echo "  $name: validators $first..$((first + count - 1))"
    first=$((first + count))
done
step "$VALIDATORS deposits"
# In node order, so validator indices follow the split above.
"$LCLI" deposit --eth1-endpoint "$ETH1_URL" --testnet-dir "$PUB" --deposit-data "${deposit_files[@]}"

# --- genesis ----------------------------------------------------------------------------
step "genesis from the deposit contract (lcli eth1-genesis; waits for the block to be ETH1_FOLLOW_DISTANCE deep)"
"$LCLI" eth1-genesis --testnet-dir "$PUB" --eth1-endpoint "$ETH1_URL" | tee "$TESTNET_DIR/genesis.txt"
GENESIS_TIME="$(sed -n 's/^genesis_time=//p' "$TESTNET_DIR/genesis.txt")"
GENESIS_ROOT="$(sed -n 's/^state_root=//p' "$TESTNET_DIR/genesis.txt")"
[[ -n "$GENESIS_TIME" && -n "$GENESIS_ROOT" ]] || die "lcli eth1-genesis printed no genesis_time/state_root"
echo "  genesis at $(date -d "@$GENESIS_TIME" +%T) (in $((GENESIS_TIME - $(date +%s))) s)"

# --- the boot node ----------------------------------------------------------------------
BOOT_PORT="$(free_port udp)"
step "boot node on udp 127.0.0.1:$BOOT_PORT"
mkdir -p "$TESTNET_DIR/nodes/boot_node"
"$LCLI" generate-bootnode-enr --testnet-dir "$PUB" --ip 127.0.0.1 --udp-port "$BOOT_PORT" \
    --output-dir "$TESTNET_DIR/nodes/boot_node/data" --append > "$TESTNET_DIR/nodes/boot_node/enr.txt"
# eth2-networks carries the boot nodes twice: as YAML and one per line.
sed -n 's/^- *["'\'']\{0,1\}\(enr:[^"'\'' ]*\).*/\1/p' "$PUB/boot_enr.yaml" > "$PUB/bootstrap_nodes.txt"
write_runner "$TESTNET_DIR/nodes/boot_node" boot_node "$FRESNEL" boot_node --testnet-dir "$PUB" \
    --enr-address 127.0.0.1 --port "$BOOT_PORT" --datadir "$TESTNET_DIR/nodes/boot_node/data"
launch "$TESTNET_DIR/nodes/boot_node" boot_node

# --- beacon nodes -------------------------------------------------------------------------
nodes_json=()
declare -A http_of vc_pid_lodestar
for name in "${names[@]}"; do
    dir="$TESTNET_DIR/nodes/$name"
    mkdir -p "$dir"
    p2p="$(free_port both)"; http="$(free_port)"; metrics="$(free_port)"
    http_of[$name]="http://127.0.0.1:$http"
    client="${name%-*}"
    first="${first_index[$name]}"; count="${count_of[$name]}"
    if [[ "$client" == fresnel ]]; then
        # Its own copy of the published files without genesis.ssz: the node computes
        # genesis from the deposit contract, as on a real launch.
        mkdir -p "$dir/testnet"
        cp "$PUB"/{config.yaml,deposit_contract.txt,deploy_block.txt,boot_enr.yaml} "$dir/testnet/"
        write_runner "$dir" bn "$FRESNEL" bn --testnet-dir "$dir/testnet" --datadir "$dir/beacon" \
            --eth1-endpoints "$ETH1_URL" --listen-address 127.0.0.1 --port "$p2p" --enr-address 127.0.0.1 \
            --http-port "$http" --metrics --metrics-port "$metrics"
        launch "$dir" bn
        step "$name: REST http://127.0.0.1:$http, metrics :$metrics, p2p :$p2p (genesis from eth1)"
    else
        # Lodestar 1.5.1 is given the genesis.ssz that lcli eth1-genesis wrote: without
        # --genesisStateFile its beacon command downloads its named network's genesis from
        # GitHub (offline here: ENOTFOUND) instead of building it from the deposit contract.
        mkdir -p "$dir/keystores"
        cp "$TESTNET_DIR/keys/$name"/keystore-*.json "$dir/keystores/"
        "$ROOT/scripts/lodestar/start.sh" --testnet-dir "$PUB" --datadir "$dir" --port "$p2p" \
            --http-port "$http" --metrics-port "$metrics" \
            --keystores "$dir/keystores" --keystore-password "$TESTNET_DIR/keys/password.txt" > "$dir/start.out"
        # Lodestar's start.sh records the beacon node first, then the validator client.
        mapfile -t lodestar_pids < "$dir/pids"
        record "$name:bn" "${lodestar_pids[0]}" "lodestar"
        vc_pid_lodestar[$name]="${lodestar_pids[1]}"
        step "$name: REST http://127.0.0.1:$http, metrics :$metrics, p2p :$p2p (genesis.ssz)"
    fi
    nodes_json+=("$(printf '{"name":"%s","client":"%s","http":"http://127.0.0.1:%s","metrics":"http://127.0.0.1:%s/metrics","p2p_port":%s,"validators":[%s,%s]}' \
        "$name" "$client" "$http" "$metrics" "$p2p" "$first" "$((first + count))")")
done
write_layout "$TESTNET_DIR" "$GENESIS_TIME" "$PRESET" "$SECONDS_PER_SLOT" "${nodes_json[@]}"

# --- every node's genesis, checked -----------------------------------------------------
step "waiting for every node's genesis state root (expect $GENESIS_ROOT)"
for name in "${names[@]}"; do
    wait_until $((GENESIS_TIME - $(date +%s) + 120)) "$name to know genesis" genesis_root_of "${http_of[$name]}" \
        || die "$name never served its genesis state; see $TESTNET_DIR/nodes/$name"
    root="$(genesis_root_of "${http_of[$name]}")"
    [[ "$root" == "$GENESIS_ROOT" ]] || die "$name computed genesis state root $root, not $GENESIS_ROOT"
    echo "  $name: $root"
done
echo "  all ${#names[@]} nodes agree on the genesis state root $GENESIS_ROOT"

# --- validator clients ----------------------------------------------------------------
step "validator clients"
for n in $(seq 0 $((NODES - 1))); do
    name="${names[$n]}"
    dir="$TESTNET_DIR/nodes/$name"
    if [[ "$name" == fresnel-* ]]; then
        import_keystores "$TESTNET_DIR/keys/$name" "$TESTNET_DIR/keys/password.txt" "$dir/validators" "$dir/secrets"
        # Its own node first, then another Fresnel node: the client fails over when its
        # node is down, so a drill that kills one node does not take its validators offline.
        backup="fresnel-$(( n + 1 < FRESNEL_NODES ? n + 2 : 1 ))"
        urls="${http_of[$name]}"
        [[ "$backup" != "$name" ]] && urls="$urls,${http_of[$backup]}"
        write_runner "$dir" vc "$FRESNEL" vc --testnet-dir "$PUB" --beacon-nodes "$urls" \
            --validators-dir "$dir/validators" --secrets-dir "$dir/secrets" --init-slashing-protection
        launch "$dir" vc
        echo "  $name: ${count_of[$name]} validators on $urls"
    else
        record "$name:vc" "${vc_pid_lodestar[$name]}" "lodestar"
        echo "  $name: ${count_of[$name]} validators (Lodestar validator client)"
    fi
done

# --- the health report, recording ------------------------------------------------------
write_runner "$TESTNET_DIR" status "$LCLI" testnet-status "$TESTNET_DIR" --quiet
launch "$TESTNET_DIR" status
python3 "$HERE/metrics/prometheus-config.py" "$TESTNET_DIR" >/dev/null
if [[ -n "${MANIFESTS_DIR:-}" ]]; then
    python3 "$HERE/manifests/manifests.py" --testnet-dir "$PUB" --out "$MANIFESTS_DIR" \
        --fresnel-nodes "$FRESNEL_NODES" --lodestar-nodes "$LODESTAR_NODES" --validators "$VALIDATORS"
fi
started=1

cat <<INFO

Testnet running: $VALIDATORS validators ($PRESET preset, ${SECONDS_PER_SLOT}s slots), $FRESNEL_NODES Fresnel + $LODESTAR_NODES Lodestar nodes,
genesis at $(date -d "@$GENESIS_TIME" +%T), genesis state root $GENESIS_ROOT.
  Published files:  $PUB   (config.yaml genesis.ssz deposit_contract.txt deploy_block.txt boot_enr.yaml bootstrap_nodes.txt)
  Eth1 endpoint:    $ETH1_URL
  Nodes:            $TESTNET_DIR/nodes.json   (REST, metrics and p2p ports; logs in $TESTNET_DIR/nodes/<name>/)
  Health report:    $LCLI testnet-status $TESTNET_DIR    (rows recorded in $TESTNET_DIR/status.jsonl)
  Prometheus:       $TESTNET_DIR/prometheus.yml; Grafana dashboard $HERE/metrics/fresnel-testnet.json
  Fault drills:     TESTNET_DIR=$TESTNET_DIR $HERE/chaos.sh kill fresnel-2 2    (see --help)
  Stop with:        TESTNET_DIR=$TESTNET_DIR $HERE/stop.sh
INFO
