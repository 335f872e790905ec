#!/usr/bin/env bash
# `rooftop info` on a model with an unsupported op reports the layers it can analyse and sets
# aside the rest: exit 69, stderr names the op, the table lists the analysed layers, the JSON
# lists the others as folded under the pass "not_analysed". Also `run` of the same model still
# refuses it before anything runs.
# usage: check_info_partial.sh ROOFTOP MODELS_DIR WORK_DIR
set -uo pipefail
prog=$1 dir=$2 work=$3
mkdir -p "$work"
model=$dir/partial_info.onnx
fail() { echo "FAIL: $*"; exit 1; }
"$prog" info "$model" --json "$work/partial.json" >"$work/partial.txt" 2>"$work/partial.err"
rc=$?
[ "$rc" -eq 69 ] || fail "info exit code $rc, expected 69"
grep -q "FrobA" "$work/partial.err" || fail "stderr does not name FrobA: $(cat "$work/partial.err")"
grep -q "2 nodes not analysed" "$work/partial.err" || fail "stderr does not count 2 nodes: $(cat "$work/partial.err")"
[ "$(wc -l <"$work/partial.err")" -eq 1 ] || fail "stderr is not one line"
grep -q " relu " "$work/partial.txt" || fail "the table lacks the Relu layer"
grep -q " neg " "$work/partial.txt" || fail "the table lacks the Neg layer"
grep -q "not analysed: 2 nodes" "$work/partial.txt" || fail "the table does not say what was left out"
/usr/bin/python3 - "$work/partial.json" <<'PY' || exit 1
import json, sys
p = json.load(open(sys.argv[1]))
names = sorted(l["name"] for l in p["layers"])
assert names == ["neg", "relu"], f"analysed layers {names}"
aside = sorted((f["name"], f["reason"]) for f in p["folded"] if f["pass"] == "not_analysed")
assert aside == [("frob", "unsupported op"), ("sig", "reads a tensor of a node not analysed")], aside
PY
echo "info partial: 2 layers analysed, 2 set aside, exit 69"
