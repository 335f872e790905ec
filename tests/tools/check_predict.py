#!/usr/bin/python3
"""Measured and predicted never mixed: profile and info with --hw SPEC_FILE.

* profile names this machine (the model name of /proc/cpuinfo) in the table, JSON run.cpu and
  hardware.cpu, with roofs probed here: the file's machine appears only as a prediction.
* the prediction is labelled with the file's CPU and thread count (table line and column
  header legend, JSON prediction.label), every layer's predicted_ms equals the file's roofline
  time computed here from its peak and DRAM bandwidth, and the predicted total equals the sum
  of the layers (JSON exactly, the table within its rounding).
* energy: the file's constants times the predicted latency; none from this machine's measured
  time (a probe has no energy constants).
* info --hw: the predicted total, the file's thread count, a unit on every numeric column.
usage: check_predict.py ROOFTOP MODEL HW_FILE WORK_DIR
"""
import json
import math
import os
import re
import subprocess
import sys


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def this_cpu():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown cpu"


def table_column(text, header):
    """Values of the column named `header` in the layer table (by its position in the header)."""
    lines = text.splitlines()
    head = next(i for i, l in enumerate(lines) if l.lstrip().startswith("# layer"))
    end = lines[head].index(header) + len(header)  # numbers are right-aligned under the header
    values = []
    for line in lines[head + 1:]:
        if not re.match(r"^\s*\d+ ", line):
            break
        values.append(float(line[:end].split()[-1]))
    return lines[head], values


def check_layers(p, spec):
    peak, dram = spec["peak_gflops"] * 1e9, spec["bandwidth_gbs"]["dram"] * 1e9
    for l in p["layers"]:
        moved = l["bytes_read"] + l["bytes_written"]
        want = 1e3 * max(l["flops"] / peak, moved / dram)  # the spec file gives DRAM only
        if not math.isclose(l["predicted_ms"], want, rel_tol=1e-9, abs_tol=1e-12):
            fail(f"layer {l['name']}: predicted {l['predicted_ms']} ms, the file's roofline gives {want}")
    total = sum(l["predicted_ms"] for l in p["layers"])
    if not math.isclose(p["prediction"]["latency_ms"], total, rel_tol=1e-9):
        fail(f"predicted total {p['prediction']['latency_ms']} ms is not the layers' sum {total}")
    return total


def check_table_total(out, n_layers, what):
    m = re.search(r"^predict\s+([0-9.]+) ms per inference predicted", out, re.M)
    if not m:
        fail(f"{what}: no 'predict' line in the table")
    header, col = table_column(out, "pred ms")
    if len(col) != n_layers:
        fail(f"{what}: {len(col)} values under 'pred ms' for {n_layers} layers")
    slack = 0.00005 * n_layers + 0.0005  # 4 decimals per layer, 3 on the total
    if abs(sum(col) - float(m.group(1))) > slack:
        fail(f"{what}: table total {m.group(1)} ms vs column sum {sum(col):.4f} ms")
    return header


def main():
    rooftop, model, hw_file, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    spec = json.load(open(hw_file))
    label = f"{spec['cpu']}, {spec['threads']} threads"
    cpu = this_cpu()
    if cpu == spec["cpu"]:
        fail("the spec file must name another machine than this one")

    j, h = os.path.join(work, "p.json"), os.path.join(work, "p.html")
    out = subprocess.run([rooftop, "profile", model, "--runs", "3", "--warmup", "1", "--threads", "1", "--quiet",
                          "--hw", hw_file, "--json", j, "--html", h], check=True, capture_output=True, text=True).stdout
    p = json.load(open(j))
    if p["run"]["cpu"] != cpu or p["hardware"]["cpu"] != cpu or p["hardware"]["source"] != "probe":
        fail(f"measured on {cpu}, yet run.cpu {p['run']['cpu']!r}, roofs of {p['hardware']['cpu']!r} "
             f"({p['hardware']['source']})")
    if p["hardware"]["threads"] != 1 or p["run"]["threads"] != 1:
        fail("the roofs judging a 1-thread run must be this machine's 1-thread roofs")
    if not re.search(rf"^machine  {re.escape(cpu)}, 1 thread ", out, re.M):
        fail(f"the table does not name this machine ({cpu}) as the one measured")
    if spec["cpu"] in "\n".join(l for l in out.splitlines() if not l.startswith(("predict", "pred ms", " "))):
        fail("the file's CPU appears outside the prediction lines")
    pr = p["prediction"]
    if pr["label"] != f"prediction for {label}" or pr["cpu"] != spec["cpu"] or pr["threads"] != spec["threads"]:
        fail(f"prediction labelled {pr['label']!r} ({pr['cpu']}, {pr['threads']} threads), expected {label}")
    if f"{label}" not in out or f"pred ms = predicted roofline time on {label} (not measured)" not in out:
        fail(f"the table does not label the prediction as one for {label}")
    total = check_layers(p, spec)
    check_table_total(out, len(p["layers"]), "profile")
    e, en = spec["energy"], pr.get("energy_estimate")
    want_j = e["tdp_w"] * e["utilization"] * e["pue"] * total / 1e3
    if en is None or not math.isclose(en["joules_per_inference"], want_j, rel_tol=1e-9):
        fail(f"predicted energy {en} is not the file's {e['tdp_w']} W x utilization x PUE x predicted {total} ms")
    if "energy_estimate" in p["run"]:
        fail("energy from the file's constants was applied to this machine's measured time")
    html = open(h, encoding="utf-8").read()
    if '"prediction"' not in html or '"predicted_ms"' not in html:
        fail("the HTML report does not carry the prediction")
    widest = max(len(l) for l in out.splitlines() if not l.startswith(("model ", "machine ", "roofs ", "pred ms = ", "         ")))
    if widest > 100:
        fail(f"the profile table with a prediction is {widest} columns wide")
    print(f"ok: profile measured on {cpu}, predicted {total:.3f} ms for {label}, "
          f"{len(p['layers'])} layers summed, energy {want_j:.4g} J")

    ij = os.path.join(work, "i.json")
    out = subprocess.run([rooftop, "info", model, "--hw", hw_file, "--json", ij], check=True, capture_output=True,
                         text=True).stdout
    info = json.load(open(ij))
    total = check_layers(info, spec)
    header = check_table_total(out, len(info["layers"]), "info")
    if f"{spec['threads']} threads" not in out:
        fail(f"info does not print the file's thread count ({spec['threads']})")
    for unit in ("MFLOP", "MiB", "FLOP/B", "pred ms"):
        if unit not in header:
            fail(f"info's header lacks the column '{unit}': {header!r}")
    if re.search(r"\broof\b(?! ms)", header):
        fail(f"info's header has a column without a unit: {header!r}")
    print(f"ok: info predicts {total:.3f} ms for {label}; header {header.split()}")


if __name__ == "__main__":
    main()
