#!/usr/bin/env bash
# Run the consensus-specs phase 0 conformance vectors with the ef_tests runner.
#
#   scripts/spec-tests.sh [--suite v0.12.3|v1.0.1|all] [--preset general|minimal|mainnet|all]
#                         [--vectors DIR] [--filter SUBSTRING] [--no-count-check] [--self-test]
#
# Vector sets:
#   v0.12.3  npm package @chainsafe/eth2-spec-tests@0.12.3, fetched with `npm pack` into
#            ${FRESNEL_CACHE:-$HOME/.cache/fresnel}/spec-tests/v0.12.3 (only tests/*/phase0 and
#            tests/*/config are extracted; `.complete` marks a finished extraction).
#   v1.0.1   ../shared/spec-tests/v1.0.1-phase0-minimal-general.tar.gz beside the clone (the
#            prebuilt release tarball cannot be downloaded here), extracted into the same cache.
# --vectors DIR runs that tree instead (needs --suite v0.12.3 or v1.0.1; nothing is fetched).
#
# The last line of output is the combined `N passed, N failed, N skipped` over all suites run;
# the exit status is non-zero on any failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FRESNEL_CACHE:-$HOME/.cache/fresnel}/spec-tests"

V012_PACKAGE="@chainsafe/eth2-spec-tests@0.12.3"
V012_TARBALL_NAME="chainsafe-eth2-spec-tests-0.12.3.tgz"
V012_SHA1="c2b4157a74505423612e4ab48ee0ee8745655dff"
V101_TARBALL="$REPO/../shared/spec-tests/v1.0.1-phase0-minimal-general.tar.gz"
V101_SHA256="7db0ed57c0062611dd42b2335cc2906bd075e19094941185a4a5c1372075f95c"

SUITE="all"
PRESET="all"
VECTORS=""
RUNNER_ARGS=()
SELF_TEST=0

usage() {
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
  echo "spec-tests: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --suite) [ $# -ge 2 ] || die "--suite needs a value"; SUITE="$2"; shift 2 ;;
    --preset) [ $# -ge 2 ] || die "--preset needs a value"; PRESET="$2"; shift 2 ;;
    --vectors) [ $# -ge 2 ] || die "--vectors needs a value"; VECTORS="$2"; shift 2 ;;
    --filter) [ $# -ge 2 ] || die "--filter needs a value"; RUNNER_ARGS+=(--filter "$2"); shift 2 ;;
    --no-count-check) RUNNER_ARGS+=(--no-count-check); shift ;;
    --self-test) SELF_TEST=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done

case "$SUITE" in v0.12.3|v1.0.1|all) ;; *) die "unknown suite $SUITE (v0.12.3, v1.0.1 or all)" ;; esac
case "$PRESET" in general|minimal|mainnet|all) ;; *) die "unknown preset $PRESET (general, minimal, mainnet or all)" ;; esac
if [ -n "$VECTORS" ]; then
  [ "$SUITE" != "all" ] || die "--vectors needs --suite v0.12.3 or --suite v1.0.1"
  [ -d "$VECTORS" ] || die "--vectors $VECTORS is not a directory"
fi

# --- Vector sets -------------------------------------------------------------------------------

# Fetch and extract the v0.12.3 set into $CACHE/v0.12.3 unless already complete.
fetch_v012() {
  local dir="$CACHE/v0.12.3"
  [ -f "$dir/.complete" ] && return 0
  command -v npm >/dev/null || die "npm is needed to fetch the v0.12.3 vectors (apt-get install npm)"
  mkdir -p "$CACHE"
  local tarball="$CACHE/$V012_TARBALL_NAME"
  if [ ! -f "$tarball" ] || [ "$(sha1sum "$tarball" | cut -d' ' -f1)" != "$V012_SHA1" ]; then
    rm -f "$tarball"
    echo "spec-tests: fetching $V012_PACKAGE (130 MB) with npm pack" >&2
    # npm writes the whole tarball, then exits 1 with ERR_BUFFER_TOO_LARGE while reporting on it:
    # its exit status says nothing, the checksum below decides.
    (cd "$CACHE" && npm pack "$V012_PACKAGE" >"$CACHE/npm-pack.log" 2>&1) || true
  fi
  [ -f "$tarball" ] || die "npm pack did not produce $tarball (see $CACHE/npm-pack.log)"
  local sum
  sum="$(sha1sum "$tarball" | cut -d' ' -f1)"
  if [ "$sum" != "$V012_SHA1" ]; then
    rm -f "$tarball"
    die "$V012_TARBALL_NAME has sha1 $sum, expected $V012_SHA1 (removed; run again)"
  fi
  echo "spec-tests: extracting v0.12.3 vectors into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$tarball" -C "$dir" --strip-components=2 --wildcards \
    'package/tests/*/phase0/*' 'package/tests/*/config/*'
  touch "$dir/.complete"
  rm -f "$tarball" "$CACHE/npm-pack.log"
}

