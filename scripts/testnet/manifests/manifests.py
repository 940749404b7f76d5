#!/usr/bin/env python3
"""Generate docker-compose and Kubernetes manifests for a Fresnel + Lodestar testnet.

Reads a published testnet directory (eth2-networks layout: config.yaml, deposit_contract.txt,
deploy_block.txt, boot_enr.yaml, bootstrap_nodes.txt, optionally genesis.ssz and boot_node/
with the boot node's key as `lcli generate-bootnode-enr --output-dir` writes it) and writes
into --out:

  docker-compose.yml   boot node, Fresnel beacon nodes + validator clients, Lodestar ones
  k8s/*.yaml           the same as Kubernetes objects (apply in file order: kubectl apply -f k8s/)
  make-keys.sh         derives every validator client's keys from one mnemonic into keys/<vc>/
  keys/<vc>/{validators,secrets}/   empty directories the compose file bind-mounts

Python 3 standard library only (YAML is written by the small emitter below).
Nothing generated here was run: the machines this was written on have no container runtime
and no Kubernetes cluster. scripts/testnet/manifests/validate.sh checks the output against
the compose specification's and Kubernetes' JSON schemas, plus cross-references.
See scripts/testnet/manifests/README.md.
"""

import argparse
import base64
import ipaddress
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

NOT_RUN = [
    "NOT RUN HERE: the machines this was generated and checked on have no container runtime",
    "and no Kubernetes cluster. It was only validated against JSON schemas (compose-spec,",
    "Kubernetes OpenAPI, strict) and cross-checked by scripts/testnet/manifests/validate.sh.",
]

# Ports inside the containers (the clients' defaults, except where noted).
FRESNEL_REST, FRESNEL_METRICS, P2P = 5052, 5054, 9000
LODESTAR_REST, LODESTAR_METRICS, LODESTAR_VC_METRICS = 9596, 8008, 5064
# The uid/gid of the `fresnel` user of the image built by ./Dockerfile.
FRESNEL_UID = 10001
# Text files of the testnet directory, in the order they are copied/listed.
TEXT_FILES = ["config.yaml", "deposit_contract.txt", "deploy_block.txt",
              "deposit_contract_block.txt", "boot_enr.yaml", "bootstrap_nodes.txt"]
GENESIS_PATH = "eth/v2/debug/beacon/states/genesis"


def die(msg):
    sys.exit(f"manifests.py: {msg}")


# --------------------------------------------------------------------------------------------
# A tiny YAML emitter: block style for mappings and lists, literal blocks for multi-line
# strings, and double-quoted (JSON) strings whenever a plain scalar could be read back as
# something else (a number, a boolean in YAML 1.1 or 1.2, a key: value pair, a comment...).


class K(str):
    """A mapping key that carries a comment, written on the line(s) above it."""

    def __new__(cls, name, comment):
        key = super().__new__(cls, name)
        key.comment = comment
        return key


# Plain only: starts with a letter, `_`, `/` or `-`/`--` and a letter (a flag), has no spaces
# and no `#`, does not end in `:`.
_PLAIN = re.compile(r"^(?:[A-Za-z_/]|--?[A-Za-z])(?:[A-Za-z0-9_./:@=+-]*[A-Za-z0-9_./@=+-])?$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}


def yaml_scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _PLAIN.match(value) and value.lower() not in _RESERVED:
            return value
        return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _is_block(value):
    return isinstance(value, (dict, list)) and len(value) > 0


def _literal_header(value):
    """`|` or `|-` when the string can be written as a literal block, else None."""
    if "\n" not in value or value[0] in " \n" or "\r" in value or "\t" in value:
        return None
    if value.endswith("\n\n"):
        return None
    return "|" if value.endswith("\n") else "|-"


def _comment_lines(key, pad):
    text = getattr(key, "comment", None)
    return [f"{pad}# {line}".rstrip() for line in text.split("\n")] if text else []


def _emit(value, indent):
    if isinstance(value, dict):
        return _emit_mapping(value, indent)
    if isinstance(value, list):
        return _emit_sequence(value, indent)
    raise TypeError("only mappings and lists are blocks")


def _emit_mapping(mapping, indent):
    pad, lines = " " * indent, []
    for key, value in mapping.items():
        lines += _comment_lines(key, pad)
        head = f"{pad}{yaml_scalar(str(key))}:"
        if _is_block(value):
            lines.append(head)
            lines += _emit(value, indent + 2)
        elif isinstance(value, str) and _literal_header(value):
            lines.append(f"{head} {_literal_header(value)}")
            lines += [f"{pad}  {line}".rstrip() for line in value.rstrip("\n").split("\n")]
        else:
            lines.append(f"{head} {_flow_empty(value)}")
    return lines


def _emit_sequence(items, indent):
    pad, lines = " " * indent, []
    for item in items:
        if _is_block(item):
            sub = _emit(item, indent + 2)
            # The first line of the nested block goes on the dash line.
            sub[0] = f"{pad}- {sub[0][indent + 2:]}"
            lines += sub
        elif isinstance(item, str) and _literal_header(item):
            lines.append(f"{pad}- {_literal_header(item)}")
            lines += [f"{pad}  {line}".rstrip() for line in item.rstrip("\n").split("\n")]
        else:
            lines.append(f"{pad}- {_flow_empty(item)}")
    return lines


def _flow_empty(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return yaml_scalar(value)


def to_yaml(document):
    return "\n".join(_emit(document, 0)) + "\n"


def write_yaml(path, documents, header):
    """Write documents (mappings) as one YAML stream, after a `#` comment header."""
    parts = ["\n".join(f"# {line}".rstrip() for line in header) + "\n"]
    parts += ["---\n" + to_yaml(doc) for doc in documents]
    path.write_text("".join(parts))


# --------------------------------------------------------------------------------------------
# The published testnet directory.


def rlp_items(data):
    """Decode an RLP list (an ENR) into its items (bytes, or lists for nested lists)."""

    def item(buf, pos):
        first = buf[pos]
        if first < 0x80:
            return buf[pos:pos + 1], pos + 1
        if first < 0xb8:
            end = pos + 1 + first - 0x80
            return buf[pos + 1:end], end
        if first < 0xc0:
            n = first - 0xb7
            length = int.from_bytes(buf[pos + 1:pos + 1 + n], "big")
            start = pos + 1 + n
            return buf[start:start + length], start + length
        if first < 0xf8:
            start, length = pos + 1, first - 0xc0
        else:
            n = first - 0xf7
            length = int.from_bytes(buf[pos + 1:pos + 1 + n], "big")
            start = pos + 1 + n
        out, cur = [], start
        while cur < start + length:
            value, cur = item(buf, cur)
            out.append(value)
        return out, start + length

    decoded, end = item(data, 0)
    if not isinstance(decoded, list) or end != len(data):
        raise ValueError("not an RLP list")
    return decoded


def enr_address(enr):
    """(ipv4 or None, udp port or None) of an `enr:` string. The signature is not checked."""
    text = enr.strip()
    if not text.startswith("enr:"):
        raise ValueError("does not start with enr:")
    b64 = text[4:]
    items = rlp_items(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)))
    pairs = dict(zip(items[2::2], items[3::2]))  # [signature, seq, k, v, k, v, ...]
    ip = pairs.get(b"ip")
    udp = pairs.get(b"udp")
    return (str(ipaddress.IPv4Address(ip)) if ip and len(ip) == 4 else None,
            int.from_bytes(udp, "big") if udp else None)


