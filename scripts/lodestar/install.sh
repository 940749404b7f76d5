#!/usr/bin/env bash
# Installs Lodestar 1.5.1, the second client of our interop tests, from the npm registry into a
# cache outside the clone (${FRESNEL_CACHE:-~/.cache/fresnel}/lodestar-1.5.1), once, and prints
# the path of its `lodestar` executable.
#
# Only this release resolves on the registries these machines reach, and only with its own
# pinned dependency set: package.json and yarn.lock.in here are that set (nan pinned to 2.30.0
# so gc-stats builds on Node 20). yarn.lock.in names the registry as @NPM_REGISTRY@; it is
# replaced with `npm config get registry` at install time. yarn 1 is installed beside it.
#   scripts/lodestar/install.sh            install if needed, print the lodestar path
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/lodestar-1.5.1"
bin="$cache/node_modules/.bin/lodestar"

die() { echo "lodestar install: $*" >&2; exit 1; }

# A finished install leaves a stamp with the checksum of the lockfile it came from.
want="$(cat "$here/package.json" "$here/yarn.lock.in" | sha256sum | cut -d' ' -f1)"
if [ -x "$bin" ] && [ "$(cat "$cache/.fresnel-installed" 2>/dev/null)" = "$want" ]; then
    echo "$bin"
    exit 0
fi

command -v node >/dev/null || die "node is not installed (Node.js 20 is needed: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is not installed (apt-get install npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 18 ] || die "Node.js $node_major is too old; Lodestar 1.5.1 needs 18 or later"

echo "==> installing Lodestar 1.5.1 into $cache (once; a few minutes: native modules build)" >&2
rm -rf "$cache"
mkdir -p "$cache"
registry="$(npm config get registry | sed 's#/$##')"
[ -n "$registry" ] || die "npm has no registry configured"
cp "$here/package.json" "$cache/package.json"
sed "s#@NPM_REGISTRY@/#$registry/#g" "$here/yarn.lock.in" > "$cache/yarn.lock"
(
    cd "$cache"
    npm install --no-save --no-audit --no-fund --prefix "$cache/.yarn" yarn@1.22.22 >&2 \
        || die "could not install yarn 1.22.22 from $registry"
    "$cache/.yarn/node_modules/.bin/yarn" install --frozen-lockfile --ignore-engines \
        --non-interactive --network-timeout 600000 >&2 \
        || die "yarn install failed (registry $registry)"
)
[ -x "$bin" ] || die "the install finished but $bin is missing"
"$bin" --version >/dev/null 2>&1 || die "$bin does not run"
echo "$want" > "$cache/.fresnel-installed"
echo "$bin"
