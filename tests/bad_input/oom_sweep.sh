#!/usr/bin/env bash
# Allocation-failure sweep of the loader: for N = 1, 2, ... make the N-th allocation fail
# (load_check_oom, ROOF_FAIL_ALLOC_AT=N) until loading succeeds. Every failing run must exit 71
# with one stderr line, never crash; every STRIDE-th run also goes through valgrind and must
# leak nothing. Ends with "N passed, M failed".
# usage: oom_sweep.sh LOAD_CHECK_OOM STRIDE MODEL...
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: oom_sweep.sh LOAD_CHECK_OOM STRIDE MODEL..." >&2; exit 64; }
prog=$1 stride=$2
shift 2
use_vg=0
if [ "${ROOF_NO_VALGRIND:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then use_vg=1; fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
passed=0 failed=0
for model in "$@"; do
  n=1
  while :; do
    vg=()
    if [ "$use_vg" = 1 ] && [ $((n % stride)) -eq 0 ]; then
      vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-fd=9)
    fi
    ROOF_FAIL_ALLOC_AT=$n "${vg[@]}" "$prog" load "$model" >/dev/null 2>"$err" 9>&2
    rc=$?
    [ "$rc" -eq 0 ] && break
    lines=$(wc -l <"$err")
    if [ "$rc" -ne 71 ] || [ "$lines" -ne 1 ]; then
      failed=$((failed + 1))
      echo "FAIL $model: allocation $n failing gave exit $rc, $lines stderr lines:"; head -n 20 "$err"
    else
      passed=$((passed + 1))
    fi
    n=$((n + 1))
    if [ "$n" -gt 100000 ]; then echo "FAIL $model: never succeeded"; failed=$((failed + 1)); break; fi
  done
  echo "$model: $((n - 1)) allocation points swept"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
