#!/usr/bin/python3
"""Writes the models of tests/bad_input/cases.txt into OUT_DIR (as OUT_DIR/NAME.onnx) and the
tensor files of tests/bad_input/tensor_cases.txt (as OUT_DIR/tensors/NAME).

    /usr/bin/python3 make_bad_models.py OUT_DIR

Every file is built here, from the onnx package's helpers or from raw protobuf bytes, so no
hand-edited binary lives in the repository. cases.txt (next to this script) holds what each
case must produce; this script refuses to finish when the two lists disagree. Support files
for the external-data cases (weights, links) are written into OUT_DIR as well.
"""
import os
import random
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
HERE = os.path.dirname(os.path.abspath(__file__))


class Out:
    """OUT_DIR plus the list of case models written so far."""

    def __init__(self, root):
        self.root = root
        self.names = []

    def path(self, name):
        return os.path.join(self.root, name)

    def raw(self, name, data):
        with open(self.path(name), "wb") as f:
            f.write(data)

    def case(self, name, data):
        """Writes OUT_DIR/NAME.onnx (data: bytes or a ModelProto)."""
        if not isinstance(data, bytes):
            data = data.SerializeToString()
        self.raw(name + ".onnx", data)
        self.names.append(name)

    def no_file(self, name):
        """A case whose model is not a regular file (or is missing): made by the caller."""
        self.names.append(name)


# ---- builders ---------------------------------------------------------------------------------

def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def model(nodes, inputs, outputs, inits=(), opset_imports=None):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    imports = opset_imports if opset_imports is not None else [helper.make_opsetid("", OPSET)]
    m = helper.make_model(g, producer_name="rooftop-bad-input", opset_imports=imports)
    m.ir_version = 8
    return m


def relu_model(out="y"):
    return model([helper.make_node("Relu", ["x"], [out], name="relu")], [vi("x", [1, 4])], [vi(out, [1, 4])])


def add_model(init):
    """y = x + W, W the given [4] initializer."""
    return model([helper.make_node("Add", ["x", init.name], ["y"], name="add")], [vi("x", [4])], [vi("y", None)],
                 [init])


def conv_model(w_shape=(4, 3, 3, 3), x_shape=(1, 3, 8, 8), **attrs):
    w = numpy_helper.from_array(np.ones(w_shape, np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1], **attrs)
    return model([node], [vi("x", list(x_shape))], [vi("y", None)], [w])


def raw_tensor(name, dims, raw=None, dtype=TensorProto.FLOAT):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    if raw is not None:
        t.raw_data = raw
    return t


def external_tensor(location, offset=0, nbytes=16):
    t = raw_tensor("w", [nbytes // 4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def ld(field, payload):
    """A length-delimited protobuf field."""
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def model_header():
    """ModelProto.ir_version = 8 and opset_import {domain "", version 13}, as raw bytes."""
    return varint(1 << 3) + varint(8) + ld(8, ld(1, b"") + varint(2 << 3) + varint(OPSET))


def swap_bytes(data, old, new):
    """Replaces a placeholder by raw bytes of the same length (protobuf lengths stay valid)."""
    assert len(old) == len(new) and old in data
    return data.replace(old, new)


# ---- cases ------------------------------------------------------------------------------------

def file_cases(o):
    o.no_file("missing_file")  # run_case.sh points it at a path that does not exist
    os.makedirs(o.path("directory.onnx"), exist_ok=True)
    o.no_file("directory")
    if not os.path.exists(o.path("fifo.onnx")):
        os.mkfifo(o.path("fifo.onnx"))
    o.no_file("fifo")
    o.case("empty", b"")
    good = conv_model().SerializeToString()
    o.case("truncated", good[: len(good) * 3 // 5])
    o.case("not_protobuf", b"this is a text file, not a protobuf\n" * 4)
    o.case("random_bytes", random.Random(20240617).randbytes(4096))
    # graph.node(1) -> node.attribute(5) -> attribute.g(6) -> graph.node ... until ~100 KB:
    # ~30k levels, enough for protobuf-c's unbounded recursion to overflow the stack.
    g = b""
    while len(g) < 100_000:
        g = ld(1, ld(5, ld(6, g)))
    o.case("deep_nesting", model_header() + ld(7, g))
    # 2 million empty NodeProtos: 4 MB on disk, ~300 MB once protobuf-c builds its structs.
    o.case("decode_budget", model_header() + ld(7, b"\x0a\x00" * 2_000_000))
    m = relu_model()
    m.ClearField("graph")
    o.case("no_graph", m)


def graph_cases(o):
    # a -> n0 -> b -> n1 -> a
    o.case("cycle", model([helper.make_node("Relu", ["b"], ["a"], name="n0"),
                           helper.make_node("Relu", ["a"], ["b"], name="n1")], [vi("x", [1])], [vi("b", [1])]))
    o.case("undefined_input", model([helper.make_node("Relu", ["nowhere"], ["y"], name="relu")], [vi("x", [1])],
                                    [vi("y", [1])]))
    o.case("duplicate_output", model([helper.make_node("Relu", ["x"], ["y"], name="r0"),
                                      helper.make_node("Sigmoid", ["x"], ["y"], name="r1")], [vi("x", [1])],
                                     [vi("y", [1])]))
    w = numpy_helper.from_array(np.ones(4, np.float32), "w")
    o.case("output_overwrites_initializer",
           model([helper.make_node("Relu", ["x"], ["w"], name="relu")], [vi("x", [4])], [vi("w", None)], [w]))
    o.case("output_never_produced", model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1])],
                                          [vi("z", [1])]))
    o.case("unknown_op", model([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")], [vi("x", [1])],
                               [vi("y", [1])]))
    o.case("no_opset", model(relu_model().graph.node, [vi("x", [1, 4])], [vi("y", None)],
                             opset_imports=[helper.make_opsetid("com.example", 1)]))
    # If/Loop/Scan are not in the registry (unknown op comes first), so a known op carries the
    # subgraph: the attribute itself must be refused, naming the node.
    branch = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "branch", [], [vi("t", None)])
    o.case("graph_attribute", model([helper.make_node("Relu", ["x"], ["y"], name="relu_with_body", body=branch)],
                                    [vi("x", [1, 4])], [vi("y", None)]))
    o.case("missing_dynamic_dim", model([helper.make_node("Relu", ["input"], ["y"], name="relu")],
                                        [vi("input", ["batch", 3])], [vi("y", None)]))
    o.case("control_dynamic_dim", model([helper.make_node("Relu", ["input"], ["y"], name="relu")],
                                        [vi("input", ["batch", 3])], [vi("y", None)]))
    untyped = vi("x", [1])
    untyped.ClearField("type")
    o.case("input_without_type", model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [untyped],
                                       [vi("y", None)]))
    idx = numpy_helper.from_array(np.array([7], np.int64), "idx")
    o.case("gather_out_of_range", model([helper.make_node("Gather", ["x", "idx"], ["y"], name="gather", axis=0)],
                                        [vi("x", [4])], [vi("y", None)], [idx]))


def name_cases(o):
    # protobuf's Python API refuses invalid UTF-8 and keeps NUL, so placeholders of the same
    # length are swapped for raw bytes after serialization.
    m = relu_model()
    m.graph.node[0].name = "bad"
    o.case("name_invalid_utf8", swap_bytes(m.SerializeToString(), b"\x03bad", b"\x03b\xffd"))
    o.case("name_overlong_utf8", swap_bytes(relu_model(out="yPH").SerializeToString(), b"yPH", b"y\xc0\x80"))
    o.case("name_with_nul", swap_bytes(relu_model(out="yPH").SerializeToString(), b"yPH", b"y\x00z"))
    o.case("name_too_long", relu_model(out="y" * 5000))


def initializer_cases(o):
    o.case("negative_dim", add_model(raw_tensor("w", [2, -3], b"")))
    o.case("raw_data_short", add_model(raw_tensor("w", [4], b"\0" * 12)))
    o.case("raw_data_long", add_model(raw_tensor("w", [4], b"\0" * 20)))
    t = raw_tensor("w", [4], b"\0" * 16)
    t.float_data.extend([1.0, 2.0, 3.0, 4.0])
    o.case("raw_and_typed", add_model(t))
    t = raw_tensor("w", [4])
    t.float_data.extend([1.0, 2.0, 3.0])
    o.case("typed_count_mismatch", add_model(t))
    o.case("dims_overflow", add_model(raw_tensor("w", [1 << 31, 1 << 31, 1 << 31], b"")))
    o.case("tensor_over_limit", add_model(raw_tensor("w", [1 << 20, 1 << 20], b"")))
    o.case("rank7", add_model(raw_tensor("w", [1] * 6 + [4], b"\0" * 16)))
    o.case("invalid_dtype", add_model(raw_tensor("w", [4], b"\0" * 16, dtype=99)))
    o.case("string_initializer", add_model(helper.make_tensor("w", TensorProto.STRING, [4], [b"a", b"b", b"c", b"d"])))
    # A Constant node's TENSOR attribute goes through the same decoder as initializers.
    const = helper.make_node("Constant", [], ["c"], name="const", value=raw_tensor("", [4], b"\0" * 8))
    o.case("constant_attr_short", model([const, helper.make_node("Add", ["x", "c"], ["y"], name="add")],
                                        [vi("x", [4])], [vi("y", None)]))
    const = helper.make_node("Constant", [], ["c"], name="const", value=raw_tensor("c", [4], b"\0" * 16))
    o.case("control_constant", model([const, helper.make_node("Add", ["x", "c"], ["y"])], [vi("x", [4])],
                                     [vi("y", None)]))


