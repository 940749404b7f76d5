#!/usr/bin/env bash
# Runs every test of the project: formatting and lints, unit and integration tests, the
# official conformance vectors (fetched and cached on first use), and the runner's self-test.
# Usage: scripts/test.sh            (everything; what CI runs)
#        SKIP_LINTS=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if [[ "${SKIP_LINTS:-0}" != 1 ]]; then
    step "cargo fmt --check"
    cargo fmt --all -- --check
    step "cargo clippy"
    cargo clippy --workspace --all-targets --locked -- -D warnings
fi

# The vectors first: they are fetched and cached here, and some integration tests read them.
step "conformance runner self-test (corrupted vectors must fail)"
scripts/spec-tests.sh --self-test

# The key tooling's cross-check with ethstaker-deposit (PyPI) runs among the workspace tests;
# under CI it fails rather than skip when the tool is missing.
step "ethstaker-deposit 1.3.1 for the key cross-check (PyPI, cached)"
ETHSTAKER_PYTHON="$(scripts/deposit-tool-crosscheck.sh --print-python)"
export ETHSTAKER_PYTHON

# The Lodestar interop test runs among the workspace tests; it installs Lodestar itself, and
# installing here first makes a missing npm or registry fail loudly, with its reason.
step "Lodestar 1.5.1 for the interop test (npm, cached)"
if ! scripts/lodestar/install.sh >/dev/null; then
    echo "Lodestar 1.5.1 could not be installed: the multi-client test needs node, npm and the npm registry" >&2
    exit 1
fi

# The eth1 end-to-end test runs anvil (npm) and judges genesis with the executable spec
# (eth2spec 1.0.1, PyPI); installing both here makes a missing registry fail loudly.
step "anvil 1.7.1 (npm) and eth2spec 1.0.1 (PyPI) for the eth1 test (cached)"
scripts/eth1/install-anvil.sh >/dev/null
ETH2SPEC_PYTHON="$(scripts/eth1/eth2spec.sh --print-python)"
export ETH2SPEC_PYTHON

step "unit and integration tests (the end-to-end ones follow, two at a time)"
# The end-to-end tests start real nodes and mostly wait on slot clocks: scripts/e2e-lanes.py
# runs them in two lanes after the rest, so they are built here and skipped in this run.
E2E_JSON="${CARGO_TARGET_DIR:-target}/test-binaries.json"
cargo test --workspace --locked --no-run --message-format=json-render-diagnostics > "$E2E_JSON"
mapfile -t e2e_skip < <(python3 scripts/e2e-lanes.py skip-args "$E2E_JSON")
(( ${#e2e_skip[@]} > 0 )) || { echo "e2e-lanes.py found no end-to-end test to skip" >&2; exit 1; }
cargo test --workspace --locked -- "${e2e_skip[@]}"

step "end-to-end tests: real nodes, anvil and Lodestar, two at a time"
python3 scripts/e2e-lanes.py run "$E2E_JSON"

step "the eth2spec genesis judge against lcli's interop genesis"
LCLI=target/debug/lcli scripts/eth1/spec_genesis_selftest.sh

step "REST API schema check: schemathesis (PyPI, cached) against a live local chain"
# The local testnet script's own chain (2-second slots, ports picked free), stopped whatever
# happens; the check waits for the chain to move before it starts.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SCHEMA_NET="$(mktemp -d /tmp/fresnel-schema-net.XXXXXX)"
stop_schema_net() { TESTNET_DIR="$SCHEMA_NET" scripts/local_testnet/stop.sh >/dev/null 2>&1 || true; }
trap stop_schema_net EXIT
SCHEMA_PORT="$(free_port)"
# NO_BUILD: the workspace tests just built target/debug/{fresnel,lcli} (both packages have
# integration tests); a plain `cargo build` would unify features differently and rebuild.
NO_BUILD=1 TESTNET_DIR="$SCHEMA_NET" SECONDS_PER_SLOT=2 HTTP_PORT="$SCHEMA_PORT" \
    METRICS_PORT="$(free_port)" P2P_PORT="$(free_port)" scripts/local_testnet/start.sh
if ! scripts/api_schema_check/run.sh "http://127.0.0.1:$SCHEMA_PORT"; then
    echo "--- last lines of the node's log ---"; tail -n 40 "$SCHEMA_NET/bn.log" || true
    exit 1
fi
stop_schema_net
rm -rf "$SCHEMA_NET"

step "testnet manifests: docker compose and Kubernetes, validated against their schemas (PyPI, cached)"
scripts/testnet/manifests/validate.sh

step "the metrics check's and the resource sampler's self-tests"
python3 scripts/testnet/metrics/check-metrics.py --self-test
python3 scripts/testnet/resources.py --self-test

step "the testnet launcher: 2 Fresnel + 1 Lodestar nodes from a deposit-contract genesis, a kill -9 drill"
NO_BUILD=1 scripts/testnet/ci-check.sh

step "BLS vectors with the pure-Rust backend (feature pure_rust)"
BLS_VECTORS_DIR="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/spec-tests/v1.0.1/general/phase0/bls" \
    cargo test --locked -p bls --features pure_rust

step "conformance vectors"
scripts/spec-tests.sh --suite all --preset all
