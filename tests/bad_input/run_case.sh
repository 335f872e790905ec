#!/usr/bin/env bash
# One bad-input case: `rooftop run DIR/NAME.onnx ARGS` must exit with the documented code
# (never a signal), print exactly one line on stderr containing SUBSTR, leak nothing (valgrind,
# when installed) and create no file in DIR.
# usage: run_case.sh ROOFTOP DIR NAME EXPECTED_EXIT SUBSTR [ARGS...]
set -uo pipefail
rooftop=$1 dir=$2 name=$3 want=$4 substr=$5
shift 5
model="$dir/$name.onnx"
[ "$name" = missing_file ] && model="$dir/does-not-exist.onnx"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
before=$(ls -A "$dir" | sort)
vg=()
if command -v valgrind >/dev/null 2>&1; then
  vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
      --error-exitcode=99)
fi
"${vg[@]}" "$rooftop" run "$model" "$@" >/dev/null 2>"$err"
got=$?
after=$(ls -A "$dir" | sort)
fail() { echo "FAIL $name: $*"; echo "--- stderr:"; cat "$err"; exit 1; }
[ "$got" -eq 99 ] && fail "valgrind reported errors or leaks"
[ "$got" -ge 128 ] && fail "killed by signal $((got - 128))"
[ "$got" -eq "$want" ] || fail "exit code $got, expected $want"
lines=$(wc -l <"$err")
[ "$lines" -eq 1 ] || fail "$lines lines on stderr, expected exactly one"
grep -qF -- "$(printf '%s' "$substr")" "$err" || fail "stderr lacks '$substr'"
[ "$before" = "$after" ] || fail "files changed in $dir"
echo "ok $name: $(cat "$err")"