def op_cases(o):
    o.case("zero_stride", conv_model(strides=[0, 1]))
    o.case("group_not_dividing", conv_model(w_shape=(4, 1, 3, 3), group=2))
    o.case("conv_empty_kernel", conv_model(w_shape=(4, 3, 0, 3)))
    o.case("control_conv", conv_model())
    # MaxPool: storage_order is 0 or 1; uint8 data with the Indices output runs (quantized models)
    o.case("maxpool_storage_order", model(
        [helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool", kernel_shape=[2, 2], storage_order=2)],
        [vi("x", [1, 2, 4, 4])], [vi("y", None), vi("i", None, TensorProto.INT64)]))
    # a pad as wide as the pooling window: windows of padding only (nothing to pool)
    o.case("maxpool_pad_as_wide_as_window", model(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3], pads=[1, 3, 1, 1])],
        [vi("x", [1, 2, 5, 6])], [vi("y", None)]))
    o.case("averagepool_pad_past_dilated_window", model(
        [helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[2], pads=[0, 4])],
        [vi("x", [1, 2, 7])], [vi("y", None)]))
    o.case("control_maxpool_uint8_indices", model(
        [helper.make_node("MaxPool", ["x"], ["y", "i"], name="pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                          storage_order=1)],
        [vi("x", [1, 2, 5, 6], TensorProto.UINT8)], [vi("y", None, TensorProto.UINT8), vi("i", None, TensorProto.INT64)],
        opset_imports=[helper.make_opsetid("", 12)]))
    # a model's MatMul has two inputs; a third is a bias only when the matmul_add pass put it there
    o.case("matmul_three_inputs", model(
        [helper.make_node("MatMul", ["a", "w", "c"], ["y"], name="mm3")], [vi("a", [1, 4, 8])], [vi("y", None)],
        [numpy_helper.from_array(np.ones((8, 5), np.float32), "w"),
         numpy_helper.from_array(np.ones(5, np.float32), "c")]))
    # a model's Conv has at most three inputs; a fourth is a residual only when the residual pass put it there
    o.case("conv_four_inputs", model(
        [helper.make_node("Conv", ["x", "w", "b", "r"], ["y"], name="conv4")], [vi("x", [1, 3, 4, 4]), vi("r", [1, 2, 4, 4])],
        [vi("y", None)], [numpy_helper.from_array(np.ones((2, 3, 1, 1), np.float32), "w"),
                          numpy_helper.from_array(np.ones(2, np.float32), "b")]))
    # QLinearMatMul's 9th input (an int32 bias) exists only on layers the qdq pass builds
    def qmm_inits(extra):
        return [numpy_helper.from_array(np.ones((8, 5), np.int8), "w"),
                numpy_helper.from_array(np.array(0.1, np.float32), "s"),
                numpy_helper.from_array(np.array(0, np.int8), "z")] + extra
    o.case("qlinear_matmul_bias", model(
        [helper.make_node("QLinearMatMul", ["a", "s", "z", "w", "s", "z", "s", "z", "b"], ["y"], name="qmm")],
        [vi("a", [2, 8], TensorProto.INT8)], [vi("y", None)],
        qmm_inits([numpy_helper.from_array(np.ones(5, np.int32), "b")])))
    # A QDQ chain the qdq pass fuses (DQ -> Conv with per-channel weights and an int32 bias ->
    # Relu -> Q): the fused QLinearConv must load and run like the float chain
    wq = (np.arange(4 * 3 * 3 * 3) % 11 - 5).astype(np.int8).reshape(4, 3, 3, 3)
    ws = np.array([0.01, 0.02, 0.03, 0.04], np.float32)
    o.case("control_qdq_conv_chain", model(
        [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"], name="qx"),
         helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"], name="dqx"),
         helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], name="dqw", axis=0),
         helper.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bd"], name="dqb", axis=0),
         helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"], name="relu"),
         helper.make_node("QuantizeLinear", ["r", "ys", "yz"], ["yq"], name="qy"),
         helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"], name="dqy")],
        [vi("x", [1, 3, 6, 6])], [vi("y", None)],
        [numpy_helper.from_array(np.array(0.05, np.float32), "xs"),
         numpy_helper.from_array(np.array(3, np.int8), "xz"),
         numpy_helper.from_array(wq, "wq"), numpy_helper.from_array(ws, "ws"),
         numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
         numpy_helper.from_array(np.array([5, -7, 0, 100], np.int32), "bq"),
         numpy_helper.from_array(ws * np.float32(0.05), "bs"),
         numpy_helper.from_array(np.zeros(4, np.int32), "bz"),
         numpy_helper.from_array(np.array(0.02, np.float32), "ys"),
         numpy_helper.from_array(np.array(-128, np.int8), "yz")], opset_imports=[helper.make_opsetid("", 13)]))
    # empty inputs under non-empty outputs: the reference kernels once read element 0 of them
    o.case("control_convt_empty_channels", model(
        [helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="convt")], [vi("x", [1, 0, 3, 3])],
        [vi("y", None)], [numpy_helper.from_array(np.ones((0, 2, 2, 2), np.float32), "w"),
                          numpy_helper.from_array(np.ones(2, np.float32), "b")]))
    # Pad-2's float 'value' attribute on integer data: NaN once went through an undefined
    # float-to-integer conversion (UBSan); now it saturates like Cast
    o.case("control_pad_int_nan_value", model(
        [helper.make_node("Pad", ["x"], ["y"], name="pad", pads=[0, 1, 0, 1], value=float("nan"))],
        [vi("x", [2, 3], TensorProto.INT32)], [vi("y", None, TensorProto.INT32)],
        opset_imports=[helper.make_opsetid("", 9)]))
    o.case("pad_overflow", model(
        [helper.make_node("Pad", ["x", "p"], ["y"], name="pad")], [vi("x", [2, 3])], [vi("y", None)],
        [numpy_helper.from_array(np.array([0, 7008163972078530322, 0, 7957695015159490924], np.int64), "p")]))
    # an empty tensor may have one huge dim: sums of dims must be checked too
    big = 7000000000000000000
    o.case("concat_dims_overflow", model(
        [helper.make_node("Concat", ["a", "b"], ["y"], name="concat", axis=1)], [vi("a", [0, big]), vi("b", [0, big])],
        [vi("y", None)]))
    o.case("empty_tensor_huge_dim", model(
        [helper.make_node("Relu", ["a"], ["y"], name="relu")], [vi("a", [0, big])], [vi("y", None)]))
    o.case("split_sum_overflow", model(
        [helper.make_node("Split", ["a", "s"], ["y1", "y2"], name="split", axis=1)], [vi("a", [0, 4])],
        [vi("y1", None), vi("y2", None)], [numpy_helper.from_array(np.array([big, big], np.int64), "s")]))
    o.case("pad_empty_value", model(
        [helper.make_node("Pad", ["x", "p", "v"], ["y"], name="pad")], [vi("x", [2, 3])], [vi("y", None)],
        [numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64), "p"),
         numpy_helper.from_array(np.zeros((0, 126), np.float32), "v")]))
    o.case("control_pad_float16_value", model(
        [helper.make_node("Pad", ["x", "p", "v"], ["y"], name="pad")], [vi("x", [2, 3], TensorProto.FLOAT16)],
        [vi("y", None, TensorProto.FLOAT16)],
        [numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64), "p"),
         numpy_helper.from_array(np.array(np.nan, np.float16), "v")]))
    # unary elementwise rows (ops/unary_list.inc): dtype outside the row's set, arity, controls
    o.case("neg_bool", model([helper.make_node("Neg", ["x"], ["y"], name="neg")], [vi("x", [2, 3], TensorProto.BOOL)],
                             [vi("y", None, TensorProto.BOOL)]))
    o.case("neg_uint8", model([helper.make_node("Neg", ["x"], ["y"], name="neg")], [vi("x", [2, 3], TensorProto.UINT8)],
                              [vi("y", None, TensorProto.UINT8)]))
    o.case("abs_two_inputs", model([helper.make_node("Abs", ["x", "x"], ["y"], name="abs")], [vi("x", [2, 3])],
                                   [vi("y", None)]))
    o.case("abs_no_input", model([helper.make_node("Abs", [], ["y"], name="abs")], [vi("x", [2, 3])], [vi("y", None)]))
    o.case("control_neg_int64", model([helper.make_node("Neg", ["x"], ["y"], name="neg")],
                                      [vi("x", [2, 3], TensorProto.INT64)], [vi("y", None, TensorProto.INT64)]))
    o.case("control_abs_uint8", model([helper.make_node("Abs", ["x"], ["y"], name="abs")],
                                      [vi("x", [2, 3], TensorProto.UINT8)], [vi("y", None, TensorProto.UINT8)]))
    # one refused dtype per dtype set of the new rows (FLOATS, NUMERIC, BOOL, FLOAT32; bool output)
    def unary(op, name, dtype, out_dtype=None, **attrs):
        return model([helper.make_node(op, ["x"], ["y"], name=name, **attrs)], [vi("x", [2, 3], dtype)],
                     [vi("y", None, out_dtype if out_dtype is not None else dtype)])
    o.case("sqrt_int64", unary("Sqrt", "sqrt", TensorProto.INT64))
    o.case("sign_bool", unary("Sign", "sign", TensorProto.BOOL))
    o.case("not_float", unary("Not", "not", TensorProto.FLOAT))
    o.case("isnan_int32", unary("IsNaN", "isnan", TensorProto.INT32, TensorProto.BOOL))
    o.case("celu_double", unary("Celu", "celu", TensorProto.DOUBLE))
    o.case("selu_int8", unary("Selu", "selu", TensorProto.INT8, alpha=2.0))
    o.case("control_not_bool", unary("Not", "not", TensorProto.BOOL))
    o.case("control_isinf_float16", unary("IsInf", "isinf", TensorProto.FLOAT16, TensorProto.BOOL, detect_negative=0))
    o.case("control_erf_int32", unary("Erf", "erf", TensorProto.INT32))
    o.case("control_round_bfloat16", unary("Round", "round", TensorProto.BFLOAT16))
    # binary elementwise rows (ops/binary_list.inc): dtypes outside a rule, mismatched operands,
    # spec rules, arity, controls
    B, F, I32 = TensorProto.BOOL, TensorProto.FLOAT, TensorProto.INT32

    def bin_model(op, dtypes, out_dtype=None, **attrs):
        names = ["a", "b", "c"][:len(dtypes)]
        return model([helper.make_node(op, names, ["y"], name=op.lower(), **attrs)],
                     [vi(n, [2, 3], d) for n, d in zip(names, dtypes)], [vi("y", None, out_dtype or dtypes[-1])])
    o.case("and_float", bin_model("And", [F, F]))
    o.case("xor_mixed", bin_model("Xor", [B, F]))
    o.case("where_float_condition", bin_model("Where", [F, F, F]))
    o.case("where_xy_differ", bin_model("Where", [B, F, I32]))
    o.case("max_operands_differ", bin_model("Max", [F, F, I32]))
    o.case("less_bool", bin_model("Less", [B, B], B))
    o.case("sum_int32", bin_model("Sum", [I32, I32]))
    o.case("pow_uint8_base", bin_model("Pow", [TensorProto.UINT8, F]))
    o.case("mod_float_fmod0", bin_model("Mod", [F, F]))
    o.case("mod_fmod2", bin_model("Mod", [I32, I32], fmod=2))
    o.case("max_no_input", model([helper.make_node("Max", [], ["y"], name="max")], [vi("x", [2, 3])], [vi("y", None)]))
    o.case("prelu_slope_wider", model([helper.make_node("PRelu", ["x", "s"], ["y"], name="prelu")],
                                      [vi("x", [1, 3]), vi("s", [2, 3])], [vi("y", None)]))
    o.case("control_where_int32", bin_model("Where", [B, I32, I32]))
    o.case("control_mod_int32_by_zero", model(
        [helper.make_node("Mod", ["x", "z"], ["y"], name="mod")], [vi("x", [2, 3], I32)], [vi("y", None, I32)],
        [numpy_helper.from_array(np.array([0, -1, 3], np.int32), "z")]))
    o.case("control_pow_int32_negative", model(
        [helper.make_node("Pow", ["x", "e"], ["y"], name="pow")], [vi("x", [3], I32)], [vi("y", None, I32)],
        [numpy_helper.from_array(np.array([-1, -2, 0], np.int64), "e")]))
    o.case("control_gap_empty_map", model(
        [helper.make_node("GlobalAveragePool", ["x"], ["y"], name="gap")], [vi("x", [1, 2, 0, 3])], [vi("y", None)]))


