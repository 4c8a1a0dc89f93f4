#!/usr/bin/env bash
# README command (a): install what is needed, build, and run the main job on
# its built-in default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh >/dev/null
exec ./"${BUILD_DIR:-build}"/pas demo "$@"
