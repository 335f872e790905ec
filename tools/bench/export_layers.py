"""Single-layer models for tools/bench/layers-ab: one Conv (plus Relu unless told) per file,
random weights, made with onnx.helper (no torch export, so each file holds exactly the layer).

  /usr/bin/python3 tools/bench/export_layers.py --out DIR SPEC...
  SPEC: cin,cout,hw,k,stride[,norelu]  e.g. 128,128,56,3,2  (padding k // 2, square map)
Prints each written file's path; an existing file is kept (the weights stay the same between runs).
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_model(cin, cout, hw, k, stride, relu):
    pad = k // 2
    oh = (hw + 2 * pad - k) // stride + 1
    rng = np.random.default_rng(cin * 7919 + cout * 31 + hw * 7 + k * 3 + stride)
    w = (rng.standard_normal((cout, cin, k, k)) * (2.0 / (cin * k * k)) ** 0.5).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.05).astype(np.float32)
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, cin, hw, hw])
    y = helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, cout, oh, oh])
    nodes = [helper.make_node('Conv', ['x', 'W', 'B'], ['c' if relu else 'y'], name='conv', kernel_shape=[k, k],
                              strides=[stride, stride], pads=[pad] * 4)]
    if relu:
        nodes.append(helper.make_node('Relu', ['c'], ['y'], name='relu'))
    graph = helper.make_graph(nodes, 'layer', [x], [y], [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(b, 'B')])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('specs', nargs='+')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for spec in a.specs:
        f = spec.split(',')
        relu = not (len(f) == 6 and f[5] == 'norelu')
        if len(f) not in (5, 6) or not all(v.isdigit() for v in f[:5]) or (len(f) == 6 and relu):
            sys.exit(f'export_layers.py: bad spec "{spec}": want cin,cout,hw,k,stride[,norelu]')
        cin, cout, hw, k, stride = map(int, f[:5])
        name = f'conv_{cin}_{cout}_{hw}_k{k}s{stride}' + ('' if relu else '_norelu')
        path = os.path.join(a.out, name + '.onnx')
        if not os.path.exists(path):
            onnx.save(conv_model(cin, cout, hw, k, stride, relu), path)
        print(path)


if __name__ == '__main__':
    main()
