#!/usr/bin/python3
"""Export the sequence test models of issue 16 (seeded random weights, small sizes) with torch's
reference outputs.

  OUT/lstm_tagger.onnx  Embedding(100, 32) + 2-layer bidirectional nn.LSTM(32, 24) + Linear(48, 10)
                        on int64 token ids [1, 20] (opset 14); input "ids", output "tags"
  OUT/gru_state.onnx    nn.GRU(16, 32), batch first, on x [1, 8, 16] and h0 [1, 1, 32] in, y and
                        hn out (opset 14): one frame of a stream (feed hn back as h0)
  OUT/vad_small.onnx    a voice-activity-style frame model (opset 16): audio [1, 1, 512] -> an
                        STFT as a Conv1d with fixed cos/sin kernels (n_fft 64, stride = hop 32) ->
                        magnitude sqrt(re^2 + im^2) (Pow, Add, Sqrt) -> 2-layer nn.LSTM(33, 32)
                        with h0, c0 [2, 1, 32] in and hn, cn out -> Linear(32, 1) -> Sigmoid:
                        outputs prob [1, 15, 1], hn, cn
  OUT/script_if.onnx    a torch.jit.script module branching on a scalar input (opset 16):
                        x [1, 8], mode [] (float); mode > 0 takes relu(Linear a), else
                        tanh(Linear b). The export has an If whose condition is computed from the
                        graph input "mode": not decidable at load.
  OUT/script_if_else.onnx  the same module and weights with mode -1 (the else branch's data set)
  OUT/NAME/input_<i>.pb, output_<i>.pb   the seeded inputs (named as the graph inputs, in graph
                        order) and torch's outputs (in graph order); OUT/NAME/inputs.txt lists the
                        input names in that order, one a line (for shell scripts)

Files newer than this script are kept. Run with Debian's interpreter:
  /usr/bin/python3 tools/export_sequence.py --out build/sequence
"""
import argparse
import math
import os
import sys


def fresh(paths, script_mtime):
    return all(os.path.exists(p) and os.path.getmtime(p) >= script_mtime for p in paths)


def save_tensor(array, path, name):
    import numpy as np
    from onnx import numpy_helper
    with open(path + ".tmp", "wb") as f:
        # reshaped: ascontiguousarray turns a 0-d array (a scalar input) into shape [1]
        f.write(numpy_helper.from_array(np.ascontiguousarray(array).reshape(array.shape), name).SerializeToString())
    os.replace(path + ".tmp", path)


def lstm_tagger(gen):
    import torch

    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Embedding(100, 32)
            self.lstm = torch.nn.LSTM(32, 24, num_layers=2, bidirectional=True, batch_first=True)
            self.head = torch.nn.Linear(48, 10)

        def forward(self, ids):
            y, _ = self.lstm(self.embed(ids))
            return self.head(y)

    ids = torch.randint(0, 100, (1, 20), generator=gen)
    return Tagger(), (ids,), ["ids"], ["tags"], 14


