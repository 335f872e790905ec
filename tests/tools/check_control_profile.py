"""Control-flow bodies in the profile (issue 16 item 2): `rooftop profile --json` and the table
of a Loop whose body holds an If decided per iteration (iteration > 2: then, else: else), of a
Scan, of a Loop planned again per iteration under --fusion none and all, and of the exported
torch.jit.script model script_if (when SEQ_DIR holds it) on mode 1
and -1. Asserts the body rows, their "<node>/<then|else|body>/" prefixes, the iterations (the
nested If's then branch 2 of the loop's 5, its else 3), the branch not taken listed as not
executed, that body rows stay out of layer_sum_ms and that the times add up: per iteration x
iterations = total, and the control row's own time plus its direct body rows' medians close
to its median (they add up exactly run by run; medians of sums are not sums of medians).
`rooftop info` on the same models lists the same body rows from the planned graph alone: names,
order, depth, owner and body label, their cost per iteration (FLOPs and bytes from the shapes;
the depth-1 rows' FLOPs times the trip count are the control row's), nothing timed, and the
table's bodies section. With chromium installed, the HTML report of the Loop renders one row per
body layer.
usage: check_control_profile.py ROOFTOP WORK_DIR [SEQ_DIR]"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rooftop, work = sys.argv[1], sys.argv[2]
seq = sys.argv[3] if len(sys.argv) > 3 else ""
os.makedirs(work, exist_ok=True)


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def profile(path, name, extra=()):
    out = os.path.join(work, name + ".json")
    html = ["--html", os.path.join(work, name + ".html")]
    p = subprocess.run([rooftop, "profile", path, "--runs", "9", "--warmup", "1", "--json", out] + html + list(extra),
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"profile {path} exited {p.returncode}: {p.stderr.strip()}")
    with open(out) as f:
        return json.load(f), p.stdout


def info(path, name, extra=()):
    out = os.path.join(work, name + ".info.json")
    p = subprocess.run([rooftop, "info", path, "--json", out] + list(extra), capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"info {path} exited {p.returncode}: {p.stderr.strip()}")
    with open(out) as f:
        return json.load(f), p.stdout


def check_info(path, name, want, iters, extra=()):
    """want: (name, depth, owner name or None, body label, flops, bytes read, bytes written) per
    body row, in execution order; iters: the control layer's trip count."""
    d, text = info(path, name, extra)
    label = "info " + name
    bodies = d["body_layers"]
    names = [b["name"] for b in bodies]
    if names != [w[0] for w in want]:
        fail(f"{label}: body rows {names}, expected {[w[0] for w in want]}")
    if d["body_runs"] != 0:
        fail(f"{label}: body_runs {d['body_runs']} without a run")
    for b, (bname, depth, owner, body, flops, rd, wr) in zip(bodies, want):
        got = (b["depth"], bodies[b["owner"]]["name"] if b["owner"] is not None else None, b["body"], b["flops"],
               b["bytes_read"], b["bytes_written"])
        if got != (depth, owner, body, flops, rd, wr):
            fail(f"{label}: {bname}: (depth, owner, body, flops, read, written) {got}, expected "
                 f"{(depth, owner, body, flops, rd, wr)}")
        if b["executed"] is not None or "total_ms" in b or "iterations" in b or b["kernel"] not in ("-", "view"):
            fail(f"{label}: {bname} timed or with a kernel without a run: {b}")
        if b["parent_name"] != d["layers"][b["parent"]]["name"]:
            fail(f"{label}: {bname}: parent {b['parent']} is not {b['parent_name']}")
    for layer in d["layers"]:
        direct = [b["flops"] for b in bodies if b["parent"] == layer["index"] and b["owner"] is None]
        if direct and sum(direct) * iters != layer["flops"]:
            fail(f"{label}: {layer['name']}: {layer['flops']} FLOPs, its body rows {direct} x {iters} iterations")
    check_table(text, label, [w[0] for w in want] + ["cost per iteration of their body", "not added to the totals"])
    section = text[text.find("control-flow bodies"):]
    for w in want:
        line = [ln for ln in section.splitlines() if ln.split()[1:2] == [w[0]]]
        mflop = f"{w[4] / 1e6:.2f}"
        if len(line) != 1 or mflop not in line[0].split():
            fail(f"{label}: no table row {w[0]} of {mflop} MFLOP:\n{section}")
    print(f"ok: {label}: {len(bodies)} body rows")


