#!/usr/bin/env bash
# One float16 zoo check (f16_models.sh made the files): run NAME_VARIANT.onnx (VARIANT f16 or
# f16io) at THREADS threads and compare
#  - with ONNX Runtime on the same file at rtol 1e-2 (atol 1e-3 of the output's max magnitude),
#    skipped (77) when f16_models.sh had no ONNX Runtime;
#  - with torch's output of the float32 model at rtol 1e-2, atol 2e-3 of the max magnitude: the
#    weights and the input are rounded to float16 (relative 2^-11 = 4.9e-4 each) and the output
#    of the f16 variant too; the interior runs in float32 (runtime/widen16.h), so the error is
#    that rounding carried through the layers (measured: 3.2e-3 of 6.2 for resnet18, 1.2e-4 of
#    0.21 for mobilenet_v2, i.e. at most 5.6e-4 of the magnitude).
# usage: run_f16.sh ROOFTOP COMPARE ZOO F16_DIR NAME VARIANT THREADS
set -euo pipefail
rooftop=$1 compare=$2 zoo=$3 dir=$4 name=$5 variant=$6 threads=$7
model="$dir/${name}_$variant.onnx"
in="$dir/$name/input_f16.pb"
[ "$variant" = f16io ] && in="$zoo/$name/input_0.pb"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$rooftop" run "$model" --input "input=$in" --threads "$threads" --output-dir "$out" >/dev/null
echo -n "vs float32 model (torch): "
"$compare" "$out/output_0.pb" "$zoo/$name/output_0.pb" 1e-2 2e-3
ref="$dir/$name/output_ort_$variant.pb"
if [ ! -f "$ref" ]; then
  echo "no ONNX Runtime reference $ref (onnxruntime-node not installed)"
  exit 77
fi
echo -n "vs ONNX Runtime: "
"$compare" "$out/output_0.pb" "$ref" 1e-2 1e-3
