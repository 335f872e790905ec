#!/usr/bin/python3
"""`rooftop ops --json` against what profiles report: every zoo export (plain and raw, all
passes), and one raw export with --reference, is profiled once; each executed layer's
(op_type, kernel) must be an entry of the op table that takes the layer's input dtype, view
layers must be ops the table calls views, a layer on the reference kernel of an op that has
faster entries must say why (kernel_reason), and each op's entries must end with its reference
kernel. In the plain profiles no layer may run on the reference kernel of an op that has a
faster one (every zoo layer has a fast path: a refusal there is a lost one). Prints what it
checked; exits 1 at the first disagreement, naming the model and layer.
usage: check_ops_table.py ROOFTOP ZOO_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0", "squeezenet1_1",
          "efficientnet_b0"]


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def load_table(rooftop):
    out = subprocess.run([rooftop, "ops", "--json"], check=True, capture_output=True, text=True).stdout
    d = json.loads(out)
    if d.get("schema") != "rooftop.ops/1":
        fail("ops --json: schema is not rooftop.ops/1")
    table = {}
    for op in d["ops"]:
        kernels = op["kernels"]
        if op["load_only"]:  # replaced at load (If by its taken branch): no kernel entry at all
            if kernels:
                fail(f"ops --json: {op['op_type']} is resolved at load but lists kernels")
            table[(op["domain"], op["op_type"])] = op
            continue
        if not kernels or kernels[-1]["backend"] != "ref":
            fail(f"ops --json: {op['op_type']} does not end with a ref kernel")
        if [k["backend"] for k in kernels].count("ref") != 1:
            fail(f"ops --json: {op['op_type']} has more than one ref kernel")
        table[(op["domain"], op["op_type"])] = op
    return table


def profile(rooftop, model, out, extra):
    subprocess.run([rooftop, "profile", model, "--runs", "1", "--warmup", "0", "--threads", "1", "--quiet",
                    "--json", out] + extra, check=True, stdout=subprocess.DEVNULL)
    return json.load(open(out))


def check_layers(label, report, table, fast_expected):
    """fast_expected: a layer whose op has a faster entry than ref must not run on ref (the zoo
    has no case a faster kernel refuses; a refusal there is a lost fast path)."""
    seen = set()
    for l in report["layers"]:
        key = next((k for k in table if k[1] == l["op_type"]), None)
        if key is None:
            fail(f"{label}: layer {l['name']}: op {l['op_type']} is not in rooftop ops")
        op = table[key]
        if l["kernel"] == "view":
            if not op["view"]:
                fail(f"{label}: layer {l['name']}: runs as a view but {l['op_type']} is no view op")
            continue
        dtype = l["inputs"][0]["dtype"] if l["inputs"] else None
        entry = next((k for k in op["kernels"] if k["backend"] == l["kernel"]), None)
        if entry is None:
            fail(f"{label}: layer {l['name']}: kernel {l['kernel']} is not listed for {l['op_type']}")
        if dtype is not None and "any" not in entry["dtypes"] and dtype not in entry["dtypes"]:
            fail(f"{label}: layer {l['name']}: {l['kernel']} kernel of {l['op_type']} ran {dtype}, "
                 f"the table says {entry['dtypes']}")
        faster = [k["backend"] for k in op["kernels"][:op["kernels"].index(entry)]]
        if faster and not l.get("kernel_reason"):
            fail(f"{label}: layer {l['name']}: {l['kernel']} chosen over {faster} with no kernel_reason")
        if fast_expected and l["kernel"] == "ref" and faster:
            fail(f"{label}: layer {l['name']}: {l['op_type']} runs on its reference kernel: {l['kernel_reason']}")
        seen.add((l["op_type"], l["kernel"]))
    return seen


def main():
    rooftop, zoo, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    table = load_table(rooftop)
    pairs = set()
    for name in MODELS:
        for variant in ("", "_raw"):
            model = os.path.join(zoo, name + variant + ".onnx")
            pairs |= check_layers(name + variant, profile(rooftop, model, os.path.join(work, name + variant + ".json"), []),
                                  table, True)
    model = os.path.join(zoo, "shufflenet_v2_x1_0_raw.onnx")
    ref = profile(rooftop, model, os.path.join(work, "reference.json"), ["--reference"])
    if any(l["kernel"] not in ("ref", "view") for l in ref["layers"]):
        fail("shufflenet_v2_x1_0_raw --reference: a layer ran on a kernel other than ref")
    pairs |= check_layers("shufflenet_v2_x1_0_raw --reference", ref, table, False)
    print(f"{len(table)} ops in the table; {len(pairs)} (op, kernel) pairs seen in 15 profiles agree with it:")
    print("  " + ", ".join(f"{o}/{k}" for o, k in sorted(pairs)))


if __name__ == "__main__":
    main()
