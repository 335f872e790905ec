#!/usr/bin/env python3
"""Builds the fuzz seed corpus, one folder per target, from:
  TESTDATA  libonnx-testdata's data folder (CMake cache variable ROOF_ONNX_TESTDATA): every
            model.onnx (load; run when at most 64 KiB) and every test_data_set_0/input_0.pb
            (tensor)
  BAD_DIR   the bad-input suite's generated models and tensors/ (make_bad_models.py), whose
            positive controls seed the run target with ops the testdata lacks in small models
            (control_matmul_attention: Q.K^T and A.V, both operands activations)
and a few hand-written inputs for the targets that read no file format (external, report).
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
    for folder, seeds in (("external", EXTERNAL), ("report", REPORT)):
        for name, data in seeds.items():
            with open(os.path.join(out, folder, name), "wb") as f:
                f.write(data)
    print(", ".join(f"{t} {len(os.listdir(os.path.join(out, t)))}" for t in TARGETS) + " seeds")


if __name__ == "__main__":
    main()
