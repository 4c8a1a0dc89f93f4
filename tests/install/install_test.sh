#!/usr/bin/env bash
# `cmake --install BUILD --prefix /usr` (into a scratch DESTDIR): every file
# lands where GNUInstallDirs and Debian expect it, the installed pas and
# calcdasd run from there and print the project's version, nothing
# installed names the build directory, and the systemd unit passes
# `systemd-analyze verify` against the installed tree.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
scratch=$(mktemp -d /tmp/pas-install-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root
fail=0
check() { if ! eval "$1"; then echo "FAIL: $2"; fail=1; fi; }

DESTDIR=$root cmake --install "$build" --prefix /usr --strip >"$scratch/install.log" 2>&1 ||
  { cat "$scratch/install.log"; echo "FAIL: cmake --install"; exit 1; }

for f in usr/bin/pas usr/bin/calcdasd \
         usr/share/man/man1/pas.1.gz usr/share/man/man1/calcdasd.1.gz \
         usr/share/man/man5/pas-statements.5.gz usr/share/man/man5/pas-config.5.gz \
         usr/lib/systemd/system/pas-monitor@.service \
         usr/share/bash-completion/completions/pas usr/share/bash-completion/completions/calcdasd \
         usr/share/doc/pas/README.md usr/share/doc/pas/statements.md usr/share/doc/pas/copyright \
         usr/share/doc/pas/changelog.gz; do
  check "[[ -e '$root/$f' ]]" "$f not installed"
done
# The intercept preload library, when this tree builds it, and the
# installed `pas exec` preloads the installed copy (found relative to the
# installed executable).
if [[ -e $build/libpas-intercept.so ]]; then
  lib=$(find "$root/usr/lib" -path '*/pas/libpas-intercept.so' | head -n 1)
  if [[ -z $lib ]]; then
    echo "FAIL: libpas-intercept.so is not in PREFIX/lib[/ARCH]/pas"
    fail=1
  else
    printf 'LPARNAME SYSX\n' >"$scratch/sysx.cnf"
    preload=$(env -u PAS_INTERCEPT_LIB PAS_RUNTIME_DIR="$scratch/run" \
      "$root/usr/bin/pas" exec --config "$scratch/sysx.cnf" -- sh -c 'echo "$LD_PRELOAD"' 2>&1 || true)
    check "[[ '$preload' == '$lib' ]]" "installed pas exec preloads '$preload', not the installed $lib"
  fi
fi

# The installed programs run from the installed tree; the version is the project's.
version=$(sed -n 's/^project(pas VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
check "[[ -n '$version' ]]" "no version in project()"
out=$("$root/usr/bin/pas" --version)
check "[[ '$out' == 'pas $version' ]]" "pas --version printed '$out', expected 'pas $version'"
check "'$root/usr/bin/calcdasd' '(help' | grep -q CALCDASD" "calcdasd (help does not print the synopsis"

# Nothing installed refers to the build tree.
if grep -rlF "$build" "$root" >"$scratch/leaks" 2>/dev/null; then
  echo "FAIL: installed files name the build directory $build:"
  cat "$scratch/leaks"
  fail=1
fi

# The unit runs the installed binary, as an instance per configuration.
unit=$root/usr/lib/systemd/system/pas-monitor@.service
check "grep -q '^ExecStart=/usr/bin/pas monitor --config /etc/pas/%i.cnf .*--dynmon' '$unit'" \
  "ExecStart does not run /usr/bin/pas monitor --config /etc/pas/%i.cnf --dynmon"
check "grep -q '^Restart=on-failure' '$unit'" "no Restart=on-failure"
if ! command -v systemd-analyze >/dev/null; then
  echo "FAIL: systemd-analyze is not installed (Debian package systemd; scripts/deps.sh)"
  fail=1
else
  # The root holds the unit, the binary and (MANPATH) the man pages the
  # unit's Documentation= names; --recursive-errors=no: the root has no
  # sysinit.target of its own.
  if ! MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" --recursive-errors=no \
      "$root/usr/lib/systemd/system/pas-monitor@SYSB.service" >"$scratch/verify.log" 2>&1; then
    echo "FAIL: systemd-analyze verify:"
    cat "$scratch/verify.log"
    fail=1
  elif [[ -s $scratch/verify.log ]]; then
    echo "FAIL: systemd-analyze verify printed:"
    cat "$scratch/verify.log"
    fail=1
  fi
fi
[[ $fail -eq 0 ]] && echo "PASS: install into DESTDIR, pas $version runs from /usr/bin, unit verified"
exit $fail
