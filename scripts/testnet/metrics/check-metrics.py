#!/usr/bin/env python3
"""Checks that live nodes serve every metric the testnet dashboard and Prometheus config use.

    check-metrics.py --dashboard FILE --prometheus-config FILE --metrics-url URL [--metrics-url URL...]
    check-metrics.py --self-test

Metric names are taken from the dashboard's PromQL (panel targets and templating queries) and
from the Prometheus config's recording and alerting rules (rule_files) if it has any; names
that metric_relabel_configs would drop count as missing. A name is matched exactly against the
sample names of each scrape, so `foo_bucket` in PromQL needs `foo_bucket` in the scrape (a
histogram `foo` serves foo_bucket, foo_sum and foo_count, never `foo`). The config must be a
scrape config (static targets with a `node` label) that scrapes every URL checked.
Exits 1 listing every name a URL does not serve (MAY_BE_ABSENT's are only noted).
"""
import argparse
import glob
import json
import os
import re
import sys
import urllib.request
from urllib.parse import urlsplit

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
# Words PromQL gives a meaning to where a metric name could stand.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2"}
# Names a healthy testnet may never serve, with why: reported, but not a failure.
MAY_BE_ABSENT = {"beacon_block_rejected_total": "labelled by reason, so absent until a block is rejected"}
# Series Prometheus writes itself for every target: no node serves them.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
             "scrape_samples_post_metric_relabeling", "scrape_series_added"}