def vi(name, dt, shape):
    return helper.make_tensor_value_info(name, dt, shape)


def check_sums(d, label):
    layers, bodies = d["layers"], d["body_layers"]
    total = sum(l["time_ms"]["median"] for l in layers)
    if abs(total - d["run"]["layer_sum_ms"]) > 1e-6 * max(1.0, total):
        fail(f"{label}: layer_sum_ms {d['run']['layer_sum_ms']} is not the sum of the layers' medians {total}")
    if d["body_runs"] != d["run"]["runs"]:
        fail(f"{label}: body_runs {d['body_runs']}, runs {d['run']['runs']}")
    for b in bodies:
        if not b["executed"]:
            if "total_ms" in b or b["iterations"]["max"] != 0:
                fail(f"{label}: {b['name']} not executed but timed: {b}")
            continue
        it = b["iterations"]
        if it["min"] == it["max"] and abs(b["per_iteration_ms"] * it["median"] - b["total_ms"]["median"]) > \
                1e-9 + 1e-6 * b["total_ms"]["median"]:
            fail(f"{label}: {b['name']}: {b['per_iteration_ms']} ms x {it['median']} iterations != "
                 f"{b['total_ms']['median']} ms")
    # each control row: own time + its direct body rows ~ its median
    rows = [(l["time_ms"]["median"], l["self_ms"], [b for b in bodies if b["parent"] == l["index"] and b["owner"] is None],
             l["name"]) for l in layers if "self_ms" in l]
    rows += [(b["total_ms"]["median"], b["self_ms"], [c for c in bodies if c["owner"] == i], b["name"])
             for i, b in enumerate(bodies) if "self_ms" in b]
    if not rows:
        fail(f"{label}: no control row has self_ms")
    for whole, own, kids, name in rows:
        inside = sum(k["total_ms"]["median"] for k in kids if k["executed"])
        if own < -1e-4 or own > whole + 1e-6:
            fail(f"{label}: {name}: own time {own} ms outside [0, {whole}]")
        if abs(own + inside - whole) > 0.25 * whole + 0.002:
            fail(f"{label}: {name}: own {own} + bodies {inside} ms vs its median {whole} ms")
    return bodies


def check_table(text, label, must):
    section = text[text.find("control-flow bodies"):]
    if "control-flow bodies" not in text:
        fail(f"{label}: no control-flow bodies section in the table")
    for line in text.splitlines():
        if len(line) > 100 and not line.startswith(("model", "machine", "roofs")):
            fail(f"{label}: table line of {len(line)} columns: {line!r}")
    for m in must:
        if m not in section:
            fail(f"{label}: the bodies section lacks {m!r}:\n{section}")


# A Loop of 5 iterations; its body computes g = iteration > 2 and runs If(g): x*2 or x+1.
two = numpy_helper.from_array(np.full(4, 2.0, np.float32), "two")
one = numpy_helper.from_array(np.ones(4, np.float32), "one")
then_g = helper.make_graph([helper.make_node("Mul", ["x_in", "two"], ["y_t"], name="dbl")], "then_g", [],
                           [vi("y_t", TensorProto.FLOAT, [4])])
else_g = helper.make_graph([helper.make_node("Add", ["x_in", "one"], ["y_e"], name="inc")], "else_g", [],
                           [vi("y_e", TensorProto.FLOAT, [4])])