def external_cases(o):
    blob = np.arange(8, dtype=np.float32).tobytes()  # 32 bytes

    def fresh(name):
        if os.path.lexists(o.path(name)):
            os.remove(o.path(name))
        return o.path(name)

    os.makedirs(o.path("weights_dir"), exist_ok=True)
    for name in ("weights.bin", "symlink_target.bin", "hard_a.bin", "weights_dir/inner.bin"):
        fresh(name)
        o.raw(name, blob)
    os.symlink("symlink_target.bin", fresh("symlink.bin"))
    os.symlink("weights_dir", fresh("linked_dir"))
    os.link(o.path("hard_a.bin"), fresh("hard_b.bin"))
    o.case("control_external", add_model(external_tensor("weights.bin", offset=16)))
    o.case("control_external_subdir", add_model(external_tensor("./weights_dir//inner.bin")))
    o.case("external_dotdot", add_model(external_tensor("weights_dir/../weights.bin")))
    o.case("external_absolute", add_model(external_tensor(os.path.abspath(o.path("weights.bin")))))
    o.case("external_symlink", add_model(external_tensor("symlink.bin")))
    o.case("external_symlinked_dir", add_model(external_tensor("linked_dir/inner.bin")))
    o.case("external_hardlink", add_model(external_tensor("hard_a.bin")))
    o.case("external_outside", add_model(external_tensor("weights.bin", offset=24)))
    o.case("external_missing", add_model(external_tensor("no_such_weights.bin")))


def missing_ops_model():
    """Three unsupported op types in four nodes: every one is named in one error."""
    nodes = [helper.make_node("FrobA", ["x"], ["a"], name="fa1"), helper.make_node("FrobB", ["a"], ["b"], name="fb"),
             helper.make_node("FrobA", ["b"], ["c"], name="fa2"),
             helper.make_node("Custom", ["c"], ["y"], name="cu", domain="com.example")]
    return model(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])],
                 opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.example", 1)])


def partial_info_model():
    """x -> Relu -> FrobA -> Sigmoid -> y1 and x -> Neg -> y2: `info` analyses Relu and Neg and
    sets aside FrobA (unsupported) and Sigmoid (reads FrobA's output)."""
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu"), helper.make_node("FrobA", ["r"], ["f"], name="frob"),
             helper.make_node("Sigmoid", ["f"], ["y1"], name="sig"), helper.make_node("Neg", ["x"], ["y2"], name="neg")]
    return model(nodes, [vi("x", [1, 4])], [vi("y1", [1, 4]), vi("y2", [1, 4])])


def layer_norm_model(x_shape=(2, 3, 4), scale_shape=(4,), x_dtype=TensorProto.FLOAT, outputs=("y",), **attrs):
    """LayerNormalization (opset 17) of x by a constant scale."""
    inits = [numpy_helper.from_array(np.ones(scale_shape, np.float32), "s")]
    return model([helper.make_node("LayerNormalization", ["x", "s"], list(outputs), name="ln", **attrs)],
                 [vi("x", list(x_shape), x_dtype)], [vi(n, None) for n in outputs], inits,
                 opset_imports=[helper.make_opsetid("", 17)])


def gelu_model(x_dtype=TensorProto.FLOAT, **attrs):
    return model([helper.make_node("Gelu", ["x"], ["y"], name="gelu", **attrs)], [vi("x", [2, 3], x_dtype)],
                 [vi("y", None, x_dtype)], opset_imports=[helper.make_opsetid("", 20)])


def layer_norm_cases(o):
    o.case("gelu_approximate", gelu_model(approximate="fast"))
    o.case("gelu_int_input", gelu_model(TensorProto.INT32))
    o.case("control_gelu_tanh", gelu_model(approximate="tanh"))
    o.case("unsupported_ops_listed", missing_ops_model())
    o.case("partial_info", partial_info_model())  # run refuses it (69); info analyses half of it
    o.case("control_layer_norm_stats", layer_norm_model(outputs=("y", "mean", "inv_std"), axis=1))
    o.case("layer_norm_scale_shape", layer_norm_model(scale_shape=(3,)))
    o.case("layer_norm_axis", layer_norm_model(axis=3))
    o.case("layer_norm_int_input", layer_norm_model(x_dtype=TensorProto.INT64))
    o.case("layer_norm_stash_type", layer_norm_model(stash_type=0))
    o.case("control_layer_norm_empty_rows",
           layer_norm_model(x_shape=(2, 0), scale_shape=(0,), outputs=("y", "mean", "inv_std")))


def index_cases(o):
    """Shape, indexing and movement ops: one rule each, run-time bad indices, controls."""
    I64, F = TensorProto.INT64, TensorProto.FLOAT

    def one(op, ins, x_shapes, inits=(), opset=OPSET, out_dtype=F, **attrs):
        names = [i for i in ins if i not in {t.name for t in inits}]
        return model([helper.make_node(op, ins, ["y"], name=op.lower(), **attrs)],
                     [vi(n, shp, d) for n, (shp, d) in zip(names, x_shapes)], [vi("y", None, out_dtype)], inits,
                     opset_imports=[helper.make_opsetid("", opset)])

    def ints(name, v):
        return numpy_helper.from_array(np.array(v, np.int64), name)

    o.case("tile_negative_repeats", one("Tile", ["x", "r"], [([2, 3], F)], [ints("r", [1, -2])]))
    o.case("tile_repeats_length", one("Tile", ["x", "r"], [([2, 3], F)], [ints("r", [2])]))
    o.case("expand_not_broadcast", one("Expand", ["x", "s"], [([2, 3], F)], [ints("s", [4])]))
    o.case("expand_shape_input", one("Expand", ["x", "s"], [([2, 3], F), ([2], I64)]))
    o.case("depth_to_space_channels", one("DepthToSpace", ["x"], [([1, 3, 2, 2], F)], blocksize=2))
    o.case("depth_to_space_mode", one("DepthToSpace", ["x"], [([1, 4, 2, 2], F)], blocksize=2, mode="XYZ"))
    o.case("space_to_depth_rank", one("SpaceToDepth", ["x"], [([4, 2, 2], F)], blocksize=2))
    o.case("gather_elements_axis", one("GatherElements", ["x", "i"], [([2, 3], F)], [ints("i", [[0]])], axis=2))
    o.case("gather_elements_const_index", one("GatherElements", ["x", "i"], [([2, 3], F)], [ints("i", [[0, 5]])], axis=1))
    o.case("gather_elements_float_indices", one("GatherElements", ["x", "i"], [([2, 3], F), ([2, 3], F)]))
    # indices = graph input (0 or 1 under `rooftop run`) + 5: outside [-3, 3) at run time
    o.case("gather_elements_run_index", model(
        [helper.make_node("Add", ["j", "five"], ["i"], name="add"),
         helper.make_node("GatherElements", ["x", "i"], ["y"], name="ge", axis=1)],
        [vi("x", [2, 3]), vi("j", [2, 3], I64)], [vi("y", None)], [ints("five", 5)]))
    o.case("gather_nd_batch_dims", one("GatherND", ["x", "i"], [([2, 3], F)], [ints("i", [[0], [1]])], batch_dims=2))
    o.case("scatter_nd_updates_shape", one("ScatterND", ["x", "i", "u"], [([4, 3], F), ([3], F)], [ints("i", [[0], [1]])]))
    o.case("scatter_elements_reduction", one("ScatterElements", ["x", "i", "u"], [([2, 3], F), ([1, 1], F)],
                                             [ints("i", [[0]])], opset=18, reduction="avg"))
    o.case("scatter_reduction_opset", one("ScatterElements", ["x", "i", "u"], [([2, 3], F), ([1, 1], F)],
                                          [ints("i", [[0]])], opset=16, reduction="max"))
    o.case("trilu_rank1", one("Trilu", ["x"], [([5], F)], opset=14))
    o.case("cumsum_axis", one("CumSum", ["x", "a"], [([2, 3], F)], [ints("a", 3)], opset=14))
    o.case("onehot_depth_input", one("OneHot", ["i", "d", "v"], [([3], I64), ([], I64), ([2], F)], opset=11))
    o.case("range_zero_delta", one("Range", ["s", "l", "d"], [], [ints("s", 0), ints("l", 5), ints("d", 0)], opset=11,
                                   out_dtype=I64))
    o.case("eyelike_rank3", one("EyeLike", ["x"], [([2, 2, 2], F)], opset=9))
    o.case("control_trilu_k_input", one("Trilu", ["x", "k"], [([4, 5], F), ([], I64)], opset=14, upper=0))
    o.case("control_expand_int64", one("Expand", ["x", "s"], [([3, 1], I64)], [ints("s", [2, 3, 4])], out_dtype=I64))
    o.case("control_onehot", one("OneHot", ["i", "d", "v"], [([3], I64), ([2], F)], [ints("d", 4)], opset=11, axis=0))

