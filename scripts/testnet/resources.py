#!/usr/bin/env python3
"""CPU and memory of every process a testnet launched, for a coordinator's notes.

  resources.py sample TESTNET_DIR OUT.csv [SECONDS]   every SECONDS (default 15) append, for
      each process recorded in TESTNET_DIR/pids, its cumulative CPU seconds, RSS and peak RSS
      (from /proc), and the load average; runs until stopped (or until no recorded process
      is left)
  resources.py summary OUT.csv                         per process: mean CPU (% of one core)
      over the sampled time, last and peak RSS
  resources.py --self-test

Rows: unix_time,name,pid,cpu_seconds,rss_kib,peak_rss_kib (name `_load`: the 1-minute load
average in the cpu column).
"""
import os
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def read_pids(testnet_dir):
    try:
        with open(os.path.join(testnet_dir, "pids")) as f:
            return [line.split()[:2] for line in f if len(line.split()) >= 2]
    except OSError:
        return []


def process_row(pid):
    """(cpu seconds, rss KiB, peak rss KiB) of a live process, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The command name may hold spaces and parentheses: the fields follow the last ')'.
            fields = f.read().rsplit(")", 1)[1].split()
        status = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                status[key] = value.split()
        cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        return cpu, int(status["VmRSS"][0]), int(status["VmHWM"][0])
    except (OSError, IndexError, KeyError, ValueError):
        return None


def sample_once(testnet_dir, out):
    now = int(time.time())
    alive = 0
    for name, pid in read_pids(testnet_dir):
        row = process_row(pid)
        if row is not None:
            alive += 1
            out.write(f"{now},{name},{pid},{row[0]:.2f},{row[1]},{row[2]}\n")
    with open("/proc/loadavg") as f:
        out.write(f"{now},_load,0,{f.read().split()[0]},0,0\n")
    out.flush()
    return alive


def sample(testnet_dir, path, interval):
    with open(path, "a") as out:
        while sample_once(testnet_dir, out) > 0:
            time.sleep(interval)


def summary(path):
    first, last, peak = {}, {}, {}
    loads = []
    with open(path) as f:
        for line in f:
            t, name, pid, cpu, rss, hwm = line.strip().split(",")
            if name == "_load":
                loads.append(float(cpu))
                continue
            key = (name, pid)
            first.setdefault(key, (int(t), float(cpu)))
            last[key] = (int(t), float(cpu), int(rss))
            peak[key] = max(peak.get(key, 0), int(hwm))
    lines = [f"{'PROCESS':<22} {'PID':>7} {'MINUTES':>8} {'CPU %':>6} {'RSS MiB':>8} {'PEAK MiB':>9}"]
    for key in sorted(last):
        (t0, c0), (t1, c1, rss) = first[key], last[key]
        minutes = (t1 - t0) / 60
        cpu = 100 * (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0
        lines.append(
            f"{key[0]:<22} {key[1]:>7} {minutes:>8.1f} {cpu:>6.1f} {rss / 1024:>8.0f} {peak[key] / 1024:>9.0f}"
        )
    if loads:
        lines.append(f"load average: mean {sum(loads) / len(loads):.2f}, max {max(loads):.2f}")
    return "\n".join(lines)


def self_test():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "pids"), "w") as f:
            f.write(f"me {os.getpid()} python\ngone 999999999 nothing\n")
        path = os.path.join(d, "out.csv")
        with open(path, "w") as out:
            assert sample_once(d, out) == 1, "the live process must be sampled, the dead one not"
            sum(i * i for i in range(2_000_000))  # some CPU between the samples
            time.sleep(1.1)
            sample_once(d, out)
        text = summary(path)
        assert "me " in text and "gone" not in text and "load average" in text, text
    print("resources.py self-test passed")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--self-test"]:
        self_test()
    elif len(args) in (3, 4) and args[0] == "sample":
        sample(args[1], args[2], float(args[3]) if len(args) == 4 else 15.0)
    elif len(args) == 2 and args[0] == "summary":
        print(summary(args[1]))
    else:
        sys.exit(__doc__)
