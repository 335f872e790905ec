#!/usr/bin/env bash
# Tensor-file cases: `load_check --tensor DIR/tensors/FILE` for each line of tensor_cases.txt must
# exit with the expected code, print one stderr line holding the substring (none on success),
# and leak nothing (valgrind when installed; ROOF_NO_VALGRIND=1 turns it off).
# Ends with "N passed, M failed". usage: run_tensor_cases.sh LOAD_CHECK DIR
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || { echo "usage: run_tensor_cases.sh LOAD_CHECK DIR" >&2; exit 64; }
prog=$1 dir=$2
if [ ! -d "$dir/tensors" ]; then
  /usr/bin/python3 "$here/make_bad_models.py" "$dir" >/dev/null || exit 1
fi
vg=()
if [ "${ROOF_NO_VALGRIND:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then
  vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-fd=9)
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
passed=0 failed=0
while IFS='|' read -r file want substr; do
  case "$file" in ''|'#'*) continue ;; esac
  "${vg[@]}" "$prog" --tensor "$dir/tensors/$file" >/dev/null 2>"$err" 9>&2
  got=$?
  lines=$(wc -l <"$err")
  why=""
  if [ "$got" -ne "$want" ]; then why="exit code $got, expected $want"
  elif [ "$want" -eq 0 ] && [ "$lines" -ne 0 ]; then why="$lines lines on stderr, expected none"
  elif [ "$want" -ne 0 ] && [ "$lines" -ne 1 ]; then why="$lines lines on stderr, expected one"
  elif [ "$want" -ne 0 ] && ! grep -qF -- "$substr" "$err"; then why="stderr lacks '$substr'"
  fi
  if [ -z "$why" ]; then
    passed=$((passed + 1))
    echo "ok $file: $(cat "$err")"
  else
    failed=$((failed + 1))
    echo "FAIL $file: $why"; cat "$err"
  fi
done <"$here/tensor_cases.txt"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
