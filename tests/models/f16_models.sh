#!/usr/bin/env bash
# Float16 zoo models, written once into the build tree (a CTest fixture, like the zoo export):
# for NAME in resnet18 mobilenet_v2, OUT/NAME_f16.onnx (float16 everywhere, input converted to
# OUT/NAME/input_f16.pb) and OUT/NAME_f16io.onnx (--keep-io-types: float32 I/O, Cast nodes),
# made by tools/float16_convert.py from ZOO/NAME.onnx; then ONNX Runtime's output on each
# (OUT/NAME/output_ort_f16.pb, output_ort_f16io.pb) when onnxruntime-node is in ORT_DIR. Files
# newer than their sources are kept.
# usage: f16_models.sh CONVERTER ORT_DIR ZOO OUT NAME...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conv=$1 ort=$2 zoo=$3 out=$4
shift 4
have_ort=0
if [ -f "$ort/node_modules/onnxruntime-node/package.json" ] && command -v node >/dev/null; then have_ort=1; fi
for name in "$@"; do
  mkdir -p "$out/$name"
  src="$zoo/$name.onnx"
  if [ ! -f "$src" ]; then
    echo "missing $src: export the zoo first (tools/export_zoo.py --out $zoo)" >&2
    exit 1
  fi
  if [ ! "$out/${name}_f16.onnx" -nt "$src" ] || [ ! "$out/${name}_f16.onnx" -nt "$conv" ]; then
    /usr/bin/python3 "$conv" "$src" "$out/${name}_f16.onnx.tmp" --input "$zoo/$name/input_0.pb" "$out/$name/input_f16.pb"
    mv "$out/${name}_f16.onnx.tmp" "$out/${name}_f16.onnx"
  fi
  if [ ! "$out/${name}_f16io.onnx" -nt "$src" ] || [ ! "$out/${name}_f16io.onnx" -nt "$conv" ]; then
    /usr/bin/python3 "$conv" "$src" "$out/${name}_f16io.onnx.tmp" --keep-io-types
    mv "$out/${name}_f16io.onnx.tmp" "$out/${name}_f16io.onnx"
  fi
  [ "$have_ort" = 1 ] || continue
  for v in f16 f16io; do
    in="$out/$name/input_f16.pb"
    [ "$v" = f16io ] && in="$zoo/$name/input_0.pb"
    ref="$out/$name/output_ort_$v.pb"
    if [ -f "$ref" ] && [ "$ref" -nt "$out/${name}_$v.onnx" ]; then continue; fi
    node "$here/ort_reference.mjs" "$ort" "$out/${name}_$v.onnx" "$in" "$ref.tmp"
    mv "$ref.tmp" "$ref"
    echo "${name}_$v: ONNX Runtime reference written"
  done
done
[ "$have_ort" = 1 ] || echo "onnxruntime-node is not installed in $ort (tools/bench/ort-setup.sh): no ONNX Runtime reference"
