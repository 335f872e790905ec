#!/usr/bin/python3
"""Cost-model and report checks on the raw resnet18 export.

* Conv + Gemm layers of the unfused graph sum to 3,628,146,688 flops (2 x multiply-accumulates
  of resnet18 at 1x3x224x224, an architecture constant).
* model params equal every initializer element of the file counted once (computed here from
  the file with the onnx package, independently of rooftop).
* profile --json / --csv / --trace outputs parse back: JSON with the documented keys and no
  NaN, CSV by the csv module with one row per layer, every trace event with name/ph/ts/dur.
usage: check_reports.py ROOFTOP ZOO_DIR WORK_DIR
"""
import csv
import json
import math
import os
import subprocess
import sys

import numpy as np
import onnx


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    rooftop, zoo, work = sys.argv[1:4]
    model = os.path.join(zoo, "resnet18_raw.onnx")
    if not os.path.exists(model):
        fail(f"missing {model}: export the zoo first")
    os.makedirs(work, exist_ok=True)
    info = os.path.join(work, "info.json")
    subprocess.run([rooftop, "info", model, "--fusion", "none", "--json", info], check=True, stdout=subprocess.DEVNULL)
    d = json.load(open(info))
    flops = sum(l["flops"] for l in d["layers"] if l["op_type"] in ("Conv", "Gemm"))
    if flops != 3628146688:
        fail(f"Conv+Gemm flops {flops}, expected 3628146688")
    m = onnx.load(model, load_external_data=False)
    want = sum(int(np.prod(t.dims)) if len(t.dims) else 1 for t in m.graph.initializer)
    if d["model"]["params"] != want:
        fail(f"params {d['model']['params']}, the file's initializers hold {want} elements")
    print(f"ok: conv+gemm flops {flops}, params {want}")

    j, c, t = (os.path.join(work, f) for f in ("p.json", "p.csv", "p.trace.json"))
    subprocess.run([rooftop, "profile", model, "--runs", "3", "--warmup", "1", "--threads", "1", "--json", j, "--csv", c,
                    "--trace", t], check=True, stdout=subprocess.DEVNULL)
    text = open(j, encoding="utf-8").read()
    p = json.loads(text, parse_constant=lambda x: fail(f"non-finite number {x} in JSON"))
    if p["schema"] != "rooftop.profile/1":
        fail("schema")
    for key in ("tool", "model", "hardware", "run", "layers"):
        if key not in p:
            fail(f"JSON lacks '{key}'")
    for key in ("latency_ms", "layer_sum_ms", "overhead_pct", "peak_rss_bytes"):
        if key not in p["run"]:
            fail(f"run lacks '{key}'")
    layer_keys = ("index", "name", "op_type", "kernel", "fused_from", "inputs", "outputs", "params", "macs", "flops",
                  "bytes_read", "bytes_written", "arithmetic_intensity", "time_ms", "share", "roofline_ms",
                  "roofline_dram_ms", "roofline_level", "bound", "efficiency", "headroom_ms", "achieved_gflops",
                  "achieved_gbs")
    for layer in p["layers"]:
        for key in layer_keys:
            if key not in layer:
                fail(f"layer {layer.get('name')} lacks '{key}'")
    rows = list(csv.DictReader(open(c, newline="", encoding="utf-8")))
    if len(rows) != len(p["layers"]):
        fail(f"CSV has {len(rows)} rows for {len(p['layers'])} layers")
    if any(r["name"] != l["name"] for r, l in zip(rows, p["layers"])):
        fail("CSV and JSON layer names differ")
    events = json.load(open(t))["traceEvents"]
    if len(events) != 3 * len(p["layers"]):
        fail(f"{len(events)} trace events for 3 runs of {len(p['layers'])} layers")
    for e in events:
        if not all(k in e for k in ("name", "ph", "ts", "dur")) or e["ph"] != "X" or e["dur"] < 0:
            fail(f"bad trace event {e}")
    share = sum(l["share"] for l in p["layers"])
    if not math.isclose(share, 1.0, rel_tol=1e-6):
        fail(f"layer shares sum to {share}")
    print(f"ok: JSON {len(p['layers'])} layers, CSV {len(rows)} rows, {len(events)} trace events")

    # Roofs measured now, then used for a profile in the same test: a compute roof under a real
    # kernel would be wrong (5% slack for timer noise), and bandwidth must fall from L1 to DRAM.
    # A busy neighbour can slow either measurement; a wrong roof fails every attempt, noise does
    # not, so the check passes when one of three attempts is consistent.
    problems = []
    for attempt in range(3):
        problem, summary = probe_check(rooftop, model, work)
        if problem is None:
            print(f"ok: {summary}")
            return
        problems.append(problem)
    fail("; ".join(problems))


def probe_check(rooftop, model, work):
    hw = os.path.join(work, "hw.json")
    subprocess.run([rooftop, "probe", "--threads", "1", "--json", hw], check=True, stdout=subprocess.DEVNULL)
    roofs = json.load(open(hw))
    bw = roofs["bandwidth_gbs"]
    if not (bw["l1"] >= 0.75 * bw["l2"] and bw["l2"] >= 0.75 * bw["l3"] and bw["l3"] >= 0.75 * bw["dram"] and bw["l1"] > bw["dram"]):
        return f"bandwidths do not fall from L1 to DRAM: {bw}", None
    hp = os.path.join(work, "hw_profile.json")
    subprocess.run([rooftop, "profile", model, "--runs", "5", "--threads", "1", "--hw", hw, "--json", hp], check=True,
                   stdout=subprocess.DEVNULL)
    # the rate of the FLOPs a layer executed: a Winograd layer executes fewer than its direct count
    best = max(l["achieved_gflops"] * l["executed_flops"] / l["flops"] for l in json.load(open(hp))["layers"]
               if l["op_type"] == "Conv" and l["flops"] > 0)
    if best > roofs["peak_gflops"] * 1.05:
        return f"a convolution reached {best:.1f} GFLOP/s above the probed peak {roofs['peak_gflops']:.1f}", None
    return None, (f"probe peak {roofs['peak_gflops']:.1f} GFLOP/s >= best convolution {best:.1f} GFLOP/s; "
                  f"read GB/s L1 {bw['l1']:.0f} L2 {bw['l2']:.0f} L3 {bw['l3']:.0f} DRAM {bw['dram']:.1f}")


if __name__ == "__main__":
    main()
