#!/usr/bin/env python3
"""Writes a Prometheus configuration that scrapes every node of a local testnet.

    prometheus-config.py DIR [-o FILE]

DIR/nodes.json is the launcher's list of nodes (name, client, metrics URL per node; the
slot length). The configuration has one job per client, one target per node with `node` (the
node's name) and `client` labels, and scrapes once a slot (at least every second). It is
written to FILE, by default DIR/prometheus.yml. Nodes without a metrics URL are left out.
Plain YAML written by hand: every string is JSON-quoted, which YAML reads as it is.
"""
import argparse
import json
import os
import sys
from urllib.parse import urlsplit


def q(value):
    """A YAML scalar: JSON's double-quoted strings are YAML's too."""
    return json.dumps(value)


def scrape_targets(doc):
    """{client: [(node name, scheme, host:port, path)]} of the nodes that serve metrics."""
    jobs, seen = {}, set()  # seen: node names and metrics addresses
    for node in doc.get("nodes") or []:
        name, client, url = node.get("name"), node.get("client"), node.get("metrics")
        if not name or not client:
            raise ValueError(f"a node without a name or client: {node}")
        if not url:
            print(f"prometheus-config: {name} has no metrics URL; not scraped", file=sys.stderr)
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.port:
            raise ValueError(f"{name}: metrics URL {url!r} is not http(s)://HOST:PORT/PATH")
        if name in seen or parts.netloc in seen:
            raise ValueError(f"{name}: a second node with the same name or metrics address")
        seen |= {name, parts.netloc}
        jobs.setdefault(client, []).append((name, parts.scheme, parts.netloc, parts.path or "/metrics"))
    if not jobs:
        raise ValueError("no node in nodes.json has a metrics URL")
    return jobs


def render(doc, source="nodes.json"):
    slot = doc.get("seconds_per_slot")
    if not isinstance(slot, (int, float)) or slot <= 0:
        raise ValueError("nodes.json has no positive seconds_per_slot")
    interval = f"{max(1, int(slot))}s"
    out = [
        f"# Written by scripts/testnet/metrics/prometheus-config.py from {source}; regenerate, do not edit.",
        "global:",
        f"  scrape_interval: {interval}",
        f"  scrape_timeout: {interval}",
        f"  evaluation_interval: {interval}",
    ]
    if doc.get("name"):
        out += ["  external_labels:", f"    testnet: {q(doc['name'])}"]
    out.append("scrape_configs:")
    for client, targets in scrape_targets(doc).items():
        _, scheme, _, path = targets[0]
        out += [f"  - job_name: {q(client)}", f"    scheme: {q(scheme)}", f"    metrics_path: {q(path)}",
                "    static_configs:"]
        for name, node_scheme, address, node_path in targets:
            out += [f"      - targets: [{q(address)}]", "        labels:",
                    f"          node: {q(name)}", f"          client: {q(client)}"]
            # A node whose URL differs from its job's first node keeps its own.
            if node_scheme != scheme:
                out.append(f"          __scheme__: {q(node_scheme)}")
            if node_path != path:
                out.append(f"          __metrics_path__: {q(node_path)}")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="the testnet directory with nodes.json")
    parser.add_argument("-o", "--output", help="where to write (default DIR/prometheus.yml)")
    args = parser.parse_args()
    source = os.path.join(args.dir, "nodes.json")
    try:
        with open(source) as f:
            text = render(json.load(f), source)
    except (OSError, ValueError) as e:
        sys.exit(f"prometheus-config: {source}: {e}")
    output = args.output or os.path.join(args.dir, "prometheus.yml")
    with open(output, "w") as f:
        f.write(text)
    print(output)


if __name__ == "__main__":
    main()
