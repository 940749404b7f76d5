#!/usr/bin/env python3
"""Checks of a testnet run, read from what the health report recorded (DIR/status.jsonl) —
what scripts/testnet/ci-check.sh asserts. Each check waits, bounded, for the rows it needs.

  check_run.py finalized DIR EPOCH [--timeout S]   every node finalized >= EPOCH, on one root
  check_run.py caught-up DIR NODE SINCE [--timeout S]
                                  NODE was down or behind after unix time SINCE, and then
                                  synced again with its head within 2 slots of the clock
  check_run.py verdict DIR [--min-participation 0.9]
                                  participation of every finalized epoch >= the minimum, no
                                  fork or finality conflict raised; prints the epochs
"""
import argparse
import json
import sys
import time


def rows(d):
    try:
        with open(f"{d}/status.jsonl") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written
    return out


def latest_per_node(rs):
    last = {}
    for r in rs:
        if r["kind"] == "node":
            last[r["name"]] = r
    return last


def wait(timeout, what, check):
    deadline = time.time() + timeout
    while True:
        ok, state = check()
        if ok:
            return state
        if time.time() > deadline:
            sys.exit(f"check_run: gave up after {timeout}s waiting for {what}; last: {state}")
        time.sleep(1)


def finalized(args):
    layout = json.load(open(f"{args.dir}/nodes.json"))
    names = [n["name"] for n in layout["nodes"]]

    def check():
        last = latest_per_node(rows(args.dir))
        state = {n: (last.get(n, {}).get("finalized_epoch"), last.get(n, {}).get("finalized_root")) for n in names}
        epochs = [e for e, _ in state.values()]
        if any(e is None or e < args.epoch for e in epochs):
            return False, state
        # The same root where they finalized the same epoch; nodes may be an epoch apart.
        newest = min(epochs)
        roots = {r for e, r in state.values() if e == newest}
        return len(roots) == 1, state

    state = wait(args.timeout, f"every node to finalize epoch {args.epoch}", check)
    print(f"finalized: {json.dumps(state)}")


def caught_up(args):
    spe = json.load(open(f"{args.dir}/nodes.json"))["slots_per_epoch"]

    def check():
        seen_trouble = False
        for r in rows(args.dir):
            if r["kind"] != "node" or r["name"] != args.node or r["time"] < args.since:
                continue
            behind = r.get("head_slot") is None or r["wall_slot"] - r["head_slot"] > 2
            if not r["reachable"] or r.get("is_syncing") or behind:
                seen_trouble = True
            elif seen_trouble and not r.get("is_syncing"):
                return True, r
        return False, f"down/behind seen: {seen_trouble}"

    r = wait(args.timeout, f"{args.node} to fall behind and catch up", check)
    print(f"{args.node} caught up at wall slot {r['wall_slot']} (epoch {r['wall_slot'] // spe}): head {r['head_slot']}, finalized {r.get('finalized_epoch')}")


def verdict(args):
    rs = rows(args.dir)
    last = latest_per_node(rs)
    final = min(r.get("finalized_epoch") or 0 for r in last.values())
    epochs = {r["epoch"]: r["participation"] for r in rs if r["kind"] == "epoch"}
    failures = []
    # The finalized epochs: every epoch before the finalized checkpoint's.
    for e in range(final):
        if e not in epochs:
            failures.append(f"epoch {e}: no participation row")
        elif epochs[e] < args.min_participation:
            failures.append(f"epoch {e}: participation {epochs[e]:.3f} < {args.min_participation}")
    for r in rs:
        if r["kind"] == "alert" and r["state"] == "raised" and r["alert"] in ("fork", "finality_conflict"):
            failures.append(f"{r['alert']} raised at wall slot {r['wall_slot']}: {r['message']}")
    print("participation by epoch: " + ", ".join(f"{e}: {p * 100:.1f} %" for e, p in sorted(epochs.items())))
    print(f"finalized epoch (lowest over nodes): {final}")
    if failures:
        sys.exit("check_run: " + "; ".join(failures))
    print(f"verdict: participation >= {args.min_participation * 100:.0f} % in every finalized epoch, no fork, no conflicting finality")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("finalized")
    f.add_argument("dir")
    f.add_argument("epoch", type=int)
    f.add_argument("--timeout", type=float, default=600)
    c = sub.add_parser("caught-up")
    c.add_argument("dir")
    c.add_argument("node")
    c.add_argument("since", type=float)
    c.add_argument("--timeout", type=float, default=600)
    v = sub.add_parser("verdict")
    v.add_argument("dir")
    v.add_argument("--min-participation", type=float, default=0.9)
    args = p.parse_args()
    {"finalized": finalized, "caught-up": caught_up, "verdict": verdict}[args.cmd](args)


if __name__ == "__main__":
    main()