# Extract the v1.0.1 set from ../shared into $CACHE/v1.0.1 unless already complete.
# Returns 1 if neither the cache nor the tarball is there.
fetch_v101() {
  local dir="$CACHE/v1.0.1"
  [ -f "$dir/.complete" ] && return 0
  [ -f "$V101_TARBALL" ] || return 1
  local sum
  sum="$(sha256sum "$V101_TARBALL" | cut -d' ' -f1)"
  [ "$sum" = "$V101_SHA256" ] || die "$V101_TARBALL has sha256 $sum, expected $V101_SHA256"
  echo "spec-tests: extracting v1.0.1 vectors into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xzf "$V101_TARBALL" -C "$dir"
  touch "$dir/.complete"
}

# --- Vectors to run ------------------------------------------------------------------------------

# (suite, directory) pairs, prepared before the build so that a missing set fails fast.
TO_RUN=()
V101_MISSING=0
if [ -n "$VECTORS" ]; then
  TO_RUN+=("$SUITE" "$VECTORS")
else
  if [ "$SUITE" = "v0.12.3" ] || [ "$SUITE" = "all" ]; then
    fetch_v012
    TO_RUN+=(v0.12.3 "$CACHE/v0.12.3")
  fi
  if [ "$SUITE" = "v1.0.1" ] || [ "$SUITE" = "all" ]; then
    if fetch_v101; then
      TO_RUN+=(v1.0.1 "$CACHE/v1.0.1")
    elif [ "$SUITE" = "v1.0.1" ]; then
      die "the v1.0.1 vectors come from ../shared/spec-tests/ beside the clone ($V101_TARBALL is missing); the prebuilt release tarball cannot be downloaded here"
    else
      V101_MISSING=1
    fi
  fi
fi

# --- Build ---------------------------------------------------------------------------------------

echo "spec-tests: building ef_tests (dev profile)" >&2
(cd "$REPO" && cargo build -p ef_tests) >&2
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO/$TARGET_DIR" ;; esac
BIN="$TARGET_DIR/debug/ef_tests"
[ -x "$BIN" ] || die "built runner not found at $BIN"

# --- Run ----------------------------------------------------------------------------------------

PASSED=0
FAILED=0
SKIPPED=0
LOG="$(mktemp)"
SCRATCH=""
cleanup() {
  rm -f "$LOG"
  if [ -n "$SCRATCH" ]; then rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT

# Run the runner on one tree and add its totals line to the sums.
run_suite() {
  local suite="$1" dir="$2"
  local start end status=0
  start=$(date +%s)
  echo "== $suite: $dir (preset $PRESET)"
  "$BIN" --suite "$suite" --vectors "$dir" --preset "$PRESET" ${RUNNER_ARGS[@]+"${RUNNER_ARGS[@]}"} \
    | tee "$LOG" || status=$?
  end=$(date +%s)
  local last
  last="$(tail -n 1 "$LOG")"
  if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    PASSED=$((PASSED + BASH_REMATCH[1]))
    FAILED=$((FAILED + BASH_REMATCH[2]))
    SKIPPED=$((SKIPPED + BASH_REMATCH[3]))
    if [ "$status" -ne 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ]; then
      FAILED=$((FAILED + 1))
    fi
  else
    echo "FAIL $suite: the runner exited with status $status without a totals line"
    FAILED=$((FAILED + 1))
  fi
  echo "== $suite: $((end - start)) s"
  if [ "$SELF_TEST" -eq 1 ]; then
    SCRATCH="${SCRATCH:-$(mktemp -d)}"
    local st=0
    "$BIN" --self-test --suite "$suite" --vectors "$dir" --scratch "$SCRATCH" || st=$?
    if [ "$st" -ne 0 ]; then
      echo "FAIL $suite: self-test failed"
      FAILED=$((FAILED + 1))
    fi
  fi
}

i=0
while [ $i -lt ${#TO_RUN[@]} ]; do
  run_suite "${TO_RUN[$i]}" "${TO_RUN[$((i + 1))]}"
  i=$((i + 2))
done

if [ "$V101_MISSING" -eq 1 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL v1.0.1: $V101_TARBALL is missing, and CI needs both suites"
    FAILED=$((FAILED + 1))
  else
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
    echo "!!! v1.0.1 vectors were NOT run: $V101_TARBALL is missing"
    echo "!!! (the set comes from ../shared/spec-tests beside the clone)"
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  fi
fi

echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
