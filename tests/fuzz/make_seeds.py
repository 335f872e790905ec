#!/usr/bin/env python3
"""Builds the fuzz seed corpus, one folder per target, from:
  TESTDATA  libonnx-testdata's data folder (CMake cache variable ROOF_ONNX_TESTDATA): every
            model.onnx (load; run when at most 64 KiB) and every test_data_set_0/input_0.pb
            (tensor)
  BAD_DIR   the bad-input suite's generated models and tensors/ (make_bad_models.py), whose
            positive controls seed the run target with ops the testdata lacks in small models
            (control_matmul_attention: Q.K^T and A.V, both operands activations)
and a few hand-written inputs for the targets that read no file format (external, report), and
small models written here for ops the test data lacks in combination (index_ops_seed, op_seeds,
reduce_seed: the reductions at opset 18; convt_seed: a ConvTranspose on the GEMM entry; dropout_seed: training-mode Dropout; rnn_seed: LSTM, GRU and RNN chained; f16_seed: a float16
model; quant_seed: the quantization ops chained) and the decomposed transformer block the layer_norm and
attention passes fuse (fusion_seeds).
Nothing here is committed: the seeds are rebuilt in the build tree. Safe to rerun.

usage: make_seeds.py TESTDATA BAD_DIR OUT_DIR
"""
import glob
import os
import shutil
import struct
import sys

TARGETS = ("load", "run", "tensor", "npy", "external", "report")
MIB = 1 << 20


def put(src, out, target, name, max_bytes):
    """Copies src as OUT/TARGET/NAME when it is a regular file (no symlink) of at most max_bytes."""
    if os.path.islink(src) or not os.path.isfile(src) or os.path.getsize(src) > max_bytes:
        return
    shutil.copyfile(src, os.path.join(out, target, name))


def testdata_seeds(testdata, out):
    if not os.path.isdir(testdata):
        print(f"make_seeds.py: {testdata} not found: no libonnx-testdata seeds", file=sys.stderr)
        return
    for model in sorted(glob.glob(os.path.join(testdata, "*", "*", "model.onnx"))):
        case_dir = os.path.dirname(model)
        name = f"{os.path.basename(os.path.dirname(case_dir))}_{os.path.basename(case_dir)}"
        put(model, out, "load", name + ".onnx", MIB)
        put(model, out, "run", name + ".onnx", 64 << 10)
        put(os.path.join(case_dir, "test_data_set_0", "input_0.pb"), out, "tensor", name + ".pb", 64 << 10)


def bad_input_seeds(bad, out):
    if not os.path.isdir(bad):
        print(f"make_seeds.py: {bad} not found: no bad-input seeds", file=sys.stderr)
        return
    for model in sorted(glob.glob(os.path.join(bad, "*.onnx"))):
        put(model, out, "load", "bad_" + os.path.basename(model), MIB)
        put(model, out, "run", "bad_" + os.path.basename(model), 64 << 10)
    for t in sorted(glob.glob(os.path.join(bad, "tensors", "*"))):
        target = "npy" if t.endswith(".npy") else "tensor" if t.endswith(".pb") else None
        if target:
            put(t, out, target, "bad_" + os.path.basename(t), 64 << 10)


def ext(nbytes, location, offset=None, length=None):
    """fuzz_external.c input: byte 0 = bytes needed, then location \\0 offset \\0 length."""
    fields = [location.encode()] + [f.encode() for f in (offset, length) if f is not None]
    return bytes([nbytes]) + b"\0".join(fields)


EXTERNAL = {
    "whole": ext(64, "data.bin"), "range": ext(16, "data.bin", "16", "16"), "subdir": ext(8, "sub/deeper/e.bin", "8"),
    "dot_parts": ext(32, "./sub//d.bin"), "dotdot": ext(16, "../outside.bin"), "symlink": ext(16, "link.bin"),
    "escape": ext(16, "escape.bin"), "dirlink": ext(16, "dirlink/d.bin"), "updir": ext(16, "updir/outside.bin"),
    "hardlink": ext(16, "hard.bin"), "fifo": ext(0, "fifo"), "directory": ext(0, "empty"),
    "past_end": ext(16, "data.bin", "60"), "overflow": ext(1, "data.bin", "18446744073709551615", "1"),
    "absolute": ext(16, "/etc/hostname"), "bad_number": ext(16, "data.bin", "-1"),
    "omitted_offset": ext(16, "data.bin", "-", "16"),
}


