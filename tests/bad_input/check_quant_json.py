#!/usr/bin/python3
"""A model's GraphProto.quantization_annotation reaches the reports: `rooftop info --json` on
control_quant_annotation.onnx (Relu output y annotated with scale 0.05, zero point 128) must show
{"axis": null, "scale": [0.05], "zero_point": [128]} on y and nothing on x.
usage: check_quant_json.py ROOFTOP MODELS_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys


def main():
    rooftop, models, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    out = os.path.join(work, "quant.json")
    subprocess.run([rooftop, "info", os.path.join(models, "control_quant_annotation.onnx"), "--json", out], check=True,
                   stdout=subprocess.DEVNULL)
    layer = json.load(open(out))["layers"][0]
    x, y = layer["inputs"][0], layer["outputs"][0]
    want = {"axis": None, "scale": [0.05], "zero_point": [128]}
    got = y.get("quant")
    if got is None or got["axis"] is not None or got["zero_point"] != [128] or len(got["scale"]) != 1 \
            or abs(got["scale"][0] - 0.05) > 1e-9:
        print(f"FAIL: quant of y is {got}, want {want}")
        sys.exit(1)
    if "quant" in x:
        print(f"FAIL: x carries no annotation but reports {x['quant']}")
        sys.exit(1)
    print("ok: the annotation's scale and zero point are in the report")


if __name__ == "__main__":
    main()
