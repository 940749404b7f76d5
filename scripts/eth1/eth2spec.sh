#!/usr/bin/env bash
# Installs the executable consensus spec, eth2spec 1.0.1 from PyPI (the Python build of the
# phase 0 spec we implement), into a cached virtualenv outside the clone,
# ${FRESNEL_CACHE:-~/.cache/fresnel}/eth2spec-1.0.1, once. spec_genesis.py runs with it.
#   scripts/eth1/eth2spec.sh                 install if needed
#   scripts/eth1/eth2spec.sh --print-python  install if needed, print only the venv's python path
#
# It runs on Python 3.9, where the recipe below is known to work (later Pythons are untested).
# eth2spec's own dependency pins no longer resolve on PyPI, so it goes in with --no-deps and
# then a dependency set known to work.
set -euo pipefail
version="1.0.1"
root="${FRESNEL_CACHE:-$HOME/.cache/fresnel}"
cache="$root/eth2spec-$version"
py="$cache/bin/python"
deps=("eth-utils<2,>=1.3" "eth-typing<3,>=2.1" pycryptodome "py-ecc==5.0.0" "milagro-bls-binding==1.9.1"
      "remerkleable==0.1.17" "ruamel.yaml<0.17" lru-dict "pytest<8")

die() { echo "eth2spec install: $*" >&2; exit 1; }

installed() {
    [ -x "$1/bin/python" ] && "$1/bin/python" -c "
import importlib.metadata as m, sys
assert m.version('eth2spec') == '$version'
import eth2spec.phase0.spec, milagro_bls_binding" 2>/dev/null
}

if ! installed "$cache"; then
    # Any Python 3.9 will do: pyenv's if it has one, else python3.9 on PATH.
    base=""
    if command -v pyenv >/dev/null; then
        v="$(pyenv versions --bare 2>/dev/null | grep -E '^3\.9(\.[0-9]+)?$' | sort -V | tail -1 || true)"
        [ -n "$v" ] && base="$(pyenv root)/versions/$v/bin/python3.9"
    fi
    if [ -z "$base" ] || [ ! -x "$base" ]; then
        base="$(command -v python3.9 || true)"
    fi
    [ -n "$base" ] && "$base" -c 'import sys, venv; assert sys.version_info[:2] == (3, 9)' 2>/dev/null \
        || die "no Python 3.9 found (pyenv install 3.9, or apt-get install python3.9 python3.9-venv)"

    # Build beside the cache and rename into place, so an interrupted run leaves nothing
    # that a later run would take for a finished install.
    echo "==> installing eth2spec==$version into $cache with $base (once)" >&2
    mkdir -p "$root"
    tmp="$root/.eth2spec-$version.tmp.$$"
    rm -rf "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    # A venv records its own path in bin/ scripts; python itself finds its packages relative to
    # the binary, so "$cache/bin/python" works after the rename (pip is called as python -m pip).
    "$base" -m venv "$tmp" >&2 || die "could not create a virtualenv with $base"
    pip=("$tmp/bin/python" -m pip install --quiet --disable-pip-version-check)
    "${pip[@]}" --no-deps "eth2spec==$version" >&2 || die "pip install eth2spec==$version failed"
    # pip then reports that eth2spec's own pins are unmet ("dependency conflicts"): expected.
    "${pip[@]}" "${deps[@]}" >&2 || die "pip install of eth2spec's dependencies failed"
    rm -rf "$cache"
    mv "$tmp" "$cache"
    trap - EXIT
    installed "$cache" || die "installed, but $py cannot import eth2spec $version"
fi

if [ "${1:-}" = "--print-python" ]; then
    echo "$py"
fi