def norm_cases(o):
    """Normalization, axis-family, TopK, Einsum, GlobalMaxPool: one rule broken per case."""
    F, I32, I64 = TensorProto.FLOAT, TensorProto.INT32, TensorProto.INT64

    def one(op, x_shape, inits=(), extra_inputs=(), dtype=F, outputs=("y",), opset=13, **attrs):
        ins = ["x"] + [t.name for t in inits] + [n for n, _ in extra_inputs]
        name = {"MeanVarianceNormalization": "mvn", "InstanceNormalization": "inorm"}.get(op, op.lower())
        return model([helper.make_node(op, ins, list(outputs), name=name, **attrs)],
                     [vi("x", x_shape, dtype)] + [vi(n, s) for n, s in extra_inputs],
                     [vi(n, None) for n in outputs], list(inits), opset_imports=[helper.make_opsetid("", opset)])

    def arr(name, v, t=np.float32):
        return numpy_helper.from_array(np.array(v, t), name)

    o.case("instancenorm_scale_shape", one("InstanceNormalization", [1, 3, 4, 4],
                                           [arr("s", np.ones(4)), arr("b", np.zeros(3))]))
    o.case("logsoftmax_axis", one("LogSoftmax", [2, 3], axis=3))
    o.case("hardmax_int_input", one("Hardmax", [2, 3], dtype=I32))
    o.case("topk_k_too_large", one("TopK", [3, 4], [arr("k", [5], np.int64)], outputs=("v", "i")))
    o.case("topk_negative_k", one("TopK", [3, 4], [arr("k", [-1], np.int64)], outputs=("v", "i")))
    o.case("topk_k_not_constant", model(
        [helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk")], [vi("x", [3, 4]), vi("k", [1], I64)],
        [vi("v", None), vi("i", None, I64)]))
    o.case("einsum_rank_mismatch", one("Einsum", [2, 3, 4], extra_inputs=[("w", [4, 5])], equation="ij,jk->ik"))
    o.case("einsum_size_mismatch", one("Einsum", [2, 3], extra_inputs=[("w", [4, 5])], equation="ij,jk->ik"))
    o.case("einsum_bad_char", one("Einsum", [2, 3], equation="i1->i"))
    o.case("einsum_output_not_in_inputs", one("Einsum", [2, 3], equation="ij->k"))
    o.case("lpnorm_p3", one("LpNormalization", [2, 3], p=3))
    o.case("lrn_no_size", one("LRN", [1, 3, 2, 2]))
    o.case("mvn_axes_twice", one("MeanVarianceNormalization", [1, 3, 2, 2], axes=[1, 1]))
    o.case("globalmaxpool_rank2", one("GlobalMaxPool", [2, 3]))
    o.case("control_einsum_attention", one("Einsum", [1, 2, 5, 4], extra_inputs=[("w", [1, 2, 6, 4])],
                                           equation="bhid,bhjd->bhij"))
    o.case("control_topk_int64_k0", one("TopK", [3, 4], [arr("k", [0], np.int64)], dtype=I64, outputs=("v", "i")))
    o.case("control_instancenorm", one("InstanceNormalization", [1, 3, 4, 4],
                                       [arr("s", np.ones(3)), arr("b", np.zeros(3))]))

def reduce_model(op, x_shape=(2, 3, 4), x_dtype=TensorProto.FLOAT, opset=13, inputs=("x",), inits=(), out_dtype=None,
                 **attrs):
    """One reduction (ops/reduce_list.inc) of x; extra inputs are constants unless also graph inputs."""
    graph_inputs = [vi("x", list(x_shape), x_dtype)] + [vi(n, [1], TensorProto.INT64) for n in inputs[1:]
                                                         if n not in [t.name for t in inits]]
    return model([helper.make_node(op, list(inputs), ["y"], name=op.lower(), **attrs)], graph_inputs,
                 [vi("y", None, out_dtype or x_dtype)], inits, opset_imports=[helper.make_opsetid("", opset)])


def reduce_cases(o):
    axes = lambda *v: numpy_helper.from_array(np.array(v, np.int64), "axes")
    I64 = TensorProto.INT64
    o.case("reduce_axis_out_of_range", reduce_model("ReduceMax", axes=[3]))
    o.case("reduce_axes_twice", reduce_model("ReduceSum", inputs=("x", "axes"), inits=[axes(1, -2)]))
    o.case("reduce_axes_not_constant", reduce_model("ReduceMean", opset=18, inputs=("x", "axes")))
    o.case("reduce_axes_attribute_opset18", reduce_model("ReduceMax", opset=18, axes=[1]))
    o.case("reduce_sum_three_inputs", reduce_model("ReduceSum", inputs=("x", "axes", "axes"), inits=[axes(1)]))
    o.case("reduce_l2_int32", reduce_model("ReduceL2", x_dtype=TensorProto.INT32))
    o.case("reduce_max_bool", reduce_model("ReduceMax", x_dtype=TensorProto.BOOL))
    o.case("argmax_axis_out_of_range", reduce_model("ArgMax", out_dtype=I64, axis=-4))
    o.case("argmax_scalar", reduce_model("ArgMax", x_shape=(), out_dtype=I64))
    o.case("argmin_empty_axis", reduce_model("ArgMin", x_shape=(2, 0), out_dtype=I64, axis=1))
    o.case("control_reduce_max_empty_axis", reduce_model("ReduceMax", x_shape=(2, 0), opset=18, inputs=("x", "axes"),
                                                         inits=[axes(1)]))
    o.case("control_reduce_prod_int64_noop", reduce_model("ReduceProd", x_dtype=I64, opset=18, noop_with_empty_axes=1))
    o.case("control_argmin_uint8_last", reduce_model("ArgMin", x_dtype=TensorProto.UINT8, out_dtype=I64, axis=1,
                                                     select_last_index=1, keepdims=0))

def copy_cases(o):
    """Transpose, Slice, Gather and Cast: the rules their infer and kernels check."""
    x2 = [vi("x", [2, 3])]
    o.case("transpose_perm_repeated", model([helper.make_node("Transpose", ["x"], ["y"], name="transpose", perm=[0, 0])],
                                            x2, [vi("y", None)]))
    o.case("transpose_perm_length", model([helper.make_node("Transpose", ["x"], ["y"], name="transpose", perm=[1, 0, 2])],
                                          x2, [vi("y", None)]))
    ints = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    o.case("slice_step_zero", model([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"], name="slice")], x2,
                                    [vi("y", None)], [ints("s", [0]), ints("e", [2]), ints("a", [1]), ints("st", [0])]))
    o.case("slice_axis_twice", model([helper.make_node("Slice", ["x", "s", "e", "a"], ["y"], name="slice")], x2,
                                     [vi("y", None)], [ints("s", [0, 1]), ints("e", [1, 2]), ints("a", [0, -2])]))
    o.case("gather_axis", model([helper.make_node("Gather", ["x", "idx"], ["y"], name="gather", axis=2)], x2,
                                [vi("y", None)], [ints("idx", [0])]))
    # indices fed at run time (the CLI's random integers are 0 or 1) into an axis of length 1
    o.case("gather_fed_index_out_of_range",
           model([helper.make_node("Gather", ["x", "idx"], ["y"], name="gather", axis=0)],
                 [vi("x", [1, 3]), vi("idx", [8], TensorProto.INT64)], [vi("y", None)]))
    o.case("cast_to_string", model([helper.make_node("Cast", ["x"], ["y"], name="cast", to=TensorProto.STRING)], x2,
                                   [vi("y", None, TensorProto.STRING)]))
    # strings: fixed 64-byte elements (63 bytes + NUL); a longer one is refused, not cut
    cast_w = [helper.make_node("Cast", ["w"], ["c"], name="cast", to=TensorProto.FLOAT),
              helper.make_node("Add", ["x", "c"], ["y"], name="add")]
    o.case("string_too_long", model(cast_w, [vi("x", [2])], [vi("y", None)],
                                    [helper.make_tensor("w", TensorProto.STRING, [2], [b"1", b"9" * 64])]))
    # evaluated at load (a constant input): the element and its text named
    o.case("cast_string_unparsable", model(cast_w, [vi("x", [2])], [vi("y", None)],
                                           [helper.make_tensor("w", TensorProto.STRING, [2], [b"1.5", b"1.5x"])]))
    # a string graph input: the CLI's random values are numbers as text, so it runs (exit 0)
    o.case("cast_string_input", model([helper.make_node("Cast", ["s"], ["y"], name="cast", to=TensorProto.FLOAT)],
                                      [vi("s", [2, 3], TensorProto.STRING)], [vi("y", None)]))
    # CastLike's target_type is read for its dtype only: any bound shape is fine (--shape like=1)
    o.case("castlike_like_any_shape",
           model([helper.make_node("CastLike", ["x", "like"], ["y"], name="castlike")],
                 [vi("x", [2, 3]), vi("like", [3, 4], TensorProto.STRING)], [vi("y", None, TensorProto.STRING)],
                 opset_imports=[helper.make_opsetid("", 15)]))
    # a 'like' made by a node and read by nothing else: the planner gives it no lifetime past Relu
    o.case("castlike_like_intermediate",
           model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                  helper.make_node("Cast", ["x"], ["s"], name="cast", to=TensorProto.STRING),
                  helper.make_node("CastLike", ["s", "r"], ["y"], name="castlike")],
                 [vi("x", [2, 3])], [vi("y", None)], opset_imports=[helper.make_opsetid("", 15)]))
    # every native kernel of the family once: a rank-6 transpose, a reversed slice, int32 indices,
    # float16 and back
    x6 = [vi("x", [2, 3, 1, 4, 5, 2])]
    o.case("control_copies", model([
        helper.make_node("Transpose", ["x"], ["t"], name="transpose", perm=[5, 3, 0, 4, 2, 1]),
        helper.make_node("Slice", ["t", "s", "e", "a", "st"], ["u"], name="slice"),
        helper.make_node("Gather", ["u", "idx"], ["v"], name="gather", axis=-1),
        helper.make_node("Cast", ["v"], ["h"], name="to_half", to=TensorProto.FLOAT16),
        helper.make_node("Cast", ["h"], ["y"], name="to_float", to=TensorProto.FLOAT)], x6, [vi("y", None)],
        [ints("s", [-1, 4]), ints("e", [-100, 0]), ints("a", [3, 1]), ints("st", [-2, -1]),
         numpy_helper.from_array(np.array([2, -1, 0, 1], np.int32), "idx")]))

