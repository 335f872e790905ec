#!/usr/bin/python3
"""Writes the malformed models of tests/bad_input/cases.txt into OUT_DIR.

Every file is generated here from the onnx package's helpers or raw protobuf bytes, so no
hand-edited binary lives in the repository. usage: make_bad_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def save(m, path):
    with open(path, "wb") as f:
        f.write(m.SerializeToString() if hasattr(m, "SerializeToString") else m)


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def relu_model():
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])], [vi("y", [1, 4])])


def conv_model(**attrs):
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)
    return model([node], [vi("x", [1, 6, 8, 8])], [vi("y", None)], [w])


def raw_tensor(name, dims, raw):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def key(field, wire):
    return bytes([(field << 3) | wire])


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def ld(field, payload):
    return key(field, 2) + varint(len(payload)) + payload


def deep_nesting():
    # graph.node(1) -> node.attribute(5) -> attribute.g(6) -> ... 600 levels: protobuf-c
    # would recurse once per level; the pre-scan must refuse it first.
    g = b""
    for _ in range(200):
        g = ld(1, ld(5, ld(6, g)))
    return ld(7, g) + ld(8, ld(2, b"") + key(2, 0) + varint(13))


def with_external(path_value, out_dir, make_file=True):
    t = TensorProto()
    t.name = "w"
    t.data_type = TensorProto.FLOAT
    t.dims.extend([4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", path_value), ("offset", "0"), ("length", "16")):
        e = t.external_data.add()
        e.key, e.value = k, v
    node = helper.make_node("Add", ["x", "w"], ["y"], name="add")
    return model([node], [vi("x", [4])], [vi("y", [4])], [t])


def write_all(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name + ".onnx")
    os.makedirs(p("directory"), exist_ok=True)
    if not os.path.exists(p("fifo")):
        os.mkfifo(p("fifo"))
    open(p("empty"), "wb").close()
    good = relu_model().SerializeToString()
    save(good[: len(good) // 2], p("truncated"))
    save(b"this is a text file, not a protobuf\n" * 4, p("not_protobuf"))
    save(deep_nesting(), p("deep_nesting"))
    # cycle: a -> n0 -> b -> n1 -> a
    save(model([helper.make_node("Relu", ["b"], ["a"], name="n0"), helper.make_node("Relu", ["a"], ["b"], name="n1")],
               [vi("x", [1])], [vi("b", [1])]), p("cycle"))
    save(model([helper.make_node("Relu", ["nowhere"], ["y"], name="relu")], [vi("x", [1])], [vi("y", [1])]),
         p("undefined_input"))
    save(model([helper.make_node("Relu", ["x"], ["y"], name="r0"), helper.make_node("Relu", ["x"], ["y"], name="r1")],
               [vi("x", [1])], [vi("y", [1])]), p("duplicate_output"))
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1])], [vi("z", [1])]),
         p("output_never_produced"))

    def init_model(t):
        return model([helper.make_node("Add", ["x", t.name], ["y"], name="add")], [vi("x", [1])], [vi("y", None)], [t])

    t = raw_tensor("w", [2, -3], b"")
    save(init_model(t), p("negative_dim"))
    t = raw_tensor("w", [4], np.ones(3, np.float32).tobytes())
    save(init_model(t), p("raw_data_short"))
    t = raw_tensor("w", [4], np.ones(5, np.float32).tobytes())
    save(init_model(t), p("raw_data_long"))
    t = raw_tensor("w", [1], np.ones(1, np.float32).tobytes())
    t.float_data.append(1.0)
    save(init_model(t), p("raw_and_typed"))
    t = raw_tensor("w", [1 << 31, 1 << 31, 1 << 31], np.ones(1, np.float32).tobytes())
    save(init_model(t), p("dims_overflow"))
    t = raw_tensor("w", [1] * 7, np.ones(1, np.float32).tobytes())
    save(init_model(t), p("rank7"))
    save(conv_model(strides=[0, 1]), p("zero_stride"))
    save(conv_model(group=4), p("group_not_dividing"))
    save(model([helper.make_node("FrobnicateTensor", ["x"], ["y"], name="frob")], [vi("x", [1])], [vi("y", [1])]),
         p("unknown_op"))
    m = relu_model()
    del m.opset_import[:]
    save(m, p("no_opset"))
    ext = os.path.join(out, "ext")
    os.makedirs(ext, exist_ok=True)
    with open(os.path.join(out, "weights.bin"), "wb") as f:
        f.write(np.ones(4, np.float32).tobytes())
    save(with_external("../weights.bin", out), os.path.join(ext, "external_dotdot.onnx"))
    os.replace(os.path.join(ext, "external_dotdot.onnx"), p("external_dotdot"))  # '..' is refused by name anyway
    save(with_external(os.path.join(os.path.abspath(out), "weights.bin"), out), p("external_absolute"))
    link = os.path.join(out, "weights_link.bin")
    if not os.path.lexists(link):
        os.symlink("weights.bin", link)
    save(with_external("weights_link.bin", out), p("external_symlink"))
    save(with_external("weights.bin", out), p("external_outside_tmp"))
    m = onnx.load(p("external_outside_tmp"), load_external_data=False)
    for e in m.graph.initializer[0].external_data:
        if e.key == "offset":
            e.value = "8"  # 8 + 16 > 16-byte file
    save(m, p("external_outside"))
    os.remove(p("external_outside_tmp"))
    save(model([helper.make_node("Relu", ["input"], ["y"], name="relu")], [vi("input", ["batch", 3])], [vi("y", None)]),
         p("missing_dynamic_dim"))
    idx = numpy_helper.from_array(np.array([7], np.int64), "idx")
    save(model([helper.make_node("Gather", ["x", "idx"], ["y"], name="gather", axis=0)], [vi("x", [4])], [vi("y", None)],
               [idx]), p("gather_out_of_range"))
    m = relu_model()
    m.graph.node[0].name = "bad"  # replaced with invalid UTF-8 bytes below
    data = m.SerializeToString().replace(b"\x03bad", b"\x03b\xffd")
    save(data, p("name_invalid_utf8"))
    for name in ("bad_threads", "unknown_flag", "shape_not_input"):
        save(relu_model(), p(name))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    write_all(sys.argv[1])
