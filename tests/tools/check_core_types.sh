#!/usr/bin/env bash
# big.LITTLE from the command line, on fake sysfs/procfs trees (ROOFTOP_SYS_ROOT, the test hook of
# profiler/core_types.h): the CPUs this test may use become the little type (Cortex-A55,
# capacity 446) and four CPUs past the highest of them the big type (Cortex-A76, 1024), which
# it can never run on. info lists both types and marks the one its CPUs hold; --pin little
# keeps the allowed CPUs; --pin big is refused naming the big CPUs; probe measures the little
# type and reports the big one not measured. A 1+3+4 tree told by frequency alone gives three
# lines. Without the hook this machine prints one "cores" line and --pin big keeps every CPU.
# usage: check_core_types.sh ROOFTOP MODEL WORK_DIR
set -uo pipefail
rooftop=$1 model=$2 work=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
export XDG_CACHE_HOME="$work/cache"
field() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

read -r allowed last < <(/usr/bin/python3 -c 'import os; c=sorted(os.sched_getaffinity(0)); print(",".join(map(str,c)), c[-1])')
big_lo=$((last + 1)) big_hi=$((last + 4))

# ROOT CPU VALUE FILE: one sysfs file of one CPU
put() { mkdir -p "$1/sys/devices/system/cpu/cpu$2/$(dirname "$4")" && echo "$3" >"$1/sys/devices/system/cpu/cpu$2/$4"; }
cpuinfo() { # ROOT PART CPU...: appends arm64 processor blocks
  local root=$1 part=$2
  shift 2
  for c in "$@"; do printf 'processor\t: %s\nCPU implementer\t: 0x41\nCPU part\t: %s\n\n' "$c" "$part"; done >>"$root/proc/cpuinfo"
}

