#!/usr/bin/env bash
# Acceptance of the noise verdict (issue 14): a busy loop pinned to the CPU the profile is
# pinned to must make the verdict "noisy", with the loop named among the reasons. Sharing one
# CPU with a process that never sleeps is certain contention, so that assertion cannot fail by
# chance; without the loop the machine may or may not be quiet (CI machines are shared), so
# only the verdict's form is checked there. Roofs come from a spec file: no probe runs, and
# none is cached, under the load this test makes.
# usage: check_noise.sh ROOFTOP MODEL HW_FILE WORK_DIR        (exit 77: skipped)
set -uo pipefail
rooftop=$1 model=$2 hw=$3 work=$4
mkdir -p "$work"
fail() { echo "FAIL: $*"; exit 1; }
command -v taskset >/dev/null || { echo "SKIP: taskset is not installed"; exit 77; }
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//')
[[ $cpu =~ ^[0-9]+$ ]] || fail "cannot read this shell's CPU list: $(taskset -pc $$)"
profile() { # NAME: a profile pinned to $cpu, JSON in $work/NAME.json, table in $work/NAME.txt
  taskset -c "$cpu" "$rooftop" profile "$model" --threads 1 --runs 40 --warmup 2 --hw "$hw" --quiet \
    --json "$work/$1.json" >"$work/$1.txt" 2>"$work/$1.err" || fail "$1 profile exited $?: $(cat "$work/$1.err")"
}
field() { # FILE EXPR: a Python expression over the JSON document d
  /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

profile quiet
verdict=$(field "$work/quiet.json" 'd["run"]["noise"]["verdict"]')
[[ $verdict == quiet || $verdict == noisy ]] || fail "verdict without a neighbour is '$verdict'"
[[ $(field "$work/quiet.json" 'd["run"]["cpu_affinity"]') == "$cpu" ]] || fail "the profile did not run on CPU $cpu only"
[[ $(field "$work/quiet.json" '(d["run"]["noise"]["verdict"] == "quiet") == (not d["run"]["noise"]["reasons"])') == True ]] \
  || fail "a quiet verdict with reasons, or a noisy one without"
grep -q "^run      $verdict" "$work/quiet.txt" || fail "the table does not say the verdict: $(head -12 "$work/quiet.txt")"
echo "without a neighbour: $(field "$work/quiet.json" '"; ".join([d["run"]["noise"]["verdict"]] + d["run"]["noise"]["reasons"])')"

# The neighbour: a shell loop that never sleeps, named so that the reasons can be matched,
# pinned to the same CPU; it ends by itself after 120 s should the trap not run.
taskset -c "$cpu" bash -c 'printf %s roof_busy_loop >/proc/$$/comm; end=$((SECONDS + 120)); while ((SECONDS < end)); do :; done' &
busy=$!
trap 'kill "$busy" 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do [[ $(cat "/proc/$busy/comm" 2>/dev/null) == roof_busy_loop ]] && break; sleep 0.1; done
[[ $(cat "/proc/$busy/comm" 2>/dev/null) == roof_busy_loop ]] || fail "the busy loop did not start"

profile busy
kill "$busy" 2>/dev/null
summary=$(field "$work/busy.json" '"; ".join([d["run"]["noise"]["verdict"]] + d["run"]["noise"]["reasons"])')
echo "with a busy loop on CPU $cpu (pid $busy): $summary"
if [[ $(field "$work/busy.json" 'd["run"]["noise"]["busy_processes"] is None') == True ]]; then
  echo "SKIP: /proc/[pid]/stat of other processes is unreadable here; the neighbour cannot be seen"
  exit 77
fi
[[ $(field "$work/busy.json" 'd["run"]["noise"]["verdict"]') == noisy ]] || fail "busy neighbour not detected: $summary"
grep -q "roof_busy_loop (pid $busy)" <<<"$summary" || fail "the reasons do not name the busy loop (pid $busy): $summary"
run_lines=$(sed -n '/^run /,/)$/p' "$work/busy.txt") # the verdict, wrapped at its reasons
grep -q "^run      noisy (" <<<"$run_lines" && grep -q "roof_busy_loop (pid $busy)" <<<"$run_lines" \
  || fail "the table does not name the busy loop: $run_lines"
echo "ok: busy neighbour on CPU $cpu detected and named"
