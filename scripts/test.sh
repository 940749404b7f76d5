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

step "unit and integration tests"
cargo test --workspace --locked

step "conformance runner self-test (corrupted vectors must fail)"
scripts/spec-tests.sh --self-test

step "conformance vectors"
scripts/spec-tests.sh --suite all --preset all
