#!/usr/bin/python3
"""Static QDQ quantization of a float32 CNN, in the layout of ONNX Runtime's quantize_static.

  tools/quantize_qdq.py IN.onnx OUT.onnx --rooftop PATH [--samples N] [--seed S]
                        [--shape NAME=DIMS] [--keep-calibration DIR]

What it writes (QDQ format, opset 13 or the model's own if newer):
  - weights: per-channel symmetric int8 (zero point 0, range -127..127, scale max|w| / 127 per
    output channel) stored as int8 initializers, each read through DequantizeLinear with `axis`
    (Conv axis 0; Gemm axis 0 with transB=1, else 1; MatMul axis 1);
  - biases of Conv and Gemm: int32, scale = input scale x weight scale per channel, zero point 0,
    DequantizeLinear with axis 0, so a runtime can run the layer in integers only;
  - activations: one QuantizeLinear -> DequantizeLinear pair per tensor that a quantized op reads
    or writes (every consumer reads the same DequantizeLinear output), per-tensor scale and zero
    point from the min/max seen over --samples seeded random inputs (range widened to hold 0).
Quantized ops: Conv, Gemm, MatMul, Add, Mul, MaxPool, AveragePool, GlobalAveragePool, and
Concat/Flatten/Reshape/MaxPool passing the scale through (their inputs and output share one
scale and zero point: the union of their ranges), so they move int8 unchanged. Relu and Clip are
fused into their producer's range: a quantized op's output read only by a Relu/Clip gets no pair
of its own; the pair sits on the activation's output, whose calibrated range starts at 0
(DQ -> Conv -> Relu -> Q, which a runtime runs as one int8 layer with the clamp in its output
range). Other float ops (Sigmoid, Softmax, ...) stay float between a DequantizeLinear and a
QuantizeLinear when a quantized op reads their output. Graph inputs and outputs stay float.

Activations are int8 (asymmetric, zero point in -128..127), not uint8: per-channel weights run
on XNNPACK's qc8 convolution and ONNX Runtime's S8S8 kernels, both of which take int8
activations; uint8 would need a flip (xor 0x80) before and after every layer on XNNPACK.

Calibration runs the float model, and python here has no ONNX runtime (onnx + numpy only). It
uses rooftop itself (--rooftop PATH, `rooftop run COPY --input ... --output-dir D
--output-format npy --fusion none`) on a copy of the model that lists every float intermediate
tensor as a graph output: rooftop is what the tool ships with and is always built next to it,
while onnxruntime-node would add Node.js and an npm install to making a test model. rooftop's
float outputs match torch's (the zoo tests), and the acceptance tests compare rooftop with ONNX
Runtime on the file this tool writes, so calibration does not have to be exact, only the same
file for both. Inputs are standard normal (the zoo's own input is), seeded (--seed, default 0).

onnx and numpy only (Debian's interpreter: /usr/bin/python3). Refuses models it cannot quantize
faithfully (dynamic input dims without --shape, If/Loop/Scan, DequantizeLinear already present).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from float16_convert import unique  # noqa: E402 (a name not yet taken, as both tools need)

F32 = TensorProto.FLOAT
COMPUTE_OPS = {"Conv", "Gemm", "MatMul", "Add", "Mul", "AveragePool", "GlobalAveragePool"}
SHARED_SCALE_OPS = {"Concat", "Flatten", "Reshape", "MaxPool"}
FUSED_ACTIVATIONS = {"Relu", "Clip"}
SUBGRAPH_OPS = {"If", "Loop", "Scan"}
# Ops whose meaning did not change from opset 11 to 13 (DequantizeLinear's axis needs 13).
SAFE_TO_13 = COMPUTE_OPS | SHARED_SCALE_OPS | FUSED_ACTIVATIONS | {
    "Constant", "Identity", "Sigmoid", "Tanh", "Softmax", "BatchNormalization", "HardSigmoid",
    "HardSwish", "Transpose", "Shape", "Gather", "Sub", "Div", "Pow", "Sqrt", "Erf", "ReduceMean"}
# Clip and Reshape read bounds and shapes from their other inputs: those stay as they are.
DATA_INPUTS = {"Clip": 1, "Reshape": 1}


def fail(msg):
    raise SystemExit(f"quantize_qdq: {msg}")


# ---- model preparation ---------------------------------------------------------------------

def fold_constants(graph):
    """Constant nodes and Identity of an initializer become initializers, so weights reached
    through them (torch exports share biases this way) are quantized like any other."""
    inits = {t.name: t for t in graph.initializer}
    keep = []
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            attr = {a.name: a for a in node.attribute}
            if "value" not in attr:
                fail(f"Constant node '{node.name}': only `value` tensors are folded")
            t = onnx.TensorProto()
            t.CopyFrom(attr["value"].t)
            t.name = node.output[0]
            graph.initializer.append(t)
            inits[t.name] = t
        elif node.op_type == "Identity" and node.input[0] in inits:
            t = onnx.TensorProto()
            t.CopyFrom(inits[node.input[0]])
            t.name = node.output[0]
            graph.initializer.append(t)
            inits[t.name] = t
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)


def prepare(model, shapes):
    graph = model.graph
    for node in graph.node:
        if node.op_type in SUBGRAPH_OPS:
            fail(f"node '{node.name}' ({node.op_type}): models with subgraphs are not handled")
        if node.op_type in ("QuantizeLinear", "DequantizeLinear"):
            fail(f"node '{node.name}': the model is already quantized")
    opset = next((o for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset is None:
        fail("the model imports no ai.onnx opset")
    if opset.version < 13:
        for node in graph.node:
            if node.op_type not in SAFE_TO_13:
                fail(f"opset {opset.version} must become 13 for DequantizeLinear's axis, and "
                     f"node '{node.name}' ({node.op_type}) may change meaning on the way")
        opset.version = 13
    fold_constants(graph)
    inits = {t.name for t in graph.initializer}
    for inp in graph.input:
        if inp.name in inits:
            continue
        dims = inp.type.tensor_type.shape.dim
        if inp.name in shapes:
            want = shapes[inp.name]
            if len(want) != len(dims):
                fail(f"--shape {inp.name}: rank {len(want)}, the input has rank {len(dims)}")
            for d, v in zip(dims, want):
                d.Clear()
                d.dim_value = v
        elif any(not d.HasField("dim_value") for d in dims):
            fail(f"input '{inp.name}' has dynamic dims: give them with --shape {inp.name}=DIMS")
    del graph.value_info[:]
    return shape_inference.infer_shapes(model)


def float_tensors(model):
    """Names of the float32 values computed by nodes (not initializers)."""
    types = {}
    for vi in list(model.graph.value_info) + list(model.graph.output) + list(model.graph.input):
        types[vi.name] = vi.type.tensor_type.elem_type
    out = []
    for node in model.graph.node:
        for name in node.output:
            if name and types.get(name) == F32:
                out.append(name)
    return out


# ---- calibration -------------------------------------------------------------------------------

def calibrate(model, rooftop, samples, seed, keep_dir):
    """min/max of every float intermediate over `samples` random inputs, run by rooftop."""
    names = float_tensors(model)
    outputs = {o.name for o in model.graph.output}
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    vis = {vi.name: vi for vi in copy.graph.value_info}
    for name in names:
        if name not in outputs:
            copy.graph.output.append(vis[name])
    order = [o.name for o in copy.graph.output]
    inits = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    work = keep_dir or tempfile.mkdtemp(prefix="quantize_qdq.")
    os.makedirs(work, exist_ok=True)
    ranges = {}
    try:
        path = os.path.join(work, "calibration.onnx")
        onnx.save(copy, path)
        rng = np.random.default_rng(seed)
        for s in range(samples):
            args = [rooftop, "run", path, "--quiet", "--fusion", "none", "--threads", "1",
                    "--output-format", "npy", "--output-dir", os.path.join(work, f"out{s}")]
            for inp in inputs:
                dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
                if inp.type.tensor_type.elem_type != F32:
                    fail(f"input '{inp.name}' is not float32")
                f = os.path.join(work, f"input{s}_{len(args)}.npy")
                a = rng.standard_normal(dims).astype(np.float32)
                np.save(f, a)
                lo, hi = ranges.get(inp.name, (0.0, 0.0))
                ranges[inp.name] = (min(lo, float(a.min())), max(hi, float(a.max())))
                args += ["--input", f"{inp.name}={f}"]
            os.makedirs(os.path.join(work, f"out{s}"), exist_ok=True)
            r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if r.returncode != 0:
                fail(f"calibration run failed ({' '.join(args)}): exit {r.returncode}\n{r.stderr}")
            for i, name in enumerate(order):
                a = np.load(os.path.join(work, f"out{s}", f"output_{i}.npy"))
                lo, hi = float(a.min()), float(a.max())
                if not (np.isfinite(lo) and np.isfinite(hi)):
                    fail(f"calibration: tensor '{name}' holds inf or NaN")
                if name in ranges:
                    lo, hi = min(lo, ranges[name][0]), max(hi, ranges[name][1])
                ranges[name] = (lo, hi)
            if not keep_dir:
                shutil.rmtree(os.path.join(work, f"out{s}"))
    finally:
        if not keep_dir:
            shutil.rmtree(work, ignore_errors=True)
    return ranges


# ---- quantization parameters -------------------------------------------------------------------

def activation_params(lo, hi):
    """int8 asymmetric: the range widened to hold 0 (zero must be exact: padding, ReLU)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0
    if scale == 0.0:
        scale = 1.0
    zp = int(np.clip(np.round(-128.0 - lo / scale), -128, 127))
    return np.float32(scale), np.int8(zp)


