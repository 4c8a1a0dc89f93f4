#!/usr/bin/env bash
# Builds the whole suite with AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan) and with ThreadSanitizer (build-tsan), runs ctest in each and
# prints a summary. Exit 0 only when every build and every test passed.
#
#   bash scripts/sanitize.sh                 both
#   bash scripts/sanitize.sh address         only AddressSanitizer
#   SANITIZE_JOBS=1 bash scripts/sanitize.sh fewer parallel compiles/tests
#
# The short fuzz run (ctest fuzz_short) is left out here: it builds its own
# sanitized programs (scripts/fuzz.sh). doc/testing.md.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs="${SANITIZE_JOBS:-$(nproc)}"
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(address thread)

# A sanitizer report fails the process that made it; child processes started
# by the tests (pas, calcdasd) inherit these.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"

declare -A result
status=0
for kind in "${kinds[@]}"; do
  case "$kind" in
    address) dir="$root/build-asan" ;;
    thread) dir="$root/build-tsan" ;;
    *) echo "sanitize: unknown sanitizer '$kind' (address or thread)" >&2; exit 2 ;;
  esac
  start=$(date +%s)
  echo "sanitize: $kind: building into $dir"
  mkdir -p "$dir"
  if ! cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPAS_SANITIZE="$kind" \
        -DPAS_BUILD_BENCH=OFF >"$dir/configure.log" 2>&1 ||
     ! cmake --build "$dir" -j"$jobs" >"$dir/build.log" 2>&1; then
    tail -n 40 "$dir/configure.log" "$dir/build.log" >&2
    result[$kind]="BUILD FAILED"
    status=1
    continue
  fi
  built=$(date +%s)
  echo "sanitize: $kind: built in $((built - start)) s; running ctest"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" -E '^fuzz_short$' --timeout 900) \
      >"$dir/ctest.log" 2>&1
  rc=$?
  end=$(date +%s)
  line=$(grep -E 'tests passed|tests failed' "$dir/ctest.log" | tail -1)
  result[$kind]="${line:-no ctest summary} (build $((built - start)) s, tests $((end - built)) s)"
  if [ $rc -ne 0 ]; then
    status=1
    grep -E '^\s+[0-9]+ - ' "$dir/ctest.log" | head -50 >&2
    grep -E 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error' \
        "$dir/ctest.log" | sort | uniq -c | head -20 >&2
  fi
done
echo "sanitize: summary"
for kind in "${kinds[@]}"; do echo "  $kind: ${result[$kind]:-not run}"; done
exit $status
