# shellcheck shell=bash disable=SC2034
# Shared by scripts/testnet/{start,stop,chaos}.sh: the process records and small helpers.
#
# Every process the launcher starts runs from a runner script, DIR/<name>.run, which execs
# the command with its output appended to DIR/<name>.log; TESTNET_DIR/pids lists one line per
# process, "NAME PID MATCH", MATCH being a word of its command line, so that a pid the system
# has since given to another program is never signalled.

# Publicly known (BIP-39 "abandon" x23 + "art"): anyone can sign for validators derived from
# it. Local testnets only.
TEST_MNEMONIC="abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art"

die() { echo "testnet: $*" >&2; exit 1; }
step() { printf '==> %s\n' "$*"; }

# A port free on 127.0.0.1 (tcp, udp or both), never one this launch handed out before.
free_port() {
    python3 - "${1:-tcp}" "$TESTNET_DIR/ports" <<'EOF'
import socket, sys
kind, used_file = sys.argv[1], sys.argv[2]
try:
    used = set(open(used_file).read().split())
except FileNotFoundError:
    used = set()
for _ in range(100):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    try:
        if kind == "both":
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("127.0.0.1", port))
            u.close()
    except OSError:
        continue
    finally:
        s.close()
    if str(port) not in used:
        open(used_file, "a").write(f"{port}\n")
        print(port)
        break
else:
    sys.exit("no free port found")
EOF
}

# Whether PID is alive and still the program whose command line contains MATCH.
is_ours() {
    local pid=$1 match=$2
    kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$match"
}

# Whether any process recorded in DIR/pids still runs.
any_running() {
    local dir=$1 name pid match
    [[ -f "$dir/pids" ]] || return 1
    while read -r name pid match; do
        is_ours "$pid" "$match" && return 0
    done < "$dir/pids"
    return 1
}

# Record NAME's PID (MATCH: a word of its command line) in TESTNET_DIR/pids, replacing an
# earlier record of NAME.
record() {
    local name=$1 pid=$2 match=$3
    if [[ -f "$TESTNET_DIR/pids" ]]; then
        grep -v "^$name " "$TESTNET_DIR/pids" > "$TESTNET_DIR/pids.tmp" || true
        mv "$TESTNET_DIR/pids.tmp" "$TESTNET_DIR/pids"
    fi
    echo "$name $pid $match" >> "$TESTNET_DIR/pids"
}

# Write DIR/NAME.run: exec COMMAND... with its output appended to DIR/NAME.log.
write_runner() {
    local dir=$1 name=$2
    shift 2
    {
        echo '#!/usr/bin/env bash'
        printf 'exec'
        printf ' %q' "$@"
        printf ' >>%q 2>&1\n' "$dir/$name.log"
    } > "$dir/$name.run"
    chmod +x "$dir/$name.run"
    # The program's name, to recognise its pid later.
    basename "$1" > "$dir/$name.match"
}

# Start DIR/NAME.run in its own session (so it outlives the shell that started it) and
# record it under the name "<dir's name>:NAME" (or NAME for the testnet's own directory).
launch() {
    local dir=$1 name=$2 label
    label="$(basename "$dir"):$name"
    [[ "$dir" == "$TESTNET_DIR" ]] && label="$name"
    setsid "$dir/$name.run" < /dev/null > /dev/null 2>&1 &
    record "$label" "$!" "$(cat "$dir/$name.match")"
}

# Poll COMMAND... every half second until it succeeds, for at most SECONDS; say what is awaited.
wait_until() {
    local seconds=$1 what=$2 deadline
    shift 2
    deadline=$(( $(date +%s) + seconds ))
    until "$@" >/dev/null 2>&1; do
        if (( $(date +%s) >= deadline )); then
            echo "testnet: gave up after ${seconds}s waiting for $what" >&2
            return 1
        fi
        sleep 0.5
    done
}

eth1_up() {
    curl -sf -X POST -H 'content-type: application/json' \
        --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$1" >/dev/null
}

# The genesis state root a beacon node serves.
genesis_root_of() {
    curl -sf "$1/eth/v1/beacon/states/genesis/root" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["root"])'
}

# Write DIR/nodes.json, the layout the health report, Prometheus config and chaos drills read.
write_layout() {
    local dir=$1 genesis_time=$2 preset=$3 sps=$4
    shift 4
    python3 - "$dir" "$genesis_time" "$preset" "$sps" "$@" <<'EOF'
import json, sys
dir, genesis_time, preset, sps, *nodes = sys.argv[1:]
layout = {
    "name": dir.rstrip("/").split("/")[-1],
    "testnet_dir": "testnet",
    "genesis_time": int(genesis_time),
    "preset": preset,
    "seconds_per_slot": int(sps),
    "slots_per_epoch": 8 if preset == "minimal" else 32,
    "nodes": [json.loads(n) for n in nodes],
}
with open(f"{dir}/nodes.json.tmp", "w") as f:
    json.dump(layout, f, indent=2)
import os
os.replace(f"{dir}/nodes.json.tmp", f"{dir}/nodes.json")
EOF
}

# Lay out the keystores of KEYS_DIR as `fresnel vc` reads them: VALIDATORS/<0xpubkey>/
# voting-keystore.json and SECRETS/<0xpubkey> holding the password.
import_keystores() {
    python3 - "$@" <<'EOF'
import json, os, shutil, sys, glob
keys, password_file, validators, secrets = sys.argv[1:]
password = open(password_file).read().strip("\r\n")
os.makedirs(secrets, exist_ok=True)
for path in sorted(glob.glob(f"{keys}/keystore-*.json")):
    pubkey = "0x" + json.load(open(path))["pubkey"].removeprefix("0x")
    os.makedirs(f"{validators}/{pubkey}", exist_ok=True)
    shutil.copy(path, f"{validators}/{pubkey}/voting-keystore.json")
    with open(f"{secrets}/{pubkey}", "w") as f:
        f.write(password)
    os.chmod(f"{secrets}/{pubkey}", 0o600)
EOF
}