def promql_names(expr):
    """The metric names an expression selects."""
    names = set(re.findall(r'__name__\s*=\s*"(' + NAME + ')"', expr))
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)  # strings
    expr = re.sub(r"\$\{[^}]*\}|\$" + NAME, "1", expr)  # Grafana variables
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", expr)  # label matchers, ranges, subqueries
    # Label lists of grouping and vector matching.
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    for match in re.finditer(r"\d[\w.]*|(" + NAME + r")(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if name and not call and name not in KEYWORDS:  # a name before "(" is a function
            names.add(name)
    return names


def template_names(query):
    """The metric names of a Grafana Prometheus variable query."""
    if isinstance(query, dict):
        query = query.get("query", "")
    query = (query or "").strip()
    if not query:
        return set()
    m = re.fullmatch(r"label_values\((.*),\s*" + NAME + r"\s*\)", query, re.S)
    if m:
        return promql_names(m.group(1))
    if re.fullmatch(r"label_values\(\s*" + NAME + r"\s*\)|label_names\(\)|metrics\(.*\)", query, re.S):
        return set()
    m = re.fullmatch(r"query_result\((.*)\)", query, re.S)
    return promql_names(m.group(1) if m else query)


def dashboard_names(dashboard):
    """{metric name: [where it is used]} over every panel target and templating query."""
    used = {}

    def walk(panels):
        for panel in panels or []:
            for target in panel.get("targets") or []:
                for name in promql_names(target.get("expr") or ""):
                    used.setdefault(name, []).append(f"panel {panel.get('title')!r}")
            walk(panel.get("panels"))  # a collapsed row holds its panels

    walk(dashboard.get("panels"))
    for var in (dashboard.get("templating") or {}).get("list") or []:
        if var.get("type") == "query":
            for name in template_names(var.get("query")):
                used.setdefault(name, []).append(f"variable ${var.get('name')}")
    return used


def parse_yaml(text):
    """The block-style YAML subset prometheus-config.py writes (with JSON-quoted, single-quoted
    or plain scalars, and JSON or [plain, scalar] flow lists), for machines without PyYAML."""
    lines = []
    for raw in text.splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            if "\t" in raw[: len(raw) - len(raw.lstrip())]:
                raise ValueError(f"a tab in the indentation: {raw!r}")
            lines.append([len(raw) - len(raw.lstrip(" ")), raw.strip()])
    if not lines:
        return None
    value, i = _block(lines, 0, lines[0][0])
    if i < len(lines):
        raise ValueError(f"unexpected indentation at {lines[i][1]!r}")
    return value


def _block(lines, i, indent):
    def item(i):
        return i < len(lines) and lines[i][0] == indent and (lines[i][1] + " ").startswith("- ")

    if item(i):
        out = []
        while item(i):
            rest = lines[i][1][1:].lstrip()
            if not rest:
                value, i = _nested(lines, i + 1, indent, True)
            elif re.match(r'(?:[\w.-]+|"[^"]*")\s*:(?:\s|$)', rest):  # "- key: ...": a mapping
                lines[i] = [indent + len(lines[i][1]) - len(rest), rest]
                value, i = _block(lines, i, lines[i][0])
            else:
                value, i = _scalar(rest), i + 1
            out.append(value)
        return out, i
    out = {}
    while i < len(lines) and lines[i][0] == indent and not item(i):
        m = re.match(r'([\w.-]+|"[^"]*")\s*:(?:\s+(.*))?$', lines[i][1])
        if not m:
            raise ValueError(f"not a 'key: value' line: {lines[i][1]!r}")
        key = json.loads(m.group(1)) if m.group(1).startswith('"') else m.group(1)
        if m.group(2) and not m.group(2).startswith("#"):
            out[key], i = _scalar(m.group(2)), i + 1
        else:
            out[key], i = _nested(lines, i + 1, indent, False)
    return out, i


def _nested(lines, i, indent, in_item):
    """The block under a "key:" or "-" line at `indent`, or None if there is none."""
    if i < len(lines) and (lines[i][0] > indent or (
            not in_item and lines[i][0] == indent and (lines[i][1] + " ").startswith("- "))):
        return _block(lines, i, lines[i][0])
    return None, i


def _scalar(text):
    flow = re.fullmatch(r"\[([^\[\]{}\"']*)\]\s*(?:#.*)?", text)  # [a, b]: a flow list of plain scalars
    if flow:
        return [_scalar(item.strip()) for item in flow.group(1).split(",") if item.strip()]
    if text[0] in "\"[{":
        value, end = json.JSONDecoder().raw_decode(text)
        if text[end:].strip() and not text[end:].strip().startswith("#"):
            raise ValueError(f"trailing text after {text[:end]!r}")
        return value
    if text[0] == "'":
        return text[1:text.rindex("'")].replace("''", "'")
    text = re.sub(r"\s+#.*$", "", text)
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return {"true": True, "false": False, "null": None, "~": None}.get(text, text)


def load_yaml(path):
    with open(path) as f:
        text = f.read()
    try:
        import yaml
    except ImportError:
        return parse_yaml(text)
    return yaml.safe_load(text)


def read_config(path, urls):
    """(names its rules use, names its rules record, relabel rules on __name__); raises
    ValueError unless it is a scrape config of labelled nodes that scrapes every URL."""
    cfg = load_yaml(path)
    if not isinstance(cfg, dict) or not isinstance(cfg.get("scrape_configs"), list) or not cfg["scrape_configs"]:
        raise ValueError("no scrape_configs list")
    scraped, drops = set(), []
    for job in cfg["scrape_configs"]:
        if not isinstance(job, dict) or not isinstance(job.get("job_name"), str):
            raise ValueError(f"a scrape config without a job_name: {job!r}")
        statics = job.get("static_configs")
        if not isinstance(statics, list) or not statics:
            raise ValueError(f"job {job['job_name']}: no static_configs (the testnet's nodes)")
        for static in statics:
            labels = static.get("labels") if isinstance(static, dict) else None
            targets = static.get("targets") if isinstance(static, dict) else None
            if not isinstance(targets, list) or not targets or not isinstance(labels, dict) or "node" not in labels:
                raise ValueError(f"job {job['job_name']}: a static config without targets or a node label: {static!r}")
            for target in targets:
                if not re.fullmatch(r"[^\s/:]+:\d+", str(target)):
                    raise ValueError(f"job {job['job_name']}: target {target!r} is not HOST:PORT")
                scheme = labels.get("__scheme__", job.get("scheme", "http"))
                scraped.add(f"{scheme}://{target}{labels.get('__metrics_path__', job.get('metrics_path', '/metrics'))}")
        for rule in job.get("metric_relabel_configs") or []:
            if rule.get("source_labels") == ["__name__"] and rule.get("action", "replace") in ("keep", "drop"):
                drops.append((job["job_name"], rule["action"], re.compile(rule.get("regex", "(.*)"))))
    for url in urls:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}{parts.path or '/'}" not in scraped:
            raise ValueError(f"{url} is not one of its targets ({', '.join(sorted(scraped))})")
    used, recorded = {}, set()
    for job, action, regex in drops:  # the names a keep rule spells out ("a|b|c") must be served
        for name in regex.pattern.strip("()").split("|") if action == "keep" else []:
            if re.fullmatch(NAME, name):
                used.setdefault(name, []).append(f"metric_relabel_configs of job {job}")
    for pattern in cfg.get("rule_files") or []:
        for rules_path in glob.glob(os.path.join(os.path.dirname(path), pattern)):
            for group in (load_yaml(rules_path) or {}).get("groups") or []:
                for rule in group.get("rules") or []:
                    recorded.add(rule.get("record"))
                    for name in promql_names(str(rule.get("expr", ""))):
                        used.setdefault(name, []).append(f"rule in {rules_path}")
    return used, recorded - {None}, drops


def served_names(text):
    """The sample names of a scrape in the Prometheus text format."""
    return {m.group(0) for line in text.splitlines() if not line.startswith("#")
            for m in [re.match(NAME, line)] if m}


def missing(used, served, drops=()):
    """[(name, why)] of the used names a scrape does not serve (or the config drops)."""
    out = []
    for name in sorted(used):
        if name in SYNTHETIC:
            continue
        dropped = [job for job, action, regex in drops if bool(regex.fullmatch(name)) == (action == "drop")]
        if dropped:
            out.append((name, f"dropped by metric_relabel_configs of job {', '.join(dropped)}"))
        elif name not in served:
            hint = " (a histogram: use _bucket, _sum or _count)" if f"{name}_bucket" in served else ""
            out.append((name, "not served" + hint))
    return out


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def check(dashboard_path, config_path, urls, out=sys.stdout):
    """Prints the names and what each URL lacks; returns the exit code."""
    with open(dashboard_path) as f:
        used = dashboard_names(json.load(f))
    rule_used, recorded, drops = read_config(config_path, urls)
    for name in recorded:
        used.pop(name, None)  # Prometheus makes these itself
    for name, where in rule_used.items():
        used.setdefault(name, []).extend(where)
    print(f"{len(used)} metric names used: {' '.join(sorted(used))}", file=out)
    failed = False
    for url in urls:
        try:
            served = served_names(scrape(url))
        except OSError as e:
            print(f"FAIL {url}: cannot scrape: {e}", file=out)
            failed = True
            continue
        lacks = missing(used, served, drops)
        for name, why in [(n, w) for n, w in lacks if n in MAY_BE_ABSENT and w == "not served"]:
            lacks.remove((name, why))
            print(f"note {url}: {name} not served ({MAY_BE_ABSENT[name]}): allowed", file=out)
        if lacks:
            failed = True
            print(f"FAIL {url}: {len(lacks)} of {len(used)} names missing:", file=out)
            for name, why in lacks:
                print(f"  {name}: {why}; used by {', '.join(sorted(set(used[name])))}", file=out)
        else:
            print(f"ok   {url}: serves all {len(used)} names", file=out)
    return 1 if failed else 0


def self_test():
    cases = {
        "histogram_quantile(0.95, sum by (le, node) (rate(beacon_block_import_seconds_bucket[2m])))":
            {"beacon_block_import_seconds_bucket"},
        "beacon_head_epoch - beacon_finalized_epoch": {"beacon_head_epoch", "beacon_finalized_epoch"},
        'sum by (topic, outcome) (rate(gossip_validation_total{outcome="reject"}[1m]))': {"gossip_validation_total"},
        "100 * beacon_participation_prev_epoch_target_attesting_gwei / beacon_participation_prev_epoch_active_gwei":
            {"beacon_participation_prev_epoch_target_attesting_gwei", "beacon_participation_prev_epoch_active_gwei"},
        'rate(process_cpu_seconds_total{node=~"$node", job!="a b"}[$__rate_interval]) * 1e3': {"process_cpu_seconds_total"},
        "sum(rate(a_total[5m] offset 1h)) by (node) > bool 0 and on(node) b unless ignoring(x) group_left(y) c":
            {"a_total", "b", "c"},
        'max_over_time(libp2p_peers[10m:30s]) or {__name__="peer_score_min"} or vector(0) > inf':
            {"libp2p_peers", "peer_score_min"},
        "floor(beacon_head_slot / ${slots_per_epoch}) - count without (instance) (up)": {"beacon_head_slot", "up"},
    }
    for expr, want in cases.items():
        got = promql_names(expr)
        assert got == want, f"{expr}: got {sorted(got)}, want {sorted(want)}"
    assert template_names({"query": "label_values(beacon_head_slot, node)"}) == {"beacon_head_slot"}
    assert template_names('label_values(libp2p_peers{client="x"}, node)') == {"libp2p_peers"}
    assert template_names("label_values(node)") == set()
    print(f"ok   extractor: {len(cases)} expressions and 3 variable queries")

    # The YAML subset, on what prometheus-config.py writes, and read_config's verdicts.
    import importlib.util
    import tempfile
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("prometheus_config", os.path.join(here, "prometheus-config.py"))
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    nodes = {"name": "t", "seconds_per_slot": 3, "nodes": [
        {"name": "fresnel-1", "client": "fresnel", "metrics": "http://127.0.0.1:1/metrics"},
        {"name": "lodestar-1", "client": "lodestar", "metrics": "http://127.0.0.1:2/metrics"}]}
    text = config.render(nodes)
    parsed = parse_yaml(text)
    job = parsed["scrape_configs"][1]
    assert parsed["global"]["scrape_interval"] == "3s", parsed
    assert job["static_configs"][0] == {"targets": ["127.0.0.1:2"], "labels": {"node": "lodestar-1", "client": "lodestar"}}, job
    assert parse_yaml("a:\n- 1\n- x: 'y'\n  z: [2, __name__]\nb: ~\n") == {"a": [1, {"x": "y", "z": [2, "__name__"]}], "b": None}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prometheus.yml")

        def verdict(content, urls):
            with open(path, "w") as f:
                f.write(content)
            try:
                read_config(path, urls)
                return "ok"
            except ValueError as e:
                return str(e)

        assert verdict(text, ["http://127.0.0.1:1/metrics"]) == "ok"
        assert "not one of its targets" in verdict(text, ["http://127.0.0.1:3/metrics"])
        assert "no scrape_configs" in verdict("global:\n  scrape_interval: 3s\n", [])
        assert "node label" in verdict(text.replace("node:", "name:"), [])
    print("ok   config: prometheus-config.py's output parses and is checked against the URLs")

    # A fake scrape without the participation gauges, through the whole check.
    import http.server
    import io
    import threading
    fake = "\n".join([
        "# TYPE beacon_head_slot gauge", "beacon_head_slot 12", "beacon_head_epoch 1",
        "beacon_finalized_epoch 0", 'gossip_validation_total{topic="beacon_block",outcome="accept"} 3',
        'beacon_block_import_seconds_bucket{le="0.1"} 1', "beacon_block_import_seconds_sum 0.05",
        "beacon_block_import_seconds_count 1"]) + "\n"
    used = {n: ["test"] for e in cases for n in promql_names(e)} | {"beacon_block_import_seconds": ["test"]}
    lacks = dict(missing(used, served_names(fake)))
    want = {"beacon_participation_prev_epoch_target_attesting_gwei", "beacon_participation_prev_epoch_active_gwei",
            "process_cpu_seconds_total", "a_total", "b", "c", "libp2p_peers", "peer_score_min",
            "beacon_block_import_seconds"}
    assert set(lacks) == want, sorted(lacks)
    assert "histogram" in lacks["beacon_block_import_seconds"]
    drop = [("fresnel", "drop", re.compile("beacon_head_.*"))]
    assert [n for n, _ in missing({"beacon_head_slot": [], "beacon_finalized_epoch": []}, served_names(fake), drop)] \
        == ["beacon_head_slot"]

    class Fake(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(fake.encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/metrics"
    nodes["nodes"][0]["metrics"] = url
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write(config.render(nodes))
        report = io.StringIO()
        code = check(os.path.join(here, "fresnel-testnet.json"), os.path.join(tmp, "prometheus.yml"), [url], report)
    server.shutdown()
    assert code == 1, report.getvalue()
    for name in ["beacon_participation_prev_epoch_target_attesting_gwei", "libp2p_peers", "sync_distance_slots"]:
        assert f"  {name}: not served" in report.getvalue(), report.getvalue()
    assert "  beacon_head_slot:" not in report.getvalue(), report.getvalue()
    assert "beacon_block_rejected_total not served (labelled" in report.getvalue(), report.getvalue()
    print("ok   missing names are reported: the dashboard against a fake scrape fails with")
    print("     " + report.getvalue().rstrip().replace("\n", "\n     "))
    print("self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboard", help="the Grafana dashboard JSON")
    parser.add_argument("--prometheus-config", help="the Prometheus configuration (prometheus.yml)")
    parser.add_argument("--metrics-url", action="append", default=[], help="a node's metrics URL (repeatable)")
    parser.add_argument("--self-test", action="store_true", help="check the checker itself, and exit")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    if not (args.dashboard and args.prometheus_config and args.metrics_url):
        parser.error("--dashboard, --prometheus-config and at least one --metrics-url are needed")
    try:
        code = check(args.dashboard, args.prometheus_config, args.metrics_url)
    except (OSError, ValueError) as e:
        sys.exit(f"check-metrics: {e}")
    sys.exit(code)


if __name__ == "__main__":
    main()
