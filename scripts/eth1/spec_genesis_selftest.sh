#!/usr/bin/env bash
# Checks spec_genesis.py (the eth2spec judge of eth1 genesis) against Fresnel's interop genesis,
# which is initialize_beacon_state_from_eth1(0x42 * 32, 2**40, interop deposits) with genesis_time
# then overwritten: asking lcli for genesis time 2**40 + GENESIS_DELAY makes the two states equal,
# so the whole state root must match. Then checks the spec's handling of bad deposits.
#   scripts/eth1/spec_genesis_selftest.sh      (LCLI=path/to/lcli, default target/debug/lcli)
# Also: spec_genesis_selftest.sh --deposits N CONFIG_YAML OUT_JSON writes N signed interop
# deposits for that network (for timing the judge on other sizes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py="$("$here/eth2spec.sh" --print-python)"

# Interop deposit data as JSON: key i = sha256(i as 32 bytes LE) read LE, mod the curve order
# (eth2.0-pm mocked_start), MAX_EFFECTIVE_BALANCE each, signed with the network's fork version.
write_deposits() {  # COUNT CONFIG_YAML OUT_JSON
    # It imports spec_genesis.py for load_spec; no __pycache__ left in the clone.
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$here" "$py" - "$@" <<'EOF'
import hashlib, json, sys
import spec_genesis
from eth2spec.phase0 import spec
from eth2spec.utils import bls
count, config, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
spec_genesis.load_spec(config)
bls.use_milagro()
ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
domain = spec.compute_domain(spec.DOMAIN_DEPOSIT)
deposits = []
for i in range(count):
    sk = int.from_bytes(hashlib.sha256(i.to_bytes(32, "little")).digest(), "little") % ORDER
    pk = bls.SkToPk(sk)
    msg = spec.DepositMessage(pubkey=pk, withdrawal_credentials=spec.BLS_WITHDRAWAL_PREFIX + spec.hash(pk)[1:],
                              amount=spec.MAX_EFFECTIVE_BALANCE)
    sig = bls.Sign(sk, spec.compute_signing_root(msg, domain))
    deposits.append({"pubkey": "0x" + bytes(pk).hex(), "withdrawal_credentials": "0x" + bytes(msg.withdrawal_credentials).hex(),
                     "amount": str(int(msg.amount)), "signature": "0x" + bytes(sig).hex()})
json.dump(deposits, open(out, "w"))
EOF
}

if [ "${1:-}" = "--deposits" ]; then
    write_deposits "$2" "$3" "$4"
    exit 0
fi

lcli="${LCLI:-$here/../../target/debug/lcli}"
[ -x "$lcli" ] || { echo "selftest: no lcli at $lcli (cargo build -p lcli, or set LCLI)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "selftest FAILED: $*" >&2; exit 1; }
field() { "$py" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
judge() { "$py" "$here/spec_genesis.py" --config "$tmp/config.yaml" --deposits "$1" \
              --block-hash "0x$(printf '42%.0s' {1..32})" --timestamp $((2**40)); }

"$lcli" write-config --network minimal -o "$tmp/config.yaml" >/dev/null
write_deposits 64 "$tmp/config.yaml" "$tmp/deposits.json"
delay="$(sed -n 's/^GENESIS_DELAY: *//p' "$tmp/config.yaml")"
"$lcli" interop-genesis --network minimal --count 64 --genesis-time $((2**40 + delay)) -o "$tmp/genesis.ssz" >/dev/null 2>&1
roots="$("$lcli" state-root --network minimal "$tmp/genesis.ssz")"
want_root="$(sed -n 's/^state_root: //p' <<<"$roots")"
want_gvr="$(sed -n 's/^genesis_validators_root: //p' <<<"$roots")"

# 1. The 64 interop deposits: the same state as lcli's, and a valid genesis.
out="$(judge "$tmp/deposits.json")"
echo "interop 64: $out"
[ "$(field "$out" state_root)" = "$want_root" ] || fail "state_root differs from lcli's $want_root"
[ "$(field "$out" genesis_validators_root)" = "$want_gvr" ] || fail "genesis_validators_root differs from lcli's $want_gvr"
[ "$(field "$out" valid_genesis)" = True ] || fail "64 validators on minimal should be a valid genesis"

# 2. Bad signatures are skipped, not errors: a new key with a broken signature adds no validator;
# a top-up of key 0 needs no signature, so it adds balance (the state root changes) but, capped at
# MAX_EFFECTIVE_BALANCE, leaves the validators (and their root) as they were.
"$py" - "$tmp/deposits.json" "$tmp/bad.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
new = dict(d[1], pubkey=d[63]["pubkey"][:2] + "a0" + d[63]["pubkey"][4:])     # not the key that signed
top = dict(d[0], amount=1000000000, signature="0x" + "00" * 96)              # top-up, garbage signature
bad_first = dict(d[62], amount=2000000000)                                   # signature of another amount
json.dump(d[:62] + [bad_first] + d[63:] + [new, top], open(sys.argv[2], "w"))
EOF
out="$(judge "$tmp/bad.json")"
echo "with bad deposits: $out"
[ "$(field "$out" validators)" = 63 ] || fail "the two badly signed new deposits must be skipped (63 validators)"
[ "$(field "$out" valid_genesis)" = False ] || fail "63 validators on minimal is below MIN_GENESIS_ACTIVE_VALIDATOR_COUNT"
[ "$(field "$out" state_root)" != "$want_root" ] || fail "skipped deposits must still change the state"
echo "selftest passed"
