#!/usr/bin/env bash
# An arm64 sysroot for cross builds (tools/cmake/aarch64-linux-gnu.cmake), and the tools to use it:
#   * host tools, amd64 packages: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross (the C library to
#     link against), qemu-user-static, installed by tools/setup.sh --deps-only;
#   * the libraries, :arm64 packages: fetched with `apt-get download` after `dpkg --add-architecture
#     arm64` and unpacked with dpkg -x into DIR/sysroot. NEVER `apt-get install` them: libxnnpack0
#     and friends are not co-installable across architectures, so apt would remove the amd64
#     libraries and break the native build.
# usage: tools/arm64_sysroot.sh DIR. Kept while its package list is unchanged. Exit 77 with the
# reason when it cannot be made here (no apt, no network, no root).
set -euo pipefail
out=$(realpath -m "${1:?usage: tools/arm64_sysroot.sh DIR}")
cd "$(dirname "$0")/.."

skip() {
  echo "arm64: skipped: $*"
  exit 77
}

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || skip "not root and no sudo: cannot add the arm64 architecture"
  sudo=(sudo)
fi

tools/setup.sh --deps-only gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static ||
  skip "cannot install the cross compiler and qemu-user-static"

# The :arm64 libraries and what they depend on (apt-cache depends PKG:arm64): libxnnpack0 needs
# libcpuinfo0, libpthreadpool0, libgcc-s1 and libc6; the last two also serve qemu's loader.
pkgs=(libxnnpack-dev libxnnpack0 libpthreadpool-dev libpthreadpool0 libprotobuf-c-dev libprotobuf-c1
      libcjson-dev libcjson1 libcpuinfo0 libgcc-s1 libc6)
stamp="${pkgs[*]}"
if [ "$(cat "$out/sysroot/.rooftop-stamp" 2>/dev/null)" != "$stamp" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${sudo[@]}" dpkg --add-architecture arm64 || skip "dpkg --add-architecture arm64 failed"
  fi
  if ! apt-cache show libxnnpack0:arm64 >/dev/null 2>&1; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || skip "apt-get update failed"
  fi
  rm -rf "$out/debs" "$out/sysroot"
  mkdir -p "$out/debs" "$out/sysroot"
  (cd "$out/debs" && apt-get download -q "${pkgs[@]/%/:arm64}" >"$out/download.log" 2>&1) ||
    skip "apt-get download of the :arm64 packages failed (see $out/download.log)"
  for deb in "$out"/debs/*.deb; do dpkg -x "$deb" "$out/sysroot"; done
  echo "$stamp" >"$out/sysroot/.rooftop-stamp"
fi

