#!/usr/bin/python3
"""Writes one quantized layer as an ONNX model, for timing the quantized kernels against their
reference (`rooftop profile` and `rooftop profile --reference`). onnx and numpy only.

    /usr/bin/python3 tools/quant_layer_model.py OUT.onnx [qlinearconv|qlinearmatmul|matmulinteger]

qlinearconv:   uint8 x [1, 64, 56, 56], int8 3x3 weights [64, 64] per-channel scales, int32 bias,
               pads 1 (ResNet-18's layer1 conv as ONNX Runtime's QOperator quantizer writes it)
qlinearmatmul: uint8 [1, 128, 768] x int8 [768, 768] per-tensor (a BERT-base projection)
matmulinteger: uint8 [1, 128, 768] x int8 [768, 3072] with a per-column weight zero point
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    kind = sys.argv[2] if len(sys.argv) == 3 else "qlinearconv"
    rng = np.random.default_rng(0)
    t = numpy_helper.from_array
    s = lambda v, name: t(np.array(v, np.float32), name)
    u8 = lambda v, name: t(np.array(v, np.uint8), name)
    if kind == "qlinearconv":
        c = 64
        inits = [s(0.02, "xs"), u8(128, "xz"), t(rng.integers(-127, 127, (c, c, 3, 3), dtype=np.int8), "w"),
                 t(rng.uniform(0.001, 0.003, c).astype(np.float32), "ws"), t(np.zeros(c, np.int8), "wz"),
                 s(0.5, "ys"), u8(128, "yz"), t(rng.integers(-1000, 1000, c, dtype=np.int32), "b")]
        node = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"],
                                name="qconv", pads=[1, 1, 1, 1], kernel_shape=[3, 3])
        x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, c, 56, 56])
    elif kind == "qlinearmatmul":
        inits = [s(0.02, "as"), u8(128, "az"), t(rng.integers(-127, 127, (768, 768), dtype=np.int8), "b"),
                 s(0.002, "bs"), t(np.array(0, np.int8), "bz"), s(0.5, "ys"), u8(128, "yz")]
        node = helper.make_node("QLinearMatMul", ["x", "as", "az", "b", "bs", "bz", "ys", "yz"], ["y"], name="qmatmul")
        x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 128, 768])
    elif kind == "matmulinteger":
        inits = [t(rng.integers(-127, 127, (768, 3072), dtype=np.int8), "b"), u8(128, "az"),
                 t(rng.integers(-3, 3, 3072, dtype=np.int8), "bz")]
        node = helper.make_node("MatMulInteger", ["x", "b", "az", "bz"], ["y"], name="matmulinteger")
        x = helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 128, 768])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    graph = helper.make_graph([node], kind, [x], [helper.make_tensor_value_info("y", TensorProto.UNDEFINED, None)], inits)
    m = helper.make_model(graph, producer_name="rooftop-quant-layer", opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    with open(sys.argv[1], "wb") as f:
        f.write(m.SerializeToString())


if __name__ == "__main__":
    main()