def read_boot_enrs(testnet):
    """The ENRs of boot_enr.yaml (a YAML list) and bootstrap_nodes.txt (one per line), as
    Fresnel reads them; Lodestar is given them with --bootnodes."""
    enrs = []
    for name in ("boot_enr.yaml", "bootstrap_nodes.txt"):
        path = testnet / name
        if path.is_file():
            for line in path.read_text().splitlines():
                match = re.match(r"""^\s*(?:-\s*)?["']?(enr:[A-Za-z0-9_-]+)""", line)
                if match and match.group(1) not in enrs:
                    enrs.append(match.group(1))
    return enrs


@dataclass
class Testnet:
    path: Path
    text_files: dict          # name -> contents, for the ConfigMap
    has_genesis: bool
    preset: str
    boot_enrs: list
    boot_key: Optional[bytes]     # boot_node/key, if the directory runs a boot node
    boot_enr_dat: Optional[bytes]
    boot_ip: Optional[str]
    boot_udp: int


def read_testnet(path):
    if not (path / "config.yaml").is_file():
        die(f"{path}/config.yaml is missing: --testnet-dir must be a testnet directory")
    text_files = {name: (path / name).read_text() for name in TEXT_FILES
                  if (path / name).is_file()}
    config = text_files["config.yaml"]
    # The preset: PRESET_BASE, else CONFIG_NAME (as scripts/lodestar/start.sh reads it).
    preset = "mainnet"
    for key in ("PRESET_BASE", "CONFIG_NAME"):
        match = re.search(rf"""^{key}:\s*["']?([a-z]+)""", config, re.M)
        if match:
            preset = match.group(1) if match.group(1) in ("mainnet", "minimal") else "mainnet"
            break
    boot_dir = path / "boot_node"
    boot_key = boot_enr_dat = boot_ip = None
    boot_udp = P2P
    if (boot_dir / "key").is_file():
        boot_key = (boot_dir / "key").read_bytes()
        if not (boot_dir / "enr.dat").is_file():
            die(f"{boot_dir}/enr.dat is missing: regenerate with lcli generate-bootnode-enr")
        boot_enr_dat = (boot_dir / "enr.dat").read_bytes()
        try:
            boot_ip, udp = enr_address(boot_enr_dat.decode())
        except (ValueError, IndexError, UnicodeDecodeError) as e:
            die(f"{boot_dir}/enr.dat is not a readable ENR: {e}")
        if boot_ip is None:
            die(f"{boot_dir}/enr.dat has no IPv4 address")
        boot_udp = udp or P2P
    return Testnet(path, text_files, (path / "genesis.ssz").is_file(), preset,
                   read_boot_enrs(path), boot_key, boot_enr_dat, boot_ip, boot_udp)


# --------------------------------------------------------------------------------------------
# The plan: which nodes and validator clients, their addresses and validator ranges.


@dataclass
class Node:
    name: str             # fresnel-1, lodestar-1: the compose service and Kubernetes name
    client: str           # "fresnel" or "lodestar"
    ip: str               # its fixed address on the compose network
    host_offset: int      # host ports are the container ports + this (compose only)

    @property
    def rest_port(self):
        return FRESNEL_REST if self.client == "fresnel" else LODESTAR_REST

    @property
    def metrics_port(self):
        return FRESNEL_METRICS if self.client == "fresnel" else LODESTAR_METRICS


@dataclass
class Vc:
    name: str             # fresnel-vc-1, lodestar-vc-1
    client: str
    beacon_nodes: list    # Nodes, in order of preference
    first_index: int      # validator indexes (EIP-2334 m/12381/3600/i/0/0) first..first+count
    count: int
    host_offset: int


@dataclass
class Plan:
    testnet: Testnet
    args: argparse.Namespace
    boot_ip: Optional[str]
    subnet: str
    dynamic_range: str    # where Docker puts containers without a fixed address
    nodes: list
    vcs: list
    genesis_url_compose: Optional[str]   # None: Lodestar reads /testnet/genesis.ssz
    genesis_url_k8s: str


