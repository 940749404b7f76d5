#!/usr/bin/env python3
"""Check a running Fresnel beacon node against the Beacon Node OpenAPI (ethereum/beacon-APIs v1).

Run by run.sh inside its pinned venv; see README.md. Four phases:

1. known-good requests: every operation is called with parameters taken from the live chain
   (head/genesis/finalized ids, a real slot, a real validator, a produced block with a real
   randao reveal, ...), because random `state_id`s or `block_id`s almost never name anything
   and so would never exercise the 2xx schemas. Each response is validated against the spec
   and must have the status the request was meant to get.
2. schemathesis fuzzing (`schemathesis run`, the examples/coverage/fuzzing phases) of every
   operation but those allowlist.txt marks no-fuzz, with the checks not_a_server_error,
   status_code_conformance, content_type_conformance and response_schema_conformance.
3. the event stream, which never ends, is read with a deadline: a `head` event must arrive.
4. boundary values (u64::MAX, far-future slots), which must get a documented status quickly.

It then prints, per operation, the requests, the 2xx responses that passed every check,
the 4xx, the 5xx and the failures, and fails if anything failed or if a GET operation that
allowlist.txt does not excuse got no valid 2xx at all.
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit, unquote

import requests
import schemathesis
import yaml
from schemathesis.core import NOT_SET
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CHECK_NAMES = ",".join(c.__name__ for c in CHECKS)
TIMEOUT = 30  # seconds per request; a debug build computing a far-future state is slow


# ---------------------------------------------------------------------------------------------
# Bookkeeping


@dataclass
class OpStats:
    method: str
    path: str
    requests: int = 0
    ok_2xx: int = 0  # 2xx responses that passed every check
    c4xx: int = 0
    c5xx: int = 0
    failures: list[str] = field(default_factory=list)


class Stats:
    def __init__(self, schema: Any) -> None:
        self.ops: dict[str, OpStats] = {}
        self.templates: list[tuple[str, re.Pattern[str], str]] = []
        for result in schema.get_all_operations():
            op = result.ok()
            op_id = op.definition.raw["operationId"]
            self.ops[op_id] = OpStats(op.method.upper(), op.path)
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op.path)) + "$"
            self.templates.append((op.method.upper(), re.compile(pattern), op_id))

    def op_for(self, method: str, url: str) -> str | None:
        path = urlsplit(url).path
        for m, pattern, op_id in self.templates:
            if m == method.upper() and pattern.match(path):
                return op_id
        return None

    def record(self, op_id: str, status: int, failures: list[str]) -> None:
        s = self.ops[op_id]
        s.requests += 1
        if 200 <= status < 300 and not failures:
            s.ok_2xx += 1
        elif 400 <= status < 500:
            s.c4xx += 1
        elif status >= 500 or status == 0:  # 0: no response at all
            s.c5xx += 1
        s.failures.extend(failures)


def short(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + f"... [{len(text)} chars]"


# ---------------------------------------------------------------------------------------------
# Just enough SSZ and BLS to sign a randao reveal and to name an attestation's data by its
# root, with the interop keys (`lcli insecure-validators`, `--interop-validators`).

CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
DOMAIN_RANDAO = bytes.fromhex("02000000")


def sha(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def u64_chunk(n: int) -> bytes:
    return int(n).to_bytes(8, "little") + b"\0" * 24


def b32(hex_str: str) -> bytes:
    return bytes.fromhex(hex_str[2:])


def merkleize(chunks: list[bytes]) -> bytes:
    size = 1
    while size < len(chunks):
        size *= 2
    layer = chunks + [b"\0" * 32] * (size - len(chunks))
    while len(layer) > 1:
        layer = [sha(layer[i], layer[i + 1]) for i in range(0, len(layer), 2)]
    return layer[0]


def checkpoint_root(cp: dict[str, str]) -> bytes:
    return merkleize([u64_chunk(int(cp["epoch"])), b32(cp["root"])])


def attestation_data_root(data: dict[str, Any]) -> str:
    return "0x" + merkleize(
        [
            u64_chunk(int(data["slot"])),
            u64_chunk(int(data["index"])),
            b32(data["beacon_block_root"]),
            checkpoint_root(data["source"]),
            checkpoint_root(data["target"]),
        ]
    ).hex()


def interop_secret_key(index: int) -> int:
    return int.from_bytes(sha(index.to_bytes(32, "little")), "little") % CURVE_ORDER


def randao_reveal(index: int, epoch: int, fork_version: str, genesis_validators_root: str) -> str:
    from py_ecc.bls import G2ProofOfPossession as bls

    fork_data_root = merkleize([b32(fork_version) + b"\0" * 28, b32(genesis_validators_root)])
    domain = DOMAIN_RANDAO + fork_data_root[:28]
    signing_root = sha(u64_chunk(epoch), domain)
    return "0x" + bls.Sign(interop_secret_key(index), signing_root).hex()


def is_interop_key(index: int, pubkey: str) -> bool:
    from py_ecc.bls import G2ProofOfPossession as bls

    return "0x" + bls.SkToPk(interop_secret_key(index)).hex() == pubkey


# ---------------------------------------------------------------------------------------------
# Phase 1: known-good requests


class Node:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.http = requests.Session()

    def get(self, path: str, **params: Any) -> Any:
        r = self.http.get(self.base + path, params=params, timeout=TIMEOUT)
        r.raise_for_status()
        return r.json()["data"]

    def post(self, path: str, body: Any) -> Any:
        r = self.http.post(self.base + path, json=body, timeout=TIMEOUT)
        r.raise_for_status()
        return r.json()["data"]

    def head_slot(self) -> int:
        return int(self.get("/eth/v1/beacon/headers/head")["header"]["message"]["slot"])

    def current_slot(self) -> int:
        """The node's wall-clock slot: its head plus how far the head is behind."""
        s = self.get("/eth/v1/node/syncing")
        return int(s["head_slot"]) + int(s["sync_distance"])


