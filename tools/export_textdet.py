#!/usr/bin/python3
"""Export a DBNet-style text detector (seeded random weights) with torch's reference output.

  OUT/dbnet_r18.onnx              opset 13, input "input" [1, 3, 640, 640], output "output"
                                  [1, 1, 640, 640] (the probability map)
  OUT/dbnet_r18/input_0.pb, output_0.pb   a seeded input and torch's output

The architecture of the differentiable-binarization detectors that OCR packages ship: a
ResNet-18 backbone (torchvision, its four stages at strides 4, 8, 16 and 32), a feature pyramid
(1x1 lateral convolutions, nearest x2 upsampling added top-down, a 3x3 convolution per level,
each level upsampled by nearest Resize to stride 4 and concatenated), and the probability head
(3x3 conv, BN, ReLU, two stride-2 ConvTranspose 2x2 back to the input size, Sigmoid). Its time
goes to the backbone, the pyramid's nearest Resizes at 160x160 and the head's transposed
convolutions at full resolution: the layers a classification zoo does not have.

Files newer than this script are kept. Run with Debian's interpreter:
  /usr/bin/python3 tools/export_textdet.py --out build/textdet
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_transformers import fresh, save_tensor  # noqa: E402  (the same cache and tensor rules)

SIZE = 640
OPSET = 13


def detector():
    import torch
    import torchvision
    nn = torch.nn
    F = torch.nn.functional

    def conv_bn_relu(cin, cout, k):
        return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

    class DBNet(nn.Module):
        def __init__(self):
            super().__init__()
            r = torchvision.models.resnet18(weights=None)
            self.stem = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool)
            self.stages = nn.ModuleList([r.layer1, r.layer2, r.layer3, r.layer4])
            self.lateral = nn.ModuleList([nn.Conv2d(c, 256, 1, bias=False) for c in (64, 128, 256, 512)])
            self.smooth = nn.ModuleList([nn.Conv2d(256, 64, 3, padding=1, bias=False) for _ in range(4)])
            self.head = nn.Sequential(conv_bn_relu(256, 64, 3), nn.ConvTranspose2d(64, 64, 2, 2), nn.BatchNorm2d(64),
                                      nn.ReLU(), nn.ConvTranspose2d(64, 1, 2, 2), nn.Sigmoid())

        def forward(self, x):
            feats = []
            x = self.stem(x)
            for stage in self.stages:
                x = stage(x)
                feats.append(x)
            lat = [conv(f) for conv, f in zip(self.lateral, feats)]
            for i in (2, 1, 0):  # top-down: stride 16, 8, 4
                lat[i] = lat[i] + F.interpolate(lat[i + 1], scale_factor=2, mode="nearest")
            levels = [F.interpolate(conv(l), scale_factor=2 ** i, mode="nearest") if i else conv(l)
                      for i, (conv, l) in enumerate(zip(self.smooth, lat))]
            return self.head(torch.cat(levels[::-1], dim=1))

    return DBNet()


def export(out, script_mtime):
    name = "dbnet_r18"
    path = os.path.join(out, name + ".onnx")
    data = os.path.join(out, name)
    refs = [os.path.join(data, f) for f in ("input_0.pb", "output_0.pb")]
    if fresh([path] + refs, script_mtime):
        print(f"{name}: up to date")
        return
    import onnx
    import torch
    torch.manual_seed(2026)
    model = detector()
    gen = torch.Generator().manual_seed(2027)
    for m in model.modules():  # non-trivial BatchNorm statistics, so that folding is exercised
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)
    model.eval()
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        y = model(x)
        torch.onnx.export(model, (x,), path + ".tmp", opset_version=OPSET, input_names=["input"],
                          output_names=["output"])
    onnx.checker.check_model(onnx.load(path + ".tmp"))
    os.makedirs(data, exist_ok=True)
    save_tensor(x.numpy(), refs[0], "input")
    save_tensor(y.numpy(), refs[1], "output")
    os.replace(path + ".tmp", path)
    print(f"{name}: exported")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    export(args.out, os.path.getmtime(os.path.abspath(__file__)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
