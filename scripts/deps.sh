#!/usr/bin/env bash
# Installs the Debian 12 packages pas needs to build, test and benchmark.
# Skips apt entirely when everything is already installed.
set -euo pipefail
pkgs=(build-essential cmake pkg-config liburing-dev libboost-program-options-dev
      libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev hercules
      binutils-s390x-linux-gnu
      python3 spin clang libclang-rt-14-dev qemu-utils
      pandoc man-db groff-base dpkg-dev lintian systemd
      glusterfs-server glusterfs-client iproute2 util-linux zlib1g-dev libbz2-dev libdeflate-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