def compose_addresses(boot_ip):
    """The compose network: the /24 of the boot node's ENR address (the boot node must be
    reachable at exactly that address), else 172.30.0.0/24. Fixed addresses come from the
    /25 holding the boot node; Docker's own allocations from the other half, so that a
    container started early never takes a fixed address."""
    net = ipaddress.ip_network(f"{boot_ip or '172.30.0.10'}/24", strict=False)
    low, high = net.subnets(new_prefix=25)
    fixed, dynamic = (low, high) if ipaddress.ip_address(boot_ip or "172.30.0.10") in low \
        else (high, low)
    gateway = net.network_address + 1  # Docker's default gateway
    pool = [str(ip) for ip in fixed.hosts()
            if ip != gateway and str(ip) != boot_ip and int(ip) - int(fixed.network_address) >= 10]
    if boot_ip and ipaddress.ip_address(boot_ip) in (gateway, net.network_address,
                                                     net.broadcast_address):
        die(f"the boot node's ENR address {boot_ip} is the network, gateway or broadcast "
            "address of its /24: regenerate the boot ENR with another address")
    return str(net), str(dynamic), pool


def split(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def make_plan(args, testnet):
    if args.fresnel_nodes < 1:
        die("--fresnel-nodes must be at least 1")
    if args.lodestar_nodes < 0:
        die("--lodestar-nodes must not be negative")
    n_vcs = args.fresnel_nodes + args.lodestar_nodes
    if args.validators < n_vcs:
        die(f"--validators {args.validators} is fewer than the {n_vcs} validator clients")
    if testnet.boot_ip and not ipaddress.ip_address(testnet.boot_ip).is_private:
        print(f"manifests.py: warning: the boot node's ENR says {testnet.boot_ip}, not a "
              "private address; compose gives the boot node that address on its own network "
              "and Kubernetes needs it as a free ClusterIP", file=sys.stderr)
    if testnet.boot_key is None:
        reachable = []
        for enr in testnet.boot_enrs:
            try:
                ip = enr_address(enr)[0]
            except (ValueError, IndexError):
                continue
            if ip and not ipaddress.ip_address(ip).is_loopback:
                reachable.append(ip)
        if not reachable:
            print("manifests.py: warning: the testnet directory has no boot_node/ and no boot "
                  "ENR with an address containers can reach: the nodes will not discover each "
                  "other. Add one: lcli generate-bootnode-enr --testnet-dir DIR --ip "
                  "10.96.100.10 --output-dir DIR/boot_node --append", file=sys.stderr)
    subnet, dynamic, pool = compose_addresses(testnet.boot_ip)
    if len(pool) < args.fresnel_nodes + args.lodestar_nodes:
        die("too many nodes for the compose network's fixed addresses")
    nodes = []
    for client, count in (("fresnel", args.fresnel_nodes), ("lodestar", args.lodestar_nodes)):
        for i in range(1, count + 1):
            nodes.append(Node(f"{client}-{i}", client, pool[len(nodes)], 100 * len(nodes)))
    fresnel = [n for n in nodes if n.client == "fresnel"]
    counts = split(args.validators, n_vcs)
    vcs, first = [], 0
    for i, node in enumerate(nodes):
        if node.client == "fresnel":
            # Its own node first, then the next Fresnel node, so that a node restart does not
            # stop it from attesting (fresnel vc fails over in order).
            k = fresnel.index(node)
            backup = [fresnel[(k + 1) % len(fresnel)]] if len(fresnel) > 1 else []
            bns = [node] + backup
        else:
            bns = [node]
        name = node.name.replace("-", "-vc-", 1)
        vcs.append(Vc(name, node.client, bns, first, counts[i], 100 * i))
        first += counts[i]
    # Lodestar (and a Fresnel boot node) need genesis.ssz; Fresnel beacon nodes compute it from
    # the deposit contract. By default it is fetched from fresnel-1's REST API once that node
    # has genesis (SSZ of GET /eth/v2/debug/beacon/states/genesis).
    url = args.genesis_url
    compose_url = None if testnet.has_genesis else (
        url or f"http://fresnel-1:{FRESNEL_REST}/{GENESIS_PATH}")
    k8s_url = url or f"http://fresnel-1-rest:{FRESNEL_REST}/{GENESIS_PATH}"
    return Plan(testnet, args, testnet.boot_ip, subnet, dynamic, nodes, vcs, compose_url,
                k8s_url)


# --------------------------------------------------------------------------------------------
# Pieces shared by compose and Kubernetes: the commands of each client.


def strs(*items):
    return [str(i) for i in items]


def boot_node_args(plan, datadir):
    t = plan.testnet
    return strs("boot_node", "--testnet-dir", "/testnet", "--datadir", datadir,
                "--enr-address", t.boot_ip, "--listen-address", "0.0.0.0",
                "--port", t.boot_udp)


def fresnel_bn_args(plan, enr_address):
    return strs("bn", "--testnet-dir", "/testnet", "--datadir", "/data",
                "--eth1-endpoints", plan.args.eth1_endpoint,
                "--http-address", "0.0.0.0", "--http-port", FRESNEL_REST,
                "--metrics", "--metrics-address", "0.0.0.0", "--metrics-port", FRESNEL_METRICS,
                "--listen-address", "0.0.0.0", "--port", P2P, "--enr-address", enr_address)


def fresnel_vc_args(urls):
    return strs("vc", "--testnet-dir", "/testnet", "--beacon-nodes", ",".join(urls),
                "--validators-dir", "/keys/validators", "--secrets-dir", "/keys/secrets",
                # Creates the slashing protection database on the first start only (it then
                # lives in the validators directory, on persistent storage).
                "--init-slashing-protection")


def lodestar_bn_args(plan, enr_ip):
    # As scripts/lodestar/start.sh, but listening on all interfaces of the container. The ENR
    # names ip/tcp/udp from the start: Lodestar leaves them out until peers confirm them.
    args = strs("beacon", "--preset", plan.testnet.preset,
                "--paramsFile", "/testnet/config.yaml",
                "--genesisStateFile", "/testnet/genesis.ssz", "--dataDir", "/data",
                # No eth1: Lodestar then cannot include deposits made after genesis in its
                # blocks (give it --eth1.providerUrls for a testnet that takes deposits later).
                "--eth1", "false",
                "--listenAddress", "0.0.0.0", "--port", P2P,
                "--enr.ip", enr_ip, "--enr.tcp", P2P, "--enr.udp", P2P,
                "--rest.address", "0.0.0.0", "--rest.port", LODESTAR_REST,
                "--rest.namespace", "*",
                "--metrics", "--metrics.address", "0.0.0.0", "--metrics.port", LODESTAR_METRICS,
                "--logLevel", "info")
    if plan.testnet.boot_enrs:
        args += ["--bootnodes", ",".join(plan.testnet.boot_enrs),
                 "--network.connectToDiscv5Bootnodes", "true"]
    return args


def lodestar_vc_args(plan, urls):
    return strs("validator", "--preset", plan.testnet.preset,
                "--paramsFile", "/testnet/config.yaml", "--dataDir", "/data",
                "--server", ",".join(urls),
                "--importKeystores", "/keys/validators",
                "--importKeystoresPassword", "/keys/secrets/password.txt",
                "--metrics", "--metrics.address", "0.0.0.0",
                "--metrics.port", LODESTAR_VC_METRICS, "--logLevel", "info")


def testnet_with_genesis_script(plan, source):
    """A busybox script that assembles /testnet: the text files from `source`, plus
    genesis.ssz from $GENESIS_URL (retried until the URL serves it). It has no `$(...)`:
    Kubernetes would try to expand that in a command as a variable reference."""
    files = " ".join(f"{source}/{name}" for name in plan.testnet.text_files)
    return f"""\
set -eu
cp {files} /testnet/
if [ -s /testnet/genesis.ssz ]; then
  echo "genesis.ssz is already here"
  exit 0
fi
until wget -q -O /testnet/genesis.ssz.part --header "Accept: application/octet-stream" "$GENESIS_URL"; do
  echo "no genesis state from $GENESIS_URL yet; retrying in 15s"
  rm -f /testnet/genesis.ssz.part
  sleep 15
done
mv /testnet/genesis.ssz.part /testnet/genesis.ssz
echo "genesis.ssz fetched from $GENESIS_URL:"
wc -c /testnet/genesis.ssz
"""


# --------------------------------------------------------------------------------------------
# docker-compose.yml


def bind(source, target, read_only):
    return {"type": "bind", "source": source, "target": target, "read_only": read_only}


def compose_path(out, path):
    """A bind source relative to the compose file, so that the two directories can move
    together; compose resolves relative paths against the compose file's directory."""
    rel = os.path.relpath(path.resolve(), out.resolve())
    return rel if rel.startswith(".") else f"./{rel}"


def compose_services(plan, out):
    t, args = plan.testnet, plan.args
    published = compose_path(out, t.path)
    fetch = plan.genesis_url_compose is not None
    # Where the boot node and Lodestar find genesis.ssz: the published directory, or the
    # volume the testnet-genesis job fills.
    genesis_testnet = "testnet-genesis:/testnet:ro" if fetch else bind(published, "/testnet", True)
    after_genesis = {"testnet-genesis": {"condition": "service_completed_successfully"}} \
        if fetch else None
    testnet_ro = bind(published, "/testnet", True)
    key_user = "${FRESNEL_UID:-%d}:${FRESNEL_GID:-%d}" % (FRESNEL_UID, FRESNEL_UID)
    services = {}

    if fetch:
        script = testnet_with_genesis_script(plan, "/published").replace("$", "$$")
        services[K("testnet-genesis", "One-shot: the testnet directory plus genesis.ssz "
                   "(fetched), for the boot node and Lodestar.\nFresnel beacon nodes need "
                   "no genesis.ssz: they compute genesis from the deposit contract.")] = {
            "image": args.busybox_image,
            "command": ["sh", "-ec", script],
            "environment": {"GENESIS_URL": plan.genesis_url_compose},
            "volumes": [bind(published, "/published", True), "testnet-genesis:/testnet"],
            "networks": ["testnet"],
            "restart": "no",
        }
        if not args.genesis_url:  # the default source is fresnel-1's API
            services["testnet-genesis"]["depends_on"] = ["fresnel-1"]

    if t.boot_key is not None:
        svc = {
            "image": args.image,
            K("user", "Runs as the owner of boot_node/key (0600): export FRESNEL_UID=$(id -u) "
              "FRESNEL_GID=$(id -g)"): key_user,
            "command": boot_node_args(plan, "/boot_node"),
            K("volumes", "boot_node/ read-write: the boot node rewrites enr.dat there"): [
                genesis_testnet, bind(f"{published}/boot_node", "/boot_node", False)],
            K("networks", "The address its ENR (boot_enr.yaml) advertises"): {
                "testnet": {"ipv4_address": t.boot_ip}},
            "restart": "unless-stopped",
        }
        if after_genesis:
            svc["depends_on"] = after_genesis
        services["boot-node"] = svc

    for node in plan.nodes:
        ports = [f"127.0.0.1:{node.rest_port + node.host_offset}:{node.rest_port}",
                 f"127.0.0.1:{node.metrics_port + node.host_offset}:{node.metrics_port}",
                 f"{P2P + node.host_offset}:{P2P}/tcp", f"{P2P + node.host_offset}:{P2P}/udp"]
        svc = {"image": args.image if node.client == "fresnel" else args.lodestar_image}
        if node.client == "fresnel":
            svc["command"] = fresnel_bn_args(plan, node.ip)
            svc["volumes"] = [f"{node.name}-data:/data", testnet_ro]
        else:
            svc["command"] = lodestar_bn_args(plan, node.ip)
            svc["volumes"] = [f"{node.name}-data:/data", genesis_testnet]
            if after_genesis:
                svc["depends_on"] = after_genesis
        svc[K("ports", "REST and metrics on the host's loopback only; p2p on all interfaces")] = ports
        svc[K("networks", "A fixed address, so that the ENR can name it")] = {
            "testnet": {"ipv4_address": node.ip}}
        svc["stop_grace_period"] = "1m"
        svc["restart"] = "unless-stopped"
        services[node.name] = svc

    for vc in plan.vcs:
        urls = [f"http://{bn.name}:{bn.rest_port}" for bn in vc.beacon_nodes]
        keys = bind(f"./keys/{vc.name}", "/keys", False)
        comment = (f"validators {vc.first_index}..{vc.first_index + vc.count - 1} "
                   f"({vc.count}); fill keys/{vc.name}/ with ./make-keys.sh")
        if vc.client == "fresnel":
            svc = {
                "image": args.image,
                K("user", "Runs as the owner of keys/ (the secrets are 0600): "
                  "export FRESNEL_UID=$(id -u) FRESNEL_GID=$(id -g)"): key_user,
                "command": fresnel_vc_args(urls),
                K("volumes", comment + "\nread-write: the slashing protection database is "
                  "kept in keys/<vc>/validators"): [keys, testnet_ro],
            }
        else:
            svc = {
                "image": args.lodestar_image,
                "command": lodestar_vc_args(plan, urls),
                K("volumes", comment + "\nread-write: Lodestar puts a .lock beside each "
                  "keystore; the slashing protection database is in /data"): [
                    f"{vc.name}-data:/data", keys, testnet_ro],
                "ports": [f"127.0.0.1:{LODESTAR_VC_METRICS + vc.host_offset}:"
                          f"{LODESTAR_VC_METRICS}"],
            }
        svc["depends_on"] = [vc.beacon_nodes[0].name]
        svc["networks"] = ["testnet"]
        svc["restart"] = "unless-stopped"
        services[vc.name] = svc
    return services


def compose_document(plan, out):
    volumes = {f"{n.name}-data": {} for n in plan.nodes}
    volumes.update({f"{vc.name}-data": {} for vc in plan.vcs if vc.client == "lodestar"})
    if plan.genesis_url_compose is not None:
        volumes["testnet-genesis"] = {}
    return {
        "name": "fresnel-testnet",
        "services": compose_services(plan, out),
        "networks": {"testnet": {"ipam": {"config": [
            {"subnet": plan.subnet, "ip_range": plan.dynamic_range}]}}},
        "volumes": volumes,
    }


# --------------------------------------------------------------------------------------------
# Kubernetes


def meta(plan, name, component, **extra):
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component,
              "app.kubernetes.io/part-of": "fresnel-testnet"}
    return {"name": name, "namespace": plan.args.namespace, "labels": labels, **extra}


