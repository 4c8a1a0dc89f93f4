#!/usr/bin/env bash
# The randomized soak of the swap (doc/reliability.md): random participant,
# random fault point and hit count or a SIGKILL at a random time, the
# invariants checked after every iteration; stops at the first violation
# with the reproducer and exits non-zero.
#   scripts/soak.sh [--seconds N] [--seed S] [--build-dir DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=600
seed=$(date +%s%N)
build="$here/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
echo "soak: seed $seed, $seconds s, build $build"
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target pas test_soak -j2 >/dev/null
SOAK_SECONDS=$seconds SOAK_SEED=$seed exec "$build/tests/test_soak" --gtest_filter=Soak.*
