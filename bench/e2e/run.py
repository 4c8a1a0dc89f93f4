#!/usr/bin/env python3
"""End-to-end benchmark of pas against the baselines, on this machine.

    python3 bench/e2e/run.py [--quick] [--out bench/results] [--build-dir DIR]
                             [--scratch DIR] [--only CASE,...] [--check]

Builds what it needs (Release), then measures each figure of MISSION.md
section 8 next to its baseline and writes OUT/latest.json and OUT/latest.md
(the machine it ran on, then one table row per figure). Cases:

  full      SWAPDUMP (no workload) of full 3390-3 and 3390-9 volumes against
            dd bs=1M conv=fdatasync, cp + sync and qemu-img convert of the
            same image: throughput and the ratio pas/baseline.
  sparse    a mostly empty 3390-54 (VTOC, one small data set, sparse image):
            SWAPDUMP time against dd of the same image.
  stall     SWAP under workload with 1, 2 and 4 systems (workload writers on
            each, monitors on all but the job's): p99 and longest write
            latency seen by the writers, the report's longest pause.
  converge  SWAP with writers at 10 %, 50 % and 120 % of the measured copy
            bandwidth (in tracks/s): passes, tracks recopied, time.
  hostio    bench/host_io_bench: a host track write with and without the
            intercept, and the intercept's marks alone.
  maxtasks  SWAPDUMP of 1, 4, 16 and 100 volumes with MAXTASKS equal to the
            count: aggregate throughput and peak RSS of `pas run`.
  cpu       CPU seconds per GB copied (from the full-volume SWAPDUMPs).

--quick runs small volumes and fewer cases (a smoke run). --check exits
non-zero unless every figure of the run was produced (used by CTest);
nothing is asserted about timing. Scratch files are removed after each
case. Only the Python standard library is used.
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

CASES = ["full", "sparse", "stall", "converge", "hostio", "maxtasks", "cpu"]

QUICK = {
    "full": [("3390 60 cyl", 60)],
    "sparse": ("3390 400 cyl", 400, 30),
    "stall_systems": [1, 2],
    "stall_cyl": 40,
    "converge_pct": [10, 120],
    "converge_cyl": 40,
    "maxtasks": [1, 4],
    "maxtasks_cyl": 5,
}
FULL = {
    "full": [("3390-3", 3339), ("3390-9", 10017)],
    "sparse": ("3390-54", 65520, 150),
    "stall_systems": [1, 2, 4],
    "stall_cyl": 300,
    "converge_pct": [10, 50, 120],
    "converge_cyl": 300,
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
    """Writes back and evicts the page cache of these files only."""
    for path in paths:
        if not os.path.exists(path):
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


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
        if rc != 0:
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

    # -- baselines

    def baselines(self, src, size):
        """dd, cp + sync, qemu-img convert + sync of src: {name: seconds}."""
        dst = src + ".copy"
        out = {}
        runs = [("dd bs=1M conv=fdatasync", ["dd", f"if={src}", f"of={dst}", "bs=1M", "conv=fdatasync",
                                             "status=none"]),
                ("cp + sync", ["sh", "-c", 'cp "$0" "$1" && sync "$1"', src, dst])]
        if shutil.which("qemu-img"):
            runs.append(("qemu-img convert + sync", ["sh", "-c",
                                                     'qemu-img convert -f raw -O raw "$0" "$1" && sync "$1"',
                                                     src, dst]))
        else:
            out["qemu-img convert + sync"] = "qemu-img not installed (Debian qemu-utils)"
        for name, argv in runs:
            need_space(self.scratch, size, name)
            drop_cache(src)
            _, wall, _, _ = check_run(argv, name, timeout=7200)
            out[name] = wall
            remove(dst)
        return out

    def swapdump_one(self, d, src, tgt, volser, cyl):
        cfg = self.config(d, 0, [("1887", src, False), ("B887", tgt, True)])
        drop_cache(src, tgt)
        deck = f"  SWAPDUMP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL={volser},SWAPUNIT=B887\n"
        report, out, wall, cpu, rss = self.run_deck(d, cfg, deck, f"SWAPDUMP of {volser}")
        v = report["volumes"][0]
        rate = None
        m = re.search(r"PAS231I.*?([\d.]+)\s*MB/S", out, re.I)
        if m:
            rate = float(m.group(1))
        return {"wall_s": wall, "cpu_s": cpu, "maxrss_kb": rss, "report": v, "copy_phase_mb_s": rate}

    # -- cases

    def case_full(self):
        rows = []
        for label, cyl in self.p["full"]:
            d = os.path.join(self.scratch, "full")
            os.makedirs(d, exist_ok=True)
            src, tgt = os.path.join(d, "src.ckd"), os.path.join(d, "tgt.ckd")
            size = HEADER + cyl * HEADS * SLOT
            try:
                need_space(self.scratch, 2 * size, f"full {label}")
                log(f"full: generating a full {label} ({size / GB:.2f} GB)")
                self.make_volume(src, cyl, "FULL01")
                base = self.baselines(src, size)
                need_space(self.scratch, size, "SWAPDUMP target")
                self.make_volume(tgt, cyl, "NEW001", target=True)
                r = self.swapdump_one(d, src, tgt, "FULL01", cyl)
                v = r["report"]
                if v.get("status") != "DUMPED" and v.get("condition_code", 0) != 0:
                    raise CaseError(f"SWAPDUMP status {v.get('status')}")
                nbytes = cyl * HEADS * SLOT
                pas_mb_s = nbytes / r["wall_s"] / 1e6
                r["bytes"] = nbytes
                r["baselines_s"] = base
                rows.append((label, r))
                self.results.setdefault("full", {})[label] = r
                self.figure("full", f"{label} SWAPDUMP throughput (wall clock of pas run)", round(pas_mb_s, 1),
                            "MB/s", note=f"{v['tracks_swapped']} tracks, {r['wall_s']:.1f} s, copy phase "
                                         f"{fmt(r['copy_phase_mb_s'])} MB/s")
                for name, secs in base.items():
                    if isinstance(secs, str):
                        self.figure("full", f"{label} vs {name}", None, "", note="MISSING: " + secs)
                        continue
                    b_mb_s = size / secs / 1e6
                    self.figure("full", f"{label} SWAPDUMP vs {name}", round(pas_mb_s, 1), "MB/s", baseline=name,
                                baseline_value=round(b_mb_s, 1), ratio=round(pas_mb_s / b_mb_s, 3),
                                target=">= 0.9" if name.startswith("dd") else None,
                                note=f"{name} {secs:.1f} s")
                if self.copy_rate is None or cyl > 1000:
                    self.copy_rate = nbytes / r["wall_s"]
            except CaseError as e:
                self.error("full", f"{label}: {e}")
            finally:
                remove(d)
        self.results["_full_rows"] = [label for label, _ in rows]

    def case_sparse(self):
        label, cyl, ds_tracks = self.p["sparse"]
        d = os.path.join(self.scratch, "sparse")
        os.makedirs(d, exist_ok=True)
        src, tgt = os.path.join(d, "src.ckd"), os.path.join(d, "tgt.ckd")
        size = HEADER + cyl * HEADS * SLOT
        try:
            log(f"sparse: a mostly empty {label} ({size / GB:.1f} GB image, {ds_tracks} data tracks)")
            self.make_volume(src, cyl, "EMPTY1", tracks=ds_tracks)
            self.make_volume(tgt, cyl, "NEW002", target=True)
            need_space(self.scratch, size, "SWAPDUMP of the sparse volume (target fully written)")
            r = self.swapdump_one(d, src, tgt, "EMPTY1", cyl)
            remove(tgt)
            drop_cache(src)
            need_space(self.scratch, size, "dd of the sparse image")
            dst = src + ".copy"
            _, dd_s, _, _ = check_run(["dd", f"if={src}", f"of={dst}", "bs=1M", "conv=fdatasync", "status=none"],
                                      "dd", timeout=7200)
            remove(dst)
            drop_cache(src)
            _, cp_s, _, _ = check_run(["sh", "-c", 'cp "$0" "$1" && sync "$1"', src, dst], "cp", timeout=7200)
            remove(dst)
            v = r["report"]
            allocated = 1 + 4 + ds_tracks
            r.update({"dd_s": dd_s, "cp_sparse_s": cp_s, "allocated_tracks": allocated, "tracks": cyl * HEADS,
                      "image_bytes": size})
            self.results["sparse"] = r
            self.figure("sparse", f"{label} mostly empty ({allocated} of {cyl * HEADS} tracks allocated) SWAPDUMP time",
                        round(r["wall_s"], 2), "s", baseline="dd bs=1M conv=fdatasync", baseline_value=round(dd_s, 2),
                        ratio=round(r["wall_s"] / dd_s, 4), target="scales with allocated tracks",
                        note=f"tracks copied {v['tracks_swapped']}; cp (sparse-aware) + sync {cp_s:.2f} s")
        except CaseError as e:
            self.error("sparse", str(e))
        finally:
            remove(d)

    def swap_with_workload(self, d, systems, cyl, writers, rate_per_writer, tag):
        """SWAP of one volume shared by `systems` systems, workload on each."""
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
            time.sleep(1.5)
            deck = "  SWAP TYPE=FULL,NONRESPONDING=FAIL\n  MOUNT VOL=LIVE01,SWAPUNIT=B887\n"
            report, out, wall, cpu, rss = self.run_deck(d, cfgs[0], deck, f"SWAP {tag}")
            time.sleep(0.5)
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
        return {"report": report["volumes"][0], "wall_s": wall, "workload": work, "verify_exit": vrc,
                "verify": (vout + verr).strip().splitlines()[-1:] if (vout + verr).strip() else []}

    def case_stall(self):
        cyl = self.p["stall_cyl"]
        for n in self.p["stall_systems"]:
            d = os.path.join(self.scratch, f"stall{n}")
            os.makedirs(d, exist_ok=True)
            try:
                log(f"stall: SWAP of a full {cyl}-cylinder volume under workload on {n} system(s)")
                # Two writers per system, each at 50 writes/s: a steady load
                # well below the copy bandwidth.
                r = self.swap_with_workload(d, n, cyl, 2, 50, f"{n} systems")
                self.results.setdefault("stall", {})[str(n)] = r
                p99 = max(w["p99_us"] for w in r["workload"]) / 1000
                mx = max(w["max_us"] for w in r["workload"]) / 1000
                v = r["report"]
                ok = "verify ok" if r["verify_exit"] == 0 else f"VERIFY FAILED ({r['verify']})"
                self.figure("stall", f"{n} system(s): p99 write latency across the SWAP", round(p99, 2), "ms",
                            target="<= 20 (4 systems)", note=ok)
                self.figure("stall", f"{n} system(s): longest write stall across the SWAP", round(mx, 2), "ms",
                            target="<= 100",
                            note=f"report longest pause {fmt(v.get('longest_pause_ms'))} ms "
                                 f"({v.get('longest_pause_system') or '-'}), passes {v.get('passes')}")
            except CaseError as e:
                self.error("stall", f"{n} systems: {e}")
            finally:
                remove(d)

    def measure_copy_rate(self, cyl):
        d = os.path.join(self.scratch, "rate")
        os.makedirs(d, exist_ok=True)
        try:
            src, tgt = os.path.join(d, "src.ckd"), os.path.join(d, "tgt.ckd")
            self.make_volume(src, cyl, "RATE01")
            self.make_volume(tgt, cyl, "NEW004", target=True)
            r = self.swapdump_one(d, src, tgt, "RATE01", cyl)
            return cyl * HEADS * SLOT / r["wall_s"]
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
        log(f"converge: copy bandwidth {rate / 1e6:.1f} MB/s = {tracks_per_s:.0f} tracks/s")
        writers = 4
        for pct in self.p["converge_pct"]:
            d = os.path.join(self.scratch, f"conv{pct}")
            os.makedirs(d, exist_ok=True)
            try:
                want = tracks_per_s * pct / 100
                r = self.swap_with_workload(d, 1, cyl, writers, want / writers, f"{pct} %")
                v = r["report"]
                got = sum(w["writes_per_s"] for w in r["workload"])
                r.update({"target_writes_per_s": want, "achieved_writes_per_s": got})
                self.results["converge"][str(pct)] = r
                recopy_passes = max(0, int(v.get("passes", 0)) - 2)
                ok = "verify ok" if r["verify_exit"] == 0 else f"VERIFY FAILED ({r['verify']})"
                self.figure("converge", f"writes at {pct} % of copy bandwidth: passes", v.get("passes"), "passes",
                            target="<= 5 recopy passes at 50 %" if pct == 50 else "converges",
                            note=f"recopy passes ~{recopy_passes}; {v.get('tracks_recopied')} tracks recopied; "
                                 f"asked {want:.0f} writes/s, achieved {got} ({100 * got / tracks_per_s:.0f} %); {ok}")
                self.figure("converge", f"writes at {pct} % of copy bandwidth: time to complete the SWAP",
                            round(r["wall_s"], 2), "s",
                            note=f"swap {fmt(v.get('swap_minutes', 0) * 60)} s; longest pause "
                                 f"{fmt(v.get('longest_pause_ms'))} ms; writer max latency "
                                 f"{max(w['max_us'] for w in r['workload']) / 1000:.1f} ms")
            except CaseError as e:
                self.error("converge", f"{pct} %: {e}")
            finally:
                remove(d)

    def case_hostio(self):
        try:
            out, _, _, _ = check_run([self.hostio, "--benchmark_format=json"], "host_io_bench", timeout=600)
            data = json.loads(out)
        except (CaseError, json.JSONDecodeError) as e:
            self.error("hostio", str(e))
            return
        # Names carry the options set in the source: "BM_HostTrackWrite/1/min_time:1.000".
        bench = {re.sub(r"/min_time:[^/]*", "", b["name"]): b for b in data.get("benchmarks", [])}
        self.results["hostio"] = {"context": data.get("context"), "benchmarks": list(bench.values())}
        def ns(name):
            b = bench.get(name)
            if not b or b.get("error_occurred"):
                return None
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            return b["real_time"] * scale
        off, on, mark = ns("BM_HostTrackWrite/0"), ns("BM_HostTrackWrite/1"), ns("BM_InterceptMark")
        if off is None or on is None:
            self.error("hostio", f"BM_HostTrackWrite missing or failed: {sorted(bench)}")
            return
        self.figure("hostio", "host track write with the intercept", round(on, 1), "ns/write",
                    baseline="without the intercept", baseline_value=round(off, 1), ratio=round(on / off, 4),
                    target="< 100 ns and < 2 % added",
                    note=f"added {on - off:+.1f} ns ({100 * (on - off) / off:+.2f} %)")
        if mark is not None:
            self.figure("hostio", "intercept marks alone (flag checks + 2 bitmap marks)", round(mark, 2), "ns/write",
                        target="< 100")
        else:
            self.error("hostio", "BM_InterceptMark missing")

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
        full = self.results.get("full", {})
        if not full:
            self.error("cpu", "no full-volume SWAPDUMP was measured")
            return
        for label, r in full.items():
            gb = r["bytes"] / GB
            rep_cpu = r["report"].get("cpu_seconds")
            self.figure("cpu", f"{label}: CPU seconds per GB copied (pas run, user+system)", round(r["cpu_s"] / gb, 3),
                        "s/GB", note=f"report CPU TIME {fmt(rep_cpu)} s for {gb:.2f} GB"
                                     f" = {fmt(rep_cpu / gb if rep_cpu is not None else None)} s/GB")

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
                 f"- command: `python3 bench/e2e/run.py{' --quick' if self.args.quick else ''}`", "",
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
