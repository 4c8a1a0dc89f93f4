#!/usr/bin/env bash
# Drives the bash completion of pas and calcdasd (packaging/bash-completion/pas)
# as bash does: COMP_WORDS / COMP_CWORD set, the function called, COMPREPLY
# checked. Unit numbers come from --config on the line or from PAS_CONFIG.
# Usage: completion_test.sh SOURCE_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
scratch=$(mktemp -d /tmp/pas-completion-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cat >"$scratch/sysa.cnf" <<'CNF'
LPARNAME SYSA
0009 3215-C / noprompt
1887 3390 vols/vm1887.ckd     # the source
0:1888 3390 vols/vm1888.ckd
b887 3390 new/b887.ckd
5A 3390 x.ckd
OFFLINE B887
CNF
cat >"$scratch/sysb.cnf" <<'CNF'
LPARNAME SYSB
2887 3390 vols/vm1887.ckd
C887 3390 new/b887.ckd
CNF
touch "$scratch/swap.deck" "$scratch/swap2.deck"
mkdir "$scratch/decks"

fail=0
# complete WORDS... : the sorted COMPREPLY for the last word.
complete_line() {
  local fn=$1
  shift
  (
    cd "$scratch"
    # shellcheck disable=SC1090
    source "$src/packaging/bash-completion/pas"
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    "$fn" 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
  )
}
expect() {
  local want=$1 fn=$2
  shift 2
  local got
  got=$(complete_line "$fn" "$@")
  if [[ $got != "$want" ]]; then
    echo "FAIL: '$*' completed to '$got', expected '$want'"
    fail=1
  fi
}

expect "demo display" _pas pas d
expect "status" _pas pas st
expect "--help --version" _pas pas --
expect "--config --duration --dynmon --help --unit" _pas pas monitor --
expect "005A 1887 1888 B887" _pas pas monitor --config sysa.cnf --unit ""
expect "1887 1888" _pas pas display --config sysa.cnf 1
expect "1887-1887 1887-1888" _pas pas display --config sysa.cnf 1887-18
expect "B887,1887 B887,1888" _pas pas monitor --config sysa.cnf --unit B887,18
expect "B887" _pas pas vary --config=sysa.cnf b
expect "offline online" _pas pas vary 1887 o
expect "harvest" _pas pas intercept h
expect "1887 1888" _pas pas intercept --config sysa.cnf quiesce 18
expect "offline online" _pas pas vary --config sysa.cnf 1887 o
expect "info init" _pas pas volume in
expect "3390-2 3390-27" _pas pas volume init x.ckd --model 3390-2
expect "swap.deck swap2.deck" _pas pas run sw
expect "decks" _pas pas run dec
expect "sysa.cnf sysb.cnf" _pas pas run swap.deck --config sys
expect "--json" _pas pas status --j
expect "exec" _pas pas ex
expect "show" _pas pas guest sh
expect "--point-in-time --port" _pas pas guest verify x.ckd --po
expect "--config" _pas pas exec --co
expect "hercules" _pas pas exec --config sysa.cnf -- herc
# PAS_CONFIG when --config is not on the line; the line wins over it.
PAS_CONFIG=$scratch/sysb.cnf expect "2887 C887" _pas pas display ""
PAS_CONFIG=$scratch/sysb.cnf expect "005A 1887 1888 B887" _pas pas display --config sysa.cnf ""
# No configuration: no unit, no error.
PAS_CONFIG= expect "" _pas pas display ""
# calcdasd: units, ranges and VM options.
PAS_CONFIG=$scratch/sysa.cnf expect "1887 1888" _calcdasd calcdasd 18
PAS_CONFIG=$scratch/sysa.cnf expect "(SHORT" _calcdasd calcdasd 1887-1888 "(s"
expect "--short --state-dir" _calcdasd calcdasd --s

# The completion is registered for both commands when the file is sourced.
reg=$(bash -c "source '$src/packaging/bash-completion/pas'; complete -p pas calcdasd")
grep -q -- "-F _pas pas" <<<"$reg" || { echo "FAIL: no completion registered for pas"; fail=1; }
grep -q -- "-F _calcdasd calcdasd" <<<"$reg" || { echo "FAIL: no completion registered for calcdasd"; fail=1; }
[[ $fail -eq 0 ]] && echo "PASS: bash completion"
exit $fail