@dataclass
class Request:
    op_id: str
    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Which statuses this request is meant to get; anything else is reported (a known-good
    # request answered 4xx is as much a bug as a schema violation). None: any documented one.
    expect: tuple[int, ...] | None = (200,)
    timeout: float = TIMEOUT
    # A request built from the live chain can be overtaken by it (a slot boundary falls between
    # preparing and sending); such a request is prepared afresh and sent again, this many times.
    attempts: int = 1


def wait_for_chain(node: Node, min_slot: int, deadline_s: float) -> None:
    """Blocks, attestations and a pool are there only once the chain has run a little."""
    end = time.monotonic() + deadline_s
    while True:
        try:
            slot = node.head_slot()
            if slot >= min_slot:
                return
            print(f"  waiting for the chain: head slot {slot} < {min_slot}")
        except (requests.RequestException, ValueError, KeyError) as e:
            print(f"  waiting for the node: {e}")
        if time.monotonic() > end:
            sys.exit(f"the chain did not reach slot {min_slot} in {deadline_s:.0f} s")
        time.sleep(2)


def known_good_requests(node: Node) -> list[Request | Callable[[], Request]]:
    """Requests that a healthy node must answer 2xx, with values read from the live chain."""
    spec = node.get("/eth/v1/config/spec")
    slots_per_epoch = int(spec["SLOTS_PER_EPOCH"])
    genesis = node.get("/eth/v1/beacon/genesis")
    head = node.get("/eth/v1/beacon/headers/head")
    head_slot = int(head["header"]["message"]["slot"])
    head_root = head["root"]
    parent_root = head["header"]["message"]["parent_root"]
    epoch = head_slot // slots_per_epoch
    state_root = node.get("/eth/v1/beacon/states/head/root")["root"]
    finalized_state_root = node.get("/eth/v1/beacon/states/finalized/root")["root"]
    finalized_epoch = int(node.get("/eth/v1/beacon/states/head/finality_checkpoints")["finalized"]["epoch"])
    validator = node.get("/eth/v1/beacon/states/head/validators/1")
    pubkey = validator["validator"]["pubkey"]
    block = node.get("/eth/v1/beacon/blocks/head")
    peers = node.get("/eth/v1/node/peers")
    try:  # only to name a peer in getPeer below; its own request checks getNetworkIdentity
        own_peer_id = node.get("/eth/v1/node/identity")["peer_id"]
    except (requests.RequestException, KeyError):
        own_peer_id = "16Uiu2HAmQqX2yuQqCbYAd5CsWvF2RZxN6vPk5Ba9pAiB1nDdfS4B"  # well-formed, nobody's

    reqs: list[Request | Callable[[], Request]] = [Request("getGenesis")]
    # Every kind of state id the spec names: head, genesis, finalized, justified, a slot, a root.
    state_ids = ["head", "genesis", "finalized", "justified", str(head_slot), state_root, finalized_state_root]
    for sid in state_ids:
        for op in ("getStateRoot", "getStateFork", "getStateFinalityCheckpoints"):
            reqs.append(Request(op, {"state_id": sid}))
    reqs += [
        Request("getStateValidators", {"state_id": "head"}),
        Request("getStateValidators", {"state_id": "genesis"}, {"id": ["0", pubkey]}),
        Request("getStateValidators", {"state_id": "head"}, {"status": ["active_ongoing", "active"]}),
        Request("getStateValidators", {"state_id": "head"}, {"status": ["exited"]}),
        Request("getStateValidator", {"state_id": "head", "validator_id": "0"}),
        Request("getStateValidator", {"state_id": "finalized", "validator_id": pubkey}),
        Request("getStateValidatorBalances", {"state_id": "head"}),
        Request("getStateValidatorBalances", {"state_id": "head"}, {"id": ["0", pubkey]}),
        Request("getEpochCommittees", {"state_id": "head"}),
        Request("getEpochCommittees", {"state_id": str(head_slot)}, {"epoch": str(epoch), "index": "0", "slot": str(head_slot)}),
        Request("getEpochCommittees", {"state_id": "finalized"}, {"epoch": str(finalized_epoch)}),
        Request("getBlockHeaders"),
        Request("getBlockHeaders", query={"slot": str(head_slot)}),
        Request("getBlockHeaders", query={"parent_root": parent_root}),
    ]
    block_ids = ["head", "genesis", "finalized", str(head_slot), head_root]
    for bid in block_ids:
        for op in ("getBlockHeader", "getBlock", "getBlockRoot", "getBlockAttestations"):
            reqs.append(Request(op, {"block_id": bid}))
    # SSZ variants that the spec documents as application/octet-stream.
    reqs.append(Request("getBlock", {"block_id": "head"}, headers={"Accept": "application/octet-stream"}))
    reqs.append(Request("getState", {"state_id": "head"}, headers={"Accept": "application/octet-stream"}))
    for sid in ("head", "genesis", "finalized", str(head_slot)):
        reqs.append(Request("getState", {"state_id": sid}))
    reqs += [
        Request("getPoolAttestations"),
        Request("getPoolAttestations", query={"slot": str(head_slot), "committee_index": "0"}),
        Request("getPoolAttesterSlashings"),
        Request("getPoolProposerSlashings"),
        Request("getPoolVoluntaryExits"),
        Request("getDebugChainHeads"),
        Request("getNetworkIdentity"),
        Request("getPeers"),
        Request("getPeers", query={"state": ["connected"], "direction": ["outbound"]}),
        Request("getPeerCount"),
        Request("getNodeVersion"),
        Request("getSyncingStatus"),
        Request("getHealth", expect=(200, 206)),
        Request("getForkSchedule"),
        Request("getSpec"),
        Request("getDepositContract"),
    ]
    # Duties are served for the head's epoch and its neighbours only, so these read the head
    # right before they are sent (a slow run must not leave them an epoch behind).
    head_epoch = lambda: node.head_slot() // slots_per_epoch  # noqa: E731
    reqs += [
        lambda: Request("getAttesterDuties", {"epoch": str(head_epoch())}, body=["0", "1", "2"]),
        lambda: Request("getAttesterDuties", {"epoch": str(head_epoch() + 1)}, body=["3"]),
        lambda: Request("getProposerDuties", {"epoch": str(head_epoch())}),
        lambda: Request("produceAttestationData", query={"slot": str(node.head_slot()), "committee_index": "0"}),
    ]
    # A peer: the first connected one if any; a lone node has none (allowlist.txt), and then its
    # own peer id must still be answered by a documented 404, not a 5xx.
    if peers:
        reqs.append(Request("getPeer", {"peer_id": peers[0]["peer_id"]}))
    else:
        reqs.append(Request("getPeer", {"peer_id": own_peer_id}, expect=(404,)))

    # Re-publishing the head block and attestations the chain already has: a known block must be
    # accepted (200/202) and a duplicate attestation rejected by a documented status, not a 5xx.
    reqs.append(Request("publishBlock", body=block, expect=(200, 202)))
    # Attestations to re-publish, and to build invalid operations from: the head block's, or
    # (if it has none) the pool's.
    atts = node.get("/eth/v1/beacon/blocks/head/attestations") or node.get("/eth/v1/beacon/pool/attestations")
    if atts:
        reqs.append(Request("submitPoolAttestations", body=atts[:1], expect=(200, 400)))
        reqs.append(Request("submitPoolAttesterSlashings", body=attester_slashing_of(atts[0]), expect=(400,)))
        # A well-formed but unsigned AggregateAndProof: a documented 400.
        reqs.append(Request("publishAggregateAndProofs", body=unsigned_aggregate(atts[0]), expect=(400,)))
    # Invalid slashings and exits (zero signatures): must be a documented 400.
    reqs += [
        Request("submitPoolVoluntaryExit", body={"message": {"epoch": "0", "validator_index": "0"}, "signature": ZERO_SIG}, expect=(400,)),
        Request("submitPoolProposerSlashings", body=proposer_slashing_of(block), expect=(400,)),
    ]
    # Subscriptions for the duties of the moment.
    def subscriptions() -> Request:
        duties = node.post(f"/eth/v1/validator/duties/attester/{head_epoch()}", ["0", "1"])
        return Request(
            "prepareBeaconCommitteeSubnet",
            body=[
                {
                    "validator_index": d["validator_index"],
                    "committee_index": d["committee_index"],
                    "committees_at_slot": d["committees_at_slot"],
                    "slot": d["slot"],
                    "is_aggregator": False,
                }
                for d in duties
            ],
        )

    reqs.append(subscriptions)
    # Requests whose values must be read right before they are sent.
    reqs.append(lambda: aggregate_request(node))
    reqs.append(lambda: produce_block_request(node, slots_per_epoch, genesis["genesis_validators_root"]))
    return reqs


ZERO_SIG = "0x" + "00" * 96


def proposer_slashing_of(block: dict[str, Any]) -> dict[str, Any]:
    """Two different headers of the block's proposer at its slot, unsigned."""
    m = block["message"]
    header = {k: m[k] for k in ("slot", "proposer_index", "parent_root", "state_root")}
    return {
        "signed_header_1": {"message": {**header, "body_root": "0x" + "11" * 32}, "signature": ZERO_SIG},
        "signed_header_2": {"message": {**header, "body_root": "0x" + "22" * 32}, "signature": ZERO_SIG},
    }


def attester_slashing_of(att: dict[str, Any]) -> dict[str, Any]:
    """A double vote by validator 0, unsigned."""
    data = att["data"]
    other = {**data, "beacon_block_root": "0x" + "33" * 32}
    return {
        "attestation_1": {"attesting_indices": ["0"], "data": data, "signature": ZERO_SIG},
        "attestation_2": {"attesting_indices": ["0"], "data": other, "signature": ZERO_SIG},
    }


def unsigned_aggregate(att: dict[str, Any]) -> list[dict[str, Any]]:
    """An aggregate nobody has seen (a block root of 0x44..): a node may ignore an aggregate it
    already knows with a 200 before looking at signatures, but must reject this one."""
    aggregate = {**att, "data": {**att["data"], "beacon_block_root": "0x" + "44" * 32}}
    return [{"message": {"aggregator_index": "0", "aggregate": aggregate, "selection_proof": ZERO_SIG}, "signature": ZERO_SIG}]


def aggregate_request(node: Node) -> Request:
    """getAggregatedAttestation needs the root of an attestation's data that the pool holds: the
    validator client submits one per committee each slot, so wait (bounded) for one."""
    for _ in range(15):
        pool = node.get("/eth/v1/beacon/pool/attestations")
        if pool:
            data = pool[-1]["data"]
            return Request(
                "getAggregatedAttestation",
                query={"attestation_data_root": attestation_data_root(data), "slot": data["slot"]},
            )
        time.sleep(1)
    # Nothing in the pool: still ask, for a valid 400 (reported as a miss unless allowlisted).
    return Request(
        "getAggregatedAttestation",
        query={"attestation_data_root": "0x" + "00" * 32, "slot": str(node.head_slot())},
        expect=(200,),
    )


def produce_block_request(node: Node, slots_per_epoch: int, gvr: str) -> Request:
    """produceBlock checks the randao reveal, so sign one with the proposer's interop key for
    the next slot by the node's clock: the latest a node builds for, and one the validator
    client has not proposed for yet. Signing takes a while, so the slot is read again after it
    (and the reveal redone if the clock moved); a slot boundary between that read and the
    request can still let the validator client's block take the slot first, hence the
    attempts."""
    next_slot = lambda: max(node.current_slot(), node.head_slot()) + 1  # noqa: E731
    slot = next_slot()
    for _ in range(3):
        epoch = slot // slots_per_epoch
        duties = node.get(f"/eth/v1/validator/duties/proposer/{epoch}")
        proposer = next(int(d["validator_index"]) for d in duties if int(d["slot"]) == slot)
        pubkey = next(d["pubkey"] for d in duties if int(d["slot"]) == slot)
        if not is_interop_key(proposer, pubkey):
            print(f"  produceBlock: validator {proposer} does not hold an interop key; cannot sign a randao reveal")
        fork = node.get("/eth/v1/beacon/states/head/fork")
        version = fork["current_version"] if epoch >= int(fork["epoch"]) else fork["previous_version"]
        reveal = randao_reveal(proposer, epoch, version, gvr)
        now = next_slot()
        if now == slot:
            break
        slot = now
    return Request(
        "produceBlock",
        {"slot": str(slot)},
        {"randao_reveal": reveal, "graffiti": "0x" + b"schema check".ljust(32, b"\0").hex()},
        attempts=5,
    )


def run_requests(schema: Any, node: Node, stats: Stats, items: list[Request | Callable[[], Request]]) -> None:
    for item in items:
        attempt = 1
        while True:
            try:
                req = item() if callable(item) else item
            except Exception as e:  # preparing it needed the node; say why and go on
                print(f"  could not prepare a request: {type(e).__name__}: {e}")
                break
            may_retry = callable(item) and attempt < req.attempts
            if send_request(schema, node, stats, req, may_retry):
                break
            attempt += 1


def send_request(schema: Any, node: Node, stats: Stats, req: Request, may_retry: bool) -> bool:
    """Sends one request and records it. With may_retry, a response with a status the request
    was not meant to get is only printed, not recorded, and False asks for a fresh attempt."""
    ops = stats.ops[req.op_id]
    operation = schema[ops.path][ops.method]
    case = operation.Case(
        path_parameters=req.path_parameters,
        query=req.query,
        headers=req.headers or None,
        body=req.body if req.body is not None else NOT_SET,
    )
    try:
        response = case.call(base_url=node.base, timeout=req.timeout)
    except requests.RequestException as e:
        failure = f"[{req.op_id}] no response in {req.timeout:.0f} s ({type(e).__name__}): {ops.method} {ops.path} {req.path_parameters} {req.query}"
        stats.record(req.op_id, 0, [failure])
        print(f"  FAIL ??? {failure}")
        return True
    url = unquote(response.request.url[len(node.base):])[:150]
    if may_retry and req.expect is not None and response.status_code not in req.expect:
        print(f"  retry {response.status_code} {ops.method} {url}: {short(response.text, 200)}")
        return False
    failures = []
    try:
        case.validate_response(response, checks=CHECKS)
    except (Exception, BaseExceptionGroup) as e:  # schemathesis raises a FailureGroup
        failures.append(describe_failure(case, response, e))
    if req.expect is not None and response.status_code not in req.expect:
        failures.append(
            describe_failure(case, response, None, f"expected {'/'.join(map(str, req.expect))}, got {response.status_code}")
        )
    stats.record(req.op_id, response.status_code, failures)
    mark = "FAIL" if failures else "ok"
    print(f"  {mark:4} {response.status_code} {ops.method} {url}")
    for f in failures:
        print("       " + f.replace("\n", "\n       "))
    return True


U64_MAX = str(2**64 - 1)


def boundary_requests(node: Node) -> list[Request]:
    """Well-formed numbers at the edges: u64::MAX, u64::MAX + 1, far in the future. The spec
    gives slots and epochs no pattern, so the fuzzer almost never sends a number, let alone a
    huge one. Each must get a documented status quickly: a node that walks its state forward to
    a requested slot without bound is a denial of service, and a 5xx here is an overflow."""
    head = node.head_slot()
    far = str(head + 100_000)
    zero_sig = "0x" + "aa" * 96
    quick = 10.0
    reqs = []
    # Ids that are well-formed but name nothing (a zero root, a slot far ahead), on every
    # operation that takes one: each must be a documented 4xx.
    unknown_root = "0x" + "00" * 32
    state_ops = ["getStateRoot", "getStateFork", "getStateFinalityCheckpoints", "getStateValidators",
                 "getStateValidatorBalances", "getEpochCommittees", "getState"]
    block_ops = ["getBlockHeader", "getBlock", "getBlockRoot", "getBlockAttestations"]
    for sid in (unknown_root, far, U64_MAX, str(2**64)):
        for op in state_ops:
            reqs.append(Request(op, {"state_id": sid}, expect=None, timeout=quick))
        reqs.append(Request("getStateValidator", {"state_id": sid, "validator_id": "0"}, expect=None, timeout=quick))
    for bid in (unknown_root, far, U64_MAX, str(2**64)):
        for op in block_ops:
            reqs.append(Request(op, {"block_id": bid}, expect=None, timeout=quick))
    reqs.append(Request("getBlockHeaders", query={"parent_root": unknown_root}, expect=None, timeout=quick))
    for q in ({"epoch": U64_MAX}, {"slot": U64_MAX}, {"index": U64_MAX}, {"epoch": "0"}):
        reqs.append(Request("getEpochCommittees", {"state_id": "head"}, q, expect=None, timeout=quick))
    reqs += [
        Request("getStateValidator", {"state_id": "head", "validator_id": U64_MAX}, expect=None, timeout=quick),
        Request("getStateValidators", {"state_id": "head"}, {"id": [U64_MAX]}, expect=None, timeout=quick),
        Request("getStateValidatorBalances", {"state_id": "head"}, {"id": [U64_MAX]}, expect=None, timeout=quick),
        Request("getBlockHeaders", query={"slot": U64_MAX}, expect=None, timeout=quick),
        Request("getPoolAttestations", query={"slot": U64_MAX, "committee_index": U64_MAX}, expect=None, timeout=quick),
        Request("getProposerDuties", {"epoch": U64_MAX}, expect=None, timeout=quick),
        Request("getAttesterDuties", {"epoch": U64_MAX}, body=["0"], expect=None, timeout=quick),
        Request("getAttesterDuties", {"epoch": "0"}, body=[U64_MAX], expect=None, timeout=quick),
        Request("getAggregatedAttestation", query={"attestation_data_root": "0x" + "00" * 32, "slot": U64_MAX}, expect=None, timeout=quick),
        Request("prepareBeaconCommitteeSubnet", body=[{"validator_index": "0", "committee_index": U64_MAX, "committees_at_slot": U64_MAX, "slot": U64_MAX, "is_aggregator": True}], expect=None, timeout=quick),
    ]
    for slot in (U64_MAX, far):
        reqs.append(Request("produceBlock", {"slot": slot}, {"randao_reveal": zero_sig}, expect=None, timeout=quick))
        reqs.append(Request("produceAttestationData", query={"slot": slot, "committee_index": "0"}, expect=None, timeout=quick))
    reqs.append(Request("produceAttestationData", query={"slot": str(head), "committee_index": U64_MAX}, expect=None, timeout=quick))
    return reqs


def describe_failure(case: Any, response: Any, exc: BaseException | None, note: str = "") -> str:
    what = note
    if exc is not None:
        subs = getattr(exc, "exceptions", None) or [exc]
        what = "\n  ".join(f"{getattr(s, 'title', type(s).__name__)}: {short(getattr(s, 'message', str(s)), 700)}" for s in subs)
    body = response.request.body
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    req = f"{response.request.method} {unquote(response.request.url)}" + (f" body={short(body or '', 300)}" if body else "")
    ct = response.headers.get("content-type", [""])
    ct = ct[0] if isinstance(ct, list) else ct
    resp_body = "<binary>" if "octet-stream" in str(ct) else short(response.text or "", 400)
    return f"[{case.operation.definition.raw['operationId']}] {what}\n  request: {req}\n  response: {response.status_code} {ct} {resp_body}"


# ---------------------------------------------------------------------------------------------
# Phase 2: schemathesis fuzzing, through its CLI (its engine, phases and shrinking), reading the
# per-request outcome back from the NDJSON event report.


def run_fuzzing(args: argparse.Namespace, stats: Stats, ops_to_fuzz: list[str]) -> int:
    ndjson = os.path.join(args.report_dir, "fuzz.ndjson")
    cmd = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", args.spec,
        "--url", args.base_url,
        "--checks", CHECK_NAMES,
        "--max-examples", str(args.max_examples),
        "--phases", "examples,coverage,fuzzing",
        "--workers", "2",
        "--request-timeout", str(TIMEOUT),
        "--seed", str(args.seed),
        "--generation-database", "none",
        "--continue-on-failure",
        "--suppress-health-check", "all",
        "--report", "ndjson", "--report-ndjson-path", ndjson,
        "--no-color",
    ]
    for op_id in ops_to_fuzz:
        cmd += ["--include-operation-id", op_id]
    print("  $ " + " ".join(cmd))
    started = time.monotonic()
    # In the report directory: schemathesis keeps a `.schemathesis/` store (for `st replay`) in
    # its working directory, which must not land in the repo.
    with open(os.path.join(args.report_dir, "fuzz.log"), "w") as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=args.report_dir)
    print(f"  schemathesis exited {rc} after {time.monotonic() - started:.0f} s; log: {args.report_dir}/fuzz.log")
    read_ndjson(ndjson, stats)
    return rc


