#!/usr/bin/env bash
# One sequence-model check (tools/export_sequence.py): run NAME on its exported inputs
# (DIR/NAME/input_<i>.pb, names in DIR/NAME/inputs.txt) at THREADS threads and compare every
# output with torch's (DIR/NAME/output_<i>.pb, the zoo's tolerance: rtol 1e-3, atol 1e-4 of the
# output's max magnitude) and with ONNX Runtime's when DIR/NAME/output_<i>_ort.pb exists.
# usage: run_sequence.sh ROOFTOP COMPARE DIR NAME THREADS
set -euo pipefail
rooftop=$1 compare=$2 dir=$3 name=$4 threads=$5
model="$dir/$name.onnx"
if [ ! -f "$model" ] || [ ! -f "$dir/$name/inputs.txt" ]; then
  echo "missing $model: export first (tools/export_sequence.py --out $dir)" >&2
  exit 1
fi
args=()
i=0
while read -r input; do
  args+=(--input "$input=$dir/$name/input_$i.pb")
  i=$((i + 1))
done <"$dir/$name/inputs.txt"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$rooftop" run "$model" "${args[@]}" --threads "$threads" --output-dir "$out" >/dev/null
for want in "$dir/$name"/output_?.pb; do
  got="$out/$(basename "$want")"
  echo -n "$(basename "$want" .pb) vs torch: "
  "$compare" "$got" "$want"
  if [ -f "${want%.pb}_ort.pb" ]; then
    echo -n "$(basename "$want" .pb) vs ONNX Runtime: "
    "$compare" "$got" "${want%.pb}_ort.pb"
  fi
done
