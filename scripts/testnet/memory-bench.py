#!/usr/bin/env python3
"""Resident memory of Fresnel beacon nodes on a deposit-genesis testnet, by network size.

  memory-bench.py [--nodes 1,2] [--epochs 4] [--validators 16384] [--seconds-per-slot 6]
                  [--preset mainnet] [--dir DIR]

For each node count N: `scripts/testnet/start.sh` with N Fresnel nodes and no Lodestar
(NO_BUILD=1: build the release binaries first), wait until every node's head is at slot
epochs * SLOTS_PER_EPOCH or later, read each beacon node's RSS and peak RSS from /proc, its
database size and its peer count, stop the testnet, and print one table. Anything in the
environment reaches the nodes (try MALLOC_ARENA_MAX=2). Figures go in an issue note; this is
a benchmark, not a test: nothing here passes or fails on a number.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def head_slot(node):
    try:
        header = get_json(node["http"] + "/eth/v1/beacon/headers/head")
        return int(header["data"]["header"]["message"]["slot"])
    except (OSError, ValueError, KeyError):
        return None


def peer_count(node):
    try:
        return int(get_json(node["http"] + "/eth/v1/node/peer_count")["data"]["connected"])
    except (OSError, ValueError, KeyError):
        return None


def memory_kib(pid):
    """(VmRSS, VmHWM) of a live process, in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def dir_size(path):
    total = 0
    for base, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(base, name))
            except OSError:
                pass
    return total


def beacon_pids(testnet_dir):
    pids = {}
    with open(os.path.join(testnet_dir, "pids")) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2 and fields[0].endswith(":bn"):
                pids[fields[0][: -len(":bn")]] = int(fields[1])
    return pids


def run(count, args):
    testnet_dir = os.path.join(args.dir, f"nodes-{count}")
    env = dict(
        os.environ,
        FRESNEL_NODES=str(count),
        LODESTAR_NODES="0",
        VALIDATORS=str(args.validators),
        PRESET=args.preset,
        SECONDS_PER_SLOT=str(args.seconds_per_slot),
        GENESIS_DELAY=str(args.genesis_delay),
        TESTNET_DIR=testnet_dir,
        NO_BUILD="1",
    )
    print(f"== {count} node(s): starting in {testnet_dir}", flush=True)
    subprocess.run([os.path.join(ROOT, "scripts/testnet/start.sh")], env=env, check=True)
    try:
        layout = get_json_file(os.path.join(testnet_dir, "nodes.json"))
        nodes = [n for n in layout["nodes"] if n["client"] == "fresnel"]
        slots_per_epoch = layout["slots_per_epoch"]
        target = args.epochs * slots_per_epoch
        deadline = layout["genesis_time"] + (target + 4 * slots_per_epoch) * args.seconds_per_slot
        last_report = 0
        while True:
            slots = [head_slot(n) for n in nodes]
            if all(s is not None and s >= target for s in slots):
                break
            now = time.time()
            if now > deadline:
                raise SystemExit(f"heads {slots} did not reach slot {target} in time")
            if now - last_report > 60:
                print(f"   heads {slots}, waiting for slot {target}", flush=True)
                last_report = now
            time.sleep(args.seconds_per_slot / 2)
        pids = beacon_pids(testnet_dir)
        rows = []
        for n in nodes:
            rss, peak = memory_kib(pids[n["name"]])
            rows.append(
                {
                    "network": count,
                    "node": n["name"],
                    "head": head_slot(n),
                    "peers": peer_count(n),
                    "rss_mib": rss / 1024,
                    "peak_mib": peak / 1024,
                    "db_mib": dir_size(os.path.join(testnet_dir, "nodes", n["name"], "beacon"))
                    / 2**20,
                }
            )
        return rows
    finally:
        subprocess.run(
            [os.path.join(ROOT, "scripts/testnet/stop.sh")],
            env=dict(os.environ, TESTNET_DIR=testnet_dir),
            check=False,
        )


def get_json_file(path):
    with open(path) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", default="1,2", help="node counts to run, in order")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--validators", type=int, default=16384)
    parser.add_argument("--seconds-per-slot", type=int, default=6)
    parser.add_argument("--preset", default="mainnet")
    parser.add_argument(
        "--genesis-delay",
        type=int,
        default=240,
        help="seconds from the last deposit's block to genesis (nodes build genesis in it)",
    )
    parser.add_argument("--dir", default=os.path.expanduser("~/.fresnel/memory-bench"))
    args = parser.parse_args()
    rows = []
    for count in [int(c) for c in args.nodes.split(",")]:
        rows.extend(run(count, args))
    print()
    print(f"{args.validators} validators, {args.preset} preset, {args.seconds_per_slot} s slots, "
          f"after {args.epochs} epochs; MALLOC_ARENA_MAX={os.environ.get('MALLOC_ARENA_MAX', '-')}")
    print("| network | node | head slot | peers | RSS MiB | peak RSS MiB | database MiB |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['network']} node(s) | {r['node']} | {r['head']} | {r['peers']} | "
            f"{r['rss_mib']:.0f} | {r['peak_mib']:.0f} | {r['db_mib']:.0f} |"
        )


if __name__ == "__main__":
    sys.exit(main())
