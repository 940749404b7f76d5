#!/usr/bin/env bash
# Cross-check our keys and keystores with ethstaker-deposit 1.3.1 from PyPI: installs it into
# a cached virtualenv (${FRESNEL_CACHE:-~/.cache/fresnel}/ethstaker-deposit-1.3.1), then runs
# the account_manager cross-check test with ETHSTAKER_PYTHON pointing at it.
#   scripts/deposit-tool-crosscheck.sh                 install if needed, run the test
#   scripts/deposit-tool-crosscheck.sh --print-python  install if needed, print the python path
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/ethstaker-deposit-1.3.1"
if [ ! -x "$cache/bin/python" ] || ! "$cache/bin/python" -c "import ethstaker_deposit" 2>/dev/null; then
    echo "==> installing ethstaker-deposit==1.3.1 into $cache" >&2
    rm -rf "$cache"
    python3 -m venv "$cache" >&2
    "$cache/bin/pip" install --quiet --disable-pip-version-check "ethstaker-deposit==1.3.1" >&2
fi
if [ "${1:-}" = "--print-python" ]; then
    echo "$cache/bin/python"
    exit 0
fi
ETHSTAKER_PYTHON="$cache/bin/python" cargo test --locked -p account_manager --test ethstaker_crosscheck -- --nocapture
