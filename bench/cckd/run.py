#!/usr/bin/env python3
"""pas vs Hercules dasdcopy on compressed volumes (doc/performance.md,
"Compressed volumes").

Builds one uncompressed 3390 volume of --cylinders cylinders whose every
track holds twelve 4096-byte records of generated text (compressible about
as well as real data sets), and its compressed copy made by dasdcopy -z.
Then, --runs times, times each of

  CKD -> CCKD   pas volume copy SRC.ckd OUT.cckd --compress zlib
                dasdcopy -z SRC.ckd OUT.cckd
  CCKD -> CKD   pas volume copy SRC.cckd OUT.ckd
                dasdcopy SRC.cckd OUT.ckd

interleaved (pas and dasdcopy alternate; the order is rotated every run)
with cold caches (the input is synced and dropped from the page cache with
posix_fadvise DONTNEED before each run; the output file is removed). Both
compress with zlib at its default level (Hercules' compression parameter -1
is zlib's default). Prints the medians and the ratio dasdcopy / pas (above
1: pas is faster) and writes them to --out as JSON. Checks once that pas's
and dasdcopy's outputs hold the same volume (pas volume compare).

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
    os.sync()
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


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
    cases = {
        "ckd_to_cckd": {
            "input": src, "output": out_c,
            "pas": [pas, "volume", "copy", src, out_c, "--compress", "zlib"],
            "dasdcopy": ["dasdcopy", "-z", src, out_c],
        },
        "cckd_to_ckd": {
            "input": csrc, "output": out_u,
            "pas": [pas, "volume", "copy", csrc, out_u],
            "dasdcopy": ["dasdcopy", csrc, out_u],
        },
    }
    times = {c: {"pas": [], "dasdcopy": []} for c in cases}
    cpu = {c: {"pas": [], "dasdcopy": []} for c in cases}
    # Same volume both ways: once, outside the timing.
    for name, c in cases.items():
        timed(c["pas"], c["output"])
        os.rename(c["output"], c["output"] + ".pas")
        timed(c["dasdcopy"], c["output"])
        r = subprocess.run([pas, "volume", "compare", c["output"] + ".pas", c["output"]],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"{name}: pas and dasdcopy outputs differ:\n{r.stdout}{r.stderr}")
        os.unlink(c["output"] + ".pas")
    for run in range(a.runs):
        for k, name in enumerate(cases):
            order = ["pas", "dasdcopy"] if (run + k) % 2 == 0 else ["dasdcopy", "pas"]
            for tool in order:
                c = cases[name]
                drop_cache(c["input"])
                dt = timed(c[tool], c["output"], cpu[name][tool])
                times[name][tool].append(dt)
                print(f"run {run + 1} {name:12s} {tool:9s} {dt:8.3f} s  cpu {cpu[name][tool][-1]:7.3f} s",
                      flush=True)
    load = os.getloadavg()
    result = {
        "cylinders": a.cylinders,
        "source_bytes": os.path.getsize(src),
        "compressed_bytes": os.path.getsize(csrc),
        "runs": a.runs,
        "cpus": os.cpu_count(),
        "loadavg_at_end": load,
        "cases": {},
    }
    print(f"\n{a.cylinders} cylinders, {os.path.getsize(src)} bytes uncompressed, "
          f"{os.path.getsize(csrc)} compressed; {os.cpu_count()} CPUs, load {load[0]:.1f}")
    for name in cases:
        mp = statistics.median(times[name]["pas"])
        md = statistics.median(times[name]["dasdcopy"])
        cp = statistics.median(cpu[name]["pas"])
        cd = statistics.median(cpu[name]["dasdcopy"])
        result["cases"][name] = {"pas_s": times[name]["pas"], "dasdcopy_s": times[name]["dasdcopy"],
                                 "pas_cpu_s": cpu[name]["pas"], "dasdcopy_cpu_s": cpu[name]["dasdcopy"],
                                 "pas_median_s": mp, "dasdcopy_median_s": md,
                                 "dasdcopy_over_pas": md / mp}
        print(f"{name:12s} median pas {mp:7.3f} s (cpu {cp:.3f})  dasdcopy {md:7.3f} s (cpu {cd:.3f})  "
              f"ratio dasdcopy/pas {md / mp:5.2f}")
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)
    if not a.dir:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