def read_ndjson(path: str, stats: Stats) -> None:
    """Per request: its status and the checks that failed on it, from ScenarioFinished events."""
    with open(path) as f:
        for line in f:
            event = json.loads(line)
            (kind, payload), = event.items()
            if kind != "ScenarioFinished":
                continue
            recorder = payload["recorder"]
            checks_by_case = recorder.get("checks", {})
            for case_id, interaction in recorder.get("interactions", {}).items():
                response = interaction.get("response")
                request = interaction["request"]
                op_id = stats.op_for(request["method"], request["uri"])
                if op_id is None:
                    continue
                if response is None:  # a timeout or a dropped connection
                    stats.record(op_id, 599, [f"[{op_id}] no response: {request['method']} {unquote(request['uri'])}"])
                    continue
                failures = []
                for check in checks_by_case.get(case_id, []):
                    if check["status"].lower() == "failure":
                        failure = check.get("failure_info") or {}
                        title = (failure.get("failure") or {}).get("title", check["name"])
                        message = (failure.get("failure") or {}).get("message", "")
                        failures.append(
                            f"[{op_id}] {check['name']}: {title} {short(message, 600)}\n"
                            f"  request: {request['method']} {unquote(request['uri'])}"
                            + (f" body={short(decode(request.get('body')), 300)}" if request.get("body") else "")
                            + f"\n  response: {response['status_code']} {short(decode(response.get('content')), 400)}"
                        )
                stats.record(op_id, response["status_code"], failures)