def matmul_cases(o):
    # MatMul of two activations (the native kernel): shape rules, dtype, controls with
    # broadcast batch dims and 1-D operands
    def mm(a, b, dtype=TensorProto.FLOAT):
        return model([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")], [vi("a", a, dtype), vi("b", b, dtype)],
                     [vi("y", None, dtype)])
    o.case("matmul_inner_dims", mm([2, 3, 5], [2, 4, 6]))
    o.case("matmul_batch_broadcast", mm([2, 3, 4], [3, 4, 5]))
    o.case("matmul_int32", mm([2, 3], [3, 4], TensorProto.INT32))
    o.case("control_matmul_activations", mm([2, 1, 5, 7], [3, 7, 4]))
    o.case("control_matmul_vector", mm([7], [2, 7, 3]))
    # attention's two products (also a seed of the fuzz corpus's run target, see make_seeds.py)
    o.case("control_matmul_attention", model(
        [helper.make_node("Transpose", ["k"], ["kt"], name="kt", perm=[0, 1, 3, 2]),
         helper.make_node("MatMul", ["q", "kt"], ["s"], name="qk"),
         helper.make_node("Softmax", ["s"], ["p"], name="softmax", axis=-1),
         helper.make_node("MatMul", ["p", "v"], ["y"], name="pv")],
        [vi("q", [1, 2, 13, 8]), vi("k", [1, 2, 13, 8]), vi("v", [1, 2, 13, 8])], [vi("y", None)]))


def attention_model(q=(2, 3, 4), k=(2, 5, 4), v=(2, 5, 4), mask=None, dtype=TensorProto.FLOAT):
    """Attention (domain ai.rooftop, what the attention pass makes) read straight from a model."""
    names = ["q", "k", "v"] + (["mask"] if mask else [])
    shapes = [q, k, v] + ([mask] if mask else [])
    return model([helper.make_node("Attention", names, ["y"], name="attn", domain="ai.rooftop")],
                 [vi(n, list(sh), dtype if n != "mask" else TensorProto.FLOAT) for n, sh in zip(names, shapes)],
                 [vi("y", None)], opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.rooftop", 1)])


def transformer_block_model():
    """Decomposed LayerNorm then single-head self-attention with a causal mask, at opset 13: the
    layer_norm and attention passes turn its 14 nodes into 2 layers."""
    x = "x"
    nodes = [helper.make_node("ReduceMean", [x], ["m"], axes=[-1], name="mean"),
             helper.make_node("Sub", [x, "m"], ["d"], name="sub"),
             helper.make_node("Pow", ["d", "two"], ["d2"], name="pow"),
             helper.make_node("ReduceMean", ["d2"], ["var"], axes=[-1], name="var"),
             helper.make_node("Add", ["var", "eps"], ["ve"], name="add_eps"),
             helper.make_node("Sqrt", ["ve"], ["sd"], name="sqrt"),
             helper.make_node("Div", ["d", "sd"], ["n"], name="div"),
             helper.make_node("Mul", ["n", "gamma"], ["g"], name="scale"),
             helper.make_node("Add", ["g", "beta"], ["h"], name="bias"),
             helper.make_node("Transpose", ["h"], ["ht"], perm=[0, 2, 1], name="k_t"),
             helper.make_node("MatMul", ["h", "ht"], ["s"], name="qk"),
             helper.make_node("Div", ["s", "sqrt_d"], ["ss"], name="scale_scores"),
             helper.make_node("Add", ["ss", "causal"], ["sm"], name="mask"),
             helper.make_node("Softmax", ["sm"], ["p"], axis=-1, name="softmax"),
             helper.make_node("MatMul", ["p", "h"], ["y"], name="pv")]
    causal = np.triu(np.full((6, 6), -np.inf, np.float32), 1)
    inits = [numpy_helper.from_array(np.float32(2), "two"), numpy_helper.from_array(np.float32(1e-5), "eps"),
             numpy_helper.from_array(np.linspace(0.5, 1.5, 8, dtype=np.float32), "gamma"),
             numpy_helper.from_array(np.linspace(-0.5, 0.5, 8, dtype=np.float32), "beta"),
             numpy_helper.from_array(np.float32(np.sqrt(8)), "sqrt_d"), numpy_helper.from_array(causal, "causal")]
    return model(nodes, [vi(x, [1, 6, 8])], [vi("y", [1, 6, 8])], inits)


def fusion_cases(o):
    o.case("attention_head_dims", attention_model(k=(2, 5, 6)))
    o.case("attention_kv_length", attention_model(v=(2, 4, 4)))
    o.case("attention_batch", attention_model(k=(3, 5, 4), v=(3, 5, 4)))
    o.case("attention_rank", attention_model(q=(4,)))
    o.case("attention_mask_shape", attention_model(mask=(3, 4)))
    o.case("attention_int_input", attention_model(dtype=TensorProto.INT32))
    o.case("control_attention_mask", attention_model(mask=(1, 3, 5)))
    o.case("control_transformer_block", transformer_block_model())


def quant_model(scale, zero_point=None, tensor="y", scale_name="s", extra=()):
    """Relu whose output carries a GraphProto.quantization_annotation (per-tensor scale and zero
    point as initializers named in the annotation)."""
    inits = [numpy_helper.from_array(np.asarray(scale), "s")]
    entries = {"SCALE_TENSOR": scale_name}
    if zero_point is not None:
        inits.append(numpy_helper.from_array(np.asarray(zero_point), "z"))
        entries["ZERO_POINT_TENSOR"] = "z"
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])], [vi("y", [1, 4])], inits)
    a = m.graph.quantization_annotation.add()
    a.tensor_name = tensor
    for k, v in list(entries.items()) + list(extra):
        e = a.quant_parameter_tensor_names.add()
        e.key, e.value = k, v
    return m


def quant_cases(o):
    o.case("control_quant_annotation", quant_model(np.float32(0.05), np.uint8(128)))
    o.case("quant_annotation_unknown_tensor", quant_model(np.float32(0.05), tensor="nowhere"))
    o.case("quant_annotation_unknown_scale", quant_model(np.float32(0.05), scale_name="nowhere"))
    o.case("quant_annotation_scale_dtype", quant_model(np.float64(0.05)))
    o.case("quant_annotation_zero_scale", quant_model(np.float32(0.0), np.int8(0)))
    o.case("quant_annotation_zero_point_float", quant_model(np.float32(0.05), np.float32(1.0)))
    o.case("quant_annotation_per_axis", quant_model(np.array([0.1, 0.2], np.float32)))
    o.case("quant_annotation_no_scale", quant_model_without_scale())


def quant_model_without_scale():
    m = quant_model(np.float32(0.05), np.int8(3))
    entries = m.graph.quantization_annotation[0].quant_parameter_tensor_names
    keep = [e for e in entries if e.key != "SCALE_TENSOR"]
    del entries[:]
    entries.extend(keep)
    return m


def shape_input_model():
    """y = Reshape(x, s + 0): the shape comes from graph input s through an Add."""
    return model([helper.make_node("Add", ["s", "zero"], ["s2"], name="add"),
                  helper.make_node("Reshape", ["x", "s2"], ["y"], name="reshape")],
                 [vi("x", [3, 4]), vi("s", [2], TensorProto.INT64)], [vi("y", None)],
                 [numpy_helper.from_array(np.zeros(2, np.int64), "zero")])


