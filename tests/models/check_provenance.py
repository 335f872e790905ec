#!/usr/bin/python3
"""Provenance check on every raw zoo export, with all fusion passes: each original node name
appears exactly once across the executed layers' fused_from lists and the folded list, and
the compute-node count (layout conversions excluded) is printed next to ONNX Runtime's
'extended' count from the engine issue, for the record.
usage: check_provenance.py ROOFTOP ZOO_DIR WORK_DIR
"""
import collections
import json
import os
import subprocess
import sys

import onnx

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0", "squeezenet1_1",
          "efficientnet_b0"]


def main():
    rooftop, zoo, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    bad = 0
    for name in MODELS:
        model = os.path.join(zoo, name + "_raw.onnx")
        out = os.path.join(work, name + ".json")
        subprocess.run([rooftop, "info", model, "--json", out], check=True, stdout=subprocess.DEVNULL)
        d = json.load(open(out))
        names = collections.Counter()
        for layer in d["layers"]:
            names.update(layer["fused_from"])
        names.update(f["name"] for f in d["folded"])
        original = collections.Counter(n.name for n in onnx.load(model, load_external_data=False).graph.node)
        compute = sum(1 for l in d["layers"] if l["op_type"] != "LayoutConvert")
        if names != original:
            missing = list((original - names).elements())[:3]
            extra = list((names - original).elements())[:3]
            print(f"FAIL {name}: provenance differs; missing {missing}, extra or repeated {extra}")
            bad += 1
        else:
            print(f"ok {name}: {sum(original.values())} original nodes accounted for; {compute} compute nodes executed")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
