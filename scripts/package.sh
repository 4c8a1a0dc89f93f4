#!/usr/bin/env bash
# Builds the Debian package of pas with CPack from the build in
# ${BUILD_DIR:-build} (building it first) and checks it with lintian:
# any error (E:) fails; warnings are printed. Prints the package's path
# on the last line: ${BUILD_DIR}/package/pas_VERSION_ARCH.deb.
#   bash scripts/package.sh && sudo apt install ./build/package/pas_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ "${PAS_PACKAGE_NO_BUILD:-}" != 1 ]; then
  bash scripts/deps.sh
  bash scripts/build.sh
fi
cd "$BUILD_DIR"
rm -f package/pas_*.deb
cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; echo "package.sh: cpack failed" >&2; exit 1; }
deb=$(ls "$PWD"/package/pas_*.deb)
if command -v lintian >/dev/null 2>&1; then
  # --tag-display-limit 0: every tag; errors fail, warnings are shown.
  report=$(lintian --tag-display-limit 0 "$deb" 2>&1 || true)
  [ -n "$report" ] && echo "$report"
  if grep -q '^E: ' <<<"$report"; then
    echo "package.sh: lintian reports errors" >&2
    exit 1
  fi
else
  echo "package.sh: lintian is not installed (scripts/deps.sh installs it)" >&2
  exit 1
fi
echo "$deb"