def dropout_model(ratio, mask_out=False, ratio_shape=()):
    """Dropout in training mode (constant true) with the given ratio; the mask as a graph output
    or unread."""
    outs = [vi("y", None)] + ([vi("mask", None, TensorProto.BOOL)] if mask_out else [])
    return model([helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"], name="dropout")], [vi("x", [2, 3])], outs,
                 [numpy_helper.from_array(np.full(ratio_shape, ratio, np.float32), "r"),
                  numpy_helper.from_array(np.array(True), "t")])


def dropout_input_model():
    """Dropout whose ratio and training_mode are graph inputs (decided at run time), seed 3."""
    return model([helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"], name="dropout", seed=3)],
                 [vi("x", [2, 3]), vi("r", [], TensorProto.FLOAT), vi("t", [], TensorProto.BOOL)],
                 [vi("y", None), vi("mask", None, TensorProto.BOOL)])


def dropout_cases(o):
    o.case("control_dropout_training", dropout_model(0.5, mask_out=True))  # computes (drops)
    o.case("dropout_ratio_one", dropout_model(1.0))  # known at load: refused there
    o.case("dropout_ratio_not_scalar", dropout_model(0.5, ratio_shape=(2,)))
    o.case("control_dropout_mask_read", dropout_model(0.0, mask_out=True))  # the mask: a constant of ones
    o.case("control_dropout_zero_ratio", dropout_model(0.0))
    os.makedirs(o.path("values"), exist_ok=True)
    for name, arr in (("r_one", np.array(1.0, np.float32)), ("r_quarter", np.array(0.25, np.float32)),
                      ("t_true", np.array(True))):
        with open(o.path(f"values/{name}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(arr, name[0]).SerializeToString())
    for name in ("dropout_ratio_run_time", "control_dropout_ratio_run_time"):
        o.case(name, dropout_input_model())


def value_cases(o):
    """Inputs whose values set shapes, and the value files (--input) the cases give them."""
    os.makedirs(o.path("values"), exist_ok=True)
    for name, arr in (("s_2x6", np.array([2, 6], np.int64)), ("s_5x5", np.array([5, 5], np.int64)),
                      ("s_int32", np.array([2, 6], np.int32)), ("s_three", np.array([2, 3, 2], np.int64))):
        with open(o.path(f"values/{name}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(arr, "s").SerializeToString())
    for name in ("shape_input_missing", "control_shape_input", "shape_input_bad_count", "shape_input_dtype",
                 "shape_input_rank"):
        o.case(name, shape_input_model())


def cli_cases(o):
    for name in ("bad_threads", "unknown_flag", "shape_not_input"):
        o.case(name, relu_model())
    # --winograd: a bad mode is a usage error; on and off run a 3x3 stride-1 conv either way
    for name in ("winograd_bad_mode", "control_winograd_on", "control_winograd_off"):
        o.case(name, conv_model(w_shape=(5, 3, 3, 3), x_shape=(1, 3, 9, 7)))


# Flags that set a limit (rooftop --help); cases.txt gives each a value it must refuse.
LIMIT_FLAGS = ("max_file_bytes", "max_nesting_depth", "decode_budget_factor", "max_nodes", "max_initializers",
               "max_name_bytes", "max_rank", "max_tensor_bytes", "max_arena_bytes", "timeout")


def sigmoid_chain(n=100, shape=(1, 64, 128, 128)):
    """n Sigmoids in a row on a 4 MiB tensor: a few milliseconds of kernels, nothing to fuse."""
    nodes = [helper.make_node("Sigmoid", [f"t{i}"], [f"t{i + 1}"], name=f"sig{i}") for i in range(n)]
    return model(nodes, [vi("t0", list(shape))], [vi(f"t{n}", None)])


def limit_cases(o):
    """Models for the limit flags (the limit itself is set on the command line in cases.txt)."""
    for name in ("limit_file_bytes", "limit_nesting_depth", "limit_name_bytes", "limit_tensor_bytes_planned"):
        o.case(name, relu_model())
    two = model([helper.make_node("Relu", ["x"], ["h"], name="relu0"), helper.make_node("Relu", ["h"], ["y"], name="relu1")],
                [vi("x", [1, 4])], [vi("y", [1, 4])])
    o.case("limit_nodes", two)
    for name in ("limit_rank", "limit_tensor_bytes", "limit_arena", "control_limits"):
        o.case(name, conv_model())
    a = numpy_helper.from_array(np.ones([4], np.float32), "a")
    b = numpy_helper.from_array(np.ones([4], np.float32), "b")
    o.case("limit_initializers", model([helper.make_node("Add", ["x", "a"], ["h"], name="add0"),
                                        helper.make_node("Add", ["h", "b"], ["y"], name="add1")],
                                       [vi("x", [4])], [vi("y", None)], [a, b]))
    o.case("limit_decode_budget", model_header() + ld(7, b"\x0a\x00" * 600_000))
    o.case("limit_timeout", sigmoid_chain())
    for flag in LIMIT_FLAGS:
        o.case("bad_" + flag, relu_model())


def npy_bytes(header, data=b""):
    """A .npy v1 file with the given header dict text (padded to 64 bytes like numpy does)."""
    text = header.encode("latin1")
    pad = 64 - (10 + len(text) + 1) % 64
    text += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def tensor_cases(o):
    """Tensor files (--input of the CLI, conformance data) for tensor_cases.txt."""
    os.makedirs(o.path("tensors"), exist_ok=True)
    written = []

    def put(name, data):
        o.raw(os.path.join("tensors", name), data)
        written.append(name)

    def npy(name, array):
        import io
        buf = io.BytesIO()
        np.save(buf, array)
        put(name, buf.getvalue())

    npy("f4.npy", np.arange(6, dtype=np.float32).reshape(2, 3))
    npy("i8.npy", np.arange(4, dtype=np.int64))
    npy("bool.npy", np.array([True, False, True]))
    npy("scalar.npy", np.array(3.5, dtype=np.float64))
    npy("empty_dim.npy", np.zeros((2, 0, 3), dtype=np.float32))
    npy("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    npy("big_endian.npy", np.arange(4, dtype=">f4"))
    npy("rank7.npy", np.zeros([1] * 7, dtype=np.float32))
    full = np.arange(6, dtype=np.float32).reshape(2, 3)
    put("short_data.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", full.tobytes()[:20]))
    put("negative_shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }"))
    put("no_shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, }"))
    put("header_too_long.npy", b"\x93NUMPY\x01\x00" + (60000).to_bytes(2, "little") + b"{")
    put("overflow_shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"))
    put("f4.pb", numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "t").SerializeToString())
    put("i64_typed.pb", helper.make_tensor("t", TensorProto.INT64, [3], [1, -2, 3]).SerializeToString())
    put("raw_short.pb", raw_tensor("t", [4], b"\0" * 15).SerializeToString())
    put("garbage.pb", b"\xff" * 64)
    put("empty.pb", b"")
    put("external.pb", external_tensor("weights.bin").SerializeToString())
    return written


def rnn_cases(o):
    """LSTM, GRU and RNN (ops/recurrent.c): shape and attribute rules at load, sequence_lens out of
    range at load (constant) and at run time (computed from a graph input), controls running the
    native kernel (constant weights) and the reference (weights as graph inputs)."""
    F, I32 = TensorProto.FLOAT, TensorProto.INT32
    rng = np.random.default_rng(7)

    def w(name, *shape):
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)

    def rnn(op, gates, hidden=4, inp=3, seq=3, batch=2, dirs=1, inputs=("x", "W", "R"), outputs=("y", "y_h"),
            extra_nodes=(), extra_inputs=(), inits=None, opset=14, x_shape=None, **attrs):
        inits = inits if inits is not None else [w("W", dirs, gates * hidden, inp), w("R", dirs, gates * hidden, hidden)]
        node = helper.make_node(op, list(inputs), list(outputs), name=op.lower(), **attrs)
        xs = x_shape if x_shape is not None else [seq, batch, inp]
        return model(list(extra_nodes) + [node], [vi("x", xs)] + list(extra_inputs),
                     [vi(n, None) for n in outputs if n], inits, opset_imports=[helper.make_opsetid("", opset)])

    o.case("rnn_hidden_size_mismatch", rnn("LSTM", 4, hidden_size=5))
    o.case("rnn_direction", rnn("GRU", 3, direction="sideways"))
    o.case("rnn_w_rank", rnn("RNN", 1, inits=[numpy_helper.from_array(np.ones((4, 3), np.float32), "W"), w("R", 1, 4, 4)]))
    o.case("rnn_x_rank", rnn("RNN", 1, x_shape=[3, 3]))
    o.case("rnn_activation_unknown", rnn("RNN", 1, activations=["Swish"]))
    o.case("rnn_activations_count", rnn("LSTM", 4, activations=["Sigmoid", "Tanh"]))
    o.case("rnn_layout_opset", rnn("GRU", 3, opset=13, layout=1))
    o.case("rnn_clip_negative", rnn("LSTM", 4, clip=-1.0))
    lens = lambda v, dt=np.int32: numpy_helper.from_array(np.array(v, dt), "lens")
    base = [w("W", 1, 12, 3), w("R", 1, 12, 4)]
    o.case("rnn_lens_dtype", rnn("GRU", 3, inputs=("x", "W", "R", "", "lens"), inits=base + [lens([3, 1], np.int64)]))
    o.case("rnn_lens_const_range", rnn("GRU", 3, inputs=("x", "W", "R", "", "lens"), inits=base + [lens([3, 4])]))
    # sequence_lens = j * 0 + 5 with j a graph input (whatever the driver feeds it): 5 steps of 3
    o.case("rnn_lens_run_range", rnn("GRU", 3, inputs=("x", "W", "R", "", "lens2"),
                                     inits=base + [lens([5, 5]), numpy_helper.from_array(np.zeros(2, np.int32), "zero")],
                                     extra_nodes=[helper.make_node("Mul", ["j", "zero"], ["j0"], name="mul"),
                                                  helper.make_node("Add", ["j0", "lens"], ["lens2"], name="add")],
                                     extra_inputs=[vi("j", [2], I32)]))
    # every input and output, bidirectional, layout 1: the native kernel (constant weights)
    d, h, i, s, b = 2, 5, 3, 4, 3
    full = [w("W", d, 4 * h, i), w("R", d, 4 * h, h), w("B", d, 8 * h), lens([4, 2, 0]), w("P", d, 3 * h)]
    o.case("control_lstm", rnn("LSTM", 4, hidden=h, inp=i, dirs=d, inputs=("x", "W", "R", "B", "lens", "h0", "c0", "P"),
                               outputs=("y", "y_h", "y_c"), inits=full, x_shape=[b, s, i], layout=1, direction="bidirectional",
                               extra_inputs=[vi("h0", [b, d, h]), vi("c0", [b, d, h])], clip=3.0, input_forget=1))
    # weights as graph inputs (the reference kernel), Y omitted, linear_before_reset
    o.case("control_gru_ref", model([helper.make_node("GRU", ["x", "W", "R"], ["", "y_h"], name="gru", hidden_size=4,
                                                      linear_before_reset=1, direction="reverse")],
                                    [vi("x", [3, 2, 3]), vi("W", [1, 12, 3]), vi("R", [1, 12, 4])], [vi("y_h", None)]))


def seq_cases(o):
    """Sequences and optionals (ops/sequence.c): a position out of range and an empty optional read
    at run time, an element of the wrong dtype at load, a sequence graph input the CLI cannot fill,
    and a control that runs SequenceConstruct, SequenceInsert, SequenceErase, SequenceAt and
    SequenceLength."""
    op17 = [helper.make_opsetid("", 17)]
    c = lambda name, v, dt=np.float32: numpy_helper.from_array(np.array(v, dt), name)
    n = helper.make_node
    build = [n("SequenceConstruct", ["a", "b"], ["s"], name="make")]
    consts = [c("a", [1, 2]), c("b", [3, 4])]
    o.case("seq_at_range", model(build + [n("SequenceAt", ["s", "pos"], ["y"], name="at")], [], [vi("y", None)],
                                 consts + [c("pos", 5, np.int64)], opset_imports=op17))
    o.case("seq_insert_dtype", model(build + [n("SequenceInsert", ["s", "k"], ["t"], name="ins"),
                                              n("SequenceLength", ["t"], ["y"], name="len")], [], [vi("y", None)],
                                     consts + [c("k", [1, 2], np.int64)], opset_imports=op17))
    seq_type = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, None))
    o.case("opt_get_empty", model([n("Optional", [], ["o"], name="none", type=seq_type),
                                   n("OptionalGetElement", ["o"], ["s"], name="get"),
                                   n("SequenceLength", ["s"], ["y"], name="len")], [], [vi("y", None)], opset_imports=op17))
    o.case("seq_graph_input", model([n("SequenceLength", ["s"], ["y"], name="len")],
                                    [helper.make_value_info("s", seq_type)], [vi("y", None)], opset_imports=op17))
    o.case("control_seq", model(build + [n("SequenceInsert", ["s", "a", "zero"], ["t"], name="ins"),
                                         n("SequenceErase", ["t"], ["u"], name="erase"),
                                         n("SequenceAt", ["u", "zero"], ["y"], name="at"),
                                         n("SequenceLength", ["u"], ["len"], name="len")], [],
                                [vi("y", None), vi("len", None)], consts + [c("zero", 0, np.int64)], opset_imports=op17))