body = helper.make_graph([
    helper.make_node("Constant", [], ["lim"], name="lim", value=numpy_helper.from_array(np.array(2, np.int64))),
    helper.make_node("Greater", ["i", "lim"], ["g"], name="gt"),
    helper.make_node("If", ["g"], ["y"], name="pick", then_branch=then_g, else_branch=else_g),
    helper.make_node("Identity", ["c_in"], ["c_out"], name="keep")],
    "body", [vi("i", TensorProto.INT64, []), vi("c_in", TensorProto.BOOL, []), vi("x_in", TensorProto.FLOAT, [4])],
    [vi("c_out", TensorProto.BOOL, []), vi("y", TensorProto.FLOAT, [4])])
m5 = numpy_helper.from_array(np.array(5, np.int64), "m")
t = numpy_helper.from_array(np.array(True), "t")
loop = helper.make_model(helper.make_graph(
    [helper.make_node("Loop", ["m", "t", "x"], ["x_out"], name="loop", body=body)], "loop_if",
    [vi("x", TensorProto.FLOAT, [4])], [vi("x_out", TensorProto.FLOAT, [4])], [m5, t, two, one]),
    opset_imports=[helper.make_opsetid("", 16)])
lpath = os.path.join(work, "loop_if.onnx")
onnx.save(loop, lpath)
d, text = profile(lpath, "loop_if")
bodies = check_sums(d, "loop_if")
by = {b["name"]: b for b in bodies}
want = {"loop/body/gt": (5, 1, None), "loop/body/pick": (5, 1, None), "loop/body/pick/then/dbl": (2, 2, "pick"),
        "loop/body/pick/else/inc": (3, 2, "pick")}
for name, (iters, depth, owner) in want.items():
    b = by.get(name)
    if b is None:
        fail(f"loop_if: no body row {name!r} in {sorted(by)}")
    if b["iterations"]["median"] != iters or b["iterations"]["min"] != iters or b["depth"] != depth:
        fail(f"loop_if: {name}: iterations {b['iterations']} depth {b['depth']}, expected {iters} at depth {depth}")
    if owner and bodies[b["owner"]]["name"] != "loop/body/" + owner:
        fail(f"loop_if: {name} is owned by {bodies[b['owner']]['name']}")
    if b["parent_name"] != "loop" or not b["executed"] or b["runs_executed"] != d["run"]["runs"]:
        fail(f"loop_if: {name}: {b}")
if "self_ms" not in by["loop/body/pick"]:
    fail("loop_if: the nested If row has no self_ms")
check_table(text, "loop_if", ["loop/body/pick/then/dbl", "loop/body/pick/else/inc", "loop (own)", "pick (own)"])
if by["loop/body/pick/then/dbl"]["body"] != "then" or by["loop/body/pick/else/inc"]["body"] != "else":
    fail(f"loop_if: branch labels {by['loop/body/pick/then/dbl']['body']}, {by['loop/body/pick/else/inc']['body']}")
# info: Greater of two int64 scalars (1 FLOP, 16 bytes read, 1 written), Identity a view, the If
# its costlier branch, Mul and Add of two float[4] (4 FLOPs, 32 bytes read, 16 written).
check_info(lpath, "loop_if", [("loop/body/gt", 1, None, "body", 1, 16, 1), ("loop/body/keep", 1, None, "body", 0, 0, 0),
                              ("loop/body/pick", 1, None, "body", 4, 32, 16),
                              ("loop/body/pick/then/dbl", 2, "loop/body/pick", "then", 4, 32, 16),
                              ("loop/body/pick/else/inc", 2, "loop/body/pick", "else", 4, 32, 16)], 5)

# A Scan over 4 rows of a 4x3 input, state s += row.
sbody = helper.make_graph([helper.make_node("Add", ["s_in", "r"], ["s_out"], name="acc"),
                           helper.make_node("Identity", ["s_out"], ["o"], name="emit")], "sbody",
                          [vi("s_in", TensorProto.FLOAT, [3]), vi("r", TensorProto.FLOAT, [3])],
                          [vi("s_out", TensorProto.FLOAT, [3]), vi("o", TensorProto.FLOAT, [3])])
