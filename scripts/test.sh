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

step "unit and integration tests"
cargo test --workspace --locked

step "BLS vectors with the pure-Rust backend (feature pure_rust)"
BLS_VECTORS_DIR="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/spec-tests/v1.0.1/general/phase0/bls" \
    cargo test --locked -p bls --features pure_rust

step "conformance vectors"
scripts/spec-tests.sh --suite all --preset all
