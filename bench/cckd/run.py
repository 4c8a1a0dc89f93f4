#!/usr/bin/env python3
"""pas vs Hercules dasdcopy on compressed volumes (doc/performance.md,
"Compressed volumes").

Builds one uncompressed 3390 volume of --cylinders cylinders whose every
track holds twelve 4096-byte records of generated text (compressible about
as well as real data sets), and its compressed copy made by dasdcopy -z.
Then, --runs times, times each of

  CKD -> CCKD   dasdcopy -z SRC.ckd OUT.cckd; sync OUT.cckd
                pas volume copy SRC.ckd OUT.cckd --compress zlib
                pas volume copy SRC.ckd OUT.cckd --compress zlib --compress-level 7
  CCKD -> CKD   dasdcopy SRC.cckd OUT.ckd; sync OUT.ckd
                pas volume copy SRC.cckd OUT.ckd

interleaved (the order is rotated every run) with cold caches (sync and
drop_caches before each run when root, else posix_fadvise DONTNEED of the
input; the output file is removed). pas makes its output durable
(fdatasync, or the fsyncs of a CCKD harden); dasdcopy does not, so it is
timed with `sync OUT` after it (the same work). dasdcopy compresses with zlib at its
default level (Hercules' compression parameter -1, zlib's level 6); pas at
level 6 by default, with libdeflate, whose images are not the same size as
zlib's at the same level: the output sizes are printed beside the times,
and level 7 is timed too (smaller than dasdcopy's output on this data).
Prints the medians with their spread, the ratio dasdcopy / pas taken run
by run (above 1: pas is faster) and writes it all to --out as JSON. Checks
once that every contender's output holds the same volume (pas volume
compare).

  python3 bench/cckd/run.py --build-dir build [--cylinders 30] [--runs 5]

The CPU seconds of each run (user + system of the child) are recorded
beside the wall time: Hercules' dasdcopy -z spends most of its wall time
waiting (its CCKD cache hands tracks to a writer thread with timed waits),
not compressing, so the wall-time ratio is far larger than the CPU ratio.
"""
import argparse
import json
import os
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

HEADS = 15
SLOT = 56832
WORDS = ("DATA SET RECORD VOLUME TRACK CYLINDER CUSTOMER ACCOUNT BALANCE PAYROLL "
         "INVENTORY ORDER SHIPPED PENDING CLOSED OPEN TOTAL AMOUNT DATE NAME "
         "ADDRESS CITY STATE 0001 0002 0042 1999 2026 JANUARY MARCH JUNE").split()


def build_source(path, cylinders):
    rnd = random.Random(20261205)
    with open(path, "wb") as f:
        hdr = b"CKD_P370" + struct.pack("<II", HEADS, SLOT) + bytes([0x90, 0]) + struct.pack("<H", 0)
        f.write(hdr.ljust(512, b"\0"))
        for cyl in range(cylinders):
            for head in range(HEADS):
                t = bytearray(struct.pack(">BHH", 0, cyl, head))
                t += struct.pack(">HHBBH", cyl, head, 0, 0, 8) + bytes(8)
                for r in range(1, 13):
                    text = []
                    n = 0
                    while n < 4096:
                        w = rnd.choice(WORDS)
                        text.append(w)
                        n += len(w) + 1
                    data = (" ".join(text)).encode("ascii")[:4096].ljust(4096, b" ")
                    t += struct.pack(">HHBBH", cyl, head, r, 0, 4096) + data
                t += b"\xff" * 8
                f.write(bytes(t).ljust(SLOT, b"\0"))


def drop_cache(path):
    """Cold cache for the next run: everything dropped when root, else the
    input file's own pages (posix_fadvise DONTNEED). Returns the method."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return "drop_caches"
    except OSError:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        return "fadvise"


def timed(argv, out, cpu=None):
    """Runs argv (output file removed first); returns wall seconds and
    appends the child's CPU seconds (user + system) to `cpu`."""
    if os.path.exists(out):
        os.unlink(out)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(argv)}\n{r.stdout}\n{r.stderr}")
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return dt


def durable(argv):
    """argv, then `sync OUT` (OUT its last argument): pas makes its output
    durable (fdatasync or the CCKD harden's fsync) and dasdcopy does not,
    so the baseline is timed with the same work done."""
    return ["sh", "-c", '"$@" && sync "$%d"' % len(argv), "sh"] + argv


