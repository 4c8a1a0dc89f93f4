#!/usr/bin/env python3
"""Figures of a live migration under a real Hercules and the test guest.

Three kinds of run, interleaved (the order rotates every round), each with
a fresh Hercules, a fresh 3390 volume and the guest writing as fast as it
can (doc/hercules-guest.md):

  plain  `hercules -f cfg -d`                    guest writes/s for --seconds
  exec   `pas exec --config cfg -- hercules ...` guest writes/s for --seconds
  swap   under pas exec: `pas run` SWAP to an empty target while the guest
         writes; the swap's duration (wall clock of the job), the longest
         write the guest saw during it (its own TOD clock), the job's passes
         and longest pause, and the check that every write the guest saw
         complete is on the target.

Prints per-round values, then the median and spread (min-max) of each
figure; the headline ratio is median(exec rate / plain rate) over rounds
(goal >= 0.95). Writes the figures as JSON (--out).

  python3 bench/hercules/run.py [--rounds 5] [--seconds 3] [--build-dir build]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def console(port, cmd, timeout=5):
    url = "http://127.0.0.1:%d/cgi-bin/tasks/cmd?cmd=%s" % (port, urllib.parse.quote(cmd))
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return re.sub(r"<[^>]*>", "", r.read().decode("latin-1"))


def counters(port):
    """The guest's counters at 0x300 (see doc/hercules-guest.md)."""
    text = console(port, "r 300.30")
    words = []
    for line in text.splitlines():
        m = re.match(r"R:([0-9A-F]{8}):K:[0-9A-F]{2}=((?:[0-9A-F]{8} ?){1,4})", line.strip())
        if m:
            words += [int(w, 16) for w in m.group(2).split()]
    if len(words) < 12:
        raise RuntimeError("no storage display in the console reply: " + text[-300:])
    return {"started": words[0] == 0xD7C1E2C7, "state": words[1], "writes": words[2], "errors": words[3],
            "longest_us": words[7], "longest_at": words[8]}


