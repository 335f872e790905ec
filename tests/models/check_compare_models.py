#!/usr/bin/python3
"""`rooftop compare FLOAT.onnx INT8.onnx` and the dq_sandwich flag.

1. resnet18 float vs its QDQ version (tools/quantize_qdq.py): every Conv, Add and Gemm of the
   float model is matched to the int8 layer of the same name, the output's cosine meets the
   acceptance bar (>= 0.995), each row's bytes are those of the two profiles the document holds,
   the int8 side of a QLinearConv row moves fewer bytes than the float side, and the printed
   totals are the JSON's. --html writes one self-contained page embedding that document; where
   chromium is installed, the page renders (headless, --dump-dom) without script errors and its
   models table has one row per JSON row.
2. A small QDQ model with Sigmoid between a DequantizeLinear and a QuantizeLinear (no pass fuses
   it): the Sigmoid is flagged dq_sandwich with the bytes of the DQ and the Q around it (each a
   256-element int8 <-> float32 conversion), the summary counts it, the table names it; a
   Sigmoid fed by a float graph input is not flagged.
3. Usage: one model and one profile exit 64 either way round; two profiles are recognised by
   content whatever their file names.
usage: check_compare_models.py ROOFTOP ZOO_DIR QDQ_DIR WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BAR = 0.995
N = 1 * 4 * 8 * 8  # elements of the small model's tensors


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def run(cmd, expect=0):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != expect:
        fail(f"{' '.join(cmd)}: exit {r.returncode}, expected {expect}\n{r.stdout}{r.stderr}")
    return r


def layer_bytes(profile):
    return {l["index"]: l["bytes_read"] + l["bytes_written"] for l in profile["layers"]}


def check_resnet18(rooftop, zoo, qdq, work):
    a, b = os.path.join(zoo, "resnet18.onnx"), os.path.join(qdq, "resnet18_qdq.onnx")
    out = os.path.join(work, "resnet18_compare.json")
    page = os.path.join(work, "resnet18_compare.html")
    text = run([rooftop, "compare", a, b, "--threads", "1", "--runs", "4", "--json", out, "--html", page]).stdout
    d = json.load(open(out))
    check_page(page, d, work)
    if d["schema"] != "rooftop.compare_models/1":
        fail(f"schema {d['schema']}")
    float_ops = [n for n in onnx.load(a, load_external_data=False).graph.node if n.op_type in ("Conv", "Add", "Gemm")]
    by_name = {r["a_name"]: r for r in d["rows"]}
    for n in float_ops:
        r = by_name.get(n.name)
        if r is None or r["b_name"] != n.name:
            fail(f"float node {n.name} ({n.op_type}) not matched to the int8 layer of its name: {r}")
    ab, bb = layer_bytes(d["profile_a"]), layer_bytes(d["profile_b"])
    for r in d["rows"]:
        if r["a_bytes"] != ab[r["a_index"]] or r["b_bytes"] != bb[r["b_index"]]:
            fail(f"row {r['a_name']}: bytes {r['a_bytes']}/{r['b_bytes']} are not the profiles' "
                 f"{ab[r['a_index']]}/{bb[r['b_index']]}")
        if r["b_op_type"] == "QLinearConv" and not r["b_bytes"] < r["a_bytes"]:
            fail(f"row {r['a_name']}: int8 conv moves {r['b_bytes']} bytes, the float one {r['a_bytes']}")
    t = d["totals"]
    if t["matched_rows"] != len(d["rows"]) or t["unmatched_a"] != len(d["unmatched_a"]):
        fail(f"totals {t} do not count the rows")
    if t["matched_a_bytes"] != sum(r["a_bytes"] for r in d["rows"]):
        fail("matched_a_bytes is not the sum of the rows")
    line = [l for l in text.splitlines() if l.startswith("matched layers")]
    kib = [float(x) for x in line[0].split()[-2:]] if line else []
    if kib != [round(t["matched_a_bytes"] / 1024, 1), round(t["matched_b_bytes"] / 1024, 1)]:
        fail(f"printed matched KiB {kib} are not the JSON's {t['matched_a_bytes']}, {t['matched_b_bytes']}")
    if len(d["outputs"]) != 1:
        fail(f"{len(d['outputs'])} outputs compared, resnet18 has 1")
    o = d["outputs"][0]
    if not o["cosine"] >= BAR:
        fail(f"cosine {o['cosine']} below {BAR}")
    if f"cosine {o['cosine']:.6f}" not in text:
        fail("the printed cosine is not the JSON's")
    print(f"resnet18: {len(d['rows'])} rows matched, {t['unmatched_a']} / {t['unmatched_b']} unmatched, "
          f"cosine {o['cosine']:.6f}, max abs {o['max_abs_error']:.4g}, bytes B/A {t['bytes_ratio']:.3f}")
    return out


def check_page(page, d, work):
    html = open(page, encoding="utf-8").read()
    if "<link" in html or re.search(r"src=[\"']?https?:", html):
        fail(f"{page} is not self-contained")
    m = re.search(r'<script id="roof-data" type="application/json">(.*?)</script>', html, re.S)
    if m is None or json.loads(m.group(1)) != d:
        fail(f"{page} does not embed the --json document")
    exe = shutil.which("chromium")
    if exe is None:
        print("html: chromium not installed, the page was not rendered")
        return
    dom = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={work}/chromium",
                          "--dump-dom", "file://" + os.path.abspath(page)], capture_output=True, text=True,
                         timeout=120).stdout
    if 'data-state="ready"' not in dom or 'data-errors="0"' not in dom:
        marks = re.findall(r'data-(?:state|errors)="[^"]*"', dom)
        fail(f"{page} did not render: {marks}")
    table = re.search(r'<table id="models">.*?<tbody>(.*?)</tbody>', dom, re.S)
    rows = table.group(1).count("<tr") if table else -1
    if rows != len(d["rows"]):
        fail(f"{page}: the models table has {rows} rows, the JSON {len(d['rows'])}")
    print(f"html: {page} renders {rows} matched rows")


def small_model(path):
    """x -> Q -> DQ -> Tanh -> Q -> DQ -> y, and beside it x -> Tanh -> Q -> DQ -> z (Tanh: an op
    the qdq pass leaves float, unlike Sigmoid, which it makes a QLinearSigmoid)."""
    s = numpy_helper.from_array(np.array(0.02, np.float32), "s")
    zp = numpy_helper.from_array(np.array(0, np.int8), "zp")
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "s", "zp"], ["xf"], name="dq_in"),
        helper.make_node("Tanh", ["xf"], ["sg"], name="sandwiched"),
        helper.make_node("QuantizeLinear", ["sg", "s", "zp"], ["sq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["sq", "s", "zp"], ["y"], name="dq_out"),
        helper.make_node("Tanh", ["x"], ["sg2"], name="float_fed"),
        helper.make_node("QuantizeLinear", ["sg2", "s", "zp"], ["sq2"], name="q_out2"),
        helper.make_node("DequantizeLinear", ["sq2", "s", "zp"], ["z"], name="dq_out2"),
    ]
    shape = [1, 4, 8, 8]
    g = helper.make_graph(nodes, "dq_sandwich", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape),
                           helper.make_tensor_value_info("z", TensorProto.FLOAT, shape)], [s, zp])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)


def check_sandwich(rooftop, work):
    path = os.path.join(work, "dq_sandwich.onnx")
    small_model(path)
    out = os.path.join(work, "dq_sandwich.json")
    text = run([rooftop, "profile", path, "--threads", "1", "--runs", "3", "--json", out]).stdout
    d = json.load(open(out))
    layers = {l["name"]: l for l in d["layers"]}
    moved = {k: l["bytes_read"] + l["bytes_written"] for k, l in layers.items()}
    flagged = [l["name"] for l in d["layers"] if "dq_sandwich" in l.get("flags", [])]
    if flagged != ["sandwiched"]:
        fail(f"dq_sandwich flags on {flagged}, expected only 'sandwiched'")
    extra = layers["sandwiched"]["dq_sandwich_extra_bytes"]
    if extra != moved["dq_in"] + moved["q_out"]:
        fail(f"extra bytes {extra}, the DQ and Q around it move {moved['dq_in']} + {moved['q_out']}")
    # each of the two: N int8 one way, N float32 the other, plus its scale and zero point
    for k in ("dq_in", "q_out"):
        if not 5 * N <= moved[k] <= 5 * N + 16:
            fail(f"{k} moves {moved[k]} bytes, expected 5 x {N} (+ scale and zero point)")
    if d["model"].get("dq_sandwich") != {"layers": 1, "extra_bytes": extra}:
        fail(f"summary {d['model'].get('dq_sandwich')}, expected 1 layer, {extra} bytes")
    if "dq_sandwich: 1 float layer" not in text or f"sandwiched" not in text.split("dq_sandwich:")[1]:
        fail("the table does not name the flagged layer")
    if f"+{extra / 1024:.1f} KiB" not in text:
        fail(f"the table does not print {extra} bytes as KiB")
    print(f"dq_sandwich: 'sandwiched' flagged, +{extra} bytes (DQ {moved['dq_in']} + Q {moved['q_out']})")


def check_usage(rooftop, zoo, profile_json, work):
    model = os.path.join(zoo, "resnet18.onnx")
    for args in ([model, profile_json], [profile_json, model]):
        r = run([rooftop, "compare", *args], expect=64)
        if "two saved profiles" not in r.stderr:
            fail(f"usage message: {r.stderr}")
    # two profiles under names that do not say JSON: told by content
    p = os.path.join(work, "profile_a.dat")
    shutil.copy(os.path.join(work, "dq_sandwich.json"), p)
    r = run([rooftop, "compare", p, p])
    if "sum of layers" not in r.stdout:
        fail(f"two profiles not diffed: {r.stdout}")
    print("usage: model + profile exit 64 both ways; profiles recognised by content")


def main():
    rooftop, zoo, qdq, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    if not os.path.exists(os.path.join(qdq, "resnet18_qdq.onnx")):
        print("no QDQ resnet18 (fixture qdq.quantize): skipped")
        sys.exit(77)
    check_resnet18(rooftop, zoo, qdq, work)
    check_sandwich(rooftop, work)
    check_usage(rooftop, zoo, os.path.join(work, "dq_sandwich.json"), work)


if __name__ == "__main__":
    main()
