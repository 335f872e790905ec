#!/usr/bin/env bash
# QDQ int8 zoo models, written once into the build tree (a CTest fixture, like f16_models.sh):
# for each NAME, OUT/NAME_qdq.onnx made by tools/quantize_qdq.py from ZOO/NAME.onnx (calibrated
# by ROOFTOP on seeded random inputs), then ONNX Runtime's output on the zoo input
# (OUT/NAME/output_ort.pb) when onnxruntime-node is in ORT_DIR. A file newer than its sources
# (the float model and the quantizer) is kept, so an up-to-date set costs nothing.
# usage: qdq_models.sh QUANTIZER ROOFTOP ORT_DIR ZOO OUT NAME...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
quant=$1 rooftop=$2 ort=$3 zoo=$4 out=$5
shift 5
have_ort=0
if [ -f "$ort/node_modules/onnxruntime-node/package.json" ] && command -v node >/dev/null; then have_ort=1; fi
for name in "$@"; do
  mkdir -p "$out/$name"
  src="$zoo/$name.onnx" model="$out/${name}_qdq.onnx"
  if [ ! -f "$src" ]; then
    echo "missing $src: export the zoo first (tools/export_zoo.py --out $zoo)" >&2
    exit 1
  fi
  if [ ! "$model" -nt "$src" ] || [ ! "$model" -nt "$quant" ]; then
    /usr/bin/python3 "$quant" "$src" "$model.tmp" --rooftop "$rooftop"
    mv "$model.tmp" "$model"
  fi
  [ "$have_ort" = 1 ] || continue
  ref="$out/$name/output_ort.pb"
  if [ -f "$ref" ] && [ "$ref" -nt "$model" ]; then continue; fi
  node "$here/ort_reference.mjs" "$ort" "$model" "$zoo/$name/input_0.pb" "$ref.tmp"
  mv "$ref.tmp" "$ref"
  echo "${name}_qdq: ONNX Runtime reference written"
done
[ "$have_ort" = 1 ] || echo "onnxruntime-node is not installed in $ort (tools/bench/ort-setup.sh): no ONNX Runtime reference"
