#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz and runs each for a fixed time
# (FUZZ_SECONDS, default 20) from a copy of its seed corpus
# (fuzz/corpus/<target>/). Any crash, leak, timeout, out-of-memory or
# sanitizer report fails the run (exit 1); the input that did it is kept in
# build-fuzz/artifacts/. Needs clang (scripts/deps.sh installs it).
#
#   FUZZ_SECONDS=60 bash scripts/fuzz.sh            all targets, 60 s each
#   bash scripts/fuzz.sh track volume               only these targets
#   FUZZ_BUILD_DIR=/tmp/bf bash scripts/fuzz.sh     another build directory
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"
jobs="${FUZZ_JOBS:-$(nproc)}"
all_targets=(statements config track device_header volume coord cckd)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

cxx="${FUZZ_CXX:-clang++}"
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz: $cxx not found; the fuzz targets need clang (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

start=$(date +%s)
echo "fuzz: building ${targets[*]} with $cxx into $build"
mkdir -p "$build"
if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER="$cxx" -DPAS_BUILD_FUZZ=ON -DPAS_BUILD_TESTS=OFF \
      -DPAS_BUILD_BENCH=OFF >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  echo "fuzz: configure failed" >&2
  exit 1
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
if ! cmake --build "$build" --target "${build_targets[@]}" -j"$jobs" >"$build/build.log" 2>&1; then
  tail -50 "$build/build.log" >&2
  echo "fuzz: build failed" >&2
  exit 1
fi
built=$(date +%s)
echo "fuzz: built in $((built - start)) s; running each target for $seconds s"

mkdir -p "$build/artifacts"
failed=()
summary=()
for t in "${targets[@]}"; do
  seeds="$root/fuzz/corpus/$t"
  work="$build/corpus/$t"
  rm -rf "$work"
  mkdir -p "$work"
  if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
    echo "fuzz: $t: no seed corpus in $seeds" >&2
    failed+=("$t")
    continue
  fi
  cp "$seeds"/* "$work"/
  log="$build/$t.log"
  # -timeout: one input taking longer is a hang; -rss_limit_mb: memory blow-up.
  "$build/fuzz/${t}_fuzz" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=131072 -print_final_stats=1 -artifact_prefix="$build/artifacts/${t}-" \
      >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corpus=$(ls "$work" | wc -l)
  seedn=$(ls "$seeds" | wc -l)
  line=$(printf '%-14s rc=%-3s runs=%-9s cov=%-6s seeds=%-4s corpus=%s' "$t" "$rc" "${runs:-?}" \
         "${cov:-?}" "$seedn" "$corpus")
  summary+=("$line")
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    echo "fuzz: $t FAILED (rc=$rc); log $log:" >&2
    grep -E -A40 'ERROR: |runtime error|Test unit written|deadly signal' "$log" | head -80 >&2
  fi
done
end=$(date +%s)
echo "fuzz: summary (${seconds} s per target, $((end - start)) s in all)"
for l in "${summary[@]}"; do echo "  $l"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