def weight_per_channel(w, axis):
    """Symmetric int8 per channel along `axis`: q = round(w / s), s = max|w| / 127."""
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    amax = np.abs(moved).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


class Union:
    """Tensors that must share one scale and zero point (pass-through ops)."""

    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a, b):
        self.parent[self.find(a)] = self.find(b)


# ---- the rewrite -------------------------------------------------------------------------------

def weight_axis(node):
    """(input index of the weight, channel axis) for the ops with per-channel weights."""
    if node.op_type == "Conv":
        return 1, 0
    if node.op_type == "Gemm":
        attr = {a.name: a for a in node.attribute}
        trans_b = attr["transB"].i if "transB" in attr else 0
        return 1, 0 if trans_b else 1
    if node.op_type == "MatMul":
        return 1, 1
    return None, None


def gemm_plain(node):
    attr = {a.name: a for a in node.attribute}
    alpha = attr["alpha"].f if "alpha" in attr else 1.0
    beta = attr["beta"].f if "beta" in attr else 1.0
    trans_a = attr["transA"].i if "transA" in attr else 0
    return alpha == 1.0 and beta == 1.0 and trans_a == 0


def quantize(model, ranges):
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in graph.output}
    producer = {o: n for n in graph.node for o in n.output}

    def is_activation(name):
        return name in ranges and name not in inits

    # Which tensors get a Q -> DQ pair.
    pairs = set()
    union = Union()
    for node in graph.node:
        op = node.op_type
        if op not in COMPUTE_OPS and op not in SHARED_SCALE_OPS and op not in FUSED_ACTIVATIONS:
            continue
        if op == "Gemm" and not gemm_plain(node):
            continue
        n_data = DATA_INPUTS.get(op, len(node.input))
        w_index, _ = weight_axis(node)
        for i, name in enumerate(node.input[:n_data]):
            if i == w_index or (op in ("Conv", "Gemm") and i == 2):
                continue
            if name and is_activation(name):
                pairs.add(name)
        if node.output[0] in ranges:
            pairs.add(node.output[0])
        if op in SHARED_SCALE_OPS:
            for name in node.input[:n_data]:
                if name in ranges or is_activation(name):
                    union.join(name, node.output[0])
    # Relu/Clip fused into the producer's range: the producer's output, read by the
    # activation only, loses its pair.
    for node in graph.node:
        if node.op_type not in FUSED_ACTIVATIONS:
            continue
        src = node.input[0]
        p = producer.get(src)
        if (p is not None and p.op_type in COMPUTE_OPS and src not in graph_outputs
                and len(consumers.get(src, [])) == 1 and src in pairs):
            pairs.discard(src)
    # Group ranges for the shared-scale ops, then one (scale, zero point) per tensor.
    group_range = {}
    for name in pairs:
        lo, hi = ranges.get(name, (None, None))
        if lo is None:
            fail(f"tensor '{name}' has no calibrated range")
        g = union.find(name)
        if g in group_range:
            lo, hi = min(lo, group_range[g][0]), max(hi, group_range[g][1])
        group_range[g] = (lo, hi)
    params = {name: activation_params(*group_range[union.find(name)]) for name in pairs}

    new_inits = []
    new_nodes = []
    taken = {t.name for t in graph.initializer} | {n for node in graph.node for n in
                                                   list(node.input) + list(node.output)}

    def fresh(name):
        return unique(name, taken)

    def add_init(name, array):
        name = fresh(name)
        new_inits.append(numpy_helper.from_array(array, name))
        return name

    def dq_node(q_name, scale_name, zp_name, out_hint, axis=None):
        out = fresh(out_hint)
        kw = {} if axis is None else {"axis": axis}
        new_nodes.append(helper.make_node("DequantizeLinear", [q_name, scale_name, zp_name], [out],
                                          name=fresh(out_hint + "_node"), **kw))
        return out

    # Activation pairs: the consumers read the DequantizeLinear output; a graph output keeps its
    # name on the DequantizeLinear output and the producer writes a renamed float tensor.
    renamed = {}   # consumer-side name of each paired tensor
    produced = {}  # producer-side name (differs for graph outputs)
    for name in pairs:
        if name in graph_outputs:
            produced[name] = fresh(name + "_float")
            renamed[name] = name
        else:
            produced[name] = name
            renamed[name] = fresh(name + "_DequantizeLinear_Output")

    def emit_pair(name):
        scale, zp = params[name]
        s = add_init(name + "_scale", np.array(scale, dtype=np.float32))
        z = add_init(name + "_zero_point", np.array(zp, dtype=np.int8))
        q = fresh(name + "_QuantizeLinear_Output")
        new_nodes.append(helper.make_node("QuantizeLinear", [produced[name], s, z], [q],
                                          name=fresh(name + "_QuantizeLinear")))
        new_nodes.append(helper.make_node("DequantizeLinear", [q, s, z], [renamed[name]],
                                          name=fresh(name + "_DequantizeLinear")))

    weight_cache = {}

    def quantized_weight(name, axis):
        key = (name, axis)
        if key not in weight_cache:
            w = numpy_helper.to_array(inits[name]).astype(np.float32)
            q, scale = weight_per_channel(w, axis)
            qn = add_init(name + "_quantized", q)
            sn = add_init(name + "_scale", scale)
            zn = add_init(name + "_zero_point", np.zeros(scale.shape, dtype=np.int8))
            out = dq_node(qn, sn, zn, name + "_DequantizeLinear_Output", axis)
            weight_cache[key] = (out, scale)
        return weight_cache[key]

    def quantized_bias(name, x_scale, w_scale):
        b = numpy_helper.to_array(inits[name]).astype(np.float64)
        scale = (np.float64(x_scale) * w_scale.astype(np.float64)).astype(np.float32)
        if b.shape != scale.shape:
            return None
        q = np.clip(np.round(b / scale), -2**31, 2**31 - 1).astype(np.int32)
        qn = add_init(name + "_quantized", q)
        sn = add_init(name + "_scale", scale)
        zn = add_init(name + "_zero_point", np.zeros(scale.shape, dtype=np.int32))
        return dq_node(qn, sn, zn, name + "_DequantizeLinear_Output", 0)

    for inp in graph.input:
        if inp.name in pairs:
            emit_pair(inp.name)
    for node in graph.node:
        inputs = list(node.input)
        for i, name in enumerate(inputs):
            if name in renamed:
                inputs[i] = renamed[name]
        op = node.op_type
        w_index, axis = weight_axis(node)
        quantizable = op in COMPUTE_OPS and not (op == "Gemm" and not gemm_plain(node))
        if quantizable and w_index is not None and len(inputs) > w_index and inputs[w_index] in inits:
            w = inits[inputs[w_index]]
            w_ok = w.data_type == F32 and (op == "Conv" or len(w.dims) == 2)
            x = node.input[0]
            if w_ok:
                wq, w_scale = quantized_weight(inputs[w_index], axis)
                inputs[w_index] = wq
                if op in ("Conv", "Gemm") and len(inputs) > 2 and inputs[2] in inits and x in pairs:
                    bq = quantized_bias(inputs[2], params[x][0], w_scale)
                    if bq is not None:
                        inputs[2] = bq
        elif quantizable and op in ("Add", "Mul"):
            # A constant operand: per-tensor int8 from its own range.
            for i, name in enumerate(inputs):
                t = inits.get(name)
                if t is not None and t.data_type == F32:
                    a = numpy_helper.to_array(t).astype(np.float32)
                    scale, zp = activation_params(float(a.min()), float(a.max()))
                    q = np.clip(np.round(a / scale) + zp, -128, 127).astype(np.int8)
                    qn = add_init(name + "_quantized", q)
                    sn = add_init(name + "_scale", np.array(scale, dtype=np.float32))
                    zn = add_init(name + "_zero_point", np.array(zp, dtype=np.int8))
                    inputs[i] = dq_node(qn, sn, zn, name + "_DequantizeLinear_Output")
        outputs = [produced.get(o, o) for o in node.output]
        copy = onnx.NodeProto()
        copy.CopyFrom(node)
        del copy.input[:]
        copy.input.extend(inputs)
        del copy.output[:]
        copy.output.extend(outputs)
        new_nodes.append(copy)
        for o in node.output:
            if o in pairs:
                emit_pair(o)

    used = {n for node in new_nodes for n in node.input}
    keep = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep + new_inits)
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.value_info[:]
    for inp in list(graph.input):
        if inp.name in inits and inp.name not in used:
            graph.input.remove(inp)
    return len(pairs), len(weight_cache)


def parse_shape(text):
    name, _, dims = text.partition("=")
    try:
        return name, [int(d) for d in dims.split("x")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shape expects NAME=DxDx..., got '{text}'")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--rooftop", required=True, help="the rooftop binary that runs calibration")
    ap.add_argument("--samples", type=int, default=8, help="random calibration inputs (default 8)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shape", type=parse_shape, action="append", default=[])
    ap.add_argument("--keep-calibration", metavar="DIR",
                    help="keep the calibration model and tensors in DIR")
    args = ap.parse_args()
    if args.samples < 1:
        fail("--samples must be at least 1")
    model = onnx.load(args.model)
    model = prepare(model, dict(args.shape))
    ranges = calibrate(model, args.rooftop, args.samples, args.seed, args.keep_calibration)
    n_pairs, n_weights = quantize(model, ranges)
    onnx.checker.check_model(model)
    onnx.save(model, args.out)
    print(f"{args.out}: {n_pairs} activation Q/DQ pairs, {n_weights} per-channel int8 weights, "
          f"calibrated on {args.samples} random inputs")


if __name__ == "__main__":
    sys.exit(main())
