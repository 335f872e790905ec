#!/usr/bin/env bash
# The arm64 stage of tools/test: cross-builds rooftop for arm64 and runs, under qemu-user, the
# unit tests, the op tests, the conformance suite, the arm64 .deb (tests/tools/check_package.sh)
# and two zoo models (against torch's outputs at the zoo's tolerance).
# Under emulation timings mean nothing: only outputs are checked.
#
#   * the cross compiler, qemu-user-static and a sysroot of Debian's :arm64 libraries in
#     build-arm64/sysroot: tools/arm64_sysroot.sh;
#   * build-arm64/build: CMake with tools/cmake/aarch64-linux-gnu.cmake (ctest runs the test
#     programs through qemu-aarch64 -L build-arm64/sysroot).
#
# ROOF_ZOO_DIR: the exported zoo (default build/zoo, which tools/test exports first);
# ROOF_ARM64_DIR: where the sysroot and the build go (default build-arm64).
# Output: the ctest logs, then "arm64: N passed, M failed[, K skipped]". Exit 0 when all passed,
# 1 on a failure, 77 when the stage cannot run here (packages unavailable): a skip, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${ROOF_ARM64_DIR:-$root/build-arm64}
zoo=${ROOF_ZOO_DIR:-$root/build/zoo}
start=$(date +%s)

tools/arm64_sysroot.sh "$out" || {
  [ $? -eq 77 ] || exit 1
  echo "arm64: 0 passed, 0 failed, 1 skipped"
  exit 77
}

cmake -S . -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE="$root/tools/cmake/aarch64-linux-gnu.cmake" \
  -DROOF_ARM64_SYSROOT="$out/sysroot" -DROOF_ZOO_DIR="$zoo" >/dev/null
cmake --build "$out/build" -j"$(nproc)" >"$out/build.log" 2>&1 || {
  tail -30 "$out/build.log"
  echo "arm64: cross build failed (log: $out/build.log)"
  echo "arm64: 0 passed, 1 failed"
  exit 1
}
echo "arm64: cross build took $(($(date +%s) - start)) s"

# Unit, op, package and conformance tests, then two zoo models (a plain export at 1 thread, a
# raw one at 2); -FS zoo: the zoo is exported by tools/test, never by this stage.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
ctest --test-dir "$out/build" --output-on-failure -j2 --timeout 900 -L 'unit|ops|package|conformance' 2>&1 | tee "$tmp/unit.log" || rc=1
ctest --test-dir "$out/build" --output-on-failure -j2 --timeout 900 -FS zoo \
  -R '^zoo\.(squeezenet1_1\.plain\.t1|mobilenet_v3_small\.raw\.t2)$' 2>&1 | tee "$tmp/zoo.log" || rc=1

read -r p f < <(cat "$tmp/unit.log" "$tmp/zoo.log" | awk '
  /[0-9]+\/[0-9]+ +Test +#[0-9]+: / { if ($0 ~ / Passed +[0-9.]+ sec/) p++; else f++ }
  END { printf "%d %d\n", p, f }')
[ "$p" -gt 0 ] || { echo "arm64: ctest ran no test"; rc=1; }
echo "arm64: stage took $(($(date +%s) - start)) s"
echo "arm64: $p passed, $f failed"
[ "$f" -eq 0 ] || rc=1
exit "$rc"