scan = helper.make_model(helper.make_graph(
    [helper.make_node("Scan", ["s", "xs"], ["s_end", "os"], name="scan", body=sbody, num_scan_inputs=1)], "scan",
    [vi("s", TensorProto.FLOAT, [3]), vi("xs", TensorProto.FLOAT, [4, 3])],
    [vi("s_end", TensorProto.FLOAT, [3]), vi("os", TensorProto.FLOAT, [4, 3])]), opset_imports=[helper.make_opsetid("", 16)])
spath = os.path.join(work, "scan.onnx")
onnx.save(scan, spath)
d, text = profile(spath, "scan")
bodies = check_sums(d, "scan")
acc = [b for b in bodies if b["name"] == "scan/body/acc"]
if not acc or acc[0]["iterations"]["median"] != 4 or acc[0]["body"] != "body":
    fail(f"scan: no scan/body/acc row of 4 iterations: {[b['name'] for b in bodies]}")
check_table(text, "scan", ["scan/body/acc", "scan (own)"])
check_info(spath, "scan", [("scan/body/acc", 1, None, "body", 3, 24, 12), ("scan/body/emit", 1, None, "body", 0, 0, 0)], 4)

# A Loop whose body is planned again per iteration (a Slice that follows the iteration number)
# with a fusable Add -> Relu: every iteration's plan must run the passes the model was prepared
# with (--fusion none keeps two layers), else its steps differ from iteration 0's and the body
# rows go untimed.
row = numpy_helper.from_array(np.arange(6, dtype=np.float32), "row")
pbody = helper.make_graph([
    helper.make_node("Identity", ["c_in"], ["c_out"], name="keep"),
    helper.make_node("Unsqueeze", ["i", "ax"], ["i1"], name="unsq"),
    helper.make_node("Add", ["i1", "n1"], ["end"], name="end"),
    helper.make_node("Slice", ["row", "i1", "end"], ["s_out"], name="slice"),
    helper.make_node("Add", ["y_in", "x"], ["sum"], name="add"),
    helper.make_node("Relu", ["sum"], ["y_out"], name="relu")],
    "pbody", [vi("i", TensorProto.INT64, []), vi("c_in", TensorProto.BOOL, []), vi("y_in", TensorProto.FLOAT, [4])],
    [vi("c_out", TensorProto.BOOL, []), vi("y_out", TensorProto.FLOAT, [4]), vi("s_out", TensorProto.FLOAT, [1])])
per_iter = helper.make_model(helper.make_graph(
    [helper.make_node("Loop", ["m", "t", "y0"], ["y", "s"], name="loop", body=pbody)], "per_iteration",
    [vi("x", TensorProto.FLOAT, [4]), vi("y0", TensorProto.FLOAT, [4])],
    [vi("y", TensorProto.FLOAT, [4]), vi("s", TensorProto.FLOAT, [5, 1])],
    [m5, t, row, numpy_helper.from_array(np.array([0], np.int64), "ax"),
     numpy_helper.from_array(np.array([1], np.int64), "n1")]), opset_imports=[helper.make_opsetid("", 16)])
ppath = os.path.join(work, "per_iteration.onnx")
onnx.save(per_iter, ppath)
for fusion, relu_row in (("none", True), ("all", None)):
    d, text = profile(ppath, "per_iteration_" + fusion, ["--fusion", fusion])
    bodies = check_sums(d, "per_iteration --fusion " + fusion)
    names = [b["name"] for b in bodies]
    if relu_row and "loop/body/relu" not in names:
        fail(f"per_iteration --fusion {fusion}: no separate Relu row: {names}")
    for b in bodies:
        if not b["executed"] or b["iterations"]["median"] != 5 or not b["total_ms"]["median"] > 0:
            fail(f"per_iteration --fusion {fusion}: body row {b['name']} not timed over 5 iterations: {b}")
    print(f"ok: per_iteration --fusion {fusion}: {len(bodies)} body rows timed")
# info plans iteration 0's body: Add of two float[4], Relu of one (4 FLOPs, 16 bytes each way)
check_info(ppath, "per_iteration", [("loop/body/keep", 1, None, "body", 0, 0, 0), ("loop/body/add", 1, None, "body", 4, 32, 16),
                                    ("loop/body/relu", 1, None, "body", 4, 16, 16)], 5, ["--fusion", "none"])

