#!/usr/bin/env python3
"""An independent judge of genesis: the executable spec (eth2spec 1.0.1, phase 0) builds the
genesis state from eth1 deposits, so Fresnel's eth1 genesis can be compared with it.

Run with the python of scripts/eth1/eth2spec.sh --print-python:
  spec_genesis.py --config CONFIG_YAML --deposits DEPOSITS_JSON --block-hash 0x.. --timestamp N
CONFIG_YAML: a network config.yaml (keys the v1.0.1 spec does not know are ignored).
DEPOSITS_JSON: an array of {"pubkey","withdrawal_credentials","amount","signature"}, in deposit order.
Prints one line of JSON: state_root, genesis_validators_root, genesis_time, validators, valid_genesis.
"""
import argparse
import json
import sys
import time
from importlib import reload

from ruamel.yaml import YAML

from eth2spec.config import config_util
from eth2spec.utils import bls
from eth2spec.phase0 import spec

# eth2spec 1.0.1 ships no preset files: spec.py is generated with the mainnet values and, right
# after its constants, calls apply_constants_config(globals()), which overwrites each constant
# named in config_util.config (what prepare_config(dir, name) would fill from YAML files).
# So the preset is applied by filling that dict and reloading the module. The minimal preset is
# the v1.0.1 configs/minimal/phase0.yaml values that differ from mainnet (the spec's built-ins).
MINIMAL = dict(
    MAX_COMMITTEES_PER_SLOT=4, TARGET_COMMITTEE_SIZE=4, SHUFFLE_ROUND_COUNT=10,
    MIN_GENESIS_ACTIVE_VALIDATOR_COUNT=64, MIN_GENESIS_TIME=1578009600,
    SAFE_SLOTS_TO_UPDATE_JUSTIFIED=2, ETH1_FOLLOW_DISTANCE=16,
    GENESIS_FORK_VERSION=bytes.fromhex("00000001"), GENESIS_DELAY=300, SECONDS_PER_SLOT=6,
    SLOTS_PER_EPOCH=8, EPOCHS_PER_ETH1_VOTING_PERIOD=4, SLOTS_PER_HISTORICAL_ROOT=64,
    SHARD_COMMITTEE_PERIOD=64, EPOCHS_PER_HISTORICAL_VECTOR=64, EPOCHS_PER_SLASHINGS_VECTOR=64,
    INACTIVITY_PENALTY_QUOTIENT=2**25, MIN_SLASHING_PENALTY_QUOTIENT=64,
    PROPORTIONAL_SLASHING_MULTIPLIER=2,
)


def die(msg):
    sys.exit(f"spec_genesis: {msg}")


def load_spec(config_path):
    """Reload the phase 0 spec with the preset of config_path, then its own values on top."""
    with open(config_path) as f:
        # typ='base' reads every scalar as a string, as eth2spec's own loader does, so an
        # unquoted 0x00000001 stays a hex string instead of becoming the integer 1.
        raw = YAML(typ="base").load(f) or {}
    preset = raw.get("PRESET_BASE") or raw.get("CONFIG_NAME")
    if preset not in ("minimal", "mainnet"):
        preset = {"8": "minimal", "32": "mainnet"}.get(raw.get("SLOTS_PER_EPOCH"))
    if preset is None:
        die(f"{config_path}: cannot tell the preset (no PRESET_BASE/CONFIG_NAME minimal|mainnet, "
            "no SLOTS_PER_EPOCH 8|32)")
    # The constants the spec knows: the values it was generated with (the module is still mainnet).
    known = {k for k, v in vars(spec).items() if k.isupper() and isinstance(v, (int, bytes, str))}
    config = {"CONFIG_NAME": preset, **(MINIMAL if preset == "minimal" else {})}
    for k, v in raw.items():
        if k not in known:
            continue  # a later fork's key (ALTAIR_FORK_EPOCH, ...) or an eth1-side one
        if k == "CONFIG_NAME":
            config[k] = str(v)
        elif isinstance(v, str) and v.startswith("0x"):
            config[k] = bytes.fromhex(v[2:])
        else:
            config[k] = int(v)
    config_util.config = config
    reload(spec)
    for k, v in config.items():  # the reload must have taken every value
        assert getattr(spec, k) == v, f"{k}: spec has {getattr(spec, k)!r}, config says {v!r}"
    return preset


