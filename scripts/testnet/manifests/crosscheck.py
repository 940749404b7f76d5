#!/usr/bin/env python3
"""Cross-reference checks of manifests.py's output that JSON schemas cannot make: names that
one object uses and another must define, selectors that must match, addresses and ports that
must not collide. Run by validate.sh with the venv's Python (needs PyYAML).

    crosscheck.py OUT_DIR        prints each problem with its file; exit 1 if there is any

Nothing here talks to a container runtime or a cluster (there is none on the machines this
was written on); it reads the files only.
"""

import ipaddress
import re
import sys
from pathlib import Path

import yaml

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
problems = []


def problem(path, text):
    problems.append(f"{path}: {text}")


# --- docker-compose.yml -------------------------------------------------------------------


def check_compose(path):
    doc = yaml.safe_load(path.read_text())
    services = doc.get("services", {})
    volumes = set(doc.get("volumes") or {})
    networks = doc.get("networks") or {}
    subnets = {}
    for name, net in networks.items():
        for cfg in ((net or {}).get("ipam") or {}).get("config", []):
            subnets[name] = (ipaddress.ip_network(cfg["subnet"]),
                             ipaddress.ip_network(cfg["ip_range"]) if "ip_range" in cfg else None)
    addresses, host_ports = {}, {}
    for name, svc in services.items():
        where = f"{path} service {name}"
        depends = svc.get("depends_on") or []
        for dep in (depends if isinstance(depends, list) else depends.keys()):
            if dep not in services:
                problem(where, f"depends_on names no service: {dep}")
        for vol in svc.get("volumes", []):
            if isinstance(vol, str):
                source = vol.split(":")[0]
                if not source.startswith((".", "/")) and source not in volumes:
                    problem(where, f"volume {source} is not declared under volumes:")
            elif vol.get("type") == "bind" and not (path.parent / vol["source"]).exists():
                problem(where, f"bind source {vol['source']} does not exist")
        nets = svc.get("networks") or {}
        for net in (nets if isinstance(nets, list) else nets.keys()):
            if net not in networks:
                problem(where, f"network {net} is not declared under networks:")
        if isinstance(nets, dict):
            for net, cfg in nets.items():
                ip = (cfg or {}).get("ipv4_address")
                if ip is None:
                    continue
                addr = ipaddress.ip_address(ip)
                subnet, dynamic = subnets.get(net, (None, None))
                if subnet is None or addr not in subnet:
                    problem(where, f"{ip} is outside the subnet of network {net}")
                elif dynamic is not None and addr in dynamic:
                    problem(where, f"{ip} is in the ip_range Docker allocates from")
                if ip in addresses:
                    problem(where, f"{ip} is also {addresses[ip]}'s address")
                addresses[ip] = name
        for spec in svc.get("ports", []):
            parts = str(spec).split(":")
            host = (parts[-2] if len(parts) >= 2 else parts[0]) + \
                ("/" + spec.split("/")[1] if "/" in str(spec) else "/tcp")
            if host in host_ports:
                problem(where, f"host port {host} is also published by {host_ports[host]}")
            host_ports[host] = name


# --- k8s/*.yaml ---------------------------------------------------------------------------


def pod_templates(objects):
    for path, obj in objects:
        if obj["kind"] == "StatefulSet":
            yield path, obj, obj["spec"]["template"]


def check_k8s(directory):
    objects = []
    for path in sorted(directory.glob("*.yaml")):
        objects += [(path, o) for o in yaml.safe_load_all(path.read_text()) if o]
    namespaces = {o["metadata"]["name"] for _, o in objects if o["kind"] == "Namespace"}
    names = {}
    for path, obj in objects:
        name, kind = obj["metadata"]["name"], obj["kind"]
        if not DNS1123.match(name):
            problem(path, f"{kind} name {name!r} is not a DNS-1123 label")
        if kind != "Namespace" and obj["metadata"].get("namespace") not in namespaces:
            problem(path, f"{kind}/{name} is not in a namespace these files create")
        if (kind, name) in names:
            problem(path, f"{kind}/{name} is also defined in {names[(kind, name)]}")
        names[(kind, name)] = path

    def defined(kind, name):
        return (kind, name) in names

    templates = list(pod_templates(objects))
    for path, obj in objects:
        if obj["kind"] != "Service":
            continue
        selector = obj["spec"].get("selector") or {}
        matched = [t for _, _, t in templates
                   if selector and selector.items() <= t["metadata"]["labels"].items()]
        if not matched:
            problem(path, f"Service/{obj['metadata']['name']} selects no pod template")
        for p in obj["spec"].get("ports", []):
            target = p.get("targetPort", p["port"])
            served = {(c.get("containerPort"), c.get("protocol", "TCP")) for t in matched
                      for container in t["spec"]["containers"]
                      for c in container.get("ports", [])}
            if matched and (target, p.get("protocol", "TCP")) not in served:
                problem(path, f"Service/{obj['metadata']['name']} port {target}/"
                        f"{p.get('protocol', 'TCP')} is no container's port")

    for path, sts, template in templates:
        name = sts["metadata"]["name"]
        spec = sts["spec"]
        headless = [o for p, o in objects if o["kind"] == "Service"
                    and o["metadata"]["name"] == spec["serviceName"]
                    and o["spec"].get("clusterIP") == "None"]
        if not headless:
            problem(path, f"StatefulSet/{name}: serviceName {spec['serviceName']} is no "
                    "headless Service")
        if not spec["selector"]["matchLabels"].items() <= template["metadata"]["labels"].items():
            problem(path, f"StatefulSet/{name}: selector does not match its template's labels")
        pod = template["spec"]
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
        for v in volumes.values():
            for kind, key, ref in (("ConfigMap", "configMap", "name"),
                                   ("Secret", "secret", "secretName"),
                                   ("PersistentVolumeClaim", "persistentVolumeClaim",
                                    "claimName")):
                if key in v and not defined(kind, v[key][ref]):
                    problem(path, f"StatefulSet/{name}: volume {v['name']} needs {kind} "
                            f"{v[key][ref]}, which no file defines")
        for c in pod.get("initContainers", []) + pod["containers"]:
            for mount in c.get("volumeMounts", []):
                if mount["name"] not in volumes and mount["name"] not in claims:
                    problem(path, f"StatefulSet/{name} container {c['name']}: mount "
                            f"{mount['name']} has no volume")
            env = {e["name"] for e in c.get("env", [])}
            for arg in c.get("args", []) + c.get("command", []):
                for var in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                    if var not in env:
                        problem(path, f"StatefulSet/{name} container {c['name']}: $({var}) "
                                "is not in its env")
            port_names = {p.get("name") for p in c.get("ports", [])}
            probe_port = ((c.get("readinessProbe") or {}).get("httpGet") or {}).get("port")
            if isinstance(probe_port, str) and probe_port not in port_names:
                problem(path, f"StatefulSet/{name} container {c['name']}: probe port "
                        f"{probe_port} is not a named port")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    check_compose(out / "docker-compose.yml")
    check_k8s(out / "k8s")
    for line in problems:
        print(f"crosscheck: {line}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
