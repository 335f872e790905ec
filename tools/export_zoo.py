#!/usr/bin/python3
"""Export the model zoo used by rooftop's tests and demo.

Each torchvision architecture gets seeded random weights and non-trivial BatchNorm statistics
(so BN folding is exercised), then two ONNX exports at opset 13:
  OUT/<model>.onnx      plain export (PyTorch's constant folding on)
  OUT/<model>_raw.onnx  raw export: no constant folding, training=PRESERVE on an eval model,
                        so BatchNormalization, Identity and Shape/Gather/Unsqueeze chains stay
and OUT/<model>/input_0.pb, output_0.pb: a seeded 1x3x224x224 input and torch's output.

Files newer than this script are kept, so a rerun only exports what is missing.
Run with Debian's interpreter: /usr/bin/python3 tools/export_zoo.py --out build/zoo
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0",
          "squeezenet1_1", "efficientnet_b0"]
OPSET = 13


def build(name, seed):
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None)
    gen = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)
    return model.eval()


def fresh(path, script_mtime):
    return os.path.exists(path) and os.path.getmtime(path) >= script_mtime


def export(model, x, path, raw):
    kwargs = dict(opset_version=OPSET, input_names=["input"], output_names=["output"])
    if raw:
        kwargs.update(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, **kwargs)
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


def save_tensor(array, path, name):
    tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path + ".tmp", "wb") as f:
        f.write(tensor.SerializeToString())
    os.replace(path + ".tmp", path)


def export_model(name, out, script_mtime, seed, only_raw_to=None):
    model = build(name, seed)
    gen = torch.Generator().manual_seed(seed + 2)
    x = torch.randn(1, 3, 224, 224, generator=gen)
    if only_raw_to:
        if not fresh(only_raw_to, script_mtime):
            with torch.no_grad():
                export(model, x, only_raw_to, raw=True)
        return
    data_dir = os.path.join(out, name)
    os.makedirs(data_dir, exist_ok=True)
    targets = [(os.path.join(out, name + ".onnx"), False), (os.path.join(out, name + "_raw.onnx"), True)]
    ref_in, ref_out = os.path.join(data_dir, "input_0.pb"), os.path.join(data_dir, "output_0.pb")
    if all(fresh(p, script_mtime) for p, _ in targets) and fresh(ref_out, script_mtime):
        print(f"{name}: up to date")
        return
    with torch.no_grad():
        y = model(x)
        for path, raw in targets:
            export(model, x, path, raw)
    save_tensor(x.numpy(), ref_in, "input")
    save_tensor(y.numpy(), ref_out, "output")
    print(f"{name}: exported")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/zoo")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--demo", help="write only the raw mobilenet_v2 export to this path")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    script_mtime = os.path.getmtime(__file__)
    if args.demo:
        export_model("mobilenet_v2", None, script_mtime, seed=1000 + MODELS.index("mobilenet_v2"), only_raw_to=args.demo)
        return 0
    os.makedirs(args.out, exist_ok=True)
    for name in args.models.split(","):
        if name not in MODELS:
            print(f"unknown model {name}; choose from {', '.join(MODELS)}", file=sys.stderr)
            return 64
        export_model(name, args.out, script_mtime, seed=1000 + MODELS.index(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
