#!/usr/bin/env bash
# Stops what scripts/lodestar/start.sh started in DATADIR (the pids it recorded), and nothing
# else: SIGTERM, then SIGKILL after 20 s for what is still running.
#   scripts/lodestar/stop.sh DATADIR
set -uo pipefail
datadir="${1:?usage: stop.sh DATADIR}"
pids_file="$datadir/pids"
[ -f "$pids_file" ] || exit 0
# Only our own processes: a recorded pid is signalled if it still runs lodestar.
ours() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q lodestar; }
pids=()
while read -r pid; do
    [ -n "$pid" ] && ours "$pid" && pids+=("$pid")
done < "$pids_file"
[ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
for _ in $(seq 1 40); do
    alive=()
    for pid in "${pids[@]}"; do ours "$pid" && alive+=("$pid"); done
    [ ${#alive[@]} -eq 0 ] && break
    sleep 0.5
done
for pid in "${pids[@]}"; do ours "$pid" && kill -KILL "$pid" 2>/dev/null; done
rm -f "$pids_file"
exit 0
