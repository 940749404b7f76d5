#!/usr/bin/env bash
# CI check of manifests.py: generates the manifests for sample testnet directories made here
# (fake but well-formed files) and validates them OFFLINE:
#   - docker-compose.yml against the compose specification's schema bundled with
#     check-jsonschema (--builtin-schema vendor.compose-spec);
#   - every k8s/*.yaml object against the Kubernetes $K8S_VERSION schemas bundled with
#     kubernetes-validate, --strict (unknown fields rejected); an object without a schema
#     (an unknown kind) is a failure here, though kubernetes-validate only warns;
#   - crosscheck.py: references between objects (selectors, volumes, Services, addresses).
# Then a self-test: deliberately broken copies must each be rejected.
# The validators run in a network namespace without a network (unshare -n) where one can be
# made, so nothing can fetch a schema. They come from a venv created once, from PyPI, with the
# pins of requirements.txt, in ${FRESNEL_CACHE:-~/.cache/fresnel}/manifest-validate-venv.
#
# NOT RUN HERE: no container runtime or Kubernetes cluster exists on the machines this was
# written on, so the manifests are validated, never deployed.
#   bash scripts/testnet/manifests/validate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
K8S_VERSION=1.29.0
venv="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/manifest-validate-venv"
py="$venv/bin/python"

fail() { echo "validate.sh: FAIL: $*" >&2; exit 1; }
step() { echo "==> $*"; }

