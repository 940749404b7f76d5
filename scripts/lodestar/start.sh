#!/usr/bin/env bash
# Starts a Lodestar 1.5.1 beacon node, and optionally its validator client, on a network
# directory that Fresnel's tools wrote (config.yaml, genesis.ssz, and a boot node's ENR in
# boot_enr.yaml or --boot-enr), on 127.0.0.1 only, in the background. Installs Lodestar first
# (scripts/lodestar/install.sh, cached). Everything it starts is recorded in DATADIR/pids;
# scripts/lodestar/stop.sh DATADIR stops exactly that.
#
#   scripts/lodestar/start.sh --testnet-dir DIR --datadir DATADIR --port P --http-port H \
#       [--metrics-port M] [--boot-enr ENR] [--only-peer ENR] \
#       [--interop-indexes A..B] [--keystores DIR --keystore-password FILE] \
#       [--beacon-url URL]
#
# --only-peer ENR     no discovery: dial this node only (a node that must sync from one peer)
# --interop-indexes   run a validator client with these interop keys (e.g. 32..63)
# --keystores         run a validator client with these EIP-2335 keystores (one password)
# --beacon-url URL    the validator client's beacon node (default: this Lodestar node)
# --no-bn             start only the validator client (with --beacon-url)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

testnet_dir="" datadir="" port="" http_port="" metrics_port="" boot_enr="" only_peer=""
interop_indexes="" keystores="" keystore_password="" beacon_url="" start_bn=1
while [ $# -gt 0 ]; do
    case "$1" in
        --testnet-dir) testnet_dir="$2"; shift 2 ;;
        --datadir) datadir="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --http-port) http_port="$2"; shift 2 ;;
        --metrics-port) metrics_port="$2"; shift 2 ;;
        --boot-enr) boot_enr="$2"; shift 2 ;;
        --only-peer) only_peer="$2"; shift 2 ;;
        --interop-indexes) interop_indexes="$2"; shift 2 ;;
        --keystores) keystores="$2"; shift 2 ;;
        --keystore-password) keystore_password="$2"; shift 2 ;;
        --beacon-url) beacon_url="$2"; shift 2 ;;
        --no-bn) start_bn=0; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "start.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "lodestar start: $*" >&2; exit 1; }
[ -n "$testnet_dir" ] && [ -f "$testnet_dir/config.yaml" ] || die "--testnet-dir must hold config.yaml"
[ -n "$datadir" ] || die "--datadir is required"
testnet_dir="$(cd "$testnet_dir" && pwd)"
mkdir -p "$datadir"
datadir="$(cd "$datadir" && pwd)"

lodestar="$("$here/install.sh")"
# Lodestar reads every LODESTAR_* environment variable as a flag (LODESTAR_NODES=1 becomes an
# unknown --nodes and it exits): none of the caller's may reach it.
for var in $(compgen -e | grep '^LODESTAR_' || true); do unset "$var"; done
# The preset comes from the config (PRESET_BASE, else CONFIG_NAME), as Fresnel reads it.
preset="$(sed -n 's/^PRESET_BASE: *["'\'']\{0,1\}\([a-z]*\).*/\1/p' "$testnet_dir/config.yaml" | head -1)"
[ -n "$preset" ] || preset="$(sed -n 's/^CONFIG_NAME: *["'\'']\{0,1\}\([a-z]*\).*/\1/p' "$testnet_dir/config.yaml" | head -1)"
case "$preset" in minimal|mainnet) ;; *) preset=mainnet ;; esac

record() { echo "$1" >> "$datadir/pids"; }

if [ "$start_bn" = 1 ]; then
    [ -n "$port" ] && [ -n "$http_port" ] || die "--port and --http-port are required"
    [ -f "$testnet_dir/genesis.ssz" ] || die "$testnet_dir/genesis.ssz is missing"
    if [ -z "$boot_enr" ] && [ -z "$only_peer" ] && [ -f "$testnet_dir/boot_enr.yaml" ]; then
        boot_enr="$(sed -n 's/^- *["'\'']\{0,1\}\(enr:[^"'\'' ]*\).*/\1/p' "$testnet_dir/boot_enr.yaml" | paste -sd, -)"
    fi
    args=(beacon --preset "$preset" --paramsFile "$testnet_dir/config.yaml"
        --genesisStateFile "$testnet_dir/genesis.ssz" --dataDir "$datadir/beacon"
        --eth1 false --listenAddress 127.0.0.1 --port "$port"
        # Lodestar leaves ip and tcp out of its ENR until peers confirm its address, and a
        # node that discovers an ENR without them cannot dial it: say them from the start.
        --enr.ip 127.0.0.1 --enr.tcp "$port" --enr.udp "$port"
        --rest.address 127.0.0.1 --rest.port "$http_port" --rest.namespace '*'
        --logLevel info --logFile "$datadir/beacon.log" --logFileLevel debug --logFileDailyRotate 0)
    if [ -n "$only_peer" ]; then
        # No discovery: the one peer is dialled from its ENR's tcp address.
        args+=(--discv5 false --bootnodes "$only_peer" --network.connectToDiscv5Bootnodes true)
    elif [ -n "$boot_enr" ]; then
        args+=(--bootnodes "$boot_enr" --network.connectToDiscv5Bootnodes true)
    fi
    if [ -n "$metrics_port" ]; then
        args+=(--metrics --metrics.address 127.0.0.1 --metrics.port "$metrics_port")
    fi
    "$lodestar" "${args[@]}" > "$datadir/beacon.out" 2>&1 &
    record $!
    echo "lodestar beacon node: pid $!, REST http://127.0.0.1:$http_port, p2p 127.0.0.1:$port, logs $datadir/beacon.out"
    [ -n "$beacon_url" ] || beacon_url="http://127.0.0.1:$http_port"
fi

if [ -n "$interop_indexes" ] || [ -n "$keystores" ]; then
    [ -n "$beacon_url" ] || die "--beacon-url is required with --no-bn"
    args=(validator --preset "$preset" --paramsFile "$testnet_dir/config.yaml"
        --dataDir "$datadir/validator" --server "$beacon_url" --logLevel info)
    if [ -n "$interop_indexes" ]; then
        args+=(--interopIndexes "$interop_indexes")
    else
        [ -n "$keystore_password" ] || die "--keystores needs --keystore-password"
        args+=(--importKeystores "$keystores" --importKeystoresPassword "$keystore_password")
    fi
    "$lodestar" "${args[@]}" >> "$datadir/validator.out" 2>&1 &
    record $!
    echo "lodestar validator client: pid $!, beacon node $beacon_url, logs $datadir/validator.out"
fi
