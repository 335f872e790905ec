#!/usr/bin/env bash
# Second build configuration for tools/test and tools/fuzz: build-asan/, clang with
# -fsanitize=address,undefined -fno-sanitize-recover=all (LeakSanitizer on, as ASan has it by
# default on Linux) and libFuzzer coverage (-DROOF_FUZZ=ON): the unit, bad-input, conformance
# and zoo tests run from it under the sanitizers, and its fuzz_<target> binaries fuzz.
# Installs rooftop's packages (tools/setup.sh --deps-only), clang and its runtime libraries
# (apt-get, with sudo when not root) when missing, so tools/fuzz works on a bare machine too.
# Safe to rerun: an existing build-asan/ is reconfigured and rebuilt incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --deps-only clang libclang-rt-14-dev

# Configured every time (cheap, and a configure that failed half-way leaves a cache but no
# Makefile). The zoo, the transformer exports and ONNX Runtime are set up once, in the Release
# tree (tools/test), and shared.
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOF_FUZZ=ON -DROOF_ZOO_DIR="$PWD/build/zoo" \
  -DROOF_TRANSFORMER_DIR="$PWD/build/transformers" -DROOF_SEQUENCE_DIR="$PWD/build/sequence" \
  -DROOF_ORT_DIR="$PWD/build/bench/onnxruntime" >/dev/null
cmake --build build-asan -j"${ROOF_JOBS:-2}"
