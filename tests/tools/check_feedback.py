"""State across calls (issue 16 item 3): `run --runs N --feedback OUT=IN` and `profile --feedback`.
A counter (y = x + 1) fed back 5 times must give x0 + 5 exactly; a GRU whose Y_h is fed back as
h0 for 3 frames must equal 3 separate runs chained by hand through --input files; the profile
names the pairs (table and JSON) and gives the latency per call in microseconds; bad pairs are
usage errors (64) naming the tensor and the rule.
usage: check_feedback.py ROOFTOP WORK_DIR"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rooftop, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(args, code=0):
    p = subprocess.run([rooftop] + args, capture_output=True, text=True)
    if p.returncode != code:
        fail(f"rooftop {' '.join(args)} exited {p.returncode}, expected {code}: {p.stderr.strip()}")
    return p


def save(model, name):
    path = os.path.join(work, name)
    onnx.save(model, path)
    return path


def tensor_file(arr, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(arr, name).SerializeToString())
    return path


def read_output(d, i=0):
    return numpy_helper.to_array(onnx.load_tensor(os.path.join(d, f"output_{i}.pb")))


# a counter: y = x + 1
one = numpy_helper.from_array(np.ones((1, 4), np.float32), "one")
counter = helper.make_model(
    helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "counter",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [one]),
    opset_imports=[helper.make_opsetid("", 13)])
cpath = save(counter, "counter.onnx")
x0 = np.array([[0.5, -2.0, 10.0, 3.25]], np.float32)
xf = tensor_file(x0, "x", os.path.join(work, "x0.pb"))
out = os.path.join(work, "counter_out")
run(["run", cpath, "--input", f"x={xf}", "--runs", "5", "--feedback", "y=x", "--output-dir", out, "--quiet"])
got = read_output(out)
if not np.array_equal(got, x0 + 5):
    fail(f"counter after 5 calls with y fed back into x: {got}, expected {x0 + 5}")
run(["run", cpath, "--input", f"x={xf}", "--runs", "5", "--output-dir", out, "--quiet"])
if not np.array_equal(read_output(out), x0 + 1):
    fail("without --feedback, 5 calls must leave the input as given")

# a GRU with its state in and out: 3 frames fed back == 3 runs chained by hand
rng = np.random.default_rng(7)
H, I = 16, 8
W = numpy_helper.from_array((rng.standard_normal((1, 3 * H, I)) * 0.3).astype(np.float32), "W")
R = numpy_helper.from_array((rng.standard_normal((1, 3 * H, H)) * 0.3).astype(np.float32), "R")
B = numpy_helper.from_array((rng.standard_normal((1, 6 * H)) * 0.1).astype(np.float32), "B")
gru = helper.make_node("GRU", ["X", "W", "R", "B", "", "h0"], ["Y", "hn"], hidden_size=H)
gm = helper.make_model(
    helper.make_graph([gru], "gru_state",
                      [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, I]),
                       helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, 1, H])],
                      [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 1, 1, H]),
                       helper.make_tensor_value_info("hn", TensorProto.FLOAT, [1, 1, H])], [W, R, B]),
    opset_imports=[helper.make_opsetid("", 14)])
gpath = save(gm, "gru_state.onnx")
X = tensor_file(rng.standard_normal((1, 1, I)).astype(np.float32), "X", os.path.join(work, "X.pb"))
h = tensor_file(np.zeros((1, 1, H), np.float32), "h0", os.path.join(work, "h_0.pb"))
for frame in range(3):
    d = os.path.join(work, f"gru_frame{frame}")
    run(["run", gpath, "--input", f"X={X}", "--input", f"h0={h}", "--output-dir", d, "--quiet"])
    h = tensor_file(read_output(d, 1), "h0", os.path.join(work, f"h_{frame + 1}.pb"))
d = os.path.join(work, "gru_fed")
run(["run", gpath, "--input", f"X={X}", "--input", f"h0={os.path.join(work, 'h_0.pb')}", "--runs", "3",
     "--feedback", "hn=h0", "--output-dir", d, "--quiet"])
chained, fed = read_output(os.path.join(work, "gru_frame2"), 1), read_output(d, 1)
if not np.array_equal(chained, fed):
    fail(f"GRU: 3 calls with hn fed back differ from 3 chained runs (max diff {np.abs(chained - fed).max()})")
if np.array_equal(fed, read_output(os.path.join(work, "gru_frame0"), 1)):
    fail("GRU: the state did not change between frames (the check could not tell feedback from none)")

# profile: the pairs and the latency per call
js = os.path.join(work, "fb.json")
p = run(["profile", gpath, "--runs", "5", "--warmup", "1", "--threads", "1", "--feedback", "hn=h0", "--json", js])
line = [l for l in p.stdout.splitlines() if l.startswith("frames   ")]
if not line or "us per call" not in line[0] or "hn->h0" not in line[0]:
    fail(f"profile --feedback: no frames line naming hn->h0: {line}")
r = json.load(open(js))["run"]
if r["feedback"] != [{"output": "hn", "input": "h0"}]:
    fail(f"JSON run.feedback: {r['feedback']}")
js2 = os.path.join(work, "fb_streams.json")
run(["profile", gpath, "--runs", "3", "--warmup", "1", "--streams", "2", "--threads", "2", "--feedback", "hn=h0",
     "--json", js2, "--quiet"])
if json.load(open(js2))["run"]["runs"] != 6:
    fail("profile --streams 2 --feedback: 6 runs pooled expected")

# bad pairs
cases = [(["run", gpath, "--feedback", "hn=nope"], "not a graph input"),
         (["run", gpath, "--feedback", "nope=h0"], "not a graph output"),
         (["run", gpath, "--feedback", "Y=h0"], "they must match"),
         (["run", gpath, "--feedback", "hn"], "expects OUTPUT=INPUT"),
         (["info", gpath, "--feedback", "hn=h0"], "run and profile option")]
for args, words in cases:
    p = run(args + ["--quiet"], 64)
    if words not in p.stderr or len(p.stderr.strip().splitlines()) != 1:
        fail(f"rooftop {' '.join(args)}: expected one line with '{words}', got: {p.stderr.strip()}")
print("ok: --feedback: counter x0 + 5 after 5 calls, GRU state over 3 frames equals chained runs, "
      "profile frames line and JSON, streams, 5 bad pairs refused")
