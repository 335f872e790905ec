#!/usr/bin/env bash
# One QDQ int8 zoo check (qdq_models.sh made the files): run NAME_qdq.onnx at THREADS threads with
# FUSION (a --fusion spec) on the zoo input and compare with ONNX Runtime on the same file:
# cosine similarity >= 0.995 and max abs error <= 5% of the output's range (issue 17's
# acceptance). Two runtimes on one quantized model may round a requantization step differently
# (one int8 step of an activation is ~0.4% of its range), so element-wise tolerances do not fit.
# Skipped (77) when qdq_models.sh had no ONNX Runtime.
# usage: run_qdq.sh ROOFTOP COMPARE QDQ_DIR ZOO NAME THREADS [FUSION]
set -euo pipefail
rooftop=$1 compare=$2 dir=$3 zoo=$4 name=$5 threads=$6 fusion=${7:-all}
ref="$dir/$name/output_ort.pb"
if [ ! -f "$ref" ]; then
  echo "no ONNX Runtime reference $ref (onnxruntime-node not installed)"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$rooftop" run "$dir/${name}_qdq.onnx" --input "input=$zoo/$name/input_0.pb" --threads "$threads" \
  --fusion "$fusion" --output-dir "$out" >/dev/null
echo -n "vs ONNX Runtime: "
"$compare" "$out/output_0.pb" "$ref" --agree 0.995 0.05