def hexbytes(s, what):
    if not isinstance(s, str) or not s.startswith("0x"):
        die(f"{what} must be a 0x-prefixed hex string, got {s!r}")
    return bytes.fromhex(s[2:])


def build_deposits(items):
    """Deposits with the proofs the spec's initialize_beacon_state_from_eth1 checks: deposit i
    proven against the deposit list of items 0..i (the tree root mixed in with length i+1).

    Same proofs as eth2spec/test/helpers/deposits.py, which rebuilds the whole tree for each
    deposit; here the deposit contract's incremental branch gives them in O(depth) each: the
    sibling at height h is the last finished left subtree if bit h of i is set, else all zeros.
    """
    depth = int(spec.DEPOSIT_CONTRACT_TREE_DEPTH)
    zero = [b"\x00" * 32]
    for _ in range(depth):
        zero.append(spec.hash(zero[-1] + zero[-1]))
    branch = [b"\x00" * 32] * depth
    deposits = []
    for i, d in enumerate(items):
        data = spec.DepositData(
            pubkey=spec.BLSPubkey(hexbytes(d["pubkey"], f"deposit {i} pubkey")),
            withdrawal_credentials=spec.Bytes32(hexbytes(d["withdrawal_credentials"], f"deposit {i} withdrawal_credentials")),
            amount=spec.Gwei(int(d["amount"])),
            signature=spec.BLSSignature(hexbytes(d["signature"], f"deposit {i} signature")),
        )
        proof = [branch[h] if (i >> h) & 1 else zero[h] for h in range(depth)]
        proof.append((i + 1).to_bytes(32, "little"))
        deposits.append(spec.Deposit(proof=proof, data=data))
        # Insert leaf i into the incremental tree (as deposit_contract.sol's deposit() does).
        node, size = bytes(data.hash_tree_root()), i + 1
        for h in range(depth):
            if size & 1:
                branch[h] = node
                break
            node = spec.hash(branch[h] + node)
            size >>= 1
    return deposits


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="network config.yaml")
    ap.add_argument("--deposits", required=True, help="JSON array of deposit data, in deposit order")
    ap.add_argument("--block-hash", required=True, help="eth1 block hash, 0x + 32 bytes")
    ap.add_argument("--timestamp", required=True, type=int, help="eth1 block timestamp (unix seconds)")
    args = ap.parse_args()

    preset = load_spec(args.config)
    # Milagro (C) instead of the default, pure-Python py_ecc: far faster signature checks.
    if hasattr(bls, "use_milagro"):
        bls.use_milagro()
    block_hash = hexbytes(args.block_hash, "--block-hash")
    if len(block_hash) != 32:
        die("--block-hash must be 32 bytes")
    with open(args.deposits) as f:
        items = json.load(f)
    if not isinstance(items, list):
        die(f"{args.deposits}: expected a JSON array of deposit data")

    start = time.monotonic()
    deposits = build_deposits(items)
    # Invalid signatures are not errors: process_deposit skips such deposits, as on chain.
    state = spec.initialize_beacon_state_from_eth1(spec.Bytes32(block_hash), spec.uint64(args.timestamp), deposits)
    out = {
        "state_root": "0x" + bytes(state.hash_tree_root()).hex(),
        "genesis_validators_root": "0x" + bytes(state.genesis_validators_root).hex(),
        "genesis_time": int(state.genesis_time),
        "validators": len(state.validators),
        "valid_genesis": bool(spec.is_valid_genesis_state(state)),
    }
    print(f"spec_genesis: {preset} preset, {len(deposits)} deposits in {time.monotonic() - start:.1f}s",
          file=sys.stderr)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