def qop_cases(o):
    """Quantization ops (ops/quantize.c): scale, zero point, axis and per-channel rules at load,
    float8 refused, and controls running the native Q/DQ and XNNPACK's QLinearConv."""
    F, U8, I8, I32 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
    t = numpy_helper.from_array

    def qdq(op, x_type, inits, inputs=("x", "s", "z"), opset=13, x_shape=(1, 3, 2, 2), **attrs):
        node = helper.make_node(op, list(inputs), ["y"], name=op.lower(), **attrs)
        return model([node], [vi("x", list(x_shape), x_type)], [vi("y", None)], inits,
                     opset_imports=[helper.make_opsetid("", opset)])

    s1, z8 = t(np.array(0.5, np.float32), "s"), t(np.array(3, np.uint8), "z")
    o.case("q_scale_zero", qdq("QuantizeLinear", F, [t(np.array(0.0, np.float32), "s"), z8]))
    o.case("q_scale_int", qdq("QuantizeLinear", F, [t(np.array(2, np.int64), "s"), z8]))
    o.case("dq_zero_point_dtype", qdq("DequantizeLinear", U8, [s1, t(np.array(3, np.int8), "z")]))
    o.case("q_axis_scale_length", qdq("QuantizeLinear", F, [t(np.ones(4, np.float32), "s"), t(np.zeros(4, np.uint8), "z")]))
    o.case("q_axis_range", qdq("QuantizeLinear", F, [t(np.ones(3, np.float32), "s"), t(np.zeros(3, np.uint8), "z")], axis=4))
    o.case("q_block_shape", qdq("QuantizeLinear", F, [t(np.ones((1, 3, 2, 2), np.float32), "s")], inputs=("x", "s"),
                                opset=21, axis=3, block_size=2))
    z_f8 = raw_tensor("z", [], b"\0", dtype=17)  # FLOAT8E4M3FN (this onnx package predates the name)
    o.case("q_float8", qdq("QuantizeLinear", F, [s1, z_f8], opset=19))
    o.case("dynq_int_input", model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "ys", "yz"], name="dynq")],
                                   [vi("x", [4], I32)], [vi("y", None)]))
    o.case("mmint_inner_dims", model([helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi")],
                                     [vi("a", [2, 3], U8)], [vi("y", None)], [t(np.ones((4, 2), np.int8), "b")]))

    def qconv(w_zp, bias=None, x_type=U8, w_dtype=np.int8, w_scale=None):
        ins = ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"] + (["b"] if bias is not None else [])
        inits = [t(np.array(0.05, np.float32), "xs"), t(np.array(128, np.uint8), "xz"),
                 t((np.arange(4 * 3 * 3 * 3) % 7 - 3).astype(w_dtype).reshape(4, 3, 3, 3), "w"),
                 t(w_scale if w_scale is not None else np.full(4, 0.01, np.float32), "ws"), t(w_zp, "wz"),
                 t(np.array(0.2, np.float32), "ys"), t(np.array(128, np.uint8), "yz")] + ([bias] if bias is not None else [])
        node = helper.make_node("QLinearConv", ins, ["y"], name="qconv", pads=[1, 1, 1, 1])
        return model([node], [vi("x", [1, 3, 8, 8], x_type)], [vi("y", None)], inits)

    o.case("qconv_wzp_length", qconv(np.zeros(3, np.int8)))
    o.case("qconv_bias_dtype", qconv(np.zeros(4, np.int8), bias=t(np.zeros(4, np.float32), "b")))
    o.case("qconv_scale_negative", qconv(np.zeros(4, np.int8), w_scale=np.array([0.1, -0.1, 0.1, 0.1], np.float32)))
    o.case("control_qconv", qconv(np.zeros(4, np.int8), bias=t(np.arange(4, dtype=np.int32), "b")))
    ms = [helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)]
    xs, xz = t(np.array(0.05, np.float32), "xs"), t(np.array(128, np.uint8), "xz")
    add = lambda scale: helper.make_node("QLinearAdd", ["x", "xs", "xz", "x", scale, "xz", "xs", "xz"], ["a"], name="qadd",
                                         domain="com.microsoft")
    o.case("qadd_scale_vector", model([add("vs")], [vi("x", [1, 3, 8, 8], U8)], [vi("a", None)],
                                      [xs, xz, t(np.full(3, 0.1, np.float32), "vs")], opset_imports=ms))
    o.case("control_qlinear_ms", model(
        [add("xs"), helper.make_node("QLinearSigmoid", ["a", "xs", "xz", "ss", "sz"], ["s"], name="qsig", domain="com.microsoft"),
         helper.make_node("QLinearLeakyRelu", ["s", "ss", "sz", "xs", "xz"], ["l"], name="qleaky", domain="com.microsoft", alpha=0.2),
         helper.make_node("QLinearMul", ["l", "xs", "xz", "a", "xs", "xz", "xs", "xz"], ["m"], name="qmul", domain="com.microsoft"),
         helper.make_node("QLinearGlobalAveragePool", ["m", "xs", "xz", "xs", "xz"], ["y"], name="qgap", domain="com.microsoft")],
        [vi("x", [1, 3, 8, 8], U8)], [vi("y", None)], [xs, xz, t(np.array(1 / 256, np.float32), "ss"), t(np.array(0, np.uint8), "sz")],
        opset_imports=ms))
    rt = ms + [helper.make_opsetid("ai.rooftop", 1)]
    swish = lambda ins: helper.make_node("QLinearSwish", ins, ["y"], name="qswish", domain="ai.rooftop")
    gates = [xs, xz, t(np.array(1 / 256, np.float32), "ss"), t(np.array(0, np.uint8), "sz"), t(np.array(0, np.int8), "sz8")]
    o.case("qswish_arity", model([swish(["x", "xs", "xz", "ss", "sz", "xs"])], [vi("x", [1, 3, 8, 8], U8)], [vi("y", None)],
                                 gates, opset_imports=rt))
    o.case("qswish_zero_point_required", model([swish(["x", "xs", "", "ss", "sz", "xs", "xz"])], [vi("x", [1, 3, 8, 8], U8)],
                                               [vi("y", None)], gates, opset_imports=rt))
    o.case("control_qswish", model([swish(["x", "xs", "xz", "ss", "sz8", "xs", "xz"])], [vi("x", [1, 3, 8, 8], U8)],
                                   [vi("y", None)], gates, opset_imports=rt))
    o.case("control_qdq", model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
                                 helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq")],
                                [vi("x", [1, 3, 8, 8])], [vi("y", None)], [s1, z8]))


def manifest_names(manifest):
    names = []
    with open(os.path.join(HERE, manifest)) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                names.append(line.split("|", 1)[0])
    return names


def check(manifest, want, have):
    if sorted(want) != sorted(have) or len(set(have)) != len(have):
        print(f"make_bad_models.py: {manifest} and the generator disagree: only in {manifest} "
              f"{sorted(set(want) - set(have))}, only generated {sorted(set(have) - set(want))}", file=sys.stderr)
        sys.exit(1)


def f16_cases(o):
    """float16 models (wt-f16): T shared by X, W and B; the widened layers' controls."""
    F16 = TensorProto.FLOAT16

    def conv16(w_dtype=np.float16, b_dtype=np.float16):
        inits = [numpy_helper.from_array(np.ones((4, 3, 3, 3), w_dtype), "w"),
                 numpy_helper.from_array(np.zeros(4, b_dtype), "b")]
        node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv16", pads=[1, 1, 1, 1])
        return model([node], [vi("x", [1, 3, 8, 8], F16)], [vi("y", None, F16)], inits)
    o.case("f16_conv_f32_weight", conv16(w_dtype=np.float32))
    o.case("f16_conv_f32_bias", conv16(b_dtype=np.float32))
    o.case("f16_gemm_f32_b", model(
        [helper.make_node("Gemm", ["a", "b"], ["y"], name="gemm16", transB=1)], [vi("a", [2, 5], F16)],
        [vi("y", None, F16)], [numpy_helper.from_array(np.ones((3, 5), np.float32), "b")]))
    o.case("control_f16_conv", conv16())
    o.case("control_bf16_relu_gemm", model(
        [helper.make_node("Relu", ["a"], ["r"], name="relu16"),
         helper.make_node("Gemm", ["r", "b"], ["y"], name="gemm16", transB=1)],
        [vi("a", [2, 5], TensorProto.BFLOAT16)], [vi("y", None, TensorProto.BFLOAT16)],
        [helper.make_tensor("b", TensorProto.BFLOAT16, [3, 5], [0x3f80] * 15, raw=False)]))


