#!/usr/bin/env bash
# One bad-input case: `PROGRAM run DIR/NAME.onnx ARGS` must exit with the documented code (never
# a signal), print exactly one line on stderr containing SUBSTR (nothing on stderr for a
# positive control, EXPECTED_EXIT 0), leak nothing (valgrind, when installed; ROOF_NO_VALGRIND=1
# turns it off) and create no file in DIR. PROGRAM is the rooftop CLI or tests' load_check.
# usage: run_case.sh PROGRAM DIR NAME EXPECTED_EXIT SUBSTR [ARGS...]  (@DIR@ in ARGS becomes DIR)
set -uo pipefail
prog=$1 dir=$2 name=$3 want=$4 substr=$5
shift 5
args=()
for a in "$@"; do args+=("${a//@DIR@/$dir}"); done
set -- "${args[@]}"
model="$dir/$name.onnx"
[ "$name" = missing_file ] && model="$dir/does-not-exist.onnx"
err=$(mktemp)
vglog=$(mktemp)
trap 'rm -f "$err" "$vglog"' EXIT
before=$(ls -A "$dir" | sort)
vg=()
if [ "${ROOF_NO_VALGRIND:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then
  vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
      --error-exitcode=99 --log-file="$vglog")
fi
"${vg[@]}" "$prog" run "$model" "$@" >/dev/null 2>"$err"
got=$?
after=$(ls -A "$dir" | sort)
fail() {
  echo "FAIL $name: $*"
  echo "--- stderr:"; cat "$err"
  [ -s "$vglog" ] && { echo "--- valgrind:"; head -n 40 "$vglog"; }
  exit 1
}
[ "$got" -eq 99 ] && fail "valgrind reported errors or leaks"
[ "$got" -ge 128 ] && fail "killed by signal $((got - 128))"
[ "$got" -eq "$want" ] || fail "exit code $got, expected $want"
lines=$(wc -l <"$err")
if [ "$want" -eq 0 ]; then
  [ "$lines" -eq 0 ] || fail "$lines lines on stderr, expected none"
else
  [ "$lines" -eq 1 ] || fail "$lines lines on stderr, expected exactly one"
  grep -qF -- "$substr" "$err" || fail "stderr lacks '$substr'"
fi
[ "$before" = "$after" ] || fail "files changed in $dir"
echo "ok $name: $(cat "$err")"
