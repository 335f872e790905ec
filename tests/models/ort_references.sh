#!/usr/bin/env bash
# ONNX Runtime's outputs for the transformer exports, the second reference beside torch's:
# DIR/NAME/output_ort.pb for each NAME, made by ort_reference.mjs unless newer than the model.
# Exits 77 (ctest: skipped) when onnxruntime-node is not installed in ORT_DIR (tools/test
# installs it with tools/bench/ort-setup.sh); run_model.sh then compares with torch alone.
# usage: ort_references.sh ORT_DIR DIR NAME...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ort=$1 dir=$2
shift 2
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ] || ! command -v node >/dev/null; then
  echo "onnxruntime-node is not installed in $ort (tools/bench/ort-setup.sh): no ONNX Runtime reference"
  exit 77
fi
for name in "$@"; do
  ref="$dir/$name/output_ort.pb"
  if [ -f "$ref" ] && [ "$ref" -nt "$dir/$name.onnx" ]; then continue; fi
  node "$here/ort_reference.mjs" "$ort" "$dir/$name.onnx" "$dir/$name/input_0.pb" "$ref.tmp"
  mv "$ref.tmp" "$ref"
  echo "$name: ONNX Runtime reference written"
done