def if_cases(o):
    """If (wt-seq): folded at load into its taken branch; the rules of branches and condition."""
    B = TensorProto.BOOL

    def branch(op, out, name):
        return helper.make_graph([helper.make_node(op, ["x"], [out], name=name)], name, [], [vi(out, None)])

    def if_model(cond_init, then_g, else_g, outputs=("y",), cond_input=None):
        attrs = {k: v for k, v in (("then_branch", then_g), ("else_branch", else_g)) if v is not None}
        node = helper.make_node("If", ["c"], list(outputs), name="if", **attrs)
        inputs = [vi("x", [2, 3])] + ([cond_input] if cond_input else [])
        return model([node], inputs, [vi(n, None) for n in outputs], [cond_init] if cond_init else [])
    true = numpy_helper.from_array(np.array(True), "c")
    o.case("if_no_else", if_model(true, branch("Relu", "t", "relu_t"), None))
    two = helper.make_graph([helper.make_node("Relu", ["x"], ["t"]), helper.make_node("Neg", ["x"], ["u"])], "two", [],
                            [vi("t", None), vi("u", None)])
    o.case("if_output_count", if_model(true, two, branch("Neg", "e", "neg_e")))
    o.case("if_cond_float", if_model(numpy_helper.from_array(np.array(1.0, np.float32), "c"),
                                     branch("Relu", "t", "relu_t"), branch("Neg", "e", "neg_e")))
    unknown = helper.make_graph([helper.make_node("Relu", ["nowhere"], ["t"], name="relu_t")], "then", [], [vi("t", None)])
    o.case("if_unknown_name", if_model(true, unknown, branch("Neg", "e", "neg_e")))
    o.case("if_runtime_cond", if_model(None, branch("Relu", "t", "relu_t"), branch("Neg", "e", "neg_e"),
                                       cond_input=vi("c", [], B)))
    o.case("control_if_const", if_model(numpy_helper.from_array(np.array(False), "c"), branch("Relu", "t", "relu_t"),
                                        branch("Neg", "e", "neg_e")))
    # decided by static shapes, a nested If in the taken branch, a branch returning an outer value
    inner = helper.make_node("If", ["k"], ["t"], name="inner_if", then_branch=branch("Relu", "r", "relu_r"),
                             else_branch=helper.make_graph([], "outer", [], [vi("x", None)]))
    then_g = helper.make_graph([helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array(False))),
                                inner], "then", [], [vi("t", None)])
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("ReduceProd", ["s"], ["n"], keepdims=0),
             helper.make_node("Equal", ["n", "six"], ["c"]),
             helper.make_node("If", ["c"], ["y"], name="if", then_branch=then_g, else_branch=branch("Neg", "e", "neg_e"))]
    o.case("control_if_shape", model(nodes, [vi("x", [2, 3])], [vi("y", None)],
                                     [numpy_helper.from_array(np.array(6, np.int64), "six")]))
    # decided at run time: branches of different shapes cannot share one plan
    red = helper.make_graph([helper.make_node("ReduceSum", ["x"], ["e"], name="sum_e", keepdims=0)], "else", [],
                            [vi("e", None)])
    o.case("if_branch_shapes", if_model(None, branch("Relu", "t", "relu_t"), red, cond_input=vi("c", [], B)))


def loop_cases(o):
    """Loop and Scan (runtime/control.h): bodies planned as subgraphs; their rules."""
    B, I64 = TensorProto.BOOL, TensorProto.INT64

    def body(nodes, n_carried=1, outputs=("c_out", "y_out", "s_out")):
        ins = [vi("i", [], I64), vi("c_in", [], B)] + [vi(f"y_in{k}" if k else "y_in", None) for k in range(n_carried)]
        return helper.make_graph(nodes, "body", ins, [vi(n, None) for n in outputs])

    step = [helper.make_node("Identity", ["c_in"], ["c_out"]), helper.make_node("Add", ["y_in", "x"], ["y_out"], name="add"),
            helper.make_node("Identity", ["y_out"], ["s_out"])]

    def loop(m, b, cond=None, outputs=("y", "s"), inits=()):
        # without a cond input: a constant true start (a random bool input would end the loop
        # before M at some seeds, which scan outputs planned for M refuse)
        ins = [vi("x", [2, 3])] + ([cond] if cond is not None else []) + [vi("y0", [2, 3])]
        consts = [numpy_helper.from_array(np.array(m, np.int64), "m")]
        if cond is None:
            consts.append(numpy_helper.from_array(np.array(True), "c"))
        node = helper.make_node("Loop", ["m", "c", "y0"], list(outputs), name="loop", body=b)
        return model([node], ins, [vi(n, None) for n in outputs], consts + list(inits))
    o.case("control_loop", loop(3, body(step)))
    o.case("loop_body_outputs", loop(3, body(step, outputs=("c_out", "y_out", "s_out")), outputs=("y",)))
    o.case("loop_cond_shape", loop(3, body(step), cond=vi("c", [2], B)))
    o.case("loop_m_negative", loop(-1, body(step)))
    # a Slice whose start and end follow the iteration number: the body is planned again per
    # iteration (runtime/control.c); a slice of one element passes, a growing one changes the
    # scan output's shape after iteration 0
    def sliced(end_plus):
        consts = [numpy_helper.from_array(np.arange(6, dtype=np.float32), "row"),
                  numpy_helper.from_array(np.array([end_plus], np.int64), "n")]
        start = "i1" if end_plus == 1 else "zero"
        nodes = [helper.make_node("Identity", ["c_in"], ["c_out"]),
                 helper.make_node("Unsqueeze", ["i", "ax"], ["i1"]),
                 helper.make_node("Add", ["i1", "n"], ["end"]),
                 helper.make_node("Slice", ["row", start, "end"], ["s_out"], name="slice"),
                 helper.make_node("Add", ["y_in", "x"], ["y_out"], name="add")]
        consts += [numpy_helper.from_array(np.array([0], np.int64), "ax"), numpy_helper.from_array(np.array([0], np.int64), "zero")]
        return loop(3, body(nodes), inits=consts)
    o.case("control_loop_slice_iter", sliced(1))
    o.case("loop_slice_iter_grows", sliced(2))
    # no trip count and a condition that stays true: only --timeout ends it (checked between
    # iterations, also in a Loop nested in another Loop's body)
    forever = body([helper.make_node("Identity", ["c_in"], ["c_out"]),
                    helper.make_node("Add", ["y_in", "x"], ["y_out"], name="add")], outputs=("c_out", "y_out"))
    node = helper.make_node("Loop", ["", "c", "y0"], ["y"], name="loop", body=forever)
    o.case("loop_forever", model([node], [vi("x", [2, 3]), vi("y0", [2, 3])], [vi("y", None)],
                                 [numpy_helper.from_array(np.array(True), "c")]))
    forever2 = helper.make_graph([helper.make_node("Identity", ["c2_in"], ["c2_out"]),
                                  helper.make_node("Add", ["z_in", "x"], ["z_out"], name="add2")], "inner_body",
                                 [vi("i2", [], I64), vi("c2_in", [], B), vi("z_in", None)],
                                 [vi("c2_out", None), vi("z_out", None)])
    inner = helper.make_node("Loop", ["", "c", "y_in"], ["y_out"], name="inner_loop", body=forever2)
    outer_body = body([helper.make_node("Identity", ["c_in"], ["c_out"]), inner], outputs=("c_out", "y_out"))
    outer = helper.make_node("Loop", ["m", "c", "y0"], ["y"], name="outer_loop", body=outer_body)
    o.case("loop_forever_nested", model([outer], [vi("x", [2, 3]), vi("y0", [2, 3])], [vi("y", None)],
                                        [numpy_helper.from_array(np.array(True), "c"),
                                         numpy_helper.from_array(np.array(2, np.int64), "m")]))

    def scan(axes, directions=(1,)):
        b = helper.make_graph([helper.make_node("Add", ["s_in", "x_t"], ["s_out"], name="add"),
                               helper.make_node("Identity", ["s_out"], ["z_t"])], "body",
                              [vi("s_in", None), vi("x_t", None)], [vi("s_out", None), vi("z_t", None)])
        node = helper.make_node("Scan", ["s0", "x"], ["s", "z"], name="scan", body=b, num_scan_inputs=1,
                                scan_input_axes=list(axes), scan_input_directions=list(directions),
                                scan_output_directions=list(directions))
        return model([node], [vi("s0", [3]), vi("x", [4, 3])], [vi("s", None), vi("z", None)])
    o.case("control_scan", scan([0]))
    o.case("scan_axis_range", scan([5]))


def spectral_cases(o):
    """DFT, STFT and the windows (opset 17, ops/spectral.c): their shape rules."""
    op17 = [helper.make_opsetid("", 17)]

    def dft(dims, axis, onesided=0):
        node = helper.make_node("DFT", ["x"], ["y"], name="dft", axis=axis, onesided=onesided)
        return model([node], [vi("x", dims)], [vi("y", None)], opset_imports=op17)

    def stft(length, frame, window=None):
        ins = ["x", "step"] + (["w"] if window else ["", "frame"])
        inits = [numpy_helper.from_array(np.array(4, np.int64), "step")]
        if window:
            inits.append(numpy_helper.from_array(np.hanning(window).astype(np.float32), "w"))
        inits.append(numpy_helper.from_array(np.array(frame, np.int64), "frame"))
        if window:
            ins.append("frame")
        node = helper.make_node("STFT", ins, ["y"], name="stft")
        return model([node], [vi("x", [1, length, 1])], [vi("y", None)], inits, opset_imports=op17)

    o.case("control_dft", dft([1, 8, 5, 2], 2))
    o.case("control_stft", stft(64, 16, window=16))
    o.case("dft_axis_range", dft([1, 8, 1], 2))
    o.case("dft_last_dim", dft([1, 8, 3], 1))
    o.case("dft_onesided_complex", dft([1, 8, 2], 1, onesided=1))
    o.case("stft_short_signal", stft(10, 16))
    o.case("stft_window_length", stft(64, 16, window=8))
    size = numpy_helper.from_array(np.array(-1, np.int64), "size")
    o.case("window_negative", model([helper.make_node("HannWindow", ["size"], ["y"], name="hann")], [], [vi("y", None)],
                                    [size], opset_imports=op17))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    o = Out(sys.argv[1])
    os.makedirs(o.root, exist_ok=True)
    for make in (file_cases, graph_cases, name_cases, initializer_cases, op_cases, layer_norm_cases, index_cases,
                 norm_cases, reduce_cases, copy_cases, matmul_cases, quant_cases, external_cases, value_cases,
                 dropout_cases, fusion_cases, cli_cases, limit_cases, rnn_cases, f16_cases, qop_cases, if_cases,
                 loop_cases, spectral_cases, seq_cases):
        make(o)
    check("cases.txt", manifest_names("cases.txt"), o.names)
    tensors = tensor_cases(o)
    check("tensor_cases.txt", manifest_names("tensor_cases.txt"), tensors)
    print(f"{len(o.names)} model cases and {len(tensors)} tensor files written to {o.root}")


if __name__ == "__main__":
    main()
