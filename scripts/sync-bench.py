#!/usr/bin/env python3
"""Range sync throughput between real `fresnel bn` processes on 127.0.0.1.

A chain is built once with the harness (`lcli simulate`: full participation, every block
full of aggregates) and cached under target/sync-bench/. For 1 and for 3 serving peers, each
serving node runs on its own copy of that database; a fresh node syncs from them (static
peers, no discovery) and the script reads the fresh node's log and metrics:

- blocks per second, from the first range request to the head (the log's `Range sync
  started` and `Range sync reached its target` timestamps);
- the split of the time: download (request to answer, summed over batches; downloads
  overlap processing), and segment import split into state transition, the signature
  batch, fork choice, the database write and the head update.

Usage: scripts/sync-bench.py [--preset minimal|mainnet] [--validators N] [--epochs N]
       [--peers 1,3]
Defaults: minimal, 64 validators, 64 epochs; mainnet: 16,384 validators, 8 epochs.
Builds `fresnel` and `lcli` with cargo first: the dev profile (our crates at opt-level 1),
or with --release the release profile, which is what figures should come from.
Not part of CI: it prints figures for a note.
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
# Set by --release.
FRESNEL = os.path.join(TARGET, "debug", "fresnel")
LCLI = os.path.join(TARGET, "debug", "lcli")
# The harness's genesis time (beacon_chain::harness::HARNESS_GENESIS_TIME).
HARNESS_GENESIS_TIME = 1_600_000_000
# Any one wait longer than this means something is stuck.
LIVENESS_BOUND = 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.read().decode()


def get_json(port, path):
    return json.loads(get(port, path))


def run(*args):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True)


def build_chain(preset, validators, epochs):
    """The cached testnet directory and serving database for this chain."""
    cache = os.path.join(TARGET, "sync-bench", f"{preset}-{validators}-{epochs}")
    testnet = os.path.join(cache, "testnet")
    served = os.path.join(cache, "served")
    if os.path.isfile(os.path.join(cache, "done")):
        return testnet, served
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(testnet)
    network = "minimal" if preset == "minimal" else "mainnet"
    run(LCLI, "write-config", "--network", network, "--output",
        os.path.join(testnet, "config.yaml"))
    run(LCLI, "interop-genesis", "--count", validators, "--genesis-time",
        HARNESS_GENESIS_TIME, "--network", network, "--output",
        os.path.join(testnet, "genesis.ssz"))
    started = time.time()
    run(LCLI, "simulate", "--preset", preset, "--validators", validators,
        "--epochs", epochs, "--datadir", served)
    print(f"chain built in {time.time() - started:.0f} s", flush=True)
    open(os.path.join(cache, "done"), "w").close()
    return testnet, served


class Node:
    def __init__(self, name, testnet, datadir, logdir, peers=None):
        self.http = free_port()
        self.metrics = free_port()
        self.log_path = os.path.join(logdir, f"{name}.log")
        args = [FRESNEL, "bn", "--testnet-dir", testnet, "--datadir", datadir,
                "--listen-address", "127.0.0.1", "--port", str(free_port()),
                "--http-port", str(self.http), "--metrics", "--metrics-port",
                str(self.metrics), "--disable-discovery",
                "--log-level", os.environ.get("SYNC_BENCH_LOG", "info,beacon_sync=debug")]
        if peers:
            args += ["--libp2p-addresses", ",".join(peers)]
        env = dict(os.environ, NO_COLOR="1")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE,
                                        stderr=open(self.log_path, "w"), env=env)
        # The node prints its API address once the socket is bound.
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"{name} exited at start; see {self.log_path}")

    def address(self):
        return get_json(self.http, "/eth/v1/node/identity")["data"]["p2p_addresses"][0]

    def head_slot(self):
        header = get_json(self.http, "/eth/v1/beacon/headers/head")
        return int(header["data"]["header"]["message"]["slot"])

    def wait_for_head(self, slot):
        """Read the head event stream until the head reaches `slot`, for at most
        LIVENESS_BOUND seconds (checked per line: keep-alive comments arrive every 15 s)."""
        deadline = time.time() + LIVENESS_BOUND
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http}/eth/v1/events?topics=head",
            headers={"Accept": "text/event-stream"})
        if self.head_slot() >= slot:
            return
        with urllib.request.urlopen(request, timeout=LIVENESS_BOUND) as stream:
            if self.head_slot() >= slot:
                return
            for raw in stream:
                if time.time() > deadline:
                    sys.exit(f"the head did not reach slot {slot} within {LIVENESS_BOUND} s; "
                             f"see {self.log_path}")
                line = raw.decode().strip()
                if line.startswith("data:"):
                    if int(json.loads(line[5:])["slot"]) >= slot:
                        return

    def stop(self):
        self.process.kill()
        self.process.wait()


def metrics(port):
    values = {}
    for line in get(port, "/metrics").splitlines():
        if line.startswith("#") or " " not in line:
            continue
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


ANSI = re.compile(r"\x1b\[[0-9;]*m")
STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z")


def log_times(path, text):
    """Timestamps (seconds) of the log lines that contain `text`."""
    times = []
    with open(path) as f:
        for line in f:
            line = ANSI.sub("", line)
            if text in line:
                m = STAMP.match(line)
                if m:
                    stamp = m.group(1)[:26]
                    times.append(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp())
    return times


def bench(testnet, served, peers, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    servers = []
    try:
        for i in range(peers):
            datadir = os.path.join(workdir, f"serving-{i}")
            shutil.copytree(served, datadir)
            servers.append(Node(f"serving-{i}", testnet, datadir, workdir))
        target = servers[0].head_slot()
        addresses = [s.address() for s in servers]
        fresh = Node("fresh", testnet, os.path.join(workdir, "fresh"), workdir, addresses)
        try:
            fresh.wait_for_head(target)
            m = metrics(fresh.metrics)
        finally:
            fresh.stop()
    finally:
        for s in servers:
            s.stop()
    starts = log_times(fresh.log_path, "Range sync started")
    ends = log_times(fresh.log_path, "Range sync reached its target")
    elapsed = ends[-1] - starts[0]
    blocks = m.get("sync_blocks_imported_total", 0)
    part = lambda p: m.get(f'beacon_chain_segment_part_seconds_sum{{part="{p}"}}', 0.0)
    download = m.get("sync_batch_download_seconds_sum", 0.0)
    batches = m.get("sync_batch_download_seconds_count", 0.0)
    return {
        "peers": peers,
        "blocks": int(blocks),
        "seconds": elapsed,
        "blocks_per_second": blocks / elapsed if elapsed > 0 else 0.0,
        "batches": int(batches),
        "download_seconds_per_batch": download / batches if batches else 0.0,
        "import_seconds": m.get("beacon_chain_segment_import_seconds_sum", 0.0),
        "state_transition": part("state_transition"),
        "signatures": part("signatures"),
        "fork_choice": part("fork_choice"),
        "database": part("database"),
        "head": part("head"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", choices=["minimal", "mainnet"], default="minimal")
    parser.add_argument("--validators", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--peers", default="1,3")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--release", action="store_true")
    args = parser.parse_args()
    global FRESNEL, LCLI
    profile = "release" if args.release else "debug"
    FRESNEL = os.path.join(TARGET, profile, "fresnel")
    LCLI = os.path.join(TARGET, profile, "lcli")
    validators = args.validators or (64 if args.preset == "minimal" else 16384)
    epochs = args.epochs or (64 if args.preset == "minimal" else 8)
    if not args.no_build:
        run("cargo", "build", "--locked", "-p", "fresnel", "-p", "lcli",
            *(["--release"] if args.release else []))
    testnet, served = build_chain(args.preset, validators, epochs)
    results = []
    for peers in [int(p) for p in args.peers.split(",")]:
        workdir = os.path.join(TARGET, "sync-bench", "run")
        r = bench(testnet, served, peers, workdir)
        results.append(r)
        imported = r["import_seconds"] or 1.0
        print(f"\n{args.preset}, {validators} validators, {epochs} epochs, {profile} build, "
              f"from {peers} peer(s): {r['blocks']} blocks in {r['seconds']:.2f} s = "
              f"{r['blocks_per_second']:.0f} blocks/s")
        print(f"  download: {r['batches']} batches, {r['download_seconds_per_batch'] * 1000:.0f} ms "
              f"each from request to answer (overlaps processing)")
        print(f"  segment import: {r['import_seconds']:.2f} s in all")
        for key in ["state_transition", "signatures", "fork_choice", "database", "head"]:
            print(f"    {key:17} {r[key]:7.2f} s  {100 * r[key] / imported:5.1f} %")
    print("\n" + json.dumps(results))


if __name__ == "__main__":
    main()