def decode(payload: Any) -> str:
    """A body in the NDJSON report: {"$base64": ...} (or, defensively, plain text)."""
    if isinstance(payload, dict) and "$base64" in payload:
        return base64.b64decode(payload["$base64"]).decode(errors="replace")
    return "" if payload is None else str(payload)


# ---------------------------------------------------------------------------------------------
# Phase 3: the event stream


def check_events(base_url: str, stats: Stats, wait_s: float) -> None:
    """A `head` event must arrive within `wait_s` (a head arrives every slot); its data must be
    the JSON object the spec's example shows. An unknown topic must be a documented 400."""
    url = base_url.rstrip("/") + "/eth/v1/events"
    failures = []
    status = 0
    try:
        with requests.get(url, params={"topics": "head"}, headers={"Accept": "text/event-stream"}, stream=True, timeout=(5, wait_s)) as r:
            status = r.status_code
            ct = r.headers.get("content-type", "")
            if r.status_code != 200 or not ct.startswith("text/event-stream"):
                failures.append(f"[eventstream] expected 200 text/event-stream, got {r.status_code} {ct}")
            else:
                deadline = time.monotonic() + wait_s
                event = None
                for line in r.iter_lines(decode_unicode=True):
                    # SSE: `field:value`, one optional space after the colon (warp writes none).
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        event = value
                    elif event == "head" and name == "data":
                        data = json.loads(value)
                        missing = {"slot", "block", "state", "epoch_transition", "previous_duty_dependent_root", "current_duty_dependent_root"} - set(data)
                        if missing:
                            failures.append(f"[eventstream] head event lacks {sorted(missing)}: {line}")
                        print(f"  ok   head event: {short(line, 200)}")
                        break
                    if time.monotonic() > deadline:
                        failures.append(f"[eventstream] no head event in {wait_s:.0f} s")
                        break
    except requests.RequestException as e:
        failures.append(f"[eventstream] no head event in {wait_s:.0f} s: {type(e).__name__}: {e}")
    stats.record("eventstream", status or 599, failures)
    r = requests.get(url, params={"topics": "nope"}, timeout=10)
    bad = [] if r.status_code == 400 else [f"[eventstream] topics=nope: expected 400, got {r.status_code} {short(r.text, 200)}"]
    stats.record("eventstream", r.status_code, bad)