def selector(name):
    return {"app.kubernetes.io/name": name}


def resources(cpu_req, mem_req, cpu_lim, mem_lim):
    return {"requests": {"cpu": cpu_req, "memory": mem_req},
            "limits": {"cpu": cpu_lim, "memory": mem_lim}}


def scrape(port):
    """Prometheus annotations (for a Prometheus whose pod discovery honours them)."""
    if port is None:
        return {"prometheus.io/scrape": "false"}
    return {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
            "prometheus.io/path": "/metrics"}


POD_IP_ENV = [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}]
FRESNEL_POD_SECURITY = {"runAsUser": FRESNEL_UID, "runAsGroup": FRESNEL_UID,
                        "runAsNonRoot": True, "fsGroup": FRESNEL_UID,
                        "fsGroupChangePolicy": "OnRootMismatch"}
CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
INIT_RESOURCES = resources("10m", "16Mi", "200m", "64Mi")


def testnet_config_volume():
    return {"name": "testnet-config", "configMap": {"name": "testnet-config"}}


def genesis_init_container(plan):
    return {
        "name": "testnet-with-genesis",
        "image": plan.args.busybox_image,
        "command": ["sh", "-ec", testnet_with_genesis_script(plan, "/testnet-config")],
        "env": [{"name": "GENESIS_URL", "value": plan.genesis_url_k8s}],
        "volumeMounts": [{"name": "testnet-config", "mountPath": "/testnet-config",
                          "readOnly": True},
                         {"name": "testnet", "mountPath": "/testnet"}],
        "resources": INIT_RESOURCES,
        "securityContext": CONTAINER_SECURITY,
    }