class Hercules:
    """One Hercules with the guest, in its own scratch directory."""

    def __init__(self, pas, work, through_pas, with_target):
        self.pas, self.work = pas, work
        self.port = free_port()
        self.env = dict(os.environ, PAS_RUNTIME_DIR=os.path.join(work, "runtime"),
                        PAS_STATE_DIR=os.path.join(work, "state"), PAS_LOG_LEVEL="warn")
        self.env.pop("PAS_FAULT_POINT", None)
        self.src = os.path.join(work, "vm1887.ckd")
        self.tgt = os.path.join(work, "b887.ckd")
        self.run([pas, "volume", "init", self.src, "--model", "3390-1", "--cylinders", "15", "--volser", "VM1887"])
        lines = ["CPUSERIAL 0A0001", "CPUMODEL  3090", "MAINSIZE  2", "NUMCPU    1", "ARCHMODE  ESA/390",
                 "LPARNAME  SYSA", "HTTPPORT  %d NOAUTH" % self.port, "0A80 3390 " + self.src]
        if with_target:
            self.run([pas, "volume", "init", self.tgt, "--model", "3390-1", "--cylinders", "15", "--volser", "NEW887"])
            lines += ["#PAS B887 3390 " + self.tgt, "#PAS OFFLINE B887"]
        self.cfg = os.path.join(work, "hercules.cnf")
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.run([pas, "guest", "install", work, "--tracks", "150"])
        rc = os.path.join(work, "hercules.rc")
        with open(rc, "w") as f:
            f.write("ipl %s/guest.ins\n" % work)
        argv = ["hercules", "-f", self.cfg, "-d"]
        if through_pas:
            argv = [pas, "exec", "--config", self.cfg, "--"] + argv
        self.log = open(os.path.join(work, "hercules.log"), "w")
        self.proc = subprocess.Popen(argv, env=dict(self.env, HERCULES_RC=rc), stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("hercules ended at start; see " + self.log.name)
            # Hercules answers HTTP before its CPU and devices exist; a
            # console command then races the set-up. Ask once it runs its
            # startup script.
            with open(self.log.name, errors="replace") as f:
                if "HHCPN008I" not in f.read():
                    if time.time() > deadline:
                        raise RuntimeError("hercules did not get through its configuration; see " + self.log.name)
                    time.sleep(0.1)
                    continue
            try:
                c = counters(self.port)
                if c["state"] >= 0xE0:
                    raise RuntimeError("the guest failed, state %X" % c["state"])
                if c["state"] == 2 and c["writes"] > 1000:
                    break
            except (OSError, RuntimeError) as e:
                if isinstance(e, RuntimeError) and "guest failed" in str(e):
                    raise
            if time.time() > deadline:
                raise RuntimeError("the guest did not start writing; see " + self.log.name)
            time.sleep(0.1)

    def run(self, argv, **kw):
        return subprocess.run(argv, env=self.env, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, **kw)

    def rate(self, seconds):
        """Writes per second over `seconds`, and the longest write in that window (ms)."""
        console(self.port, "r 31C=00000000")
        c0, t0 = counters(self.port), time.monotonic()
        time.sleep(seconds)
        c1, t1 = counters(self.port), time.monotonic()
        return (c1["writes"] - c0["writes"]) / (t1 - t0), c1["longest_us"] / 1000.0

    def close(self):
        try:
            console(self.port, "quit", timeout=2)
        except OSError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def run_rate(pas, work, through_pas, seconds):
    h = Hercules(pas, work, through_pas, False)
    try:
        rate, longest = h.rate(seconds)
        return {"rate": rate, "longest_ms": longest}
    finally:
        h.close()


def run_swap(pas, work):
    h = Hercules(pas, work, True, True)
    try:
        time.sleep(0.5)
        console(h.port, "r 31C=00000000")  # the guest's longest write, from now
        deck = os.path.join(work, "swap.deck")
        with open(deck, "w") as f:
            f.write("  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=VM1887,SWAPUNIT=B887\n")
        before = counters(h.port)
        t0 = time.monotonic()
        job = subprocess.run([pas, "run", deck, "--config", h.cfg, "--json", os.path.join(work, "report.json")],
                             env=h.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
        duration = time.monotonic() - t0
        after = counters(h.port)
        time.sleep(0.3)
        rising = counters(h.port)["writes"] > after["writes"]
        if job.returncode not in (0, 4):  # 4: a warning (the swap completed)
            raise RuntimeError("the SWAP ended with condition code %d:\n%s" % (job.returncode, job.stdout))
        with open(os.path.join(work, "report.json")) as f:
            vol = json.load(f)["volumes"][0]
        verify = subprocess.run([pas, "guest", "verify", h.tgt, "--port", str(h.port)], env=h.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if verify.returncode != 0:
            raise RuntimeError("guest writes missing on the target:\n" + verify.stdout)
        return {"swap_s": duration, "guest_longest_ms": after["longest_us"] / 1000.0,
                "job_pause_ms": vol["longest_pause_ms"], "passes": vol["passes"], "pace_us": vol["pace_us"],
                "writes_during_swap": after["writes"] - before["writes"], "rising_after": rising}
    finally:
        h.close()


def summary(values):
    if not values:
        return "n/a"
    return "median %.3f  (min %.3f, max %.3f, n=%d)" % (statistics.median(values), min(values), max(values),
                                                       len(values))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0, help="measuring time of each rate run")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "hercules.json"))
    ap.add_argument("--keep", action="store_true", help="keep the scratch directories")
    args = ap.parse_args()
    pas = os.path.join(os.path.abspath(args.build_dir), "pas")
    if not os.path.exists(pas):
        sys.exit("bench/hercules: %s not built (bash scripts/build.sh)" % pas)
    if shutil.which("hercules") is None:
        sys.exit("bench/hercules: hercules is not installed (scripts/deps.sh installs it)")
    base = tempfile.mkdtemp(prefix="pas-bench-hercules-")
    kinds = ["plain", "exec", "swap"]
    rows = []
    try:
        for r in range(args.rounds):
            order = kinds[r % 3:] + kinds[:r % 3]
            row = {"round": r + 1, "order": order}
            for k in order:
                work = os.path.join(base, "r%d-%s" % (r + 1, k))
                os.makedirs(work)
                if k == "swap":
                    row.update(run_swap(pas, work))
                else:
                    got = run_rate(pas, work, k == "exec", args.seconds)
                    row[k], row[k + "_longest_ms"] = got["rate"], got["longest_ms"]
                if not args.keep:
                    shutil.rmtree(work, ignore_errors=True)
            row["ratio"] = row["exec"] / row["plain"]
            rows.append(row)
            print("round %d (%s): plain %.0f/s, exec %.0f/s, ratio %.3f; longest write without a swap %.1f ms; "
                  "swap %.2f s, guest's longest write %.1f ms, job's pause %.1f ms, %d passes, pace %d us, "
                  "%d writes during the swap" %
                  (r + 1, ",".join(order), row["plain"], row["exec"], row["ratio"], row["exec_longest_ms"], row["swap_s"],
                   row["guest_longest_ms"], row["job_pause_ms"], row["passes"], row["pace_us"],
                   row["writes_during_swap"]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    col = lambda k: [row[k] for row in rows]
    figures = {
        "guest_rate_plain_per_s": statistics.median(col("plain")),
        "guest_rate_exec_per_s": statistics.median(col("exec")),
        "exec_over_plain": statistics.median(col("ratio")),
        "swap_seconds": statistics.median(col("swap_s")),
        "guest_longest_write_at_swap_ms": statistics.median(col("guest_longest_ms")),
        "guest_longest_write_no_swap_ms": statistics.median(col("exec_longest_ms")),
        "job_longest_pause_ms": statistics.median(col("job_pause_ms")),
        "passes": statistics.median(col("passes")),
    }
    print()
    print("guest writes/s, plain hercules     : " + summary(col("plain")))
    print("guest writes/s, under pas exec     : " + summary(col("exec")))
    print("exec / plain (per round)           : " + summary(col("ratio")) + "   goal >= 0.95")
    print("longest write, plain, no swap (ms) : " + summary(col("plain_longest_ms")))
    print("longest write, exec, no swap (ms)  : " + summary(col("exec_longest_ms")))
    print("swap duration (s)                  : " + summary(col("swap_s")))
    print("guest's longest write at swap (ms) : " + summary(col("guest_longest_ms")))
    print("job's longest pause (ms)           : " + summary(col("job_pause_ms")))
    print("passes                             : " + summary(col("passes")))
    print("every write the guest saw complete was on the target in every swap round")
    machine = {"nproc": os.cpu_count(), "loadavg": os.getloadavg(), "uname": " ".join(os.uname())}
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": machine, "rounds": rows, "figures": figures}, f, indent=2)
    print("written: " + args.out)


if __name__ == "__main__":
    main()