def report(fields, roofs=()):
    """fuzz_report.c input: 8 NUL-separated names, then doubles for the roofs."""
    return b"\0".join(fields) + b"\0" + b"".join(struct.pack("<d", r) for r in roofs)


REPORT = {
    "plain": report([b"x", b"relu", b"h", b"sig", b"y", b"model.onnx", b"all", b"cpu"], (100.0, 50, 40, 30, 10)),
    "invalid_utf8": report([b"x\xff", b"re\xc0\xafu", b"h\xed\xa0\x80", b"s\xf4\x90\x80\x80g", b"y", b"m\xfe.onnx",
                            b"al\xe2\x82", b"c\xf0\x9f\x98pu"]),
    "quotes": report([b'x"\\', b"\x01\x1f", b"h\n", b"</script>", b"y", b"", b"none", b""]),
    "nan_roofs": report([b"x", b"n", b"h", b"m", b"y", b"p", b"f", b"c"],
                        (float("nan"), float("inf"), 0.0, float("-inf"), 5e-324)),
}


def index_ops_seed(out):
    """One model chaining the shape, indexing and movement ops (wt-index), for load and run:
    DepthToSpace, SpaceToDepth, Tile, Expand, Trilu, CumSum, GatherElements, GatherND, ScatterND,
    ScatterElements, OneHot, Range, Size, EyeLike, CastLike."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx package: no index-ops seed", file=sys.stderr)
        return
    F, I64 = TensorProto.FLOAT, TensorProto.INT64
    c = lambda name, v, dt=np.int64: numpy_helper.from_array(np.array(v, dt), name)
    n = helper.make_node
    nodes = [
        n("DepthToSpace", ["x"], ["d2s"], blocksize=2, mode="CRD"),
        n("SpaceToDepth", ["d2s"], ["s2d"], blocksize=2),
        n("Tile", ["s2d", "reps"], ["tiled"]),
        n("Expand", ["tiled", "shape"], ["wide"]),
        n("Trilu", ["wide", "k"], ["tri"], upper=0),
        n("CumSum", ["tri", "axis"], ["cum"], exclusive=1, reverse=1),
        n("GatherElements", ["cum", "gi"], ["ge"], axis=3),
        n("GatherND", ["ge", "ni"], ["gnd"], batch_dims=1),
        n("ScatterND", ["gnd", "si", "su"], ["snd"], reduction="add"),
        n("ScatterElements", ["snd", "ei", "eu"], ["sel"], axis=1, reduction="max"),
        n("Size", ["sel"], ["size"]),
        n("OneHot", ["oi", "depth", "ov"], ["oh"], axis=-1),
        n("Range", ["r0", "r1", "r2"], ["rng"]),
        n("EyeLike", ["oh"], ["eye"], k=1),
        n("CastLike", ["size", "x"], ["size_f"]),
    ]
    inits = [c("reps", [1, 1, 1, 2]), c("shape", [2, 1, 1, 1]), c("k", 1), c("axis", 2),
             c("gi", np.zeros((2, 8, 4, 3), np.int64)), c("ni", [[1], [0]]), c("si", [[[0, 1]]] * 2),
             c("su", np.ones((2, 1, 3), np.float32), np.float32), c("ei", [[[0]], [[-1]]]),
             c("eu", np.ones((2, 1, 1), np.float32), np.float32), c("oi", [0, 2, -1]), c("depth", 4),
             c("ov", [0.0, 1.0], np.float32), c("r0", 0), c("r1", 5), c("r2", 2)]
    outs = [helper.make_tensor_value_info(v, dt, None) for v, dt in (("sel", F), ("size_f", F), ("eye", F), ("rng", I64))]
    g = helper.make_graph(nodes, "index_ops", [helper.make_tensor_value_info("x", F, [1, 8, 4, 4])], outs, inits)
    m = helper.make_model(g, producer_name="rooftop-seeds", opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    for target in ("load", "run"):
        with open(os.path.join(out, target, "index_ops.onnx"), "wb") as f:
            f.write(m.SerializeToString())


def op_seeds(out):
    """A chain of the normalization, axis-family, TopK and Einsum ops (load and run targets):
    mutations of it reach their infer and kernels with shapes the test data does not have."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no op seeds", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [
        helper.make_node("InstanceNormalization", ["x", "s", "b"], ["n"]),
        helper.make_node("LRN", ["n"], ["l"], size=3),
        helper.make_node("LogSoftmax", ["l"], ["ls"], axis=-1),
        helper.make_node("Einsum", ["ls", "ls"], ["e"], equation="bchw,bcvw->bchv"),
        helper.make_node("TopK", ["e", "k"], ["v", "i"], axis=-1),
        helper.make_node("Hardmax", ["v"], ["h"], axis=1),
        helper.make_node("GlobalMaxPool", ["l"], ["g"]),
        helper.make_node("MeanVarianceNormalization", ["x"], ["m"]),
        helper.make_node("LpNormalization", ["m"], ["lp"], axis=1, p=1),
        helper.make_node("Shrink", ["lp"], ["sh"], lambd=0.1, bias=0.05),
    ]
    inits = [numpy_helper.from_array(np.linspace(0.5, 2, 4, dtype=np.float32), "s"),
             numpy_helper.from_array(np.linspace(-1, 1, 4, dtype=np.float32), "b"),
             numpy_helper.from_array(np.array([2], np.int64), "k")]
    graph = helper.make_graph(nodes, "norm_seed", [helper.make_tensor_value_info("x", f, [1, 4, 5, 6])],
                              [helper.make_tensor_value_info(n, TensorProto.INT64 if n == "i" else f, None)
                               for n in ("h", "i", "g", "sh")], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_norm_chain.onnx"), "wb") as fh:
            fh.write(data)


def reduce_seed():
    """A chain of reductions at opset 18 (ops/reduce_list.inc): axes as constant inputs, a noop,
    ArgMax with select_last_index; mutations reach every row's parse and infer."""
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np
    axes = lambda name, *v: numpy_helper.from_array(np.array(v, np.int64), name)
    nodes = [helper.make_node("ReduceSum", ["x", "a1"], ["s"], name="sum", keepdims=1),
             helper.make_node("ReduceLogSumExp", ["s", "a2"], ["l"], name="lse", keepdims=0),
             helper.make_node("ReduceProd", ["x"], ["p"], name="prod", noop_with_empty_axes=1),
             helper.make_node("ReduceMax", ["p", "a2"], ["m"], name="max"),
             helper.make_node("ArgMax", ["m"], ["y"], name="argmax", axis=1, select_last_index=1)]
    g = helper.make_graph(nodes, "reduce", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 8])],
                          [helper.make_tensor_value_info("l", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("y", TensorProto.INT64, None)],
                          initializer=[axes("a1", 1), axes("a2", -1)])
    m = helper.make_model(g, producer_name="rooftop-seed", opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    return m.SerializeToString()


def fusion_seeds(out):
    """LayerNorm as opset 13 exports it, then scaled dot-product attention with its Transposes and
    a causal mask (load and run targets): mutations reach the layer_norm and attention passes'
    near misses and the Attention kernels with odd shapes; plus one Attention node as a model
    may hold it (domain ai.rooftop), for its infer."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no fusion seeds", file=sys.stderr)
        return
    n = helper.make_node
    nodes = [n("ReduceMean", ["x"], ["m"], axes=[-1]), n("Sub", ["x", "m"], ["d"]), n("Mul", ["d", "d"], ["d2"]),
             n("ReduceMean", ["d2"], ["var"], axes=[-1]), n("Add", ["eps", "var"], ["ve"]), n("Sqrt", ["ve"], ["sd"]),
             n("Reciprocal", ["sd"], ["r"]), n("Mul", ["d", "r"], ["h"]),
             n("Transpose", ["h"], ["q"], perm=[1, 0, 2]), n("Div", ["q", "sqrt_d"], ["qs"]),
             n("Transpose", ["h"], ["kt"], perm=[1, 2, 0]), n("MatMul", ["qs", "kt"], ["s"]),
             n("Add", ["s", "causal"], ["sm"]), n("Softmax", ["sm"], ["p"], axis=-1),
             n("Transpose", ["h"], ["v"], perm=[1, 0, 2]), n("MatMul", ["p", "v"], ["o"]),
             n("Transpose", ["o"], ["y"], perm=[1, 0, 2])]
    f = TensorProto.FLOAT
    inits = [numpy_helper.from_array(np.float32(1e-5), "eps"), numpy_helper.from_array(np.float32(2.0), "sqrt_d"),
             numpy_helper.from_array(np.triu(np.full((5, 5), -np.inf, np.float32), 1), "causal")]
    block = helper.make_graph(nodes, "fusion_seed", [helper.make_tensor_value_info("x", f, [5, 2, 4])],
                              [helper.make_tensor_value_info("y", f, None)], inits)
    attn = helper.make_graph([n("Attention", ["q", "k", "v", "mask"], ["y"], domain="ai.rooftop", scale=0.5)], "attn_seed",
                             [helper.make_tensor_value_info(a, f, s) for a, s in
                              (("q", [2, 3, 4]), ("k", [2, 5, 4]), ("v", [2, 5, 3]), ("mask", [3, 5]))],
                             [helper.make_tensor_value_info("y", f, None)])
    models = {"op_fused_block.onnx": helper.make_model(block, opset_imports=[helper.make_opsetid("", 13)]),
              "op_attention.onnx": helper.make_model(attn, opset_imports=[helper.make_opsetid("", 13),
                                                                          helper.make_opsetid("ai.rooftop", 1)])}
    for name, m in models.items():
        for target in ("load", "run"):
            with open(os.path.join(out, target, name), "wb") as fh:
                fh.write(m.SerializeToString())


def dw_conv_seed(out):
    """A 7x7 depthwise Conv (stride 2, 19 channels, asymmetric pads) and a Relu the activation pass
    fuses (load and run targets): the native depthwise kernel with mutated shapes and pads."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no depthwise conv seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], group=19, kernel_shape=[7, 7], strides=[2, 2],
                              pads=[3, 2, 3, 1]),
             helper.make_node("Relu", ["c"], ["y"])]
    inits = [numpy_helper.from_array(np.linspace(-1, 1, 19 * 49, dtype=np.float32).reshape(19, 1, 7, 7), "w"),
             numpy_helper.from_array(np.linspace(-0.5, 0.5, 19, dtype=np.float32), "b")]
    graph = helper.make_graph(nodes, "dw_conv_seed", [helper.make_tensor_value_info("x", f, [1, 19, 9, 11])],
                              [helper.make_tensor_value_info("y", f, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_dw_conv7x7.onnx"), "wb") as fh:
            fh.write(data)


def winograd_seed(out):
    """A 3x3 stride-1 Conv with bias (5 -> 17 channels, 7x9 and 9x10, asymmetric pads: tiles cut
    by the edges, channel tails) and a Relu the activation pass fuses (load and run targets;
    fuzz_run forces the Winograd kernel on: F(2x2) on the first, F(4x4) on the second):
    mutations reach its geometry and transforms."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no Winograd conv seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 0, 2, 1]),
             helper.make_node("Relu", ["c"], ["y"])]
    inits = [numpy_helper.from_array(np.linspace(-1, 1, 17 * 5 * 9, dtype=np.float32).reshape(17, 5, 3, 3), "w"),
             numpy_helper.from_array(np.linspace(-0.5, 0.5, 17, dtype=np.float32), "b")]
    # 7x9 is 63 pixels: the forced kernel takes F(2x2); 9x10 is over 64: F(4x4)
    for name, hw, file in (("winograd_seed", [7, 9], "op_conv3x3_winograd.onnx"),
                           ("winograd_seed_f4", [9, 10], "op_conv3x3_winograd_f4.onnx")):
        graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", f, [1, 5] + hw)],
                                  [helper.make_tensor_value_info("y", f, None)], inits)
        data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
        for target in ("load", "run"):
            with open(os.path.join(out, target, file), "wb") as fh:
                fh.write(data)


def convt_seed(out):
    """A 2x2 stride-2 ConvTranspose with bias (5 -> 6 channels, 3x7: 12 values per input pixel and
    tap row, so the native GEMM entry takes it) and a Relu the activation pass fuses (load and
    run targets): mutations reach its geometry, the refusals that send it to XNNPACK, and the
    batched products."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no ConvTranspose seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("ConvTranspose", ["x", "w", "b"], ["c"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["y"])]
    inits = [numpy_helper.from_array(np.linspace(-1, 1, 5 * 6 * 4, dtype=np.float32).reshape(5, 6, 2, 2), "w"),
             numpy_helper.from_array(np.linspace(-0.5, 0.5, 6, dtype=np.float32), "b")]
    graph = helper.make_graph(nodes, "convt_seed", [helper.make_tensor_value_info("x", f, [1, 5, 3, 7])],
                              [helper.make_tensor_value_info("y", f, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_convt2x2_gemm.onnx"), "wb") as fh:
            fh.write(data)


def rnn_seed(out):
    """A bidirectional LSTM (layout 1, peepholes, clip, sequence_lens, initial states), a reverse GRU
    (linear_before_reset) on its Y and an RNN with Relu on the GRU's Y (load and run targets):
    mutations reach the recurrent ops' attribute and shape checks and both kernels."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no recurrent seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    rng = np.random.default_rng(3)
    w = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    b, s, i, h = 2, 4, 3, 5
    nodes = [helper.make_node("LSTM", ["x", "lw", "lr", "lb", "lens", "h0", "c0", "p"], ["y", "y_h", "y_c"], layout=1,
                              direction="bidirectional", hidden_size=h, clip=4.0),
             helper.make_node("Reshape", ["y", "shape"], ["y2"]),
             helper.make_node("GRU", ["y2", "gw", "gr", "gb"], ["g", ""], direction="reverse", linear_before_reset=1,
                              layout=1, hidden_size=h),
             helper.make_node("Reshape", ["g", "shape1"], ["g2"]),
             helper.make_node("RNN", ["g2", "rw", "rr"], ["", "r_h"], activations=["Relu"], layout=1, hidden_size=h)]
    inits = [w("lw", 2, 4 * h, i), w("lr", 2, 4 * h, h), w("lb", 2, 8 * h), numpy_helper.from_array(np.array([4, 2], np.int32), "lens"),
             w("h0", b, 2, h), w("c0", b, 2, h), w("p", 2, 3 * h), numpy_helper.from_array(np.array([b, s, 2 * h], np.int64), "shape"),
             w("gw", 1, 3 * h, 2 * h), w("gr", 1, 3 * h, h), w("gb", 1, 6 * h),
             numpy_helper.from_array(np.array([b, s, h], np.int64), "shape1"), w("rw", 1, h, h), w("rr", 1, h, h)]
    graph = helper.make_graph(nodes, "rnn_seed", [helper.make_tensor_value_info("x", f, [b, s, i])],
                              [helper.make_tensor_value_info(n, f, None) for n in ("y_h", "y_c", "r_h")], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_recurrent.onnx"), "wb") as fh:
            fh.write(data)


def quant_seed(out):
    """Quantized layers chained (load and run targets): QuantizeLinear, a per-channel QLinearConv
    (XNNPACK qc8 after flipping uint8 to int8), QLinearMatMul (native integer GEMM), DequantizeLinear,
    then DynamicQuantizeLinear feeding MatMulInteger with per-column zero points and a ConvInteger:
    mutations reach the scale, zero point and per-axis checks and every quantized kernel."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no quantization seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    rng = np.random.default_rng(5)
    t = numpy_helper.from_array
    c, m, hw = 3, 4, 6
    inits = [t(np.array(0.02, np.float32), "xs"), t(np.array(128, np.uint8), "xz"),
             t(rng.integers(-60, 60, (m, c, 3, 3), dtype=np.int8), "w"), t(np.linspace(0.01, 0.02, m, dtype=np.float32), "ws"),
             t(np.zeros(m, np.int8), "wz"), t(np.array(0.05, np.float32), "ys"), t(np.array(120, np.uint8), "yz"),
             t(np.arange(m, dtype=np.int32) * 5, "bias"), t(np.array([1, m * hw * hw], np.int64), "flat"),
             t(rng.integers(0, 255, (m * hw * hw, 5), dtype=np.uint8), "b"), t(np.array(0.01, np.float32), "bs"),
             t(np.array(128, np.uint8), "bz"), t(np.array(0.5, np.float32), "ms"), t(np.array(100, np.uint8), "mz"),
             t(rng.integers(-100, 100, (5, 7), dtype=np.int8), "b2"), t(np.arange(7, dtype=np.int8), "b2z"),
             t(rng.integers(0, 255, (2, 1, 1, 2), dtype=np.uint8), "cw"), t(np.array([1, 1, 1, 7], np.int64), "img")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"], ["cq"], pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["cq", "flat"], ["cf"]),
             helper.make_node("QLinearMatMul", ["cf", "ys", "yz", "b", "bs", "bz", "ms", "mz"], ["mq"]),
             helper.make_node("DequantizeLinear", ["mq", "ms", "mz"], ["mf"]),
             helper.make_node("DynamicQuantizeLinear", ["mf"], ["dq", "dqs", "dqz"]),
             helper.make_node("MatMulInteger", ["dq", "b2", "dqz", "b2z"], ["y"]),
             helper.make_node("Reshape", ["y", "img"], ["yi"]),
             helper.make_node("Cast", ["yi"], ["yc"], to=TensorProto.UINT8),
             helper.make_node("ConvInteger", ["yc", "cw"], ["z"], pads=[0, 1, 0, 1])]
    graph = helper.make_graph(nodes, "quant_seed", [helper.make_tensor_value_info("x", f, [1, c, hw, hw])],
                              [helper.make_tensor_value_info("z", TensorProto.INT32, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_quant.onnx"), "wb") as fh:
            fh.write(data)


def quant_pool_seed(out):
    """int8 pooling and elementwise layers (load and run targets): QuantizeLinear to int8,
    MaxPool on the int8 tensor (XNNPACK s8), com.microsoft QLinearGlobalAveragePool (XNNPACK qs8),
    QLinearSigmoid (a 256-entry table) of the pooled map, QLinearMul of the pooled map by it
    (XNNPACK qs8, per-channel gates broadcast), ai.rooftop QLinearSwish (a table),
    DequantizeLinear: mutations reach the pooling
    geometry, the broadcast shapes and the quantization parameters of every kernel."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no int8 pooling seed", file=sys.stderr)
        return
    t = numpy_helper.from_array
    inits = [t(np.array(0.03, np.float32), "xs"), t(np.array(-3, np.int8), "xz"),
             t(np.array(0.02, np.float32), "gs"), t(np.array(5, np.int8), "gz"),
             t(np.array(1.0 / 256, np.float32), "ss"), t(np.array(-128, np.int8), "sz")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("MaxPool", ["xq"], ["pq"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
             helper.make_node("QLinearGlobalAveragePool", ["pq", "xs", "xz", "gs", "gz"], ["gq"], domain="com.microsoft",
                              channels_last=0),
             helper.make_node("QLinearSigmoid", ["gq", "gs", "gz", "ss", "sz"], ["sq"], domain="com.microsoft"),
             helper.make_node("QLinearMul", ["pq", "xs", "xz", "sq", "ss", "sz", "gs", "gz"], ["mq"], domain="com.microsoft"),
             helper.make_node("QLinearSwish", ["mq", "gs", "gz", "ss", "sz", "xs", "xz"], ["wq"], domain="ai.rooftop"),
             helper.make_node("DequantizeLinear", ["wq", "xs", "xz"], ["y"])]
    graph = helper.make_graph(nodes, "quant_pool_seed",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 9, 9])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1),
                                                   helper.make_opsetid("ai.rooftop", 1)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_quant_pool.onnx"), "wb") as fh:
            fh.write(data)


def seq_seed(out):
    """Sequences and optionals (load and run targets): SequenceConstruct of the input and a
    constant, SequenceInsert at a constant position, SequenceAt, Optional / OptionalHasElement:
    mutations reach positions, element dtypes and kinds."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no sequence seed", file=sys.stderr)
        return
    t = numpy_helper.from_array
    inits = [t(np.ones((2, 3), np.float32), "c"), t(np.array(1, np.int64), "pos")]
    nodes = [helper.make_node("SequenceConstruct", ["x", "c"], ["s"]),
             helper.make_node("SequenceInsert", ["s", "x", "pos"], ["t"]),
             helper.make_node("SequenceAt", ["t", "pos"], ["y"]),
             helper.make_node("Optional", ["t"], ["o"]),
             helper.make_node("OptionalHasElement", ["o"], ["h"])]
    graph = helper.make_graph(nodes, "seq_seed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("h", TensorProto.BOOL, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_sequence.onnx"), "wb") as fh:
            fh.write(data)


def f16_seed(out):
    """A float16 model (load and run targets): float16 Conv weights and bias, BatchNormalization,
    Clip with float16 bounds, a Transpose the widened run carries, Gemm, and a bfloat16 Cast back:
    mutations reach the 16-bit float stage (runtime/widen16.c) and its type checks."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no float16 seed", file=sys.stderr)
        return
    h = TensorProto.FLOAT16
    rng = np.random.default_rng(5)
    w = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float16), name)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "t", "m", "v"], ["n"]),
             helper.make_node("Clip", ["n", "lo", "hi"], ["r"]),
             helper.make_node("Transpose", ["r"], ["t1"], perm=[0, 2, 3, 1]),
             helper.make_node("Reshape", ["t1", "shape"], ["f"]),
             helper.make_node("Gemm", ["f", "g"], ["y"], transB=1),
             helper.make_node("Cast", ["y"], ["yb"], to=TensorProto.BFLOAT16)]
    inits = [w("w", 6, 3, 3, 3), w("b", 6), w("s", 6), w("t", 6), w("m", 6),
             numpy_helper.from_array(np.full(6, 0.9, np.float16), "v"),
             numpy_helper.from_array(np.array(-1.0, np.float16), "lo"), numpy_helper.from_array(np.array(6.0, np.float16), "hi"),
             numpy_helper.from_array(np.array([1, 6 * 5 * 7], np.int64), "shape"), w("g", 4, 6 * 5 * 7)]
    graph = helper.make_graph(nodes, "f16_seed", [helper.make_tensor_value_info("x", h, [1, 3, 5, 7])],
                              [helper.make_tensor_value_info("y", h, None), helper.make_tensor_value_info("yb", TensorProto.BFLOAT16, None)],
                              inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_float16.onnx"), "wb") as fh:
            fh.write(data)


def if_seed(out):
    """An If decided by static shapes (Shape -> ReduceProd -> Equal) whose then branch holds a
    Gemm on an outer initializer and a nested If on a Constant returning an outer value (load and
    run targets): mutations reach the branch loading (scopes, outputs) and runtime/if_fold.c."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no If seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    vi = lambda name: helper.make_tensor_value_info(name, f, None)
    inner = helper.make_node("If", ["k"], ["t"], then_branch=helper.make_graph(
        [helper.make_node("Relu", ["g"], ["r"])], "inner_then", [], [vi("r")]),
        else_branch=helper.make_graph([], "inner_else", [], [vi("g")]))
    then_g = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["g"], transB=1),
                                helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(np.array(True))),
                                inner], "then", [], [vi("t")])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [vi("e")])
    nodes = [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("ReduceProd", ["s"], ["n"], keepdims=0),
             helper.make_node("Equal", ["n", "six"], ["c"]),
             helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g)]
    inits = [numpy_helper.from_array(np.array(6, np.int64), "six"),
             numpy_helper.from_array(np.random.default_rng(9).standard_normal((4, 3)).astype(np.float32), "w")]
    graph = helper.make_graph(nodes, "if_seed", [helper.make_tensor_value_info("x", f, [2, 3])], [vi("y")], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_if.onnx"), "wb") as fh:
            fh.write(data)
    # Loop (M 3, a run-time condition, a carried value and a scan output; the body reads the outer
    # x) and Scan (reverse input, a state and a scan output): bodies planned as subgraphs
    b, i64 = TensorProto.BOOL, TensorProto.INT64
    body = helper.make_graph([helper.make_node("Identity", ["c_in"], ["c_out"]), helper.make_node("Add", ["y_in", "x"], ["y_out"]),
                              helper.make_node("Relu", ["y_out"], ["s_out"])], "body",
                             [helper.make_tensor_value_info("i", i64, []), helper.make_tensor_value_info("c_in", b, []), vi("y_in")],
                             [vi("c_out"), vi("y_out"), vi("s_out")])
    loop = helper.make_graph([helper.make_node("Loop", ["m", "c", "x"], ["y", "s"], body=body)], "loop_seed",
                             [helper.make_tensor_value_info("x", f, [2, 3]), helper.make_tensor_value_info("c", b, [])],
                             [vi("y"), vi("s")], [numpy_helper.from_array(np.array(3, np.int64), "m")])
    sbody = helper.make_graph([helper.make_node("Add", ["s_in", "x_t"], ["s_out"]), helper.make_node("Tanh", ["s_out"], ["z_t"])],
                              "body", [vi("s_in"), vi("x_t")], [vi("s_out"), vi("z_t")])
    scan = helper.make_graph([helper.make_node("Scan", ["s0", "xs"], ["s", "z"], body=sbody, num_scan_inputs=1,
                                               scan_input_directions=[1])], "scan_seed",
                             [helper.make_tensor_value_info("s0", f, [3]), helper.make_tensor_value_info("xs", f, [4, 3])],
                             [vi("s"), vi("z")])
    for name, g in (("op_loop.onnx", loop), ("op_scan.onnx", scan)):
        data = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
        for target in ("load", "run"):
            with open(os.path.join(out, target, name), "wb") as fh:
                fh.write(data)


def spectral_seed(out):
    """HannWindow -> STFT (hop 4, 16-point frames, onesided) -> inverse DFT over the frames (opset 17)."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no spectral seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("HannWindow", ["n"], ["w"]), helper.make_node("STFT", ["x", "hop", "w"], ["s"]),
             helper.make_node("DFT", ["s"], ["y"], axis=1, inverse=1)]
    inits = [numpy_helper.from_array(np.array(16, np.int64), "n"), numpy_helper.from_array(np.array(4, np.int64), "hop")]
    graph = helper.make_graph(nodes, "spectral_seed", [helper.make_tensor_value_info("x", f, [1, 64, 1])],
                              [helper.make_tensor_value_info("y", f, None)], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_spectral.onnx"), "wb") as fh:
            fh.write(data)


def string_seed(out):
    """String tensors (opset 15): float -> Cast to string -> Identity -> CastLike back to float (the
    'like' a [1] initializer, read for its dtype only), a string initializer cast to int32, and
    BatchNormalization in training mode with its running statistics: mutations reach the string
    decoder (lengths, NUL bytes, counts), the text parser and the training-mode checks."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no string seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("Cast", ["x"], ["s"], to=TensorProto.STRING), helper.make_node("Identity", ["s"], ["s2"]),
             helper.make_node("CastLike", ["s2", "like"], ["y"]),
             helper.make_node("Cast", ["w"], ["wi"], to=TensorProto.INT32),
             helper.make_node("BatchNormalization", ["x4", "g", "b", "m", "v"], ["z", "rm", "rv"], training_mode=1)]
    c = np.ones(2, np.float32)
    inits = [numpy_helper.from_array(np.array([0.5], np.float32), "like"),
             helper.make_tensor("w", TensorProto.STRING, [3], [b"7", b"-INF", b"1e3"]),
             numpy_helper.from_array(c, "g"), numpy_helper.from_array(c, "b"), numpy_helper.from_array(c, "m"),
             numpy_helper.from_array(c, "v")]
    graph = helper.make_graph(nodes, "string_seed",
                              [helper.make_tensor_value_info("x", f, [2, 3]), helper.make_tensor_value_info("x4", f, [2, 2, 3, 3])],
                              [helper.make_tensor_value_info(n, t, None) for n, t in
                               (("y", f), ("wi", TensorProto.INT32), ("z", f), ("rm", f), ("rv", f))], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_string.onnx"), "wb") as fh:
            fh.write(data)


def dropout_seed(out):
    """Training-mode Dropout (opset 13): after a Conv (its input may come channels-last), with a
    constant ratio and training_mode and a seed, the mask read; then a second Dropout whose ratio
    and training_mode are graph inputs (decided at run time, the ratio range checked there)."""
    try:
        import numpy as np
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        print("make_seeds.py: no onnx module: no dropout seed", file=sys.stderr)
        return
    f = TensorProto.FLOAT
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"]),
             helper.make_node("Dropout", ["c", "r", "t"], ["d", "mask"], seed=7),
             helper.make_node("Dropout", ["d", "r2", "t2"], ["y", "mask2"])]
    inits = [numpy_helper.from_array(np.ones((3, 2, 1, 1), np.float32), "w"),
             numpy_helper.from_array(np.array(0.3, np.float32), "r"), numpy_helper.from_array(np.array(True), "t")]
    graph = helper.make_graph(nodes, "dropout_seed",
                              [helper.make_tensor_value_info("x", f, [1, 2, 4, 4]),
                               helper.make_tensor_value_info("r2", f, []),
                               helper.make_tensor_value_info("t2", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info(n, t, None) for n, t in
                               (("y", f), ("mask", TensorProto.BOOL), ("mask2", TensorProto.BOOL))], inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    for target in ("load", "run"):
        with open(os.path.join(out, target, "op_dropout.onnx"), "wb") as fh:
            fh.write(data)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    testdata, bad, out = sys.argv[1:]
    shutil.rmtree(out, ignore_errors=True)
    for t in TARGETS:
        os.makedirs(os.path.join(out, t))
    testdata_seeds(testdata, out)
    bad_input_seeds(bad, out)
    index_ops_seed(out)
    op_seeds(out)
    for folder in ("load", "run"):
        with open(os.path.join(out, folder, "reduce_chain.onnx"), "wb") as f:
            f.write(reduce_seed())
    fusion_seeds(out)
    dw_conv_seed(out)
    winograd_seed(out)
    convt_seed(out)
    rnn_seed(out)
    f16_seed(out)
    quant_seed(out)
    quant_pool_seed(out)
    seq_seed(out)
    if_seed(out)
    spectral_seed(out)
    string_seed(out)
    dropout_seed(out)
    for folder, seeds in (("external", EXTERNAL), ("report", REPORT)):
        for name, data in seeds.items():
            with open(os.path.join(out, folder, name), "wb") as f:
                f.write(data)
    print(", ".join(f"{t} {len(os.listdir(os.path.join(out, t)))}" for t in TARGETS) + " seeds")


if __name__ == "__main__":
    main()
