#!/usr/bin/env python3
"""End-to-end benchmark of pas against the baselines, on this machine.

    python3 bench/e2e/run.py [--quick] [--out bench/results] [--build-dir DIR]
                             [--scratch DIR] [--only CASE,...] [--rounds N]
                             [--swaps N] [--check]

Builds what it needs (Release), then measures each figure of MISSION.md
section 8 next to its baseline and writes OUT/latest.json and OUT/latest.md
(the machine it ran on, then one table row per figure). Every figure is a
statistic over repetitions: the median, with the spread (min-max, and p95
where it matters) beside it. Cases:

  copy      SWAPDUMP (no workload) of full 3390-3 and 3390-9 volumes against
            dd bs=1M conv=fdatasync, cp + sync, qemu-img convert -W + sync
            and Hercules dasdcopy + sync of the same image: --rounds rounds
            (5), the order rotated each round, the page cache dropped before
            every run (checked with fincore); the median of the pair-by-pair
            ratios baseline time / pas time. pas runs twice per round: to a
            sparse `pas volume init` target, and to a target Hercules'
            dasdinit wrote whole (blocks in file order), so the cost of the
            target's layout shows apart from the engine's.
  sparse    a mostly empty 3390-9, -27 and -54 (VTOC and one 150-track data
            set, 155 allocated tracks) to a fresh target made by
            `pas volume init`, against cp --sparse=always + sync.
  pause     --swaps (20) SWAPs per configuration, 1, 2 and 4 systems at 50
            and 250 writes/s per writer: the report's longest I/O pause and
            the longest writer stall of each swap; median, p95, max over
            swaps.
  converge  SWAP with writers at 10 %, 50 % and 120 % of the measured copy
            bandwidth: passes, pacing, why the recopy passes ended, pause.
  hostio    bench/host_io_bench with repetitions: UnitIo::WriteTrack with
            and without the intercept installed.
  maxtasks  SWAPDUMP of 1, 4, 16 and 100 volumes with MAXTASKS equal to the
            count: aggregate throughput and peak RSS of `pas run`.
  cpu       CPU seconds per GB copied (from the full-volume SWAPDUMPs).

--quick runs small volumes, 3 rounds and 3 swaps (a smoke run, under a
minute). --check exits non-zero unless every figure of the run was
produced (used by CTest); nothing is asserted about timing. Scratch files
are removed after each case. Only the Python standard library is used.
Dropping the page cache needs root (/proc/sys/vm/drop_caches); otherwise
the files' own cache is evicted (posix_fadvise) and the table says so.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLOT = 56832          # bytes of a 3390 track slot in a Hercules image
TRACK_DATA = 56664    # bytes of data a 3390 track holds
HEADS = 15
HEADER = 512
GB = 1e9

CASES = ["copy", "sparse", "pause", "converge", "hostio", "maxtasks", "cpu"]

QUICK = {
    "copy": [("3390 60 cyl", 60)],
    "rounds": 3,
    "sparse": [("3390 200 cyl", 200), ("3390 400 cyl", 400)],
    "sparse_tracks": 30,
    "sparse_rounds": 1,
    "pause_systems": [1, 2],
    "pause_rates": [50],
    "pause_cyl": 30,
    "swaps": 2,
    "converge_pct": [120],
    "converge_cyl": 30,
    "converge_swaps": 1,
    "maxtasks": [1, 4],
    "maxtasks_cyl": 5,
}
FULL = {
    "copy": [("3390-3", 3339), ("3390-9", 10017)],
    "rounds": 5,
    "sparse": [("3390-9", 10017), ("3390-27", 32760), ("3390-54", 65520)],
    "sparse_tracks": 150,
    "sparse_rounds": 5,
    "pause_systems": [1, 2, 4],
    "pause_rates": [50, 250],
    "pause_cyl": 150,
    "swaps": 20,
    "converge_pct": [10, 50, 120],
    "converge_cyl": 300,
    "converge_swaps": 5,
    "maxtasks": [1, 4, 16, 100],
    "maxtasks_cyl": 15,
}


def log(msg):
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


class CaseError(Exception):
    pass


# ---------------------------------------------------------------- processes

def measured(argv, env=None, stdin_text=None, timeout=3600, cwd=None):
    """Runs argv to completion; returns (rc, out, err, wall_s, cpu_s, maxrss_kb)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                             stdout=out, stderr=err, env=env, cwd=cwd)
        if stdin_text is not None:
            p.stdin.write(stdin_text.encode())
            p.stdin.close()
        deadline = start + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (p.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"), wall,
                ru.ru_utime + ru.ru_stime, ru.ru_maxrss)


def check_run(argv, what, **kw):
    rc, out, err, wall, cpu, rss = measured(argv, **kw)
    if rc != 0:
        raise CaseError(f"{what} failed (exit {rc}): {(out + err).strip()[-1500:]}")
    return out, wall, cpu, rss