# ---------------------------------------------------------------------------------------------


# The spec writes the mainnet preset's vector lengths into BeaconState; a node on another preset
# (a local chain runs `minimal`) must be held to its own lengths, which it reports in getSpec.
PRESET_VECTORS = {
    "block_roots": "SLOTS_PER_HISTORICAL_ROOT",
    "state_roots": "SLOTS_PER_HISTORICAL_ROOT",
    "randao_mixes": "EPOCHS_PER_HISTORICAL_VECTOR",
    "slashings": "EPOCHS_PER_SLASHINGS_VECTOR",
}


def spec_for_preset(spec_path: str, node: Node, out_path: str) -> str:
    """The spec with BeaconState's fixed vector lengths set to the node's preset, as a file."""
    with open(spec_path) as f:
        doc = yaml.safe_load(f)
    config = node.get("/eth/v1/config/spec")
    props = doc["components"]["schemas"]["BeaconState"]["properties"]
    for field_name, key in PRESET_VECTORS.items():
        length = int(config[key])
        if props[field_name]["maxItems"] != length:
            print(f"  preset: BeaconState.{field_name} has {key} = {length} items, not {props[field_name]['maxItems']}")
            props[field_name]["minItems"] = props[field_name]["maxItems"] = length
    with open(out_path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    return out_path


def load_allowlist(path: str) -> dict[str, dict[str, str]]:
    """allowlist.txt: `KIND OPERATION_ID REASON` lines, KIND being no-2xx or no-fuzz."""
    allow: dict[str, dict[str, str]] = {"no-2xx": {}, "no-fuzz": {}}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3 or parts[0] not in allow:
                sys.exit(f"{path}:{n}: expected `no-2xx|no-fuzz OPERATION_ID REASON`")
            allow[parts[0]][parts[1]] = parts[2]
    return allow


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("base_url")
    p.add_argument("--spec", required=True)
    p.add_argument("--allowlist", required=True)
    p.add_argument("--report-dir", required=True)
    p.add_argument("--max-examples", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--min-slot", type=int, default=10, help="wait until the head is at least this slot")
    p.add_argument("--wait", type=float, default=180, help="seconds to wait for the chain")
    p.add_argument("--only", default="", help="comma-separated operationIds to fuzz (default: all)")
    p.add_argument("--skip-fuzz", action="store_true")
    args = p.parse_args()
    args.report_dir = os.path.abspath(args.report_dir)
    os.makedirs(args.report_dir, exist_ok=True)

    node = Node(args.base_url)
    t0 = time.monotonic()
    print(f"== waiting for the chain at {args.base_url} (head slot >= {args.min_slot})")
    wait_for_chain(node, args.min_slot, args.wait)

    args.spec = spec_for_preset(args.spec, node, os.path.join(args.report_dir, "spec.yaml"))
    schema = schemathesis.openapi.from_path(args.spec)
    stats = Stats(schema)
    allow = load_allowlist(args.allowlist)
    unknown = (set(allow["no-2xx"]) | set(allow["no-fuzz"])) - set(stats.ops)
    if unknown:
        sys.exit(f"allowlist.txt names operations the spec does not have: {sorted(unknown)}")
    print("== phase 1: known-good requests")
    run_requests(schema, node, stats, known_good_requests(node))
    fuzz_rc = 0
    if not args.skip_fuzz:
        print(f"== phase 2: schemathesis fuzzing ({args.max_examples} examples per operation)")
        only = [o for o in args.only.split(",") if o] or list(stats.ops)
        fuzz_rc = run_fuzzing(args, stats, [o for o in only if o not in allow["no-fuzz"]])
    print("== phase 3: event stream")
    check_events(args.base_url, stats, wait_s=30)
    # Last, because a request that hangs may leave the node busy for good.
    print("== phase 4: boundary values")
    run_requests(schema, node, stats, boundary_requests(node))

    # Summary
    print(f"\n== summary ({time.monotonic() - t0:.0f} s)")
    print(f"{'operation':32} {'method':6} {'requests':>8} {'2xx ok':>7} {'4xx':>5} {'5xx':>4} {'fail':>5}")
    problems = []
    for op_id, s in stats.ops.items():
        note = ""
        if s.method == "GET" and s.ok_2xx == 0:
            if op_id in allow["no-2xx"]:
                note = "  (allowlisted: no-2xx)"
            else:
                note = "  <- no valid 2xx"
                problems.append(f"[{op_id}] GET {s.path}: no schema-valid 2xx response at all")
        print(f"{op_id:32} {s.method:6} {s.requests:8} {s.ok_2xx:7} {s.c4xx:5} {s.c5xx:4} {len(s.failures):5}{note}")
    print("(2xx ok: 2xx that passed every check; 5xx also counts requests that got no response in time)")
    failures = [f for s in stats.ops.values() for f in s.failures]
    if failures:
        # One line per distinct (operation, check title) first, then every failure in full.
        print(f"\n== {len(failures)} failing responses")
        seen = collections.Counter(f.split("\n", 1)[0][:160] for f in failures)
        for head, n in sorted(seen.items()):
            print(f"  {n:4}x {head}")
        with open(os.path.join(args.report_dir, "failures.txt"), "w") as f:
            f.write("\n\n".join(failures) + "\n")
        print(f"  (every failure with its request and response: {args.report_dir}/failures.txt)")
    if fuzz_rc not in (0, 1):  # 1 = failures found, which the table already counts
        problems.append(f"schemathesis itself exited {fuzz_rc}; see {args.report_dir}/fuzz.log")
    for problem in problems:
        print("FAIL " + problem)
    ok = not failures and not problems
    print("\nAPI schema check: " + ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