def spread(values):
    return f"{min(values):.3f}-{max(values):.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--cylinders", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    ap.add_argument("--out", default=None, help="JSON results file")
    a = ap.parse_args()
    pas = os.path.abspath(os.path.join(a.build_dir, "pas"))
    if not os.access(pas, os.X_OK):
        sys.exit(f"{pas} not found: build first")
    for tool in ("dasdcopy",):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found (Debian package hercules)")
    work = a.dir or tempfile.mkdtemp(prefix="pas-bench-cckd-")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "src.ckd")
    csrc = os.path.join(work, "src.cckd")
    print(f"building a {a.cylinders}-cylinder source in {work} ...", flush=True)
    build_source(src, a.cylinders)
    subprocess.run(["dasdcopy", "-z", src, csrc], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    out_c = os.path.join(work, "out.cckd")
    out_u = os.path.join(work, "out.ckd")
    # Contenders per case; the first is the baseline every other is
    # compared with (baseline time / contender time: above 1, faster).
    cases = {
        "ckd_to_cckd": {
            "input": src, "output": out_c,
            "tools": {
                "dasdcopy": durable(["dasdcopy", "-z", src, out_c]),
                "pas": [pas, "volume", "copy", src, out_c, "--compress", "zlib"],
                "pas-level7": [pas, "volume", "copy", src, out_c, "--compress", "zlib",
                               "--compress-level", "7"],
            },
        },
        "cckd_to_ckd": {
            "input": csrc, "output": out_u,
            "tools": {
                "dasdcopy": durable(["dasdcopy", csrc, out_u]),
                "pas": [pas, "volume", "copy", csrc, out_u],
            },
        },
    }
    times = {c: {t: [] for t in cases[c]["tools"]} for c in cases}
    cpu = {c: {t: [] for t in cases[c]["tools"]} for c in cases}
    size = {c: {} for c in cases}
    cache = set()
    # Same volume from every contender, and its size: once, outside the timing.
    for name, c in cases.items():
        ref = None
        for tool, argv in c["tools"].items():
            timed(argv, c["output"])
            size[name][tool] = os.path.getsize(c["output"])
            if ref is None:
                ref = c["output"] + ".ref"
                os.rename(c["output"], ref)
                continue
            r = subprocess.run([pas, "volume", "compare", ref, c["output"]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                sys.exit(f"{name}: {tool} and dasdcopy outputs differ:\n{r.stdout}{r.stderr}")
        os.unlink(ref)
        os.unlink(c["output"])
    ratios = {c: {t: [] for t in list(cases[c]["tools"])[1:]} for c in cases}
    for run in range(a.runs):
        for k, name in enumerate(cases):
            tools = list(cases[name]["tools"])
            shift = (run + k) % len(tools)
            order = tools[shift:] + tools[:shift]
            round_times = {}
            for tool in order:
                c = cases[name]
                cache.add(drop_cache(c["input"]))
                dt = timed(c["tools"][tool], c["output"], cpu[name][tool])
                times[name][tool].append(dt)
                round_times[tool] = dt
                print(f"run {run + 1} {name:12s} {tool:10s} {dt:8.3f} s  cpu {cpu[name][tool][-1]:7.3f} s",
                      flush=True)
            base = tools[0]
            for tool in tools[1:]:
                ratios[name][tool].append(round_times[base] / round_times[tool])
            os.unlink(cases[name]["output"])
    load = os.getloadavg()
    result = {
        "cylinders": a.cylinders,
        "source_bytes": os.path.getsize(src),
        "compressed_bytes": os.path.getsize(csrc),
        "runs": a.runs,
        "cpus": os.cpu_count(),
        "cache": sorted(cache),
        "loadavg_at_end": load,
        "cases": {},
    }
    print(f"\n{a.cylinders} cylinders, {os.path.getsize(src)} bytes uncompressed; "
          f"{os.cpu_count()} CPUs, load {load[0]:.1f}; cold cache by {', '.join(sorted(cache))}; "
          f"medians of {a.runs} interleaved runs (order rotated), spread min-max")
    for name in cases:
        tools = list(cases[name]["tools"])
        result["cases"][name] = {}
        for tool in tools:
            entry = {"s": times[name][tool], "cpu_s": cpu[name][tool],
                     "median_s": statistics.median(times[name][tool]),
                     "median_cpu_s": statistics.median(cpu[name][tool]),
                     "output_bytes": size[name][tool]}
            line = (f"{name:12s} {tool:10s} {entry['median_s']:7.3f} s ({spread(times[name][tool])})"
                    f"  cpu {entry['median_cpu_s']:6.3f} s  output {size[name][tool]:>11d} bytes")
            if tool != tools[0]:
                r = ratios[name][tool]
                entry["ratio_dasdcopy_over_it"] = r
                entry["ratio_median"] = statistics.median(r)
                line += (f"  dasdcopy/{tool} {statistics.median(r):5.2f} ({min(r):.2f}-{max(r):.2f})"
                         f"  size vs dasdcopy {100.0 * (size[name][tool] / size[name][tools[0]] - 1):+.1f} %")
            result["cases"][name][tool] = entry
            print(line)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)
    if not a.dir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