def wait_for_keys_init_container(plan, vc, files):
    ns = plan.args.namespace
    pod = f"{vc.name}-0"
    script = f"""\
# The keys PVC {vc.name}-keys is filled by the operator while this container waits:
#   kubectl -n {ns} cp keys/{vc.name}/validators {pod}:/keys/validators -c wait-for-keys
#   kubectl -n {ns} cp keys/{vc.name}/secrets {pod}:/keys/secrets -c wait-for-keys
#   kubectl -n {ns} exec {pod} -c wait-for-keys -- touch /keys/.ready
until [ -f /keys/.ready ]; do
  echo "waiting for keys: copy {files} into /keys, then touch /keys/.ready"
  sleep 10
done
"""
    return {
        "name": "wait-for-keys",
        "image": plan.args.busybox_image,
        "command": ["sh", "-ec", script],
        "volumeMounts": [{"name": "keys", "mountPath": "/keys"}],
        "resources": INIT_RESOURCES,
        "securityContext": CONTAINER_SECURITY,
    }


def headless_service(plan, name, component, ports):
    spec = {"clusterIP": "None", "selector": selector(name),
            # Peers and clients reach a node before it is ready (e.g. waiting for genesis).
            "publishNotReadyAddresses": True}
    if ports:
        spec["ports"] = ports
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": meta(plan, name, component), "spec": spec}


def service(plan, name, target, component, ports, **spec):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": meta(plan, name, component),
            "spec": {"type": "ClusterIP", "selector": selector(target), "ports": ports, **spec}}


def port(name, number, protocol="TCP"):
    return {"name": name, "port": number, "targetPort": number, "protocol": protocol}


def pvc_template(name, size):
    return {"metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": size}}}}


def statefulset(plan, name, component, pod_spec, annotations, claims=None):
    spec = {
        "serviceName": name,
        # One replica, always: a StatefulSet (unlike a Deployment) never runs two pods of the
        # same ordinal at once, which two validator clients with the same keys would need to
        # get slashed.
        "replicas": 1,
        "selector": {"matchLabels": selector(name)},
        "template": {"metadata": {"labels": meta(plan, name, component)["labels"],
                                  "annotations": annotations},
                     "spec": pod_spec},
    }
    if claims:
        spec["volumeClaimTemplates"] = claims
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": meta(plan, name, component), "spec": spec}


