#!/usr/bin/env bash
# CLI polish checks on the bundled demo model: per-command --help with examples, --html refused
# where there are no timings, a progress line only on a terminal (and not with --quiet), every
# terminal-table line within 100 columns (the model path aside), the HTML file written.
# usage: check_cli.sh ROOFTOP MODEL WORK_DIR
set -uo pipefail
rooftop=$1 model=$2 work=$3
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }

for cmd in run profile info compare probe; do
  out=$("$rooftop" "$cmd" --help) || fail "$cmd --help exited $?"
  grep -q "^usage: rooftop $cmd" <<<"$out" || fail "$cmd --help does not start with its usage"
done
for cmd in profile info compare probe; do
  "$rooftop" "$cmd" --help | grep -q "^examples:" || fail "$cmd --help has no examples"
done
"$rooftop" profile --help | grep -q -- "--html FILE" || fail "profile --help does not list --html"

"$rooftop" info "$model" --html "$work/info.html" 2>"$work/info.err"
[ $? -eq 64 ] || fail "info --html must be a usage error (64)"
grep -q "rooftop profile or rooftop compare" "$work/info.err" || fail "info --html: $(cat "$work/info.err")"
[ ! -e "$work/info.html" ] || fail "info --html wrote a file"

rm -f "$work/p.html"
"$rooftop" profile "$model" --runs 2 --warmup 1 --threads 1 --html "$work/p.html" >"$work/p.txt" 2>"$work/p.err" \
  || fail "profile exited $?: $(cat "$work/p.err")"
[ ! -s "$work/p.err" ] || fail "stderr is not a terminal, yet profile wrote to it: $(od -c "$work/p.err" | head -3)"
grep -q 'id="roof-data"' "$work/p.html" || fail "no HTML report written"
widest=$(grep -v '^model ' "$work/p.txt" | LC_ALL=C.UTF-8 wc -L)
[ "$widest" -le 100 ] || fail "the terminal table is $widest columns wide"
"$rooftop" profile "$model" --runs 1 --warmup 0 --threads 1 --quiet | grep -q "^note:" && fail "--quiet still prints notes"
if command -v script >/dev/null; then # a pseudo-terminal: the progress line must show, and not with --quiet
  tty_run() { script -qec "$1 2>&1 >/dev/null" /dev/null; }
  cmdline="'$rooftop' profile '$model' --runs 3 --warmup 1 --threads 1"
  tty_run "$cmdline" | grep -q "timed runs" || fail "no progress line on a terminal"
  tty_run "$cmdline --quiet" | grep -q "runs" && fail "--quiet still draws progress"
fi
echo "ok: per-command help, --html refusal, quiet stderr, 100-column table, HTML written"
