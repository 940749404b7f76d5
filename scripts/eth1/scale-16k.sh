#!/usr/bin/env bash
# The mainnet-preset scale run of the eth1 tooling: a fresh anvil, the deposit contract,
# 16,384 interop deposits, and genesis computed from the contract by `lcli eth1-genesis`
# (the beacon node's own genesis code), with the time of each step and the genesis state
# root; with JUDGE=1 also the executable spec's root over the same deposits (eth2spec 1.0.1:
# about 1.5 hours at this size, its genesis is quadratic in the deposit count).
#   scripts/eth1/scale-16k.sh                    (debug binaries; RELEASE=1 builds --release)
#   VALIDATORS=4096 JUDGE=1 scripts/eth1/scale-16k.sh
# Work files go to ${SCALE_DIR:-target/eth1-scale}; anvil is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
validators="${VALIDATORS:-16384}"
dir="${SCALE_DIR:-target/eth1-scale}"
profile=debug
if [[ "${RELEASE:-0}" == 1 ]]; then
    profile=release
    cargo build --release --locked -p lcli
elif [[ ! -x target/debug/lcli ]]; then
    cargo build --locked -p lcli
fi
lcli="target/$profile/lcli"
anvil="$(scripts/eth1/install-anvil.sh)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
rm -rf "$dir" && mkdir -p "$dir"
# 12-second blocks, as mainnet's eth1 chain had: deposits land in a few large blocks.
"$anvil" --host 127.0.0.1 --port "$port" --chain-id 4242 --block-time 12 \
    --gas-limit 1000000000 --balance 1000000000 >"$dir/anvil.log" 2>&1 &
anvil_pid=$!
trap 'kill "$anvil_pid" 2>/dev/null || true' EXIT
until curl -sf -X POST -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$endpoint" >/dev/null; do
    sleep 0.2
done

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.1f}')"; }

t0=$(now)
"$lcli" deploy-deposit-contract --eth1-endpoint "$endpoint" --testnet-dir "$dir/net" >/dev/null
"$lcli" new-testnet --testnet-dir "$dir/net" --preset mainnet \
    --set MIN_GENESIS_TIME="$(date +%s)" --set GENESIS_DELAY=600 \
    --set MIN_GENESIS_ACTIVE_VALIDATOR_COUNT="$validators" \
    --set ETH1_FOLLOW_DISTANCE=1 --set SECONDS_PER_ETH1_BLOCK=12 \
    --set DEPOSIT_CHAIN_ID=4242 --set DEPOSIT_NETWORK_ID=4242
t1=$(now)
"$lcli" deposit --eth1-endpoint "$endpoint" --testnet-dir "$dir/net" \
    --interop-validators "$validators" 2>&1 | tee "$dir/deposit.log" >&2
t2=$(now)
"$lcli" eth1-genesis --testnet-dir "$dir/net" --eth1-endpoint "$endpoint" \
    -o "$dir/genesis.ssz" >"$dir/genesis.txt" 2>"$dir/genesis.log"
t3=$(now)
genesis_seconds=$(grep -o 'genesis computed in [0-9.]* s' "$dir/genesis.log" | grep -o '[0-9.]*' | head -1)

echo "validators:               $validators (mainnet preset, $profile build)"
echo "deploy + new-testnet:     $(seconds "$t0" "$t1") s"
echo "deposits (sign, verify, send, mine, check): $(seconds "$t1" "$t2") s"
echo "eth1-genesis (wall, incl. waiting for the block to be ETH1_FOLLOW_DISTANCE deep): $(seconds "$t2" "$t3") s"
echo "eth1-genesis (its own figure): ${genesis_seconds:-?} s"
cat "$dir/genesis.txt"
du -sh "$dir/genesis.ssz"

if [[ "${JUDGE:-0}" == 1 ]]; then
    python="$(scripts/eth1/eth2spec.sh --print-python)"
    # The deposits as the contract logged them, and the genesis block, from the state itself.
    "$python" - "$dir" "$endpoint" <<'EOF'
import json, sys, urllib.request
d, url = sys.argv[1], sys.argv[2]
net = d + "/net"
contract = open(net + "/deposit_contract.txt").read().strip()
def rpc(method, params):
    req = urllib.request.Request(url, json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode(),
                                 {"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))["result"]
logs = rpc("eth_getLogs", [{"address": contract, "fromBlock": "0x0", "toBlock": "latest"}])
out = []
for log in logs:
    data = bytes.fromhex(log["data"][2:])
    field = lambda off, n: data[off + 32: off + 32 + n]
    out.append({"pubkey": "0x" + field(0xa0, 48).hex(), "withdrawal_credentials": "0x" + field(0x100, 32).hex(),
                "amount": str(int.from_bytes(field(0x140, 8), "little")), "signature": "0x" + field(0x180, 96).hex()})
json.dump(out, open(d + "/deposits.json", "w"))
EOF
    block_hash=$(grep -o 'eth1_block_hash=0x[0-9a-f]*' "$dir/genesis.txt" | cut -d= -f2)
    eth1_timestamp=$(grep -o 'eth1_timestamp=[0-9]*' "$dir/genesis.txt" | cut -d= -f2)
    t4=$(now)
    "$python" scripts/eth1/spec_genesis.py --config "$dir/net/config.yaml" --deposits "$dir/deposits.json" \
        --block-hash "$block_hash" --timestamp "$eth1_timestamp" | tee "$dir/judge.json"
    echo "executable spec: $(seconds "$t4" "$(now)") s"
fi
