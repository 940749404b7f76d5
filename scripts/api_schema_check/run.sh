#!/usr/bin/env bash
# Check a RUNNING Fresnel beacon node (with a live chain and a validator client) against the
# Beacon Node OpenAPI spec (ethereum/beacon-APIs v1), with schemathesis. See README.md.
#
#   scripts/api_schema_check/run.sh http://127.0.0.1:5052
#
# Environment (all optional):
#   FRESNEL_CACHE   cache root for the venv (default ~/.cache/fresnel)
#   MAX_EXAMPLES    schemathesis examples per operation (default 50)
#   SEED            schemathesis seed (default 1, so that two runs send the same requests)
#   REPORT_DIR      where fuzz.log, fuzz.ndjson and failures.txt go (default: a temp dir)
#   ONLY            comma-separated operationIds to fuzz (default: all but the event stream)
#   SKIP_FUZZ=1     only the known-good requests and the event stream
# Exit status: 0 only if every check passed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BASE_URL="${1:?usage: $0 BASE_URL (e.g. http://127.0.0.1:5052)}"

SCHEMATHESIS_VERSION=4.32.5
SPEC="$HERE/beacon-node-oapi.v1.yaml"
# The published spec (ethereum/beacon-APIs commit ae9cebe99c736a3d1ace9f428e018a70589be48b,
# bundled into one file); a check against an edited copy would prove nothing.
SPEC_SHA256=e08eb791148ab4950a7ca82047eccaba4161ac293c9736116503fff6e7ecdc40

die() { echo "api_schema_check: $*" >&2; exit 2; }

echo "$SPEC_SHA256  $SPEC" | sha256sum --check --quiet - || die "$SPEC is not the v1 spec (sha256 mismatch)"
grep -q "^schemathesis==$SCHEMATHESIS_VERSION$" "$HERE/requirements.txt" \
    || die "requirements.txt does not pin schemathesis==$SCHEMATHESIS_VERSION"

# A venv per schemathesis version, cached across runs; rebuilt when requirements.txt changes
# (its hash is stamped inside), so the pins in the repo are what actually runs.
VENV="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/schemathesis-$SCHEMATHESIS_VERSION"
REQ_HASH="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [[ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$REQ_HASH" ]]; then
    echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV..."
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$REQ_HASH" >"$VENV/.requirements.sha256"
fi

REPORT_DIR="${REPORT_DIR:-$(mktemp -d /tmp/api-schema-check.XXXXXX)}"
args=(--spec "$SPEC" --allowlist "$HERE/allowlist.txt" --report-dir "$REPORT_DIR"
      --max-examples "${MAX_EXAMPLES:-50}" --seed "${SEED:-1}")
[[ -n "${ONLY:-}" ]] && args+=(--only "$ONLY")
[[ "${SKIP_FUZZ:-0}" == 1 ]] && args+=(--skip-fuzz)
echo "Reports: $REPORT_DIR"
exec "$VENV/bin/python" "$HERE/check.py" "$BASE_URL" "${args[@]}"
