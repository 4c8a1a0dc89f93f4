#!/usr/bin/env bash
# The Debian package, end to end: CPack builds it from the main build
# (scripts/package.sh with PAS_PACKAGE_NO_BUILD=1: lintian must report no
# error), its control fields are checked, `dpkg -i` installs it, the
# installed commands work from /usr/bin (pas --version, calcdasd (help,
# man -w pas, systemd-analyze verify of the installed unit), then
# `dpkg -r` and `dpkg -P` remove it and every file it installed is gone.
# The other tests run the build's binaries, never /usr/bin, so they are
# not affected. Installs of the package are serialized across builds on
# this machine with a lock file.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
scratch=$(mktemp -d /tmp/pas-package-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail=0
# ok MESSAGE COMMAND...: runs the command; a failure is reported, not fatal.
ok() {
  local msg=$1
  shift
  if ! "$@"; then
    echo "FAIL: $msg"
    fail=1
  fi
}
contains() { [[ $1 == *"$2"* ]]; }

if [[ $(id -u) -ne 0 ]]; then
  echo "FAIL: the package test installs with dpkg and must run as root"
  exit 1
fi
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps lintian man systemd-analyze; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (scripts/deps.sh)"; exit 1; }
done

# Build the package from this build directory (its own staging and output
# folders, so parallel tests are not disturbed).
if ! PAS_PACKAGE_NO_BUILD=1 BUILD_DIR="$build" bash "$src/scripts/package.sh" >"$scratch/package.log" 2>&1; then
  cat "$scratch/package.log"
  echo "FAIL: scripts/package.sh"
  exit 1
fi
cat "$scratch/package.log"
deb=$(tail -n 1 "$scratch/package.log")
[[ -f $deb ]] || { echo "FAIL: no package at '$deb'"; exit 1; }

# Control fields.
version=$(sed -n 's/^project(pas VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
field() { dpkg-deb -f "$deb" "$1"; }
ok "Package is not pas" test "$(field Package)" = pas
ok "Version '$(field Version)' is not the project's $version" test "$(field Version)" = "$version"
ok "Recommends does not name hercules" contains "$(field Recommends)" hercules
ok "no Maintainer" test -n "$(field Maintainer)"
ok "no Section" test -n "$(field Section)"
ok "no extended Description" test "$(field Description | wc -l)" -gt 3
depends=$(field Depends)
# dpkg-shlibdeps computed it: the C++ runtime, liburing and Boost.Program_options.
for lib in libc6 libstdc++6 liburing2 libboost-program-options; do
  ok "Depends '$depends' does not name $lib" contains "$depends" "$lib"
done

# Install, use, remove. One package operation at a time on this machine.
exec 9>/tmp/pas-package-test.lock
flock 9
if dpkg-query -W -f='${Status}' pas 2>/dev/null | grep -q "install ok installed"; then
  echo "FAIL: a pas package is already installed on this machine; the test would replace it (remove it with dpkg -P pas)"
  exit 1
fi
dpkg_retry() {
  # dpkg refuses at once when another dpkg or apt holds its lock: retry.
  local i
  for i in $(seq 1 60); do
    if "$@" >"$scratch/dpkg.log" 2>&1; then return 0; fi
    grep -q "lock" "$scratch/dpkg.log" || { cat "$scratch/dpkg.log"; return 1; }
    sleep 2
  done
  cat "$scratch/dpkg.log"
  return 1
}
if ! dpkg_retry dpkg -i "$deb"; then
  echo "FAIL: dpkg -i $deb"
  exit 1
fi
# From here on the package is removed whatever happens.
trap 'dpkg -P pas >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
dpkg -L pas | sort >"$scratch/files"
ok "/usr/bin/pas --version is not 'pas $version'" test "$(/usr/bin/pas --version)" = "pas $version"
ok "calcdasd (help does not print the synopsis" contains "$(/usr/bin/calcdasd '(help')" CALCDASD
ok "man -w pas does not find /usr/share/man/man1/pas.1.gz" test "$(man -w pas)" = /usr/share/man/man1/pas.1.gz
for page in calcdasd pas-statements pas-config; do
  ok "man -w $page finds nothing" man -w $page
done
# The installed unit, as systemd on this machine would load it.
if ! systemd-analyze verify /usr/lib/systemd/system/pas-monitor@SYSB.service >"$scratch/verify.log" 2>&1 ||
    [[ -s $scratch/verify.log ]]; then
  echo "FAIL: systemd-analyze verify of the installed pas-monitor@SYSB.service:"
  cat "$scratch/verify.log"
  fail=1
fi
ok "no bash completion in the package" grep -qx /usr/share/bash-completion/completions/pas "$scratch/files"

if ! dpkg_retry dpkg -r pas; then
  echo "FAIL: dpkg -r pas"
  fail=1
fi
if ! dpkg_retry dpkg -P pas; then
  echo "FAIL: dpkg -P pas"
  fail=1
fi
trap 'rm -rf "$scratch"' EXIT
if dpkg-query -W -f='${Status}' pas 2>/dev/null | grep -q "installed" &&
    ! dpkg-query -W -f='${Status}' pas 2>/dev/null | grep -q "not-installed"; then
  echo "FAIL: dpkg still has pas installed after the purge"
  fail=1
fi
left=0
while read -r f; do
  # Directories shared with other packages (/usr, /usr/bin ...) stay.
  if [[ -e $f && ! -d $f ]]; then
    echo "FAIL: $f left behind after dpkg -P"
    left=1
  elif [[ -d $f && $f == */pas ]]; then
    echo "FAIL: directory $f left behind after dpkg -P"
    left=1
  fi
done <"$scratch/files"
[[ $left -eq 0 ]] || fail=1
[[ $fail -eq 0 ]] && echo "PASS: $(basename "$deb") built, lintian clean of errors, installed $(wc -l <"$scratch/files") paths, used, removed without a trace"
exit $fail
