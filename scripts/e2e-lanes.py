#!/usr/bin/env python3
"""Runs the end-to-end test binaries in two lanes at once (scripts/test.sh uses it).

The end-to-end tests start real nodes, anvil and Lodestar and spend most of their time
waiting on slot clocks, not on the CPU: one after the other they were ~19 minutes of CI's
wall time, two at a time about half. Each test's output is kept in a file and printed whole
when it ends, so the log reads as if they had run one after the other.

  e2e-lanes.py skip-args CARGO_JSON   the `--skip NAME` arguments that keep these tests out
                                      of the plain `cargo test --workspace` run
  e2e-lanes.py run CARGO_JSON         run them, two lanes; exit 1 if any failed

CARGO_JSON is the output of `cargo test --no-run --message-format=json`: it says where each
test binary is. A lane's binary that is missing from it is an error, so a renamed test file
fails loudly instead of silently not running.
"""
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
PACKAGE = "beacon_node/fresnel"
# Balanced by their CI durations (stop 21, seconds): 319 + 174 + 83 against 233 + 180 + 163.
LANES = [
    ["eth1", "sync", "bad_peer"],
    ["lodestar", "network", "local_chain"],
]


def test_binaries(cargo_json):
    """{test target name: (executable, package directory)} of PACKAGE's integration tests."""
    manifest = os.path.join(ROOT, PACKAGE, "Cargo.toml")
    found = {}
    with open(cargo_json) as f:
        for line in f:
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
                continue
            target = msg["target"]
            if target["kind"] != ["test"] or os.path.realpath(msg["manifest_path"]) != manifest:
                continue
            found[target["name"]] = (msg["executable"], os.path.dirname(msg["manifest_path"]))
    wanted = [name for lane in LANES for name in lane]
    missing = [name for name in wanted if name not in found]
    if missing:
        sys.exit(f"e2e-lanes: no test binary for {', '.join(missing)} of package {PACKAGE} in {cargo_json}")
    return {name: found[name] for name in wanted}


def test_names(executable, cwd):
    out = subprocess.run(
        [executable, "--list", "--format", "terse"], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    return [line.rsplit(": ", 1)[0] for line in out.splitlines() if line.endswith(": test")]


def skip_args(cargo_json):
    for name, (executable, cwd) in test_binaries(cargo_json).items():
        for test in test_names(executable, cwd):
            print("--skip")
            print(test)


def run(cargo_json):
    binaries = test_binaries(cargo_json)
    lock = threading.Lock()
    failed = []

    def lane(names):
        for name in names:
            with lock:
                if failed:
                    print(f"e2e-lanes: {name} not started: {', '.join(failed)} failed", flush=True)
                    return
                print(f"e2e-lanes: {name} started", flush=True)
            executable, cwd = binaries[name]
            start = time.monotonic()
            with tempfile.TemporaryFile(mode="w+") as log:
                code = subprocess.run([executable], cwd=cwd, stdout=log, stderr=subprocess.STDOUT).returncode
                log.seek(0)
                with lock:
                    print(f"\n----- tests/{name}.rs ({time.monotonic() - start:.0f} s, exit {code}) -----")
                    sys.stdout.write(log.read())
                    sys.stdout.flush()
                    if code != 0:
                        failed.append(name)

    threads = [threading.Thread(target=lane, args=(names,)) for names in LANES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failed:
        sys.exit(f"e2e-lanes: failed: {', '.join(failed)}")
    print("e2e-lanes: all passed")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("skip-args", "run"):
        sys.exit(__doc__)
    {"skip-args": skip_args, "run": run}[sys.argv[1]](sys.argv[2])