# The venv, rebuilt when requirements.txt or the Python version changes.
ensure_venv() {
    local want stamp="$venv/.fresnel-installed"
    want="$(sha256sum < "$here/requirements.txt" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
    [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
    step "creating $venv (once)"
    rm -rf "$venv"
    python3 -m venv "$venv" || fail "python3 -m venv failed"
    # Wheels only and no dependency resolution: exactly the pinned set.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: --no-deps \
        -r "$here/requirements.txt" || fail "pip could not install $here/requirements.txt"
    "$venv/bin/pip" check >/dev/null || fail "the pinned set is inconsistent (pip check)"
    echo "$want" > "$stamp"
}

# Runs a validator with no network at all where a network namespace can be made; elsewhere
# with proxies pointing at a closed port, so that an attempted download fails fast.
offline=(env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY=)
offline_how="proxies set to a closed port (unshare -n unavailable)"
if unshare -n true 2>/dev/null; then
    offline=(unshare -n --)
    offline_how="in a network namespace without a network (unshare -n)"
fi

# Real ENRs made by `lcli generate-bootnode-enr` (10.96.100.10 and 172.30.0.10, UDP 9000);
# their keys are not the fake key below, which no validator can tell.
ENR_K8S_STYLE='enr:-Ku4QNcqiBqSSQxKsGhl1o1wQkMIs--xnxQcRAu3GWdQosCMc5x_bg37UI6RmK8R7P1_JKVmwqo-MRjZCC1unE0gc6IBh2F0dG5ldHOIAAAAAAAAAACEZXRoMpD9yjmwAAABIf__________gmlkgnY0gmlwhApgZAqJc2VjcDI1NmsxoQN6hXfWvkO9bizUg1QLxMn2z_HC6aOKaCdxAO_PW2qdjoN1ZHCCIyg'
ENR_OTHER='enr:-Ku4QApHlV8r9DrpVtm_lAPcBZ5PcEGmv9_T1QZ_yVYU_2cOKzWELk6jAqDKuLuTI6j4uxKkfs6a9fJlrY9ZbPFIFnsBh2F0dG5ldHOIAAAAAAAAAACEZXRoMpD9yjmwAAABIf__________gmlkgnY0gmlwhKweAAqJc2VjcDI1NmsxoQObv5TYzPETc4GZB6-u-eWZ_wT7AR43SChC9TBSwtGkU4N1ZHCCIyg'

# sample_testnet DIR BOOT(yes|no) GENESIS(yes|no): a published testnet directory.
sample_testnet() {
    local dir="$1"
    mkdir -p "$dir"
    if [ -f "$repo/testnets/prater/config.yaml" ]; then
        cp "$repo/testnets/prater/config.yaml" "$dir/config.yaml"
    else
        printf 'PRESET_BASE: "mainnet"\nCONFIG_NAME: "sample"\nMIN_GENESIS_ACTIVE_VALIDATOR_COUNT: 16384\n' > "$dir/config.yaml"
    fi
    echo 0x4242424242424242424242424242424242424242 > "$dir/deposit_contract.txt"
    echo 1234567 > "$dir/deploy_block.txt"
    printf -- '- %s\n' "$ENR_K8S_STYLE" > "$dir/boot_enr.yaml"
    printf '# another boot node\n%s\n' "$ENR_OTHER" > "$dir/bootstrap_nodes.txt"
    if [ "$2" = yes ]; then
        mkdir -p "$dir/boot_node"
        head -c 32 /dev/urandom > "$dir/boot_node/key"
        printf '%s' "$ENR_K8S_STYLE" > "$dir/boot_node/enr.dat"
    fi
    if [ "$3" = yes ]; then
        head -c 4096 /dev/urandom > "$dir/genesis.ssz"   # only its presence matters
    fi
}

# validate_compose FILE
validate_compose() {
    "${offline[@]}" "$venv/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$1"
}

# validate_k8s FILE...: every object must pass; a warning (no schema) fails too, and the count
# of objects that passed must be the count of objects in the files.
validate_k8s() {
    local out status=0 expected passed
    out="$("${offline[@]}" "$venv/bin/kubernetes-validate" -k "$K8S_VERSION" --strict "$@" 2>&1)" || status=$?
    expected="$("$py" -c 'import sys, yaml
print(sum(1 for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d))' "$@")"
    passed="$(grep -c '^INFO .* passed for resource' <<<"$out" || true)"
    if [ "$status" -ne 0 ] || grep -Eq '^(ERROR|WARN|FATAL)' <<<"$out" || [ "$passed" -ne "$expected" ]; then
        grep -Ev '^INFO' <<<"$out" >&2 || true
        echo "($passed of $expected objects passed, kubernetes-validate exit $status)" >&2
        return 1
    fi
    echo "ok -- $passed objects in $# files valid for Kubernetes $K8S_VERSION (strict)"
}

# check_output OUT: all three checks of a generated directory, naming what failed.
check_output() {
    local out="$1"
    validate_compose "$out/docker-compose.yml" || fail "$out/docker-compose.yml is not a valid compose file"
    validate_k8s "$out"/k8s/*.yaml || fail "a manifest in $out/k8s/ is not valid (see above)"
    "$py" "$here/crosscheck.py" "$out" || fail "$out failed the cross-reference checks"
}

# expect_services OUT NAME...: the compose file has exactly these services.
expect_services() {
    local out="$1"; shift
    "$py" - "$out/docker-compose.yml" "$@" <<'EOF' || fail "$1/docker-compose.yml has the wrong services"
import sys, yaml
have = set(yaml.safe_load(open(sys.argv[1]))["services"])
want = set(sys.argv[2:])
if have != want:
    sys.exit(f"services: missing {sorted(want - have)}, unexpected {sorted(have - want)}")
EOF
}

# break_copy KIND SRC DST: a copy of output SRC with one deliberate error.
break_copy() {
    rm -rf "$3"
    cp -r "$2" "$3"
    "$py" - "$1" "$3" <<'EOF'
import sys, yaml
from pathlib import Path
kind, out = sys.argv[1], Path(sys.argv[2])

def edit(path, change):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    change(docs)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))

def first(docs, k):
    return next(d for d in docs if d["kind"] == k)

bn = out / "k8s" / "10-fresnel-1.yaml"
if kind == "compose-unknown-key":
    edit(out / "docker-compose.yml", lambda d: d[0]["services"]["fresnel-1"].update(imagee="x"))
elif kind == "statefulset-without-selector":
    edit(bn, lambda d: first(d, "StatefulSet")["spec"].pop("selector"))
elif kind == "unknown-container-field":
    edit(bn, lambda d: first(d, "StatefulSet")["spec"]["template"]["spec"]["containers"][0]
         .update(imagePullPolicyy="Always"))
elif kind == "unknown-kind":
    edit(bn, lambda d: first(d, "StatefulSet").update(kind="StatefulSett"))
elif kind == "service-selects-nothing":
    edit(bn, lambda d: first(d, "Service")["spec"]["selector"].update(
        {"app.kubernetes.io/name": "nobody"}))
else:
    sys.exit(f"unknown breakage {kind}")
EOF
}

# expect_rejected KIND CHECK...: the broken copy must fail CHECK.
expect_rejected() {
    local kind="$1"; shift
    if "$@" > "$work/rejected.log" 2>&1; then
        cat "$work/rejected.log" >&2
        fail "self-test: the copy broken by '$kind' was accepted by: $*"
    fi
    echo "ok -- rejected as it should be: $kind: $(grep -m1 -E '^(ERROR|WARN)|crosscheck:|not allowed' "$work/rejected.log" \
        | sed -e 's/^ *//' -e 's/.*against version [0-9.]*: //' -e 's#^WARN [^ ]* ##' -e 's#^crosscheck: [^ ]* ##' -e 's#^[^ ]*::##' | cut -c1-120)"
}

start=$SECONDS
ensure_venv
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "validators: $("$venv/bin/check-jsonschema" --version), kubernetes-validate $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -1); offline: $offline_how"

step "manifests.py --help"
python3 "$here/manifests.py" --help > "$work/help.txt" || fail "manifests.py --help failed"

step "YAML emitter round trip (PyYAML, YAML 1.1, and ruamel.yaml, YAML 1.2)"
"$py" - "$here" <<'EOF' || fail "manifests.py's YAML emitter wrote something that reads back differently"
import sys
sys.path.insert(0, sys.argv[1])
import io, yaml, ruamel.yaml
import manifests
tricky = {"a": ["yes", "no", "on", "off", "y", "true", "null", "~", "0x10", "010", "1e3", "1:30",
                "1_000", ".5", "-1", "--flag", "-", "- x", "a: b", "a #b", "#c", "*", "&a", "!t",
                "[x]", "{x}", "", " lead", "trail:", "x:y", "$(POD_IP)", "${V:-1}", "é", "q\"q",
                "back\\slash", "multi\nline\n", "no newline\nat end", "two\n\n", "\ttab\n"],
          manifests.K("commented", "a comment\non two lines"): {"n": 5, "t": True, "z": None,
                                                                "e": {}, "l": []},
          "nested": [{"x": 1, "y": [1, 2]}, [], {}, [3, [4]]]}
text = manifests.to_yaml(tricky)
plain = {str(k): v for k, v in tricky.items()}
for name, load in (("PyYAML", yaml.safe_load),
                   ("ruamel.yaml", lambda t: ruamel.yaml.YAML(typ="safe", pure=True).load(io.StringIO(t)))):
    back = load(text)
    if back != plain:
        sys.exit(f"{name} read back {back!r}\n from:\n{text}")
print("ok -- round trip")
EOF

step "scenario A: defaults (3 Fresnel + 1 Lodestar, 16384 validators), boot node, no genesis.ssz"
sample_testnet "$work/pub-a" yes no
python3 "$here/manifests.py" --testnet-dir "$work/pub-a" --out "$work/out-a" > /dev/null
check_output "$work/out-a"
expect_services "$work/out-a" testnet-genesis boot-node fresnel-1 fresnel-2 fresnel-3 lodestar-1 \
    fresnel-vc-1 fresnel-vc-2 fresnel-vc-3 lodestar-vc-1

step "scenario B: genesis.ssz present, no boot node, 1 Fresnel + 2 Lodestar, --genesis-url"
sample_testnet "$work/pub-b" no yes
python3 "$here/manifests.py" --testnet-dir "$work/pub-b" --out "$work/out-b" --fresnel-nodes 1 \
    --lodestar-nodes 2 --validators 64 --image registry.example/fresnel:dev \
    --eth1-endpoint http://geth.eth1.svc:8545 --genesis-url http://files.example/genesis.ssz \
    --namespace testnet-b > /dev/null
check_output "$work/out-b"
expect_services "$work/out-b" fresnel-1 lodestar-1 lodestar-2 fresnel-vc-1 lodestar-vc-1 lodestar-vc-2

step "self-test: broken copies must be rejected"
k8s_of() { echo "$1"/k8s/*.yaml; }
break_copy compose-unknown-key "$work/out-a" "$work/bad"
expect_rejected compose-unknown-key validate_compose "$work/bad/docker-compose.yml"
for kind in statefulset-without-selector unknown-container-field unknown-kind; do
    break_copy "$kind" "$work/out-a" "$work/bad"
    # shellcheck disable=SC2046
    expect_rejected "$kind" validate_k8s $(k8s_of "$work/bad")
done
break_copy service-selects-nothing "$work/out-a" "$work/bad"
expect_rejected service-selects-nothing "$py" "$here/crosscheck.py" "$work/bad"

echo "validate.sh: all checks passed in $((SECONDS - start))s"
