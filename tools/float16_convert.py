#!/usr/bin/python3
"""Convert a float32 ONNX model to float16, as deployment converters store such models.

  tools/float16_convert.py IN.onnx OUT.onnx [--keep-io-types] [--input IN.pb OUT.pb]

Every float32 tensor of the model becomes float16: initializers, Constant nodes' tensors,
value_info, graph inputs and outputs (their elem_type), and Cast nodes whose `to` is float32.
Values outside float16's range saturate to +-65504 (a weight that overflows would otherwise be
inf). With --keep-io-types the graph inputs and outputs stay float32: a Cast to float16 follows
each float32 input and a Cast back to float32 makes each output, so callers feed and read float32.
--input converts a float32 TensorProto file (an input for the float16 model) to float16.

onnx and numpy only (Debian's interpreter: /usr/bin/python3). Subgraphs (If/Loop bodies) are
converted too. Float64 tensors are left alone.
"""
import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16
F16_MAX = 65504.0


def to_f16_tensor(t):
    """float32 TensorProto -> float16 TensorProto of the same name (saturating)."""
    a = numpy_helper.to_array(t).astype(np.float32)
    a = np.clip(a, -F16_MAX, F16_MAX).astype(np.float16)
    out = numpy_helper.from_array(a, t.name)
    return out


def convert_tensor_in_place(t):
    if t.data_type == F32:
        t.CopyFrom(to_f16_tensor(t))


def convert_type(tp):
    """Retypes a TypeProto's float32 tensor element type (sequences and optionals inside)."""
    which = tp.WhichOneof("value")
    if which == "tensor_type" and tp.tensor_type.elem_type == F32:
        tp.tensor_type.elem_type = F16
    elif which == "sequence_type":
        convert_type(tp.sequence_type.elem_type)
    elif which == "optional_type":
        convert_type(tp.optional_type.elem_type)


def convert_node(node):
    for a in node.attribute:
        if a.type == onnx.AttributeProto.TENSOR:
            convert_tensor_in_place(a.t)
        elif a.type == onnx.AttributeProto.TENSORS:
            for t in a.tensors:
                convert_tensor_in_place(t)
        elif a.type == onnx.AttributeProto.GRAPH:
            convert_graph(a.g, keep_io=False)
        elif a.type == onnx.AttributeProto.GRAPHS:
            for sub in a.graphs:
                convert_graph(sub, keep_io=False)
    if node.op_type == "Cast" and node.domain in ("", "ai.onnx"):
        for a in node.attribute:
            if a.name == "to" and a.i == F32:
                a.i = F16
    if node.op_type == "Constant":
        for a in node.attribute:
            if a.name in ("value_float", "value_floats"):
                raise SystemExit(f"Constant node '{node.name}': {a.name} cannot hold float16; "
                                 "export with `value` tensors")


def unique(name, taken):
    base, i = name, 0
    while name in taken:
        i += 1
        name = f"{base}_{i}"
    taken.add(name)
    return name


def keep_io_types(graph, float_inputs, float_outputs):
    """Float32 at the boundary: Cast to float16 after each input, Cast to float32 for each output."""
    taken = {v.name for v in list(graph.input) + list(graph.output) + list(graph.value_info)}
    taken |= {o for n in graph.node for o in n.output} | {t.name for t in graph.initializer}
    taken |= {n.name for n in graph.node}
    casts_in, casts_out = [], []
    for name in float_inputs:
        half = unique(name + "_fp16", taken)
        for n in graph.node:
            for i, x in enumerate(n.input):
                if x == name:
                    n.input[i] = half
        casts_in.append(helper.make_node("Cast", [name], [half], name=unique(name + "_cast_fp16", taken), to=F16))
    for name in float_outputs:
        half = unique(name + "_fp16", taken)
        for n in graph.node:
            for i, x in enumerate(n.output):
                if x == name:
                    n.output[i] = half
            for i, x in enumerate(n.input):
                if x == name:
                    n.input[i] = half
        casts_out.append(helper.make_node("Cast", [half], [name], name=unique(name + "_cast_fp32", taken), to=F32))
    nodes = casts_in + list(graph.node) + casts_out
    del graph.node[:]
    graph.node.extend(nodes)


def convert_graph(graph, keep_io):
    init_names = {t.name for t in graph.initializer}
    float_inputs = [v.name for v in graph.input
                    if v.name not in init_names and v.type.tensor_type.elem_type == F32]
    float_outputs = [v.name for v in graph.output if v.type.tensor_type.elem_type == F32]
    for t in graph.initializer:
        convert_tensor_in_place(t)
    for n in graph.node:
        convert_node(n)
    for v in graph.value_info:
        convert_type(v.type)
    for v in graph.input:
        if keep_io and v.name in float_inputs:
            continue
        convert_type(v.type)
    for v in graph.output:
        if keep_io and v.name in float_outputs:
            continue
        convert_type(v.type)
    if keep_io:
        keep_io_types(graph, float_inputs, float_outputs)


def convert_model(model, keep_io):
    convert_graph(model.graph, keep_io)
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--keep-io-types", action="store_true",
                    help="float32 graph inputs/outputs, Cast nodes at the boundary")
    ap.add_argument("--input", nargs=2, metavar=("IN_PB", "OUT_PB"),
                    help="also convert a float32 TensorProto file to float16")
    args = ap.parse_args()
    model = onnx.load(args.src)
    convert_model(model, args.keep_io_types)
    onnx.checker.check_model(model)
    onnx.save(model, args.dst)
    if args.input:
        t = TensorProto()
        with open(args.input[0], "rb") as f:
            t.ParseFromString(f.read())
        if t.data_type != F32:
            sys.exit(f"{args.input[0]}: float32 tensor expected (data_type {t.data_type})")
        with open(args.input[1], "wb") as f:
            f.write(to_f16_tensor(t).SerializeToString())


if __name__ == "__main__":
    main()
