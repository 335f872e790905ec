#!/usr/bin/python3
"""Export the transformer test models (seeded random weights) with torch's reference outputs.

  OUT/encoder_small_op17.onnx  nn.TransformerEncoder: 2 layers, width 64, 4 heads, GELU, batch
                               first, at opset 17 (LayerNormalization as one op)
  OUT/encoder_small_op13.onnx  the same at opset 13 (LayerNorm decomposed: ReduceMean, Sub, Pow,
                               Sqrt, Div, ...)
  OUT/encoder_small_opN/input_0.pb, output_0.pb   a seeded [1, 16, 64] input and torch's output
                               (the same for both; one folder per model, as the zoo has)

The acceptance models of the transformer work, seeded random weights, each with a seeded input
and torch's output in OUT/NAME/ (input named "input"):
  vit_b_16, swin_t, convnext_tiny   torchvision, [1, 3, 224, 224], opset 17
  bert_base      768 wide, 12 layers, 12 heads, token + position embeddings, LayerNorm, on int64
                 ids [1, 128], opset 13 (LayerNorm decomposed)
  gpt_decoder    pre-norm decoder, 256 wide, 4 layers, 4 heads, 1000-token vocabulary, causal
                 mask built in forward (triu), int64 ids [1, 64], opset 14

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


def reinit(layers):
    """nn.TransformerEncoder deep-copies its layer: the copies would share every weight (and the
    exporter would store them once). Fresh weights for each."""
    for layer in layers:
        for m in layer.modules():
            reset = getattr(m, "reset_parameters", None) or getattr(m, "_reset_parameters", None)
            if reset and m is not layer:
                reset()


def bert_base():
    import torch

    class Bert(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = torch.nn.Embedding(30522, 768)
            self.pos = torch.nn.Embedding(512, 768)
            self.norm = torch.nn.LayerNorm(768)
            layer = torch.nn.TransformerEncoderLayer(768, 12, 3072, dropout=0.0, activation="gelu", batch_first=True)
            self.encoder = torch.nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)
            reinit(self.encoder.layers)

        def forward(self, ids):
            positions = torch.arange(ids.shape[1]).unsqueeze(0)
            return self.encoder(self.norm(self.tok(ids) + self.pos(positions)))

    return Bert()


def gpt_decoder():
    import torch

    class Gpt(torch.nn.Module):
        def __init__(self, width=256, heads=4, layers=4, vocab=1000):
            super().__init__()
            self.tok = torch.nn.Embedding(vocab, width)
            self.pos = torch.nn.Embedding(256, width)
            self.blocks = torch.nn.ModuleList([
                torch.nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, activation="gelu",
                                                 batch_first=True, norm_first=True) for _ in range(layers)])
            self.norm = torch.nn.LayerNorm(width)
            self.head = torch.nn.Linear(width, vocab, bias=False)

        def forward(self, ids):
            t = ids.shape[1]
            mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)  # causal, built here
            x = self.tok(ids) + self.pos(torch.arange(t))
            for block in self.blocks:
                x = block(x, src_mask=mask)
            return self.head(self.norm(x))

    return Gpt()


def vision(name):
    import torch
    import torchvision
    model = getattr(torchvision.models, name)()
    # torchvision zero-initialises some classifier heads (ViT's): random ones, or every output
    # would be 0 and a comparison could not fail
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() > 1 and float(p.abs().max()) == 0.0:
                p.normal_(0.0, 0.02)
    return model


def export_acceptance(out, script_mtime, name, make, make_input, opset):
    path = os.path.join(out, f"{name}.onnx")
    data = os.path.join(out, name)
    files = [path, os.path.join(data, "input_0.pb"), os.path.join(data, "output_0.pb")]
    if fresh(files, script_mtime):
        print(f"{name}: up to date")
        return
    import onnx
    import torch
    torch.manual_seed(2026)
    model = make().eval()
    x = make_input(torch.Generator().manual_seed(7))
    with torch.no_grad():
        y = model(x)
    if float(y.std()) == 0.0:
        raise SystemExit(f"{name}: constant output, the comparison would prove nothing")
    torch.onnx.export(model, (x,), path + ".tmp", opset_version=opset, input_names=["input"], output_names=["output"])
    onnx.checker.check_model(path + ".tmp")
    os.replace(path + ".tmp", path)
    os.makedirs(data, exist_ok=True)
    save_tensor(x.numpy(), os.path.join(data, "input_0.pb"), "input")
    save_tensor(y.numpy(), os.path.join(data, "output_0.pb"), "output")
    print(f"{name}: exported")


def image(gen):
    import torch
    return torch.randn(1, 3, 224, 224, generator=gen)


def ids(vocab, length):
    import torch
    return lambda gen: torch.randint(0, vocab, (1, length), generator=gen)


ACCEPTANCE = {
    "vit_b_16": (lambda: vision("vit_b_16"), image, 17),
    "swin_t": (lambda: vision("swin_t"), image, 17),
    "convnext_tiny": (lambda: vision("convnext_tiny"), image, 17),
    "bert_base": (bert_base, ids(30522, 128), 13),
    "gpt_decoder": (gpt_decoder, ids(1000, 64), 14),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/transformers")
    ap.add_argument("models", nargs="*", choices=[[]] + list(ACCEPTANCE), help="acceptance models (default: all)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    mtime = os.path.getmtime(__file__)
    export_encoder(args.out, mtime)
    for name in args.models or ACCEPTANCE:
        export_acceptance(args.out, mtime, name, *ACCEPTANCE[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