def gru_state(gen):
    import torch

    class Gru(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(16, 32, batch_first=True)

        def forward(self, x, h0):
            return self.gru(x, h0)

    x = torch.randn(1, 8, 16, generator=gen)
    h0 = torch.randn(1, 1, 32, generator=gen) * 0.5
    return Gru(), (x, h0), ["x", "h0"], ["y", "hn"], 14


def vad_small(gen):
    import torch
    n_fft, hop, bins = 64, 32, 33

    class Vad(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # rows 0..32: cos, rows 33..65: -sin of a Hann-windowed DFT (a fixed STFT)
            n = torch.arange(n_fft, dtype=torch.float64)
            k = torch.arange(bins, dtype=torch.float64).unsqueeze(1)
            window = 0.5 - 0.5 * torch.cos(2 * math.pi * n / n_fft)
            angle = 2 * math.pi * k * n / n_fft
            basis = torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window]).float()
            self.stft = torch.nn.Conv1d(1, 2 * bins, n_fft, stride=hop, bias=False)
            self.stft.weight.data.copy_(basis.unsqueeze(1))
            self.stft.weight.requires_grad_(False)
            self.lstm = torch.nn.LSTM(bins, 32, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(32, 1)

        def forward(self, audio, h0, c0):
            spec = self.stft(audio)  # [1, 66, 15]
            re, im = spec[:, :bins], spec[:, bins:]
            mag = torch.sqrt(re.pow(2) + im.pow(2))  # [1, 33, 15]
            y, (hn, cn) = self.lstm(mag.transpose(1, 2), (h0, c0))
            return torch.sigmoid(self.head(y)), hn, cn

    audio = torch.randn(1, 1, 512, generator=gen) * 0.1
    h0 = torch.randn(2, 1, 32, generator=gen) * 0.3
    c0 = torch.randn(2, 1, 32, generator=gen) * 0.3
    return Vad(), (audio, h0, c0), ["audio", "h0", "c0"], ["prob", "hn", "cn"], 16


def script_if(gen, mode_value=1.0):
    import torch

    class Branchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(8, 8)
            self.b = torch.nn.Linear(8, 8)

        def forward(self, x, mode):
            if bool(mode > 0):
                y = torch.relu(self.a(x))
            else:
                y = torch.tanh(self.b(x))
            return y

    x = torch.randn(1, 8, generator=gen)
    mode = torch.tensor(mode_value)
    return torch.jit.script(Branchy()), (x, mode), ["x", "mode"], ["y"], 16


def script_if_else(gen):
    """script_if's model with mode -1: the data set of the else branch."""
    return script_if(gen, -1.0)


MODELS = {
    "lstm_tagger": lstm_tagger,
    "gru_state": gru_state,
    "vad_small": vad_small,
    "script_if": script_if,
    "script_if_else": script_if_else,
}


def export(out, script_mtime, name, make):
    path = os.path.join(out, f"{name}.onnx")
    data = os.path.join(out, name)
    import torch
    torch.manual_seed(2026)
    model, inputs, in_names, out_names, opset = make(torch.Generator().manual_seed(7))
    files = [path] + [os.path.join(data, f"input_{i}.pb") for i in range(len(in_names))] \
        + [os.path.join(data, f"output_{i}.pb") for i in range(len(out_names))] + [os.path.join(data, "inputs.txt")]
    if fresh(files, script_mtime):
        print(f"{name}: up to date")
        return
    import onnx
    model.eval()
    with torch.no_grad():
        outputs = model(*inputs)
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    if float(outputs[0].std()) == 0.0:
        raise SystemExit(f"{name}: constant output, the comparison would prove nothing")
    torch.onnx.export(model, inputs, path + ".tmp", opset_version=opset, input_names=in_names,
                      output_names=out_names)
    onnx.checker.check_model(path + ".tmp")
    os.replace(path + ".tmp", path)
    os.makedirs(data, exist_ok=True)
    for i, (t, n) in enumerate(zip(inputs, in_names)):
        save_tensor(t.numpy(), os.path.join(data, f"input_{i}.pb"), n)
    for i, (t, n) in enumerate(zip(outputs, out_names)):
        save_tensor(t.numpy(), os.path.join(data, f"output_{i}.pb"), n)
    with open(os.path.join(data, "inputs.txt.tmp"), "w") as f:
        f.write("".join(n + "\n" for n in in_names))
    os.replace(os.path.join(data, "inputs.txt.tmp"), os.path.join(data, "inputs.txt"))
    print(f"{name}: exported")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="build/sequence")
    ap.add_argument("models", nargs="*", choices=[[]] + list(MODELS), help="models (default: all)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    mtime = os.path.getmtime(__file__)
    for name in args.models or MODELS:
        export(args.out, mtime, name, MODELS[name])
    return 0


if __name__ == "__main__":
    sys.exit(main())
