#!/usr/bin/python3
"""Export the transformer test models (seeded random weights) with torch's reference outputs.

  OUT/encoder_small_op17.onnx  nn.TransformerEncoder: 2 layers, width 64, 4 heads, GELU, batch
                               first, at opset 17 (LayerNormalization as one op)
  OUT/encoder_small_op13.onnx  the same at opset 13 (LayerNorm decomposed: ReduceMean, Sub, Pow,
                               Sqrt, Div, ...)
  OUT/encoder_small_opN/input_0.pb, output_0.pb   a seeded [1, 16, 64] input and torch's output
                               (the same for both; one folder per model, as the zoo has)

Files newer than this script are kept. Run with Debian's interpreter:
  /usr/bin/python3 tools/export_transformers.py --out build/transformers
"""
import argparse
import os
import sys


def fresh(paths, script_mtime):
    return all(os.path.exists(p) and os.path.getmtime(p) >= script_mtime for p in paths)


def save_tensor(array, path, name):
    import numpy as np
    from onnx import numpy_helper
    with open(path + ".tmp", "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array), name).SerializeToString())
    os.replace(path + ".tmp", path)


def export_encoder(out, script_mtime):
    name = "encoder_small"
    models = {op: os.path.join(out, f"{name}_op{op}.onnx") for op in (17, 13)}
    datas = [os.path.join(out, f"{name}_op{op}") for op in models]
    refs = [os.path.join(d, f) for d in datas for f in ("input_0.pb", "output_0.pb")]
    if fresh(list(models.values()) + refs, script_mtime):
        print(f"{name}: up to date")
        return
    import onnx
    import torch
    torch.manual_seed(2026)
    layer = torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128, batch_first=True,
                                             activation="gelu", dropout=0.0)
    model = torch.nn.TransformerEncoder(layer, num_layers=2).eval()
    x = torch.randn(1, 16, 64, generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        y = model(x)
    # exported with gradients enabled: under no_grad torch takes its fused fast path, which has
    # no ONNX export
    for op, path in models.items():
        torch.onnx.export(model, (x,), path + ".tmp", opset_version=op, input_names=["input"], output_names=["output"])
        onnx.checker.check_model(onnx.load(path + ".tmp"))
        os.replace(path + ".tmp", path)
    for d in datas:
        os.makedirs(d, exist_ok=True)
        save_tensor(x.numpy(), os.path.join(d, "input_0.pb"), "input")
        save_tensor(y.numpy(), os.path.join(d, "output_0.pb"), "output")
    print(f"{name}: exported")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/transformers")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    export_encoder(args.out, os.path.getmtime(__file__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
