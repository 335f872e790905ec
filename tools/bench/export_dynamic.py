#!/usr/bin/python3
"""Exports resnet18 and mobilenet_v2 with dynamic batch, height and width (plain export, the zoo's
seeded weights) for the scaling part of tools/bench/vs-onnxruntime:
  /usr/bin/python3 tools/bench/export_dynamic.py --out build/bench/dynamic
Files newer than this script and tools/export_zoo.py are kept."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import export_zoo  # noqa: E402  (the zoo's model builder and seeds)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="build/bench/dynamic")
    args = ap.parse_args()
    stamp = max(os.path.getmtime(__file__), os.path.getmtime(export_zoo.__file__))
    os.makedirs(args.out, exist_ok=True)
    for name in ["resnet18", "mobilenet_v2"]:
        path = os.path.join(args.out, f"{name}_dynamic.onnx")
        if export_zoo.fresh(path, stamp):
            print(f"{name}: up to date")
            continue
        import torch
        model = export_zoo.build(name, 1000 + export_zoo.MODELS.index(name))
        x = torch.zeros(1, 3, 224, 224)
        axes = {"input": {0: "N", 2: "H", 3: "W"}, "output": {0: "N"}}
        torch.onnx.export(model, x, path + ".tmp", opset_version=export_zoo.OPSET, input_names=["input"],
                          output_names=["output"], dynamic_axes=axes)
        os.replace(path + ".tmp", path)
        print(f"{name}: exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