t44=$work/t44
mkdir -p "$t44/proc" "$t44/sys/devices/system/cpu"
echo "$allowed,$big_lo-$big_hi" >"$t44/sys/devices/system/cpu/online"
for c in ${allowed//,/ }; do put "$t44" "$c" 446 cpu_capacity; put "$t44" "$c" 1800000 cpufreq/cpuinfo_max_freq; done
for c in $(seq $big_lo $big_hi); do put "$t44" "$c" 1024 cpu_capacity; put "$t44" "$c" 2400000 cpufreq/cpuinfo_max_freq; done
cpuinfo "$t44" 0xd05 ${allowed//,/ }
cpuinfo "$t44" 0xd0b $(seq $big_lo $big_hi)

# info: both types, the little one marked as this run's; JSON too
ROOFTOP_SYS_ROOT=$t44 "$rooftop" info "$model" --json "$work/info.json" >"$work/info.txt" || fail "info exited $?"
grep -qx "cores    big CPUs $big_lo-$big_hi, Cortex-A76, capacity 1024, 2400 MHz" "$work/info.txt" \
  || fail "info has no big line: $(grep cores "$work/info.txt")"
grep -Eq "^cores    little CPUs [0-9,-]+, Cortex-A55, capacity 446, 1800 MHz \(this run\)$" "$work/info.txt" \
  || fail "info has no little line marked as this run's: $(grep cores "$work/info.txt")"
[ "$(field "$work/info.json" '[t["role"] + ":" + t["core"] + ":" + str(t["this_run"]) for t in d["core_types"]["types"]]')" \
  == "['big:Cortex-A76:False', 'little:Cortex-A55:True']" ] || fail "info JSON core_types: $(field "$work/info.json" 'd["core_types"]')"
[ "$(field "$work/info.json" 'd["run"]["core_type"]')" == little ] || fail "info JSON run.core_type is not little"

# --pin little: the allowed CPUs stay; the profile names the type
ROOFTOP_SYS_ROOT=$t44 "$rooftop" profile "$model" --pin little --runs 2 --warmup 1 --quiet --json "$work/little.json" \
  >"$work/little.txt" || fail "profile --pin little exited $?"
[ "$(field "$work/little.json" 'd["run"]["core_type"]')" == little ] || fail "profile --pin little: run.core_type"
want=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
[ "$(field "$work/little.json" 'd["run"]["allowed_cpus"]')" == "$want" ] || fail "--pin little changed the CPU count"
grep -q "(this run)" "$work/little.txt" || fail "the profile does not mark the type it ran on"

# --pin big: refused, naming the big CPUs
ROOFTOP_SYS_ROOT=$t44 "$rooftop" profile "$model" --pin big --runs 1 2>"$work/big.err" >/dev/null
[ $? -eq 64 ] || fail "--pin big on CPUs this process cannot use must exit 64"
grep -q "pin big: none of the big CPUs ($big_lo-$big_hi) is among the CPUs this process may use" "$work/big.err" \
  || fail "--pin big: $(cat "$work/big.err")"
"$rooftop" profile "$model" --pin middle --runs 1 2>"$work/mid.err" >/dev/null
[ $? -eq 64 ] && grep -q "expects big, little or a CPU list" "$work/mid.err" || fail "--pin middle: $(cat "$work/mid.err")"

# probe: little measured on one of its CPUs, big not measured
ROOFTOP_SYS_ROOT=$t44 "$rooftop" probe --threads 1 --json "$work/probe.json" >"$work/probe.txt" || fail "probe exited $?"
grep -q "^core types (from cpu_capacity), one thread pinned to a CPU of each:" "$work/probe.txt" || fail "probe: $(cat "$work/probe.txt")"
grep -Eq "^big +$big_lo-$big_hi +Cortex-A76 +not measured" "$work/probe.txt" || fail "probe's big line: $(cat "$work/probe.txt")"
verdict=$(field "$work/probe.json" '"ok" if [t["role"] for t in d["core_types"]] == ["big", "little"] and d["core_types"][0]["cpu"] == -1 and d["core_types"][1]["cpu"] >= 0 and d["core_types"][1]["peak_gflops"] > 0 and all(v > 0 for v in d["core_types"][1]["bandwidth_gbs"].values()) else d["core_types"]')
[ "$verdict" == ok ] || fail "probe JSON core_types: $verdict"

# 1+3+4 by frequency alone: three lines, fastest first
t134=$work/t134
mkdir -p "$t134/sys/devices/system/cpu"
echo 0-7 >"$t134/sys/devices/system/cpu/online"
for c in 0 1 2 3; do put "$t134" $c 1800000 cpufreq/cpuinfo_max_freq; done
for c in 4 5 6; do put "$t134" $c 2400000 cpufreq/cpuinfo_max_freq; done
put "$t134" 7 3000000 cpufreq/cpuinfo_max_freq
ROOFTOP_SYS_ROOT=$t134 "$rooftop" info "$model" >"$work/t134.txt" || fail "info (1+3+4) exited $?"
[ "$(grep '^cores ' "$work/t134.txt" | sed 's/ (this run)$//')" == "$(printf 'cores    big CPUs 7, 3000 MHz\ncores    mid CPUs 4-6, 2400 MHz\ncores    little CPUs 0-3, 1800 MHz')" ] \
  || fail "1+3+4: $(grep '^cores ' "$work/t134.txt")"

# this machine, no hook: one line, and --pin big keeps every allowed CPU (one type is big and little)
"$rooftop" info "$model" >"$work/real.txt" || fail "info exited $?"
[ "$(grep -c '^cores ' "$work/real.txt")" -eq 1 ] && grep -q "^cores    one core type, CPUs " "$work/real.txt" \
  || fail "info on this machine: $(grep '^cores ' "$work/real.txt")"
"$rooftop" profile "$model" --pin big --runs 1 --warmup 0 --quiet --json "$work/real.json" >/dev/null || fail "--pin big here exited $?"
[ "$(field "$work/real.json" 'd["run"]["allowed_cpus"]')" == "$want" ] || fail "--pin big on one core type changed the CPUs"
echo "ok: info, profile --pin big|little and probe per core type on a fake 4+4 tree; 1+3+4 by frequency; one type here"
