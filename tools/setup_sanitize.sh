#!/usr/bin/env bash
# Second build configuration for tools/test and tools/fuzz: build-asan/, clang with
# -fsanitize=address,undefined -fno-sanitize-recover=all (LeakSanitizer on, as ASan has it by
# default on Linux) and libFuzzer coverage (-DROOF_FUZZ=ON): the unit, bad-input, conformance
# and zoo tests run from it under the sanitizers, and its fuzz_<target> binaries fuzz.
# Installs clang and its runtime libraries (apt-get, with sudo when not root) when missing.
# Safe to rerun: an existing build-asan/ is rebuilt incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup_sanitize: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f build-asan/CMakeCache.txt ]; then
  # the zoo is exported once, into the Release tree (tools/test), and shared
  CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOF_FUZZ=ON -DROOF_ZOO_DIR="$PWD/build/zoo" >/dev/null
fi
cmake --build build-asan -j"${ROOF_JOBS:-2}"
