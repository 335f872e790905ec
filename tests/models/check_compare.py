#!/usr/bin/python3
"""`rooftop compare` on every raw zoo export (fusion none vs all, same inputs): the outputs must
agree within compare's tolerance, and the report must account for every original node exactly
once: fused groups' fused_from, the fused graph's single-node layers, and the folded list
together are the model file's node names. Latencies and speedup are printed, not asserted
(timings on a shared machine are noisy).
usage: check_compare.py ROOFTOP ZOO_DIR WORK_DIR
"""
import collections
import json
import os
import subprocess
import sys

import onnx

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0", "squeezenet1_1",
          "efficientnet_b0"]


def check(rooftop, model, out):
    subprocess.run([rooftop, "compare", model, "--threads", "1", "--runs", "5", "--json", out], check=True,
                   stdout=subprocess.DEVNULL)
    d = json.load(open(out))
    problems = []
    if not d["outputs"]["agree"]:
        problems.append(f"outputs differ: max abs {d['outputs']['max_abs_error']}, rel {d['outputs']['max_rel_error']}")
    seen = collections.Counter()
    for g in d["groups"]:
        seen.update(g["fused_from"])
    for layer in d["fused"]["layers"]:
        if len(layer["fused_from"]) == 1:
            seen.update(layer["fused_from"])
    seen.update(f["name"] for f in d["folded"])
    original = collections.Counter(n.name for n in onnx.load(model, load_external_data=False).graph.node)
    if seen != original:
        problems.append(f"accounting: missing {list((original - seen).elements())[:3]}, "
                        f"extra or repeated {list((seen - original).elements())[:3]}")
    acc = d["accounting"]
    if acc["original_nodes"] != sum(original.values()):
        problems.append(f"accounting says {acc['original_nodes']} original nodes, the file has {sum(original.values())}")
    t = d["totals"]
    print(f"{os.path.basename(model)}: {acc['original_nodes']} original nodes ({acc['in_groups']} grouped, "
          f"{acc['unchanged']} unchanged, {acc['removed']} removed, {acc['constant']} constant); compute nodes "
          f"{t['compute_nodes_before']} -> {t['compute_nodes_after']}; latency {t['latency_before_ms']:.3f} -> "
          f"{t['latency_after_ms']:.3f} ms (speedup {t['speedup']:.2f}x, not asserted); max rel error "
          f"{d['outputs']['max_rel_error']:.2g}")
    return problems


def main():
    rooftop, zoo, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    bad = 0
    for name in MODELS:
        for p in check(rooftop, os.path.join(zoo, name + "_raw.onnx"), os.path.join(work, name + ".json")):
            print(f"FAIL {name}: {p}")
            bad += 1
    print(f"compare: {len(MODELS)} models, {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
