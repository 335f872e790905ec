#!/usr/bin/env bash
# Shared set-up of tools/demo and tools/test on Debian 12: installs the Debian packages rooftop
# needs when any is missing (apt-get, with sudo when not root; chromium renders the HTML report in
# the browser test), then configures and builds Release into build/. Safe to rerun: a warm
# machine installs nothing and rebuilds incrementally.
# tools/setup.sh --deps-only [PACKAGE...] installs the packages (and the extra ones named) and
# builds nothing: tools/setup_sanitize.sh uses it and builds its own tree.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake gcc make pkg-config libxnnpack-dev libpthreadpool-dev libprotobuf-c-dev protobuf-c-compiler
          libcjson-dev libonnx-dev libonnx-testdata python3-onnx python3-torch python3-torchvision python3-numpy
          valgrind chromium)
deps_only=0
if [ "${1:-}" = --deps-only ]; then
  deps_only=1
  shift
  packages+=("$@")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: missing ${missing[*]}; run as root or install sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "setup: installing ${missing[*]}"
  # env: sudo's env_reset would drop a plain DEBIAN_FRONTEND assignment
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[ "$deps_only" -eq 1 ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
