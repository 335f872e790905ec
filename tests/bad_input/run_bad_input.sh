#!/usr/bin/env bash
# Runs every case of cases.txt through run_case.sh and ends with "N passed, M failed[, K skipped]".
# usage: run_bad_input.sh [--driver] PROGRAM DIR
#   PROGRAM  the rooftop CLI, or load_check with --driver (cases of scope "cli" are skipped)
#   DIR      where make_bad_models.py wrote the models (it is run here when DIR has none)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
driver=0
if [ "${1:-}" = --driver ]; then driver=1; shift; fi
[ $# -eq 2 ] || { echo "usage: run_bad_input.sh [--driver] PROGRAM DIR" >&2; exit 64; }
prog=$1 dir=$2
if [ ! -e "$dir/empty.onnx" ]; then
  /usr/bin/python3 "$here/make_bad_models.py" "$dir" >/dev/null || exit 1
fi
passed=0 failed=0 skipped=0
while IFS='|' read -r name code substr args scope; do
  case "$name" in ''|'#'*) continue ;; esac
  if [ "$driver" = 1 ] && [ "${scope:-}" = cli ]; then
    skipped=$((skipped + 1))
    continue
  fi
  # shellcheck disable=SC2086  # args are space-separated words by design
  if "$here/run_case.sh" "$prog" "$dir" "$name" "$code" "$substr" $args; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done <"$here/cases.txt"
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
