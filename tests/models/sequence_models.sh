#!/usr/bin/env bash
# Fixture of the sequence models: tools/export_sequence.py into DIR (files newer than the script
# are kept), then ONNX Runtime's outputs DIR/NAME/output_<i>_ort.pb for every model (remade only
# when older than the model) when onnxruntime-node is installed in ORT_DIR
# (tools/bench/ort-setup.sh); without it run_sequence.sh compares with torch alone.
# usage: sequence_models.sh EXPORT_SCRIPT ORT_DIR DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
script=$1 ort=$2 dir=$3
/usr/bin/python3 "$script" --out "$dir"
if [ ! -f "$ort/node_modules/onnxruntime-node/package.json" ] || ! command -v node >/dev/null; then
  echo "onnxruntime-node is not installed in $ort (tools/bench/ort-setup.sh): no ONNX Runtime reference"
  exit 0
fi
for model in "$dir"/*.onnx; do
  name=$(basename "$model" .onnx)
  ref="$dir/$name/output_0_ort.pb"
  if [ -f "$ref" ] && [ "$ref" -nt "$model" ]; then continue; fi
  node "$here/ort_reference.mjs" "$ort" "$model" "$dir/$name"
  echo "$name: ONNX Runtime reference written"
done
