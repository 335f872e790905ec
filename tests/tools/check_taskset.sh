#!/usr/bin/env bash
# A profile pinned to one CPU (taskset) must default to 1 thread, probe sane roofs for that CPU
# set, and run as fast as an unpinned 1-thread profile: the default once came from the online
# CPUs, and 2 threads taking turns on one CPU ran 250x slower and cached broken roofs.
# Latencies are compared by their minimum over 30 runs, within 2x, and the timed part is tried
# up to 3 times: a busy neighbour can slow one attempt, a wrong thread count slows all of them.
# Skipped (77) without taskset or with a single CPU. Roofs are cached under WORK_DIR only.
# usage: check_taskset.sh ROOFTOP MODEL WORK_DIR
set -uo pipefail
rooftop=$1 model=$2 work=$3
fail() { echo "FAIL: $*"; exit 1; }
command -v taskset >/dev/null || { echo "skip: taskset is not installed"; exit 77; }
cpus=$(getconf _NPROCESSORS_ONLN)
[ "$cpus" -ge 2 ] || { echo "skip: $cpus CPU online, pinning changes nothing"; exit 77; }
mkdir -p "$work/cache"
export XDG_CACHE_HOME="$work/cache"
first=$(taskset -cp $$ | sed 's/.*: *//; s/[-,].*//') # the first CPU this test may use
taskset -c "$first" true || fail "taskset -c $first refused"

problems=()
for attempt in 1 2 3; do
  taskset -c "$first" "$rooftop" profile "$model" --runs 30 --warmup 3 --quiet --json "$work/pinned.json" \
    >"$work/pinned.txt" || fail "pinned profile exited $?"
  "$rooftop" profile "$model" --runs 30 --warmup 3 --threads 1 --quiet --json "$work/free.json" \
    >"$work/free.txt" || fail "unpinned profile exited $?"
  verdict=$(/usr/bin/python3 - "$work/pinned.json" "$work/free.json" "$first" <<'EOF'
import json, math, sys
pinned, free = (json.load(open(f)) for f in sys.argv[1:3])
cpu = sys.argv[3]
run, hw = pinned["run"], pinned["hardware"]
# Deterministic properties: a wrong one fails at once ("fatal").
if run["threads"] != 1:
    print(f"fatal: pinned to CPU {cpu}, the default thread count is {run['threads']}, not 1"); sys.exit()
if run["cpu_affinity"] != cpu or run["allowed_cpus"] != 1 or run["oversubscribed"]:
    print(f"fatal: run says CPUs {run['cpu_affinity']!r}, {run['allowed_cpus']} allowed, "
          f"oversubscribed {run['oversubscribed']}"); sys.exit()
if hw["threads"] != 1 or hw["cpu_set"] != cpu or hw["source"] != "probe":
    print(f"fatal: roofs of {hw['threads']} threads on CPUs {hw['cpu_set']!r} ({hw['source']})"); sys.exit()
# Measured properties: noise may break one attempt.
bw = [hw["bandwidth_gbs"][k] for k in ("l1", "l2", "l3", "dram")]
if not (hw["peak_gflops"] > 0 and all(b > 0 and math.isfinite(b) for b in bw)):
    print(f"retry: probe figures not positive: peak {hw['peak_gflops']}, read GB/s {bw}"); sys.exit()
if any(bw[a] * 1.10 < bw[b] for a in range(4) for b in range(a + 1, 4)) or hw["problem"]:
    print(f"retry: probe contradicts itself: read GB/s {bw} {hw['problem']}"); sys.exit()
a, b = pinned["run"]["latency_ms"]["min"], free["run"]["latency_ms"]["min"]
if not (a > 0 and b > 0 and max(a, b) / min(a, b) <= 2.0):
    print(f"retry: pinned min latency {a:.3f} ms vs unpinned 1-thread {b:.3f} ms"); sys.exit()
print(f"ok: pinned to CPU {cpu}: 1 thread, probe peak {hw['peak_gflops']:.1f} GFLOP/s, read GB/s "
      + ", ".join(f"{x:.1f}" for x in bw) + f"; min latency {a:.3f} ms vs unpinned 1-thread {b:.3f} ms "
      f"(ratio {a / b:.2f})")
EOF
)
  case "$verdict" in
    ok:*) echo "$verdict (attempt $attempt)"; exit 0 ;;
    fatal:*) fail "${verdict#fatal: }" ;;
    *) problems+=("attempt $attempt: ${verdict#retry: }") ;;
  esac
done
fail "$(printf '%s; ' "${problems[@]}")"
