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

# torch, torchvision and onnx are imported only when something must be exported: an up-to-date
# zoo is checked in a fraction of a second.

MODELS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2_x1_0",
          "squeezenet1_1", "efficientnet_b0"]
OPSET = 13
DEMO_LIMIT = 16 << 20  # bytes: the demo model is committed to the repository


def build(name, seed):
    import torch
    import torchvision
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
    import onnx
    import torch
    kwargs = dict(opset_version=OPSET, input_names=["input"], output_names=["output"])
    if raw:
        kwargs.update(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, **kwargs)
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, path)


def save_tensor(array, path, name):
    import numpy as np
    from onnx import numpy_helper
    tensor = numpy_helper.from_array(np.ascontiguousarray(array), name)
    with open(path + ".tmp", "wb") as f:
        f.write(tensor.SerializeToString())
    os.replace(path + ".tmp", path)


def export_model(name, out, script_mtime, seed, only_raw_to=None):
    data_dir = os.path.join(out, name) if out else None
    if only_raw_to:
        targets = [(only_raw_to, True)]
        refs = []
    else:
        targets = [(os.path.join(out, name + ".onnx"), False), (os.path.join(out, name + "_raw.onnx"), True)]
        refs = [os.path.join(data_dir, "input_0.pb"), os.path.join(data_dir, "output_0.pb")]
    if all(fresh(p, script_mtime) for p in [t for t, _ in targets] + refs):
        print(f"{name}: up to date")
        return
    import torch
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = build(name, seed)
    gen = torch.Generator().manual_seed(seed + 2)
    x = torch.randn(1, 3, 224, 224, generator=gen)
    with torch.no_grad():
        y = model(x)  # before exporting, as the reference of the exact weights exported
        for path, raw in targets:
            export(model, x, path, raw)
    if refs:
        os.makedirs(data_dir, exist_ok=True)
        save_tensor(x.numpy(), refs[0], "input")
        save_tensor(y.numpy(), refs[1], "output")
    print(f"{name}: exported")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/zoo")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--demo", help="write only the raw mobilenet_v2 export to this path")
    args = ap.parse_args()
    script_mtime = os.path.getmtime(__file__)
    if args.demo:
        # The demo model is committed: it must stay small. MobileNetV2 raw is about 14 MB; if a
        # newer torchvision made it grow past the limit, SqueezeNet 1.1 (about 5 MB) replaces it.
        os.makedirs(os.path.dirname(os.path.abspath(args.demo)), exist_ok=True)
        export_model("mobilenet_v2", None, script_mtime, seed=1000 + MODELS.index("mobilenet_v2"), only_raw_to=args.demo)
        if os.path.getsize(args.demo) > DEMO_LIMIT:
            print(f"{args.demo}: mobilenet_v2 is over {DEMO_LIMIT >> 20} MB, writing squeezenet1_1 instead", file=sys.stderr)
            os.remove(args.demo)
            export_model("squeezenet1_1", None, script_mtime, seed=1000 + MODELS.index("squeezenet1_1"), only_raw_to=args.demo)
        return 0
    names = args.models.split(",")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model {', '.join(unknown)}; choose from {', '.join(MODELS)}", file=sys.stderr)
        return 64
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        export_model(name, args.out, script_mtime, seed=1000 + MODELS.index(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
