#!/usr/bin/env bash
# Prints the path of a `promtool` binary (Prometheus's config and rule checker), installing it
# once, without root and without starting any service: a `promtool` on PATH wins; otherwise
# Debian's prometheus package is fetched with `apt-get download`, unpacked with `dpkg-deb -x`,
# and its promtool and prometheus binaries are kept in ${FRESNEL_CACHE:-~/.cache/fresnel}/promtool.
#   scripts/testnet/metrics/install-promtool.sh               print promtool's path
#   scripts/testnet/metrics/install-promtool.sh --prometheus  print the prometheus server's path
#                                                             (installing it the same way)
set -euo pipefail
want=promtool
case "${1:-}" in
    "") ;;
    --prometheus) want=prometheus ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-promtool.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
cache="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/promtool"

die() { echo "promtool install: $*" >&2; exit 1; }

if path="$(command -v "$want")"; then
    echo "$path"
    exit 0
fi
# A finished install leaves a stamp with the package version it came from.
if [ -x "$cache/$want" ] && [ -s "$cache/.fresnel-installed" ]; then
    echo "$cache/$want"
    exit 0
fi

command -v apt-get >/dev/null || die "no $want on PATH and no apt-get to fetch Debian's prometheus package"
command -v dpkg-deb >/dev/null || die "no $want on PATH and no dpkg-deb to unpack Debian's prometheus package"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "==> fetching Debian's prometheus package for $want into $cache (once)" >&2
# apt-get download writes into the current directory; as root it warns that the _apt user
# cannot write there and downloads unsandboxed, which is harmless.
(cd "$work" && apt-get download prometheus >&2) \
    || die "apt-get download prometheus failed (no package lists? run 'apt-get update' as root once)"
deb="$(ls "$work"/prometheus_*.deb 2>/dev/null | head -n1)"
[ -n "$deb" ] || die "apt-get download left no prometheus_*.deb in $work"
version="$(dpkg-deb -f "$deb" Version)"
dpkg-deb -x "$deb" "$work/root" || die "dpkg-deb -x $deb failed"
for bin in promtool prometheus; do
    [ -x "$work/root/usr/bin/$bin" ] || die "the package $deb ($version) has no usr/bin/$bin"
done
mkdir -p "$cache"
cp "$work/root/usr/bin/promtool" "$work/root/usr/bin/prometheus" "$cache/"
"$cache/promtool" --version >/dev/null 2>&1 || die "$cache/promtool ($version) does not run"
echo "prometheus $version" > "$cache/.fresnel-installed"
echo "$cache/$want"
