#!/usr/bin/env bash
# The manual pages (doc/man/*.md, built to roff by pandoc) format without a
# single warning, and pas(1) describes every subcommand `pas help` lists.
# Usage: man_pages_test.sh BUILD_DIR
set -euo pipefail
build=$1
man_dir=$build/doc/man
fail=0
for page in pas.1 calcdasd.1 pas-statements.5 pas-config.5; do
  f=$man_dir/$page
  if [[ ! -s $f || ! -s $f.gz ]]; then
    echo "FAIL: $f or $f.gz was not built"
    fail=1
    continue
  fi
  # man-db's own check (groff with -ww), then groff directly in strict mode.
  out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" 2>&1 >/dev/null || echo "man exited $?")
  out+=$(groff -ww -z -man -Tutf8 "$f" 2>&1 || echo "groff exited $?")
  if [[ -n $out ]]; then
    echo "FAIL: $page has warnings:"
    echo "$out"
    fail=1
  fi
  # The rendered page has the sections every page needs.
  text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$f" 2>/dev/null | col -b)
  for section in NAME SYNOPSIS DESCRIPTION "SEE ALSO"; do
    grep -q "^$section" <<<"$text" || { echo "FAIL: $page has no $section section"; fail=1; }
  done
done

# Every subcommand of pas is described in pas(1).
pas_text=$(LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$man_dir/pas.1" 2>/dev/null | col -b)
commands=$("$build/pas" help | awk '/^commands:/ {on=1; next} on && NF >= 2 && /^  / {print $1}')
[[ -n $commands ]] || { echo "FAIL: pas help listed no command"; exit 1; }
for c in $commands; do
  if ! grep -Eq "^ {7}$c( |$)" <<<"$pas_text"; then
    echo "FAIL: pas(1) does not describe the subcommand '$c'"
    fail=1
  fi
done
# ... and the version in the footer is the project's.
version=$("$build/pas" --version | awk '{print $2}')
grep -q "pas $version" <<<"$pas_text" || { echo "FAIL: pas(1) footer does not name pas $version"; fail=1; }
[[ $fail -eq 0 ]] && echo "PASS: manual pages clean, pas(1) covers: $(echo $commands)"
exit $fail
