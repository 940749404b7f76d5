#!/usr/bin/env bash
# Installs anvil 1.7.1 (Foundry's dev eth1 node, our stand-in for an execution chain with a
# deposit contract) into a cache outside the clone, ${FRESNEL_CACHE:-~/.cache/fresnel}/anvil-1.7.1,
# once, and prints the absolute path of the `anvil` binary on stdout (progress goes to stderr).
#
# Foundry's release downloads live on GitHub, which these machines cannot reach; the same
# prebuilt binary is published on npm as @foundry-rs/anvil-linux-amd64. That package has no
# install scripts and its bin/anvil needs only glibc (libc, libm, libgcc_s), so npm is just a
# download tool here.
#   scripts/eth1/install-anvil.sh            install if needed, print the anvil path
set -euo pipefail
version="1.7.1"
pkg="@foundry-rs/anvil-linux-amd64@$version"
root="${FRESNEL_CACHE:-$HOME/.cache/fresnel}"
cache="$root/anvil-$version"
bin="$cache/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"

die() { echo "anvil install: $*" >&2; exit 1; }

# Already installed: the binary runs and says it is the version we pinned.
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "$version"; then
    echo "$bin"
    exit 0
fi

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "only linux x86_64 is packaged here (got $(uname -s)-$(uname -m))"
command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"

# Install beside the cache and rename into place, so an interrupted run never leaves a
# half-written directory that a later run would take for a finished one.
echo "==> installing $pkg into $cache (once)" >&2
mkdir -p "$root"
tmp="$(mktemp -d "$root/.anvil-$version.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"   # mktemp makes it private; the cache is meant to be shared like the others
# --ignore-scripts: we want the file, nothing run; exact version so the binary never drifts.
npm install --prefix "$tmp" --ignore-scripts --no-audit --no-fund --no-save \
    "$pkg" >&2 || die "npm install $pkg failed (registry $(npm config get registry))"
tbin="$tmp/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
[ -f "$tbin" ] || die "the package installed but has no bin/anvil"
chmod +x "$tbin"
"$tbin" --version 2>/dev/null | grep -q "$version" || die "$tbin does not run or is not version $version"
rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "$bin"