# The exported torch.jit.script model: an If on the scalar input "mode" (1: then, -1: else).
model = os.path.join(seq, "script_if.onnx")
if seq and os.path.exists(model):
    x = os.path.join(seq, "script_if", "input_0.pb")
    for mode, taken, other in ((1, "then", "else"), (-1, "else", "then")):
        mpath = os.path.join(work, f"mode_{mode}.pb")
        with open(mpath, "wb") as f:
            f.write(numpy_helper.from_array(np.array(mode, np.float32), "mode").SerializeToString())
        d, text = profile(model, f"script_if_{mode}", ["--input", f"x={x}", "--input", f"mode={mpath}"])
        bodies = check_sums(d, f"script_if mode {mode}")
        ifs = [l for l in d["layers"] if l["op_type"] == "If"]
        if len(ifs) != 1:
            fail(f"script_if: {len(ifs)} If layers (expected one, not folded)")
        prefix = ifs[0]["name"] + "/"
        ran = [b for b in bodies if b["name"].startswith(prefix + taken + "/")]
        idle = [b for b in bodies if b["name"].startswith(prefix + other + "/")]
        if not ran or not idle or len(ran) + len(idle) != len(bodies):
            fail(f"script_if mode {mode}: rows {[b['name'] for b in bodies]}")
        if not all(b["executed"] and b["iterations"]["median"] == 1 for b in ran):
            fail(f"script_if mode {mode}: the {taken} branch did not run once per inference: {ran}")
        if any(b["executed"] for b in idle):
            fail(f"script_if mode {mode}: the {other} branch is listed as executed")
        check_table(text, f"script_if mode {mode}", [prefix + taken + "/", "not executed in these"])
    d, text = info(model, "script_if")
    prefix = [l for l in d["layers"] if l["op_type"] == "If"][0]["name"] + "/"
    bodies = d["body_layers"]
    if {b["body"] for b in bodies} != {"then", "else"} or \
            any(not b["name"].startswith(prefix + b["body"] + "/") or b["executed"] is not None for b in bodies):
        fail(f"info script_if: rows {[(b['name'], b['body'], b['executed']) for b in bodies]}")
    check_table(text, "info script_if", [prefix + "then/", prefix + "else/", "cost per iteration of their body"])
    print(f"ok: info script_if: {len(bodies)} body rows")
else:
    print("script_if: no exported model in", repr(seq), "(sequence.export); its checks skipped")

# The HTML report of loop_if in headless Chromium (tests/html/check_html.py's driver), when
# installed: one row per body layer, no page error.
exe = os.environ.get("ROOF_CHROMIUM") or shutil.which("chromium")
if exe:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "html"))
    import check_html
    with open(os.path.join(work, "loop_if.json")) as f:
        n = len(json.load(f)["body_layers"])
    with tempfile.TemporaryDirectory() as tmp:
        browser = check_html.Browser(exe, tmp)
        try:
            page = check_html.Page(browser, "file://" + os.path.abspath(os.path.join(work, "loop_if.html")))
            r = page.eval("(() => { const b = document.body.dataset; return {state: b.state, errors: Number(b.errors),"
                          " rows: Number(b.bodyRows), text: (document.querySelector('#bodies') || {}).textContent || ''};"
                          " })()")
            errs, _ = page.problems()
            page.close()
        finally:
            browser.close()
    if r["state"] != "ready" or r["errors"] or errs:
        fail(f"loop_if HTML: state {r['state']}, errors {r['errors']} {errs}")
    if r["rows"] != n or "loop/body/pick/then/dbl" not in r["text"] or "loop (own)" not in r["text"]:
        fail(f"loop_if HTML: {r['rows']} body rows for {n} body layers: {r['text'][:300]}")
    print(f"ok: loop_if HTML: {n} body rows")
else:
    print("HTML: chromium not installed, the page is not rendered")
print("control-flow profile: OK")
