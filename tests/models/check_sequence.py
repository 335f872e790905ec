#!/usr/bin/python3
"""Sequence figures of `rooftop info --json` on the transformer exports (export_transformers.py).

encoder_small (2 layers, 16 tokens of width 64, at opsets 13 and 17): 2 attention blocks of 16
keys, 16 tokens, FLOPs per token = model FLOPs / 16, the rule = 2 x dense params, 3 layers per
unfused block (scores MatMul, Softmax, values MatMul; the scale is folded into a weight) or 1 if
fused; swin_t's figures from a timed profile (weights released to the session): 49 keys (7x7
windows), 3136 tokens (56x56 patches); ConvNeXt has no attention: sequence is null.
usage: check_sequence.py ROOFTOP TRANSFORMER_DIR OUT_DIR
"""
import json
import os
import subprocess
import sys


def info(rooftop, model, tmp, command="info"):
    extra = ["--runs", "2", "--warmup", "1"] if command == "profile" else []
    subprocess.run([rooftop, command, model, "--json", tmp] + extra, check=True, stdout=subprocess.DEVNULL)
    with open(tmp) as f:
        return json.load(f)


def main():
    rooftop, root, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, "info.json")
    failures = []
    for name in ("encoder_small_op13", "encoder_small_op17"):
        d = info(rooftop, f"{root}/{name}.onnx", tmp)
        s, m = d["model"]["sequence"], d["model"]
        marked = [layer for layer in d["layers"] if layer["attention"]]
        checks = [
            (s is not None, "sequence figures present"),
            (s and s["attention_blocks"] == 2, f"2 attention blocks, got {s and s['attention_blocks']}"),
            (s and s["keys"] == 16 and s["queries"] == 16 and s["tokens"] == 16, f"16 keys/queries/tokens: {s}"),
            (s and s["flops_per_token"] == m["flops"] // 16, f"flops per token = {m['flops']} // 16: {s}"),
            (s and s["rule_flops_per_token"] == 2 * s["dense_params"], "rule = 2 x dense params"),
            (len(marked) in (2, 6), f"attention layers marked: {[x['name'] for x in marked]}"),
        ]
        failures += [f"{name}: {why}" for ok, why in checks if not ok]
    # a timed profile: the session releases the weights its kernels packed; the figures stay
    # swin_t: 7x7 windows (49 keys), 56x56 patches of the 224 image at stage 1 (3136 tokens)
    d = info(rooftop, f"{root}/swin_t.onnx", tmp, "profile")
    s = d["model"]["sequence"]
    if not (s and s["tokens"] == 3136 and s["keys"] == 49 and 0.0 < s["attention_share"] < 1.0):
        failures.append(f"swin_t profile: 3136 tokens, 49 keys, an attention share in (0, 1): {s}")
    d = info(rooftop, f"{root}/convnext_tiny.onnx", tmp)
    if d["model"]["sequence"] is not None or any(layer["attention"] for layer in d["layers"]):
        failures.append("convnext_tiny: no attention expected")
    for f in failures:
        print("FAIL", f)
    print(f"check_sequence: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