def k8s_namespace(plan):
    return [{"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": plan.args.namespace,
                          "labels": {"app.kubernetes.io/part-of": "fresnel-testnet"}}}]


def k8s_config(plan):
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": meta(plan, "testnet-config", "testnet"),
             "data": dict(plan.testnet.text_files)}]


def k8s_boot_node(plan):
    t = plan.testnet
    name = "boot-node"
    secret_data = {"key": base64.b64encode(t.boot_key).decode()}
    if t.boot_enr_dat is not None:
        secret_data["enr.dat"] = base64.b64encode(t.boot_enr_dat).decode()
    copy_key = ("cp /boot-node-key/* /data/\n"
                "chmod 600 /data/key\n")
    pod = {
        "securityContext": FRESNEL_POD_SECURITY,
        "initContainers": [
            genesis_init_container(plan),
            {"name": "boot-node-key", "image": plan.args.busybox_image,
             # A writable copy: the boot node rewrites enr.dat; a Secret volume is read-only.
             "command": ["sh", "-ec", copy_key],
             "volumeMounts": [{"name": "boot-node-key", "mountPath": "/boot-node-key",
                               "readOnly": True},
                              {"name": "data", "mountPath": "/data"}],
             "resources": INIT_RESOURCES, "securityContext": CONTAINER_SECURITY},
        ],
        "containers": [{
            "name": "boot-node",
            "image": plan.args.image,
            "args": boot_node_args(plan, "/data"),
            "ports": [{"name": "discovery", "containerPort": t.boot_udp, "protocol": "UDP"}],
            "volumeMounts": [{"name": "testnet", "mountPath": "/testnet", "readOnly": True},
                             {"name": "data", "mountPath": "/data"}],
            "resources": resources("50m", "64Mi", "500m", "256Mi"),
            "securityContext": CONTAINER_SECURITY,
        }],
        "volumes": [testnet_config_volume(),
                    {"name": "testnet", "emptyDir": {}},
                    {"name": "data", "emptyDir": {}},
                    {"name": "boot-node-key", "secret": {
                        "secretName": "boot-node-key",
                        K("defaultMode", "0440 (octal): group-readable, the group being fsGroup"):
                            0o440}}],
    }
    udp = port("discovery", t.boot_udp, "UDP")
    return [
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": meta(plan, "boot-node-key", "boot-node"),
         "data": secret_data},
        headless_service(plan, name, "boot-node", [udp]),
        # Peers reach the boot node at the address of its ENR (boot_enr.yaml): this Service's
        # fixed ClusterIP. It must lie in the cluster's service CIDR and be free (kind and
        # kubeadm: 10.96.0.0/12); generate the boot ENR with that address
        # (lcli generate-bootnode-enr --ip ...). Replies from the pod are un-NATed back to it.
        service(plan, "boot-node-p2p", name, "boot-node", [udp], clusterIP=t.boot_ip),
        statefulset(plan, name, "boot-node", pod, scrape(None)),
    ]


def beacon_services(plan, node):
    p2p = [port("p2p-tcp", P2P), port("p2p-udp", P2P, "UDP")]
    return [
        headless_service(plan, node.name, "beacon-node",
                         p2p + [port("rest", node.rest_port),
                                port("metrics", node.metrics_port)]),
        service(plan, f"{node.name}-p2p", node.name, "beacon-node", p2p),
        service(plan, f"{node.name}-rest", node.name, "beacon-node",
                [port("rest", node.rest_port)]),
        service(plan, f"{node.name}-metrics", node.name, "beacon-node",
                [port("metrics", node.metrics_port)]),
    ]


def beacon_container_ports(node):
    return [{"name": "p2p-tcp", "containerPort": P2P, "protocol": "TCP"},
            {"name": "p2p-udp", "containerPort": P2P, "protocol": "UDP"},
            {"name": "rest", "containerPort": node.rest_port, "protocol": "TCP"},
            {"name": "metrics", "containerPort": node.metrics_port, "protocol": "TCP"}]


