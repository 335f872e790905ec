#!/usr/bin/env bash
# One model-zoo check: run MODEL on the exported input at THREADS threads and compare with
# torch's output (rtol 1e-3, atol 1e-4 of the output's max magnitude), and with ONNX Runtime's
# when ZOO_DIR/NAME/output_ort.pb exists (ort_references.sh).
# usage: run_model.sh ROOFTOP COMPARE ZOO_DIR NAME VARIANT(plain|raw) THREADS
# ROOF_TEST_EMULATOR (a cross build's, e.g. "qemu-aarch64-static -L SYSROOT") runs both programs.
set -euo pipefail
rooftop=$1 compare=$2 zoo=$3 name=$4 variant=$5 threads=$6
read -r -a emu <<<"${ROOF_TEST_EMULATOR:-}"
model="$zoo/$name.onnx"
[ "$variant" = raw ] && model="$zoo/${name}_raw.onnx"
if [ ! -f "$model" ]; then
  echo "missing $model: export the zoo first (tools/export_zoo.py --out $zoo)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"${emu[@]}" "$rooftop" run "$model" --input "input=$zoo/$name/input_0.pb" --threads "$threads" --output-dir "$out" >/dev/null
"${emu[@]}" "$compare" "$out/output_0.pb" "$zoo/$name/output_0.pb"
if [ -f "$zoo/$name/output_ort.pb" ]; then
  echo -n "vs ONNX Runtime: "
  "${emu[@]}" "$compare" "$out/output_0.pb" "$zoo/$name/output_ort.pb"
fi
