#!/usr/bin/env bash
# Checks the swap protocol model (doc/swap-protocol.pml) with spin.
#
#   bash scripts/check-protocol.sh           the CI check (a few minutes on 2 cores)
#   bash scripts/check-protocol.sh --flaws   show that each design flaw of
#                                            doc/protocol-model.md "Findings" is
#                                            caught (each variant must fail)
#   bash scripts/check-protocol.sh --deep    adds NW=2 and two deaths per run
#                                            (bitstate, long)
#
# Every run: spin generates the verifier, gcc compiles it, pan explores the
# state space; any assertion violation, invalid end state (deadlock),
# acceptance cycle or incomplete search fails the script (non-zero exit).
# Environment: JOBS (parallel runs, default 2), PAS_SPIN_WORK (work dir).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODEL="$ROOT/doc/swap-protocol.pml"
JOBS=${JOBS:-2}
MODE=${1:-ci}

die() { echo "PAS990E check-protocol: $*" >&2; exit 1; }
command -v spin >/dev/null 2>&1 || die "spin is not installed (apt-get install spin); the protocol cannot be checked"
command -v gcc >/dev/null 2>&1 || die "gcc is not installed; the spin verifier cannot be compiled"
[ -f "$MODEL" ] || die "model not found: $MODEL"

WORK=${PAS_SPIN_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/pas-spin.XXXXXX")}
mkdir -p "$WORK"
trap '[ -z "${PAS_SPIN_WORK:-}" ] && rm -rf "$WORK"' EXIT

# run NAME EXPECT SPIN_DEFINES CC_DEFINES PAN_ARGS
#   EXPECT: pass (must verify clean) or fail (must report an error)
run() {
  local name=$1 expect=$2 sdefs=$3 cdefs=$4 pargs=$5
  local dir="$WORK/$name"
  mkdir -p "$dir"
  (
    cd "$dir"
    cp "$MODEL" model.pml
    # shellcheck disable=SC2086
    spin $sdefs -a model.pml >spin.log 2>&1 || { echo "spin failed"; cat spin.log; exit 3; }
    # shellcheck disable=SC2086
    gcc -O2 -w $cdefs -DMEMLIM=3000 -o pan pan.c >gcc.log 2>&1 || { echo "gcc failed"; cat gcc.log; exit 3; }
    start=$(date +%s)
    # shellcheck disable=SC2086
    ./pan $pargs >pan.log 2>&1 || true
    echo $(( $(date +%s) - start )) >secs
  ) >"$dir/run.log" 2>&1 || { echo "FAIL $name: could not build the verifier"; cat "$dir/run.log"; return 1; }
  local log="$dir/pan.log"
  local errors states depth secs
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | tail -1)
  states=$(sed -n 's/^ *\([0-9.e+]*\) states, stored.*/\1/p' "$log" | tail -1)
  depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' "$log" | tail -1)
  secs=$(cat "$dir/secs" 2>/dev/null || echo "?")
  [ -n "$errors" ] || { echo "FAIL $name: pan did not finish"; tail -20 "$log"; return 1; }
  local incomplete=""
  grep -qE "out of memory|search not completed|max search depth too small" "$log" && incomplete=yes
  local what
  what=$(grep -m1 -E "^pan:[0-9]+: " "$log" || true)
  printf '%-26s states=%-12s depth=%-5s errors=%s time=%ss %s\n' "$name" "$states" "$depth" "$errors" "$secs" "$what"
  echo "$states $depth $secs" >"$dir/figures"
  if [ "$expect" = pass ]; then
    [ "$errors" = 0 ] || { echo "FAIL $name: the protocol model has an error (trail: $dir)"; (cd "$dir" && spin $sdefs -t -p -g model.pml 2>&1 | tail -60) ; return 1; }
    [ -z "$incomplete" ] || { echo "FAIL $name: the search was incomplete"; grep -E "out of memory|search not completed|max search depth" "$log"; return 1; }
  else
    [ "$errors" != 0 ] || { echo "FAIL $name: the flaw was not detected"; return 1; }
  fi
  return 0
}

SAFE="-DNOCLAIM -DSAFETY -DHC4"       # safety: assertions + invalid end states, hash compaction
LIVE="-DHC4"                          # liveness + assertions: the ltl claim "terminates" (<> all_done)

declare -a runs
case "$MODE" in
  ci|"")
    # Each death run kills one process at any step, in parallel lanes.
    runs=(
      "kill-job        pass|-DNW=1 -DMAXKILL=1 -DVICTIMS=1|$SAFE|-m20000 -w26"
      "kill-monitor1   pass|-DNW=1 -DMAXKILL=1 -DVICTIMS=2|$SAFE|-m20000 -w26"
      "kill-monitor2   pass|-DNW=1 -DMAXKILL=1 -DVICTIMS=4|$SAFE|-m20000 -w26"
      "kill-writer     pass|-DNW=1 -DMAXKILL=1 -DVICTIMS=56|$LIVE|-a -m20000 -w24"
      "no-death-nw2    pass|-DNW=2 -DMAXKILL=0|$LIVE|-a -m20000 -w24"
    ) ;;
  --flaws)
    runs=(
      "flaw-trust-ack      fail|-DNW=1 -DMAXKILL=0 -DFLAW_TRUST_ACK|$SAFE|-m20000 -w24"
      "flaw-no-owner-check fail|-DNW=1 -DMAXKILL=1 -DVICTIMS=1 -DFLAW_NO_OWNER_CHECK|$SAFE|-m20000 -w24"
      "flaw-writeback      fail|-DNW=1 -DMAXKILL=0 -DFLAW_WRITEBACK|$SAFE|-m20000 -w24"
    ) ;;
  --deep)
    runs=(
      "deep-2kills-nw1     pass|-DNW=1 -DMAXKILL=2 -DVICTIMS=63|-DNOCLAIM -DSAFETY -DBITSTATE|-m20000 -w32 -k3"
      "deep-1kill-nw2      pass|-DNW=2 -DMAXKILL=1 -DVICTIMS=63|-DNOCLAIM -DSAFETY -DBITSTATE|-m20000 -w32 -k3"
    ) ;;
  *) die "unknown mode '$MODE' (use nothing, --flaws or --deep)" ;;
esac

t0=$(date +%s)
status=0
pids=()
names=()
for r in "${runs[@]}"; do
  IFS='|' read -r head sdefs cdefs pargs <<<"$r"
  read -r name expect <<<"$head"
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 0.5; done
  run "$name" "$expect" "$sdefs" "$cdefs" "$pargs" >"$WORK/$name.out" 2>&1 &
  pids+=($!)
  names+=("$name")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then status=1; fi
  cat "$WORK/${names[$i]}.out"
done

total_states=0
maxdepth=0
for n in "${names[@]}"; do
  [ -f "$WORK/$n/figures" ] || continue
  read -r st dp _ <"$WORK/$n/figures"
  total_states=$(awk -v a="$total_states" -v b="$st" 'BEGIN { printf "%.0f", a + b }')
  [ "${dp:-0}" -gt "$maxdepth" ] && maxdepth=$dp
done
secs=$(( $(date +%s) - t0 ))
if [ $status -eq 0 ]; then
  echo "protocol model: OK ($MODE) — ${#names[@]} runs, $total_states states explored, max depth $maxdepth, ${secs}s, spin $(spin -V | awk '{print $3}')"
else
  echo "protocol model: FAILED ($MODE) — see above; ${#names[@]} runs, $total_states states, ${secs}s"
fi
exit $status