def readiness(node):
    # Ready once the REST API answers. No liveness probe: a busy node (a long database
    # operation, a sync) must not be killed for answering slowly.
    return {"httpGet": {"path": "/eth/v1/node/version", "port": "rest"},
            "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3}


def k8s_fresnel_bn(plan, node):
    pod = {
        "securityContext": FRESNEL_POD_SECURITY,
        "terminationGracePeriodSeconds": 60,
        "containers": [{
            "name": "beacon-node",
            "image": plan.args.image,
            # The ENR names the pod's address; peers dial pods directly.
            "args": fresnel_bn_args(plan, "$(POD_IP)"),
            "env": POD_IP_ENV,
            "ports": beacon_container_ports(node),
            "readinessProbe": readiness(node),
            "volumeMounts": [{"name": "testnet-config", "mountPath": "/testnet",
                              "readOnly": True},
                             {"name": "data", "mountPath": "/data"}],
            "resources": resources("500m", "1Gi", "2", "4Gi"),
            "securityContext": CONTAINER_SECURITY,
        }],
        "volumes": [testnet_config_volume()],
    }
    return beacon_services(plan, node) + [
        statefulset(plan, node.name, "beacon-node", pod, scrape(FRESNEL_METRICS),
                    [pvc_template("data", "20Gi")])]


def k8s_lodestar_bn(plan, node):
    pod = {
        "terminationGracePeriodSeconds": 60,
        # genesis.ssz does not fit a ConfigMap (1 MiB; ~2.5 MB at 16,384 validators): it is
        # fetched into an emptyDir beside a copy of the ConfigMap's files.
        "initContainers": [genesis_init_container(plan)],
        "containers": [{
            "name": "beacon-node",
            "image": plan.args.lodestar_image,
            "args": lodestar_bn_args(plan, "$(POD_IP)"),
            "env": POD_IP_ENV,
            "ports": beacon_container_ports(node),
            "readinessProbe": readiness(node),
            "volumeMounts": [{"name": "testnet", "mountPath": "/testnet", "readOnly": True},
                             {"name": "data", "mountPath": "/data"}],
            "resources": resources("500m", "2Gi", "2", "4Gi"),
            "securityContext": CONTAINER_SECURITY,
        }],
        "volumes": [testnet_config_volume(), {"name": "testnet", "emptyDir": {}}],
    }
    return beacon_services(plan, node) + [
        statefulset(plan, node.name, "beacon-node", pod, scrape(LODESTAR_METRICS),
                    [pvc_template("data", "20Gi")])]


def keys_pvc(plan, vc):
    # Keys are not put in a Secret: a Secret holds at most 1 MiB, a few hundred keystores.
    # This volume is filled once by the operator (see the wait-for-keys init container).
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": meta(plan, f"{vc.name}-keys", "validator-client"),
            "spec": {"accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}}


def k8s_vc(plan, vc):
    urls = [f"http://{bn.name}-rest:{bn.rest_port}" for bn in vc.beacon_nodes]
    keys = {"name": "keys", "persistentVolumeClaim": {"claimName": f"{vc.name}-keys"}}
    if vc.client == "fresnel":
        container = {
            "name": "validator-client",
            "image": plan.args.image,
            "args": fresnel_vc_args(urls),
            # read-write: the slashing protection database lives in /keys/validators.
            "volumeMounts": [{"name": "keys", "mountPath": "/keys"},
                             {"name": "testnet-config", "mountPath": "/testnet",
                              "readOnly": True}],
            "resources": resources("100m", "256Mi", "1", "1Gi"),
            "securityContext": CONTAINER_SECURITY,
        }
        files = "validators/ (0x<pubkey>/voting-keystore.json) and secrets/ (0x<pubkey>)"
        security = FRESNEL_POD_SECURITY
        annotations, claims = scrape(None), None   # fresnel vc serves no metrics
    else:
        container = {
            "name": "validator-client",
            "image": plan.args.lodestar_image,
            "args": lodestar_vc_args(plan, urls),
            "ports": [{"name": "metrics", "containerPort": LODESTAR_VC_METRICS,
                       "protocol": "TCP"}],
            # read-write: Lodestar writes a .lock beside each keystore.
            "volumeMounts": [{"name": "keys", "mountPath": "/keys"},
                             {"name": "data", "mountPath": "/data"},
                             {"name": "testnet-config", "mountPath": "/testnet",
                              "readOnly": True}],
            "resources": resources("200m", "512Mi", "1", "2Gi"),
            "securityContext": CONTAINER_SECURITY,
        }
        files = "validators/ (keystores) and secrets/password.txt"
        # The slashing protection database is in --dataDir: its own persistent volume.
        security = {"fsGroup": FRESNEL_UID}
        annotations, claims = scrape(LODESTAR_VC_METRICS), [pvc_template("data", "1Gi")]
    pod = {"securityContext": security,
           "initContainers": [wait_for_keys_init_container(plan, vc, files)],
           "containers": [container],
           "volumes": [keys, testnet_config_volume()]}
    return [keys_pvc(plan, vc), headless_service(plan, vc.name, "validator-client", [])] + [
        statefulset(plan, vc.name, "validator-client", pod, annotations, claims)]


def k8s_files(plan):
    """(file name, comment lines, documents), in the order kubectl apply -f k8s/ takes them."""
    files = [("00-namespace.yaml", [], k8s_namespace(plan)),
             ("01-testnet-config.yaml",
              ["The testnet directory's text files. genesis.ssz is not here: a ConfigMap holds",
               "at most 1 MiB. Fresnel beacon nodes compute genesis from the deposit contract",
               "(--eth1-endpoints); the boot node and Lodestar fetch genesis.ssz in an init",
               f"container from {plan.genesis_url_k8s}"],
              k8s_config(plan))]
    if plan.testnet.boot_key is not None:
        files.append(("02-boot-node.yaml",
                      ["Holds the boot node's private key (Secret boot-node-key): do not commit."],
                      k8s_boot_node(plan)))
    for node in plan.nodes:
        build = k8s_fresnel_bn if node.client == "fresnel" else k8s_lodestar_bn
        files.append((f"10-{node.name}.yaml", [], build(plan, node)))
    for vc in plan.vcs:
        files.append((f"20-{vc.name}.yaml",
                      [f"validators {vc.first_index}..{vc.first_index + vc.count - 1} "
                       f"({vc.count}); keys in the PVC {vc.name}-keys, filled by the operator"],
                      k8s_vc(plan, vc)))
    return files


# --------------------------------------------------------------------------------------------
# make-keys.sh and the key directories


def make_keys_script(plan, out):
    testnet = compose_path(out, plan.testnet.path)
    calls = "\n".join(
        f"make_{vc.client}_vc {vc.name} {vc.first_index} {vc.count}" for vc in plan.vcs)
    return f"""#!/usr/bin/env bash
# Generated by scripts/testnet/manifests/manifests.py. Derives every validator client's keys
# from one mnemonic (EIP-2334 indexes as below) into keys/<vc>/, and their deposit data into
# deposits/ (for lcli deposit).
#   ./make-keys.sh MNEMONIC_FILE PASSWORD_FILE
# FRESNEL=path/to/fresnel (default: fresnel on PATH); KDF=pbkdf2 for fast (weaker) keystores.
# A client whose keys/<vc>/validators is not empty is skipped.
# Checked by validate.sh only with a few pbkdf2 keys; the containers using them were not run.
set -euo pipefail
[ $# -eq 2 ] || {{ sed -n '2,8p' "$0"; exit 2; }}
mnemonic="$(realpath "$1")" password="$(realpath "$2")"
cd "$(dirname "$0")"
fresnel="${{FRESNEL:-fresnel}}"
testnet="{testnet}"
kdf=(); [ -z "${{KDF:-}}" ] || kdf=(--kdf "$KDF")

derive() {{ # NAME FIRST COUNT DIR
    "$fresnel" account create-validators --testnet-dir "$testnet" --mnemonic-file "$mnemonic" \\
        --password-file "$password" --first-index "$2" --count "$3" --out-dir "$4" "${{kdf[@]}}"
    mkdir -p deposits
    mv "$4"/deposit_data-*.json "deposits/$1-deposit_data.json"
}}

fresh() {{ # NAME: true if keys/NAME has no keys yet
    mkdir -p "keys/$1/validators" "keys/$1/secrets"
    if [ -n "$(ls -A "keys/$1/validators")" ]; then
        echo "keys/$1 already has keys: skipped"
        return 1
    fi
}}

make_fresnel_vc() {{ # NAME FIRST COUNT: fresnel vc's layout (0x<pubkey>/voting-keystore.json)
    fresh "$1" || return 0
    raw="$(mktemp -d)"
    derive "$1" "$2" "$3" "$raw"
    for keystore in "$raw"/keystore-*.json; do
        "$fresnel" account import --keystore "$keystore" --password-file "$password" \\
            --validators-dir "keys/$1/validators" --secrets-dir "keys/$1/secrets"
    done
    rm -rf "$raw"
    echo "keys/$1: validators $2..$(($2 + $3 - 1))"
}}

make_lodestar_vc() {{ # NAME FIRST COUNT: keystores for --importKeystores, one password file
    fresh "$1" || return 0
    derive "$1" "$2" "$3" "keys/$1/validators"
    cp "$password" "keys/$1/secrets/password.txt"
    echo "keys/$1: validators $2..$(($2 + $3 - 1))"
}}

{calls}
"""


# --------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Write docker-compose.yml, k8s/*.yaml and make-keys.sh for a testnet of "
                    "Fresnel and Lodestar nodes, from a published testnet directory.",
        epilog="See scripts/testnet/manifests/README.md. Nothing generated was run here "
               "(no container runtime or cluster); validate.sh checks it against schemas.")
    p.add_argument("--testnet-dir", required=True, type=Path,
                   help="the published testnet directory (config.yaml, deposit_contract.txt, "
                        "deploy_block.txt, boot_enr.yaml, bootstrap_nodes.txt, optional "
                        "genesis.ssz and boot_node/)")
    p.add_argument("--out", required=True, type=Path, help="where to write the manifests")
    p.add_argument("--fresnel-nodes", type=int, default=3,
                   help="Fresnel beacon nodes, each with a validator client (default 3)")
    p.add_argument("--lodestar-nodes", type=int, default=1,
                   help="Lodestar beacon nodes, each with a validator client (default 1)")
    p.add_argument("--validators", type=int, default=16384,
                   help="validators in all, split evenly over the validator clients "
                        "(default 16384)")
    p.add_argument("--image", default="fresnel:latest",
                   help="the Fresnel image (built from ./Dockerfile; default fresnel:latest)")
    p.add_argument("--lodestar-image", default="chainsafe/lodestar:v1.5.1")
    p.add_argument("--busybox-image", default="busybox:1.36",
                   help="for the init jobs (genesis fetch, key copy, waiting for keys)")
    p.add_argument("--eth1-endpoint", default="http://eth1:8545",
                   help="the eth1 JSON-RPC URL the Fresnel beacon nodes follow the deposit "
                        "contract on, as seen from the containers (default http://eth1:8545)")
    p.add_argument("--genesis-url",
                   help="where the boot node and Lodestar fetch genesis.ssz (compose: only "
                        "when the testnet directory has none). Default: fresnel-1's REST "
                        f"API, /{GENESIS_PATH} as SSZ")
    p.add_argument("--namespace", default="fresnel-testnet", help="the Kubernetes namespace")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    testnet = read_testnet(args.testnet_dir)
    plan = make_plan(args, testnet)
    out = args.out
    (out / "k8s").mkdir(parents=True, exist_ok=True)
    # k8s/ is wholly generated: drop files of an earlier run (e.g. with more nodes), which
    # `kubectl apply -f k8s/` would otherwise still apply.
    for stale in (out / "k8s").glob("*.yaml"):
        stale.unlink()

    header = ["Generated by scripts/testnet/manifests/manifests.py from "
              f"{testnet.path.name}/ ({args.fresnel_nodes} Fresnel, {args.lodestar_nodes} "
              f"Lodestar nodes; {args.validators} validators)."] + NOT_RUN
    compose_header = header + [
        "Usage: export FRESNEL_UID=$(id -u) FRESNEL_GID=$(id -g); ./make-keys.sh ...;",
        "docker compose up -d. Eth1 endpoint (the Fresnel nodes' deposit contract source): "
        f"{args.eth1_endpoint}"]
    if not testnet.has_genesis and not args.genesis_url:
        compose_header.append("The testnet directory has no genesis.ssz: the boot node and "
                              "Lodestar wait until fresnel-1 has genesis.")
    write_yaml(out / "docker-compose.yml", [compose_document(plan, out)], compose_header)
    for name, comment, documents in k8s_files(plan):
        write_yaml(out / "k8s" / name, documents, header + comment)

    script = out / "make-keys.sh"
    script.write_text(make_keys_script(plan, out))
    script.chmod(0o755)
    for vc in plan.vcs:
        for sub in ("validators", "secrets"):
            (out / "keys" / vc.name / sub).mkdir(parents=True, exist_ok=True)
    print(f"wrote {out}/docker-compose.yml, {out}/k8s/ ({len(k8s_files(plan))} files), "
          f"{out}/make-keys.sh")
    for vc in plan.vcs:
        print(f"  {vc.name}: validators {vc.first_index}..{vc.first_index + vc.count - 1} "
              f"via {', '.join(bn.name for bn in vc.beacon_nodes)}")


if __name__ == "__main__":
    main()