def drop_cache(*paths):
    """Cold caches: the whole page cache dropped (root), else these files'.

    Returns how the cache was dropped ("drop_caches" or "fadvise")."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return "drop_caches"
    except OSError:
        pass
    for path in paths:
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    return "fadvise"


def resident(path):
    """Bytes of `path` in the page cache (fincore), or None without fincore."""
    if not shutil.which("fincore") or not os.path.exists(path):
        return None
    r = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "RES", path], capture_output=True,
                       text=True)
    try:
        return int(r.stdout.split()[0])
    except (IndexError, ValueError):
        return None


def summary(values):
    """{n, median, min, max, p95} of a list of numbers (None when empty)."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    p95 = v[min(n - 1, max(0, int(round(0.95 * n + 0.5)) - 1))]
    return {"n": n, "median": med, "min": v[0], "max": v[-1], "p95": p95}


def spread(st, digits=2):
    """'min-max (n=N)' of a summary."""
    if st is None:
        return ""
    return f"{st['min']:.{digits}f}-{st['max']:.{digits}f} (n={st['n']})"


def remove(*paths):
    for p in paths:
        if os.path.isdir(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.exists(p):
            os.remove(p)


def need_space(scratch, nbytes, what):
    free = shutil.disk_usage(scratch).free
    if free < nbytes + 2 * 1024**3:
        raise CaseError(f"{what}: needs {nbytes / GB:.1f} GB in {scratch}, {free / GB:.1f} GB free")


# ---------------------------------------------------------------- the bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.p = QUICK if args.quick else FULL
        self.build = os.path.abspath(args.build_dir)
        self.pas = os.path.join(self.build, "pas")
        self.mkvol = os.path.join(self.build, "bench", "e2e", "e2e_make_volume")
        self.hostio = os.path.join(self.build, "bench", "host_io_bench")
        os.makedirs(args.scratch, exist_ok=True)
        self.scratch = tempfile.mkdtemp(prefix="pas-e2e-", dir=os.path.abspath(args.scratch))
        self.figures = []   # rows of the table
        self.results = {}   # case -> details
        self.copy_rate = None  # bytes/s measured by a SWAPDUMP without workload

    # -- building and helpers

    def build_all(self):
        if not os.path.exists(os.path.join(self.build, "CMakeCache.txt")):
            check_run(["cmake", "-S", REPO, "-B", self.build, "-DCMAKE_BUILD_TYPE=Release"], "cmake configure")
        jobs = str(os.cpu_count() or 2)
        log(f"building pas, e2e_make_volume, host_io_bench in {self.build}")
        check_run(["cmake", "--build", self.build, "--target", "pas", "e2e_make_volume", "host_io_bench", "-j", jobs],
                  "build", timeout=7200)

    def make_volume(self, path, cyl, volser, tracks=0, target=False, dataset="PAS.WORKLOAD"):
        argv = [self.mkvol, "--image", path, "--cylinders", str(cyl), "--volser", volser]
        if target:
            argv.append("--target")
        else:
            argv += ["--dataset", dataset, "--tracks", str(tracks)]
        check_run(argv, f"make volume {path}")

    def env(self, d):
        e = dict(os.environ)
        e.update({"PAS_RUNTIME_DIR": os.path.join(d, "runtime"), "PAS_STATE_DIR": os.path.join(d, "state"),
                  "PAS_CONFIG": "", "PAS_LOG_LEVEL": "warn", "PAS_FAULT_POINT": "", "PAS_JOIN_TIMEOUT": "60"})
        return e

    @staticmethod
    def config(d, index, units):
        """System `index`: units = [(devnum, image, offline)]."""
        path = os.path.join(d, f"SYS{index}.cnf")
        text = f"LPARNAME SYS{index}\nCPUSERIAL 0E{index:04d}\n"
        for devnum, image, offline in units:
            text += f"{devnum} 3390 {image}\n"
            if offline:
                text += f"OFFLINE {devnum}\n"
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_deck(self, d, cfg, deck, what):
        deck_path = os.path.join(d, "job.deck")
        json_path = os.path.join(d, "job.json")
        with open(deck_path, "w") as f:
            f.write(deck)
        rc, out, err, wall, cpu, rss = measured([self.pas, "run", deck_path, "--config", cfg, "--json", json_path],
                                                env=self.env(d), timeout=7200)
        if rc not in (0, 4):  # 4: a warning (the swap completed)
            raise CaseError(f"{what}: pas run ended with condition code {rc}: {(out + err).strip()[-2000:]}")
        with open(json_path) as f:
            report = json.load(f)
        return report, out, wall, cpu, rss

    def figure(self, case, name, value, unit, baseline=None, baseline_value=None, ratio=None, target=None,
               note=""):
        row = {"case": case, "figure": name, "value": value, "unit": unit, "baseline": baseline,
               "baseline_value": baseline_value, "ratio": ratio, "target": target, "note": note}
        self.figures.append(row)
        b = f" | {baseline}: {fmt(baseline_value)}" if baseline else ""
        r = f" | ratio {ratio:.2f}" if isinstance(ratio, (int, float)) else ""
        log(f"  {name}: {fmt(value)} {unit}{b}{r}")

    def error(self, case, msg):
        self.figures.append({"case": case, "figure": case, "value": None, "unit": "", "baseline": None,
                             "baseline_value": None, "ratio": None, "target": None, "note": "MISSING: " + msg})
        log(f"  {case}: MISSING: {msg}")

    # -- copy: pas against the baselines, interleaved and rotated

    def contenders(self, d, src, cyl):
        """[(name, prepare(), argv)] of one full-volume copy of src."""
        dst = os.path.join(d, "dst.ckd")
        tgt = os.path.join(d, "tgt.ckd")
        cfg = self.config(d, 0, [("1887", src, False), ("B887", tgt, True)])
        deck_path = os.path.join(d, "job.deck")
        with open(deck_path, "w") as f:
            f.write("  SWAPDUMP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=FULL01,SWAPUNIT=B887\n")
        json_path = os.path.join(d, "job.json")

        def no_target():
            remove(tgt, json_path, os.path.join(d, "runtime"), os.path.join(d, "state"))
            for name in os.listdir(d):
                if name.startswith("tgt.ckd."):
                    remove(os.path.join(d, name))

        def fresh_target():
            no_target()
            check_run([self.pas, "volume", "init", tgt, "--model", "3390-3", "--cylinders", str(cyl),
                       "--volser", "NEW001"], "pas volume init", env=self.env(d))

        # The same SWAPDUMP to a target Hercules' dasdinit made: every byte of
        # it written, so its blocks lie in file order. A sparse `pas volume
        # init` target has one allocated 4 KiB block per track (the track's
        # header), and the copy fills the gaps around them (doc/performance.md).
        def dasdinit_target():
            no_target()
            check_run(["dasdinit", "-lfs", tgt, "3390", "NEW001", str(cyl)], "dasdinit")

        out = [("pas SWAPDUMP", fresh_target,
                [self.pas, "run", deck_path, "--config", cfg, "--json", json_path], tgt)]
        if shutil.which("dasdinit"):
            out.append(("pas SWAPDUMP, dasdinit target", dasdinit_target,
                        [self.pas, "run", deck_path, "--config", cfg, "--json", json_path], tgt))
        out += [("dd bs=1M conv=fdatasync", lambda: remove(dst),
                 ["dd", f"if={src}", f"of={dst}", "bs=1M", "conv=fdatasync", "status=none"], dst),
                ("cp + sync", lambda: remove(dst), ["sh", "-c", 'cp "$0" "$1" && sync "$1"', src, dst], dst)]
        if shutil.which("qemu-img"):
            out.append(("qemu-img convert -W + sync", lambda: remove(dst),
                        ["sh", "-c", 'qemu-img convert -W -f raw -O raw "$0" "$1" && sync "$1"', src, dst], dst))
        if shutil.which("dasdcopy"):
            out.append(("dasdcopy + sync", lambda: remove(dst),
                        ["sh", "-c", 'dasdcopy -q -lfs "$0" "$1" >/dev/null && sync "$1"', src, dst], dst))
        return out, json_path

    def case_copy(self):
        rounds = self.args.rounds or self.p["rounds"]
        for label, cyl in self.p["copy"]:
            if self.args.copy_volumes and label not in self.args.copy_volumes.split(","):
                continue
            d = os.path.join(self.scratch, "copy")
            os.makedirs(d, exist_ok=True)
            src = os.path.join(d, "src.ckd")
            size = HEADER + cyl * HEADS * SLOT
            try:
                need_space(self.scratch, 2 * size, f"copy {label}")
                log(f"copy: a full {label} ({size / GB:.2f} GB), {rounds} rounds, order rotated, cold caches")
                self.make_volume(src, cyl, "FULL01")
                runs, json_path = self.contenders(d, src, cyl)
                if not any(n.startswith("qemu-img") for n, _, _, _ in runs):
                    self.error("copy", "qemu-img not installed (Debian qemu-utils)")
                if not any(n.startswith("dasdcopy") for n, _, _, _ in runs):
                    self.error("copy", "dasdcopy not installed (Debian hercules)")
                times = {n: [] for n, _, _, _ in runs}
                pas_runs = []
                cache = set()
                for rnd in range(rounds):
                    order = runs[rnd % len(runs):] + runs[:rnd % len(runs)]
                    for name, prepare, argv, out_path in order:
                        prepare()
                        cache.add(drop_cache(src))
                        res = resident(src)
                        rc, out, err, wall, cpu, rss = measured(argv, env=self.env(d), timeout=7200)
                        if rc != 0:
                            raise CaseError(f"{name} failed (exit {rc}): {(out + err).strip()[-1500:]}")
                        times[name].append(wall)
                        if name.startswith("pas"):
                            with open(json_path) as f:
                                v = json.load(f)["volumes"][0]
                            m = re.search(r"PAS231I.*?([\d.]+)\s*MB/S", out, re.I)
                            pas_runs.append({"contender": name, "wall_s": wall, "cpu_s": cpu, "maxrss_kb": rss,
                                             "report": v,
                                             "copy_phase_mb_s": float(m.group(1)) if m else None,
                                             "source_resident_before": res})
                        log(f"  round {rnd + 1}: {name} {wall:.2f} s (source cached before: {res} bytes)")
                        remove(out_path)
                nbytes = cyl * HEADS * SLOT
                pas_t = times["pas SWAPDUMP"]
                pas_st = summary(pas_t)
                r = {"bytes": nbytes, "rounds": rounds, "times_s": times, "pas_runs": pas_runs,
                     "cache_drop": sorted(cache)}
                self.results.setdefault("copy", {})[label] = r
                self.figure("copy", f"{label} SWAPDUMP throughput, read-back verified (wall of pas run)",
                            round(size / pas_st["median"] / 1e6, 1), "MB/s",
                            note=f"median of {pas_st['n']}; {pas_st['median']:.1f} s, spread "
                                 f"{spread(pas_st, 1)} s; cache: {', '.join(sorted(cache))}")
                # Each baseline against pas to a `pas volume init` target (the
                # goals), then against pas to a dasdinit target (blocks in file
                # order), which is also compared with the first.
                for pas_name, what in (("pas SWAPDUMP", "pas"),
                                       ("pas SWAPDUMP, dasdinit target", "pas to a dasdinit target")):
                    mine = times.get(pas_name)
                    if not mine:
                        continue
                    mst = summary(mine)
                    for name, t in times.items():
                        if name == pas_name or (name.startswith("pas") and what == "pas"):
                            continue
                        ratios = [b / a for a, b in zip(mine, t)]
                        rst, bst = summary(ratios), summary(t)
                        goals = {"dd": ">= 1.2", "qemu-img": ">= 1.0"} if what == "pas" else {}
                        target = goals.get(name.split()[0])
                        self.figure("copy", f"{label}: {what} vs {name} (ratio = baseline time / pas time)",
                                    round(size / mst["median"] / 1e6, 1), "MB/s", baseline=name,
                                    baseline_value=round(size / bst["median"] / 1e6, 1),
                                    ratio=round(rst["median"], 3), target=target,
                                    note=f"ratio spread {spread(rst)}; {name} median {bst['median']:.1f} s, "
                                         f"spread {spread(bst, 1)} s; {what} median {mst['median']:.1f} s")
                if self.copy_rate is None or cyl > 1000:
                    self.copy_rate = nbytes / pas_st["median"]
            except CaseError as e:
                self.error("copy", f"{label}: {e}")
            finally:
                remove(d)

    # -- sparse: a mostly empty volume costs its allocated tracks

    def case_sparse(self):
        ds_tracks = self.p["sparse_tracks"]
        rounds = self.p["sparse_rounds"]
        allocated = 1 + 4 + ds_tracks
        for label, cyl in self.p["sparse"]:
            if self.args.sparse_volumes and label not in self.args.sparse_volumes.split(","):
                continue
            d = os.path.join(self.scratch, "sparse")
            os.makedirs(d, exist_ok=True)
            src, tgt, dst = (os.path.join(d, n) for n in ("src.ckd", "tgt.ckd", "dst.ckd"))
            size = HEADER + cyl * HEADS * SLOT
            try:
                log(f"sparse: a mostly empty {label} ({size / GB:.1f} GB image, {allocated} allocated tracks)")
                self.make_volume(src, cyl, "EMPTY1", tracks=ds_tracks)
                cfg = self.config(d, 0, [("1887", src, False), ("B887", tgt, True)])
                deck = "  SWAPDUMP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=EMPTY1,SWAPUNIT=B887\n"
                pas_t, cp_t, init_t, tgt_blocks = [], [], [], []
                for rnd in range(rounds):
                    for which in (["pas", "cp"] if rnd % 2 == 0 else ["cp", "pas"]):
                        remove(tgt, dst, os.path.join(d, "runtime"), os.path.join(d, "state"))
                        if which == "pas":
                            _, iw, _, _ = check_run([self.pas, "volume", "init", tgt, "--model", "3390-3",
                                                     "--cylinders", str(cyl), "--volser", "NEW002"],
                                                    "pas volume init", env=self.env(d), timeout=7200)
                            init_t.append(iw)
                            drop_cache(src, tgt)
                            report, _, wall, _, _ = self.run_deck(d, cfg, deck, f"SWAPDUMP of {label}")
                            pas_t.append(wall)
                            tgt_blocks.append(os.stat(tgt).st_blocks * 512)
                            v = report["volumes"][0]
                        else:
                            drop_cache(src)
                            _, wall, _, _ = check_run(["sh", "-c", 'cp --sparse=always "$0" "$1" && sync "$1"',
                                                       src, dst], "cp", timeout=7200)
                            cp_t.append(wall)
                pst, cst, ist = summary(pas_t), summary(cp_t), summary(init_t)
                r = {"allocated_tracks": allocated, "tracks": cyl * HEADS, "pas_s": pas_t, "cp_sparse_s": cp_t,
                     "volume_init_s": init_t, "target_allocated_bytes": tgt_blocks, "report": v}
                self.results.setdefault("sparse", {})[label] = r
                self.figure("sparse", f"{label} mostly empty ({allocated} of {cyl * HEADS} tracks allocated): "
                                      f"SWAPDUMP to a fresh `pas volume init` target",
                            round(pst["median"], 2), "s", baseline="cp --sparse=always + sync",
                            baseline_value=round(cst["median"], 2), ratio=round(pst["median"] - cst["median"], 2),
                            target="within 2 s of cp; sizes within 20 %",
                            note=f"ratio column = difference in s; pas spread {spread(pst)} s, cp spread "
                                 f"{spread(cst)} s; tracks copied {v['tracks_swapped']}; target allocated "
                                 f"{tgt_blocks[-1] / 1e6:.1f} MB; `pas volume init` {ist['median']:.2f} s")
            except CaseError as e:
                self.error("sparse", f"{label}: {e}")
            finally:
                remove(d)
        # The same tracks cost the same whatever the volume's size.
        done = self.results.get("sparse", {})
        if len(done) >= 2:
            med = {k: summary(v["pas_s"])["median"] for k, v in done.items()}
            lo, hi = min(med, key=med.get), max(med, key=med.get)
            self.figure("sparse", f"mostly empty: slowest size / fastest size (medians, {hi} / {lo})",
                        round(med[hi] / med[lo], 3), "ratio", target="<= 1.2",
                        note=", ".join(f"{k} {v:.3f} s" for k, v in med.items()))

    # -- pause: statistics over swaps

    def swap_with_workload(self, d, systems, cyl, writers, rate_per_writer, tag):
        """SWAP of one volume shared by `systems` systems, workload on each."""
        for name in os.listdir(d):
            remove(os.path.join(d, name))
        src, tgt = os.path.join(d, "src.ckd"), os.path.join(d, "tgt.ckd")
        self.make_volume(src, cyl, "LIVE01")
        self.make_volume(tgt, cyl, "NEW003", target=True)
        env = self.env(d)
        cfgs = []
        for i in range(systems):
            cfgs.append(self.config(d, i, [(f"{i + 1}887", src, False), (f"{0xB + i:X}887", tgt, True)]))
        procs = []
        try:
            for i in range(1, systems):
                mlog = open(os.path.join(d, f"monitor{i}.log"), "w")
                procs.append(("monitor", i, subprocess.Popen(
                    [self.pas, "monitor", "--unit", f"{0xB + i:X}887", "--config", cfgs[i]], env=env,
                    stdout=mlog, stderr=subprocess.STDOUT), mlog))
            for i in range(systems):
                wlog = open(os.path.join(d, f"workload{i}.log"), "w")
                procs.append(("workload", i, subprocess.Popen(
                    [self.pas, "workload", "run", "--unit", f"{i + 1}887", "--writers", str(writers), "--duration",
                     "3600", "--rate", f"{rate_per_writer:.3f}", "--journal", os.path.join(d, f"j{i}"),
                     "--system-index", str(i), "--systems", str(systems), "--config", cfgs[i]], env=env,
                    stdout=wlog, stderr=subprocess.STDOUT), wlog))
            time.sleep(1.0)
            deck = "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=LIVE01,SWAPUNIT=B887\n"
            report, out, wall, cpu, rss = self.run_deck(d, cfgs[0], deck, f"SWAP {tag}")
            time.sleep(0.3)
        finally:
            for kind, _, p, _ in procs:
                if kind == "workload" and p.poll() is None:
                    p.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 60
            for kind, _, p, f in procs:
                try:
                    p.wait(timeout=max(1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                f.close()
        work = []
        for i in range(systems):
            text = open(os.path.join(d, f"workload{i}.log")).read()
            m = re.search(r"PAS180I .*?WRITES=(\d+) ELAPSED=([\d.]+)s WRITES/S=(\d+) LATENCY P50=(\d+)us "
                          r"P99=(\d+)us MAX=(\d+)us .*?LONGEST QUIESCE WAIT=([\d.]+)ms", text)
            if not m:
                raise CaseError(f"workload on SYS{i} printed no PAS180I summary: {text.strip()[-800:]}")
            work.append({"writes": int(m.group(1)), "elapsed_s": float(m.group(2)), "writes_per_s": int(m.group(3)),
                         "p50_us": int(m.group(4)), "p99_us": int(m.group(5)), "max_us": int(m.group(6)),
                         "longest_quiesce_wait_ms": float(m.group(7))})
        vrc, vout, verr, _, _, _ = measured([self.pas, "workload", "verify", "--image", tgt] +
                                            sum([["--journal", os.path.join(d, f"j{i}")] for i in range(systems)], []),
                                            env=env, timeout=600)
        m = re.search(r"PAS247I[^\n]*", out)
        return {"report": report["volumes"][0], "wall_s": wall, "workload": work, "verify_exit": vrc,
                "verify": (vout + verr).strip().splitlines()[-1:] if (vout + verr).strip() else [],
                "recopy_end": m.group(0) if m else ""}

    @staticmethod
    def swap_figures(r):
        v = r["report"]
        return (v.get("longest_pause_ms") or 0.0, max(w["max_us"] for w in r["workload"]) / 1000)

    def case_pause(self):
        cyl = self.p["pause_cyl"]
        swaps = self.args.swaps or self.p["swaps"]
        for rate in self.p["pause_rates"]:
            for n in self.p["pause_systems"]:
                if self.args.pause_systems and str(n) not in self.args.pause_systems.split(","):
                    continue
                d = os.path.join(self.scratch, f"pause{n}")
                os.makedirs(d, exist_ok=True)
                try:
                    log(f"pause: {swaps} SWAPs of a full {cyl}-cylinder volume, {n} system(s), 2 writers each at "
                        f"{rate} writes/s")
                    pauses, stalls, runs, bad = [], [], [], 0
                    for k in range(swaps):
                        r = self.swap_with_workload(d, n, cyl, 2, rate, f"{n} systems")
                        p, st = self.swap_figures(r)
                        pauses.append(p)
                        stalls.append(st)
                        bad += r["verify_exit"] != 0
                        runs.append({"pause_ms": p, "stall_ms": st, "passes": r["report"].get("passes"),
                                     "verify_exit": r["verify_exit"], "recopy_end": r["recopy_end"]})
                    ps, ss = summary(pauses), summary(stalls)
                    self.results.setdefault("pause", {})[f"{n}x{rate}"] = {"swaps": runs, "pause": ps, "stall": ss}
                    ok = "verify ok in every swap" if bad == 0 else f"VERIFY FAILED in {bad} swap(s)"
                    self.figure("pause", f"{n} system(s), {rate} writes/s/writer: longest I/O pause per swap",
                                round(ps["median"], 1), "ms (median)",
                                target="<= 50 (4 systems), never > 100",
                                note=f"p95 {ps['p95']:.1f}, max {ps['max']:.1f} ms over {ps['n']} swaps; {ok}")
                    self.figure("pause", f"{n} system(s), {rate} writes/s/writer: longest writer stall per swap",
                                round(ss["median"], 1), "ms (median)", target="never > 100",
                                note=f"p95 {ss['p95']:.1f}, max {ss['max']:.1f} ms over {ss['n']} swaps")
                except CaseError as e:
                    self.error("pause", f"{n} systems at {rate}/s: {e}")
                finally:
                    remove(d)

    def measure_copy_rate(self, cyl):
        d = os.path.join(self.scratch, "rate")
        os.makedirs(d, exist_ok=True)
        try:
            src, tgt = os.path.join(d, "src.ckd"), os.path.join(d, "tgt.ckd")
            self.make_volume(src, cyl, "RATE01")
            rates = []
            for _ in range(3):
                remove(tgt, os.path.join(d, "runtime"), os.path.join(d, "state"))
                self.make_volume(tgt, cyl, "NEW004", target=True)
                cfg = self.config(d, 0, [("1887", src, False), ("B887", tgt, True)])
                deck = "  SWAPDUMP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=RATE01,SWAPUNIT=B887\n"
                _, out, wall, _, _ = self.run_deck(d, cfg, deck, "SWAPDUMP for the copy rate")
                m = re.search(r"PAS231I.*?([\d.]+)\s*MB/S", out, re.I)
                rates.append(float(m.group(1)) * 1e6 if m else cyl * HEADS * SLOT / wall)
            return summary(rates)["median"]
        finally:
            remove(d)

    def case_converge(self):
        cyl = self.p["converge_cyl"]
        try:
            rate = self.measure_copy_rate(cyl)
        except CaseError as e:
            self.error("converge", f"copy bandwidth: {e}")
            return
        tracks_per_s = rate / SLOT
        self.results["converge"] = {"copy_bandwidth_mb_s": rate / 1e6, "copy_tracks_per_s": tracks_per_s}
        log(f"converge: copy bandwidth (copy phase, median of 3) {rate / 1e6:.1f} MB/s = {tracks_per_s:.0f} tracks/s")
        writers = 4
        swaps = self.args.converge_swaps or self.p["converge_swaps"]
        for pct in self.p["converge_pct"]:
            if self.args.converge_pct and str(pct) not in self.args.converge_pct.split(","):
                continue
            d = os.path.join(self.scratch, f"conv{pct}")
            os.makedirs(d, exist_ok=True)
            try:
                want = tracks_per_s * pct / 100
                runs = []
                for k in range(swaps):
                    r = self.swap_with_workload(d, 1, cyl, writers, want / writers, f"{pct} %")
                    v = r["report"]
                    p, st = self.swap_figures(r)
                    runs.append({"passes": v.get("passes"), "pace_us": v.get("pace_us"), "pause_ms": p,
                                 "stall_ms": st, "recopied": v.get("tracks_recopied"),
                                 "achieved_writes_per_s": sum(w["writes_per_s"] for w in r["workload"]),
                                 "verify_exit": r["verify_exit"], "recopy_end": r["recopy_end"],
                                 "wall_s": r["wall_s"]})
                self.results["converge"][str(pct)] = {"asked_writes_per_s": want, "swaps": runs}
                ps, ss = summary([x["pause_ms"] for x in runs]), summary([x["stall_ms"] for x in runs])
                passes = summary([x["passes"] for x in runs])
                got = summary([x["achieved_writes_per_s"] for x in runs])
                paced = sum(1 for x in runs if x["pace_us"])
                bad = sum(1 for x in runs if x["verify_exit"] != 0)
                ends = sorted({re.sub(r".*ENDED AFTER \d+ PASS\(ES\): ", "", x["recopy_end"]) for x in runs})
                ok = "verify ok in every swap" if bad == 0 else f"VERIFY FAILED in {bad} swap(s)"
                self.figure("converge", f"writes at {pct} % of copy bandwidth: passes (copy + recopy + final)",
                            passes["median"], "passes (median)",
                            target="<= 5 recopy passes at 50 %" if pct == 50 else "converges",
                            note=f"spread {spread(passes, 0)}; asked {want:.0f} writes/s, achieved median "
                                 f"{got['median']:.0f}; paced in {paced} of {len(runs)}; ended: "
                                 f"{' / '.join(ends)}; {ok}")
                self.figure("converge", f"writes at {pct} % of copy bandwidth: longest I/O pause per swap",
                            round(ps["median"], 1), "ms (median)", target="<= 50, never > 100",
                            note=f"max {ps['max']:.1f} ms; writer stall median {ss['median']:.1f}, max "
                                 f"{ss['max']:.1f} ms over {ps['n']} swaps")
            except CaseError as e:
                self.error("converge", f"{pct} %: {e}")
            finally:
                remove(d)

    def case_hostio(self):
        reps = 3 if self.args.quick else 10
        argv = [self.hostio, "--benchmark_format=json", f"--benchmark_repetitions={reps}",
                "--benchmark_filter=BM_HostTrackWrite|BM_InterceptMark"]
        if self.args.quick:
            argv.append("--benchmark_min_time=0.05")
        try:
            out, _, _, _ = check_run(argv, "host_io_bench", timeout=900)
            data = json.loads(out)
        except (CaseError, json.JSONDecodeError) as e:
            self.error("hostio", str(e))
            return
        runs = {}
        for b in data.get("benchmarks", []):
            if b.get("run_type") != "iteration" or b.get("error_occurred"):
                continue
            name = re.sub(r"/min_time:[^/]*", "", b.get("run_name", b["name"]))
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            runs.setdefault(name, []).append(b["real_time"] * scale)
        self.results["hostio"] = {"context": data.get("context"), "repetitions": runs}
        off, on = runs.get("BM_HostTrackWrite/0"), runs.get("BM_HostTrackWrite/1")
        if not off or not on:
            self.error("hostio", f"BM_HostTrackWrite missing or failed: {sorted(runs)}")
            return
        so, sn = summary(off), summary(on)
        added = [b - a for a, b in zip(off, on)]
        sa = summary(added)
        self.figure("hostio", "UnitIo::WriteTrack with the intercept installed", round(sn["median"], 1),
                    "ns/write (median)", baseline="without the intercept", baseline_value=round(so["median"], 1),
                    ratio=round(sn["median"] / so["median"], 4), target="< 100 ns and < 2 % added",
                    note=f"added per repetition pair: median {sa['median']:+.1f} ns, spread {sa['min']:+.1f} to "
                         f"{sa['max']:+.1f} ns ({reps} repetitions); with: {spread(sn, 0)}, without: "
                         f"{spread(so, 0)}")
        mark = runs.get("BM_InterceptMark")
        if mark:
            sm = summary(mark)
            self.figure("hostio", "intercept marks alone (flag checks + 2 bitmap marks)", round(sm["median"], 2),
                        "ns/write (median)", target="< 100", note=f"spread {spread(sm)} ns")

    def case_maxtasks(self):
        cyl = self.p["maxtasks_cyl"]
        for n in self.p["maxtasks"]:
            d = os.path.join(self.scratch, f"maxtasks{n}")
            os.makedirs(d, exist_ok=True)
            try:
                need_space(self.scratch, 2 * n * cyl * HEADS * SLOT, f"MAXTASKS={n}")
                units = []
                mounts = ""
                for i in range(n):
                    src, tgt = os.path.join(d, f"s{i}.ckd"), os.path.join(d, f"t{i}.ckd")
                    volser = f"MT{i:04d}"
                    self.make_volume(src, cyl, volser)
                    self.make_volume(tgt, cyl, f"NT{i:04d}", target=True)
                    units += [(f"{0x1000 + i:04X}", src, False), (f"{0x2000 + i:04X}", tgt, True)]
                    mounts += f"  MOUNT VOL={volser},SWAPUNIT={0x2000 + i:04X}\n"
                    drop_cache(src, tgt)
                cfg = self.config(d, 0, units)
                deck = f"  SWAPDUMP TYPE=FULL,MAXTASKS={n},NONRESPONDING=FAIL\n" + mounts
                log(f"maxtasks: SWAPDUMP of {n} volume(s) of {cyl} cylinders, MAXTASKS={n}")
                report, _, wall, cpu, rss = self.run_deck(d, cfg, deck, f"MAXTASKS={n}")
                nbytes = n * cyl * HEADS * SLOT
                done = sum(1 for v in report["volumes"] if v.get("condition_code", 0) == 0)
                if done != n:
                    raise CaseError(f"{done} of {n} volumes completed")
                r = {"volumes": n, "wall_s": wall, "cpu_s": cpu, "maxrss_kb": rss, "bytes": nbytes}
                self.results.setdefault("maxtasks", {})[str(n)] = r
                self.figure("maxtasks", f"MAXTASKS={n}, {n} volume(s): aggregate throughput",
                            round(nbytes / wall / 1e6, 1), "MB/s", note=f"{wall:.2f} s, CPU {cpu:.2f} s")
                self.figure("maxtasks", f"MAXTASKS={n}, {n} volume(s): peak RSS of pas run", round(rss / 1024, 1),
                            "MiB", target="bounded by MAXTASKS x buffers + 1 bit/track")
            except CaseError as e:
                self.error("maxtasks", f"{n} volumes: {e}")
            finally:
                remove(d)

    def case_cpu(self):
        copy = self.results.get("copy", {})
        if not copy:
            self.error("cpu", "no full-volume SWAPDUMP was measured (case copy)")
            return
        for label, r in copy.items():
            gb = r["bytes"] / GB
            cpu = summary([x["cpu_s"] / gb for x in r["pas_runs"]])
            rep = summary([x["report"].get("cpu_seconds", 0) / gb for x in r["pas_runs"]])
            self.figure("cpu", f"{label}: CPU seconds per GB copied (pas run, user+system)", round(cpu["median"], 3),
                        "s/GB (median)", note=f"spread {spread(cpu, 3)}; report CPU TIME (copy threads) median "
                                              f"{rep['median']:.3f} s/GB")

    # -- machine and output

    def machine(self):
        mem = ""
        try:
            with open("/proc/meminfo") as f:
                kb = int(f.readline().split()[1])
                mem = f"{kb / 1024 / 1024:.1f} GiB"
        except OSError:
            pass
        fs = subprocess.run(["df", "-hT", self.scratch], capture_output=True, text=True).stdout.strip().splitlines()
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "nproc": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release(),
                "scratch": self.args.scratch, "filesystem": fs[-1] if fs else "", "commit": commit,
                "mode": "quick" if self.args.quick else "full",
                "loadavg": open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else None,
                "qemu_img": subprocess.run(["qemu-img", "--version"], capture_output=True, text=True).stdout.split(
                    "\n")[0] if shutil.which("qemu-img") else None}

    def write(self, machine, cases, seconds):
        os.makedirs(self.args.out, exist_ok=True)
        doc = {"machine": machine, "cases": cases, "seconds": round(seconds, 1), "figures": self.figures,
               "details": {k: v for k, v in self.results.items() if not k.startswith("_")}}
        with open(os.path.join(self.args.out, "latest.json"), "w") as f:
            json.dump(doc, f, indent=2, default=str)
            f.write("\n")
        m = machine
        lines = [f"# pas end-to-end benchmark ({m['mode']} run)", "",
                 f"- date: {m['date']}, commit {m['commit']}, {seconds / 60:.1f} minutes",
                 f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} memory, Linux {m['kernel']}",
                 f"- scratch: `{m['scratch']}` on `{m['filesystem']}`",
                 f"- load average at the start: {m['loadavg']}",
                 f"- command: `python3 {' '.join(sys.argv)}`", "",
                 "| case | figure | pas | baseline | ratio | target | note |", "|---|---|---|---|---|---|---|"]
        for r in self.figures:
            val = f"{fmt(r['value'])} {r['unit']}".strip() if r["value"] is not None else "—"
            base = f"{r['baseline']}: {fmt(r['baseline_value'])}" if r["baseline"] else ""
            lines.append(f"| {r['case']} | {r['figure']} | {val} | {base} | {fmt(r['ratio'])} | "
                         f"{r['target'] or ''} | {r['note']} |")
        with open(os.path.join(self.args.out, "latest.md"), "w") as f:
            f.write("\n".join(lines) + "\n")


def fmt(x):
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:,.3f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{x:,.1f}"
    return str(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small volumes, few cases (a smoke run)")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results"), help="where latest.json/.md go")
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-release"), help="CMake build directory")
    ap.add_argument("--scratch", default=os.environ.get("TMPDIR", "/tmp"), help="where the volumes are written")
    ap.add_argument("--only", default="", help="comma-separated cases: " + ",".join(CASES))
    ap.add_argument("--no-build", action="store_true", help="use the binaries already in --build-dir")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every figure was produced")
    ap.add_argument("--copy-volumes", default="", help="copy case: only these (3390-3,3390-9)")
    ap.add_argument("--sparse-volumes", default="", help="sparse case: only these (3390-9,3390-27,3390-54)")
    ap.add_argument("--pause-systems", default="", help="pause case: only these system counts (1,2,4)")
    ap.add_argument("--converge-pct", default="", help="converge case: only these percentages (10,50,120)")
    ap.add_argument("--converge-swaps", type=int, default=0, help="swaps per converge rate (default 5, quick 1)")
    ap.add_argument("--rounds", type=int, default=0, help="copy rounds (default 5, quick 3)")
    ap.add_argument("--swaps", type=int, default=0, help="swaps per pause configuration (default 20, quick 2)")
    args = ap.parse_args()
    cases = [c for c in args.only.split(",") if c] or CASES
    for c in cases:
        if c not in CASES:
            ap.error(f"unknown case {c}")
    bench = Bench(args)
    start = time.monotonic()
    try:
        if not args.no_build:
            bench.build_all()
        machine = bench.machine()
        log(f"machine: {machine['nproc']} CPUs, {machine['memory']}, Linux {machine['kernel']}, "
            f"scratch {machine['filesystem']}")
        for c in cases:
            getattr(bench, "case_" + c)()
    except CaseError as e:
        print(f"e2e: {e}", file=sys.stderr)
        return 2
    finally:
        remove(bench.scratch)
    bench.write(machine, cases, time.monotonic() - start)
    missing = [r for r in bench.figures if r["value"] is None]
    log(f"wrote {args.out}/latest.json and latest.md: {len(bench.figures)} figures, {len(missing)} missing")
    if args.check and (missing or not bench.figures):
        for r in missing:
            print(f"e2e: missing figure: {r['case']}: {r['note']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
