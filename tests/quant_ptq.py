#!/usr/bin/env python3
"""Post-training INT8 through nnrun: accuracy and error against fp32.

  - the bundled digits model with --precision int8 --calibration on each
    device: accuracy within 0.5 point of fp32; the calibration is computed
    once, then read from the cache;
  - the end-to-end models of tests/make_models.py and the CNNs of
    tests/zoo_models.py (batch 1 and 2) in int8 vs
    fp32 on the same device: relative L2 error <= 0.1;
  - every calibration method on one model;
  - the accuracy guard on a model built to break naive int8 (one channel of
    a conv output ~1000x the others, read back at 1/1000 by the next layer):
    with --int8-tolerance 0 the error exceeds 0.1, with the default the
    guard keeps that reader fp32, the error is <= 0.05 and most layers stay
    int8; on each device;
  - bad calibration input (missing file, wrong shape, empty folder): a clean
    error that names the file.
Prints one line per check (with the figures) and "N passed, M failed" last.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models  # noqa: E402
import zoo_models  # noqa: E402

BUILDERS = dict(make_models.MODELS, **{z: zoo_models.MODELS[z] for z in zoo_models.CNN})

MAX_REL_ERR = 0.1
MAX_ACC_DROP = 0.005
GUARD_TOL = 0.05  # options.int8_tolerance's default


class Checker:
    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.passed = self.failed = 0
        self.env = dict(os.environ, NNGPU_CACHE_DIR=os.path.join(workdir, "cache"))

    def check(self, ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def nnrun(self, *argv):
        cmd = [self.args.nnrun, *argv]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=900)

    def nnrun_json(self, what, *argv):
        p = self.nnrun(*argv, "--json", "--runs", "1", "--warmup", "0")
        if p.returncode != 0:
            self.check(False, f"{what}: nnrun exited {p.returncode}: {p.stderr.strip()}")
            return None
        return json.loads(p.stdout)


def digits(c, device, calib):
    fp32 = c.nnrun_json(f"digits fp32 on {device}", "--device", device)
    runs = []
    for i in range(2):
        runs.append(c.nnrun_json(f"digits int8 on {device}", "--device", device,
                                 "--precision", "int8", "--calibration", calib))
    if fp32 is None or None in runs:
        return
    int8 = runs[0]
    layers = [l for l in int8["layers"] if l["precision"] == "int8"]
    c.check(int8["precision"] == "int8" and len(layers) >= 3,
            f"digits on {device}: precision {int8['precision']}, {len(layers)} int8 layers")
    drop = fp32["accuracy"] - int8["accuracy"]
    c.check(abs(drop) <= MAX_ACC_DROP,
            f"digits on {device}: accuracy fp32 {100 * fp32['accuracy']:.2f}% "
            f"int8 {100 * int8['accuracy']:.2f}%")
    c.check(runs[1]["calibration"] == "cached" and runs[1]["accuracy"] == int8["accuracy"],
            f"digits on {device}: second run calibration {runs[1]['calibration']}")


def rel_l2(a, b):
    return float(np.linalg.norm((a - b).ravel()) / max(np.linalg.norm(b.ravel()), 1e-30))


def model_case(c, name, batch, index):
    """Writes model, input and calibration stack; returns (model path, input, calib)."""
    d = os.path.join(c.workdir, f"{name}_b{batch}")
    if os.path.exists(os.path.join(d, "model.onnx")):
        return d
    os.makedirs(d)
    rng = np.random.default_rng([c.args.seed, index])
    model = BUILDERS[name](rng)
    in_dims = [x.dim_value for x in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    onnx.save(model, os.path.join(d, "model.onnx"))
    np.save(os.path.join(d, "x.npy"), rng.standard_normal([batch] + in_dims).astype(np.float32))
    np.save(os.path.join(d, "calib.npy"),
            rng.standard_normal([8 * batch] + in_dims).astype(np.float32))
    return d


def run_output(c, what, d, device, tag, *extra):
    out = os.path.join(d, "out_" + tag)
    p = c.nnrun(os.path.join(d, "model.onnx"), "--device", device, "--runs", "1", "--warmup", "0",
                "--input", "input=" + os.path.join(d, "x.npy"), "--output-dir", out, *extra)
    if p.returncode != 0:
        c.check(False, f"{what}: nnrun exited {p.returncode}: {p.stderr.strip()}")
        return None, ""
    return np.load(os.path.join(out, "output.npy")), p.stdout


def guard_counts(text):
    """(int8 layers, candidate layers, error) from the guard's last summary line, or None."""
    found = re.findall(r"int8 guard: error vs fp32 (\S+) .*?: (\d+) of (\d+) layers int8", text)
    return (int(found[-1][1]), int(found[-1][2]), float(found[-1][0])) if found else None


def end_to_end(c, device, name, batch, index, method="minmax"):
    d = model_case(c, name, batch, index)
    what = f"{name}_b{batch} on {device} ({method})"
    y32, _ = run_output(c, what, d, device, "fp32")
    y8, text = run_output(c, what, d, device, "int8_" + method, "--precision", "int8", "--calibration",
                          os.path.join(d, "calib.npy"), "--calibration-method", method)
    if y32 is None or y8 is None:
        return
    err = rel_l2(y8, y32)
    int8 = "precision int8" in text
    c.check(err <= MAX_REL_ERR and np.all(np.isfinite(y8)),
            f"{what}: int8 vs fp32 relative L2 error {err:.4f} (limit {MAX_REL_ERR})"
            f"{'' if int8 else ', nothing quantized'}")
    counts = guard_counts(text)
    c.check(counts is not None and 2 * counts[0] >= counts[1] and counts[2] <= GUARD_TOL,
            f"{what}: int8 guard: {counts[0]} of {counts[1]} layers int8, measured error "
            f"{counts[2]:.4f}" if counts else f"{what}: no int8 guard line in the summary")


def outlier_model(rng):
    """conv1 -> conv2 (output channel 0 ~1000x the others) -> conv3 (reads channel 0 at
    1/1000: every channel counts the same) -> conv4 -> classifier. Per-tensor int8 of
    conv2's output keeps channel 0 and rounds the others away."""
    n = make_models.Net("outlier", rng)
    x = n.op("Relu", [n.conv("input", 3, 8, 3)])
    w = rng.normal(0, np.sqrt(2 / 72), (16, 8, 3, 3))
    w[0] *= 1000
    x = n.op("Conv", [x, n.const(w), n.const(rng.normal(0, 0.1, 16), prefix="b")],
             kernel_shape=[3, 3], pads=[1] * 4)
    w = rng.normal(0, np.sqrt(2 / 16), (16, 16, 1, 1))
    w[:, 0] *= 1e-3
    x = n.op("Relu", [n.op("Conv", [x, n.const(w), n.const(rng.normal(0, 0.1, 16), prefix="b")],
                           kernel_shape=[1, 1])])
    x = n.op("Relu", [n.conv(x, 16, 16, 3)])
    return n.model([3, 16, 16], n.classifier(x, 16))


def conv1d_model(rng):
    """1-D convolutions (audio/sequence style): dilated, grouped, strided; GlobalAveragePool
    and a Gemm classifier."""
    n = make_models.Net("conv1d", rng)
    x = n.op("Relu", [n.op("Conv", ["input", n.const(rng.normal(0, 0.3, (16, 8, 3))),
                                     n.const(rng.normal(0, 0.1, 16), prefix="b")],
                           kernel_shape=[3], pads=[2, 2], dilations=[2])])
    x = n.op("Relu", [n.op("Conv", [x, n.const(rng.normal(0, 0.3, (16, 4, 3)))],
                           kernel_shape=[3], group=4, strides=[2], pads=[1, 1])])
    return n.model([8, 40], n.classifier(x, 16))


def conv1d(c, device):
    d = os.path.join(c.workdir, "conv1d")
    if not os.path.exists(d):
        os.makedirs(d)
        rng = np.random.default_rng([c.args.seed, 98])
        onnx.save(conv1d_model(rng), os.path.join(d, "model.onnx"))
        np.save(os.path.join(d, "x.npy"), rng.standard_normal([2, 8, 40]).astype(np.float32))
        np.save(os.path.join(d, "calib.npy"), rng.standard_normal([16, 8, 40]).astype(np.float32))
    what = f"conv1d model on {device}"
    y32, _ = run_output(c, what, d, device, "fp32")
    y8, text = run_output(c, what, d, device, "int8", "--precision", "int8", "--calibration",
                          os.path.join(d, "calib.npy"))
    if y32 is None or y8 is None:
        return
    err = rel_l2(y8, y32)
    counts = guard_counts(text)
    c.check(err <= MAX_REL_ERR and counts is not None and counts[0] >= 2,
            f"{what}: int8 vs fp32 error {err:.4f}, "
            f"{counts[0] if counts else '?'} of {counts[1] if counts else '?'} layers int8")


def guard(c, device):
    d = os.path.join(c.workdir, "outlier")
    if not os.path.exists(d):
        os.makedirs(d)
        rng = np.random.default_rng([c.args.seed, 99])
        onnx.save(outlier_model(rng), os.path.join(d, "model.onnx"))
        np.save(os.path.join(d, "x.npy"), rng.standard_normal([2, 3, 16, 16]).astype(np.float32))
        np.save(os.path.join(d, "calib.npy"), rng.standard_normal([16, 3, 16, 16]).astype(np.float32))
    what = f"outlier model on {device}"
    calib = ["--precision", "int8", "--calibration", os.path.join(d, "calib.npy")]
    y32, _ = run_output(c, what, d, device, "fp32")
    naive, _ = run_output(c, what, d, device, "naive", *calib, "--int8-tolerance", "0")
    guarded, text = run_output(c, what, d, device, "guarded", *calib)
    info = c.nnrun_json(what, os.path.join(d, "model.onnx"), "--device", device,
                        "--input", "input=" + os.path.join(d, "x.npy"), *calib)
    if y32 is None or naive is None or guarded is None or info is None:
        return
    err_naive, err = rel_l2(naive, y32), rel_l2(guarded, y32)
    c.check(err_naive > MAX_REL_ERR,
            f"{what}: without the guard int8 vs fp32 error {err_naive:.4f} (> {MAX_REL_ERR})")
    counts = guard_counts(text)
    kept = info["int8_fp32_layers"]
    measured = info["precision_error_vs_fp32"]
    c.check(err <= GUARD_TOL and counts is not None and counts[0] >= counts[1] - 2
            and "conv3" in kept and "int8 guard: node 'conv3' stays fp32" in text
            and measured is not None and measured == info["int8_error_vs_fp32"]
            and info["guard_fp32_layers"] == kept,
            f"{what}: with the guard error {err:.4f} (limit {GUARD_TOL}), measured "
            f"{info['int8_error_vs_fp32']}, kept fp32 {kept}, "
            f"{counts[0] if counts else '?'} of {counts[1] if counts else '?'} layers int8")


def bad_calibration(c, device):
    d = model_case(c, "resnet", 1, 1)
    model = os.path.join(d, "model.onnx")
    wrong = os.path.join(c.workdir, "wrong_shape.npy")
    np.save(wrong, np.zeros([2, 5, 7], np.float32))
    empty = os.path.join(c.workdir, "empty_folder")
    os.makedirs(empty, exist_ok=True)
    missing = os.path.join(c.workdir, "missing.npy")
    for path, what in ((missing, "missing file"), (wrong, "wrong shape"), (empty, "empty folder")):
        p = c.nnrun(model, "--device", device, "--runs", "1", "--precision", "int8",
                    "--input", "input=" + os.path.join(d, "x.npy"), "--calibration", path)
        lines = [l for l in p.stderr.splitlines() if l.strip()]
        ok = (p.returncode > 0 and len(lines) == 1 and lines[0].startswith("nnrun: error:")
              and path in lines[0])
        c.check(ok, f"bad calibration ({what}): exit {p.returncode}: "
                    f"{lines[0] if lines else '(no message)'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nnrun")
    ap.add_argument("--models-dir", default=os.path.join(os.path.dirname(HERE), "models"))
    ap.add_argument("--devices", default="cpu,opencl:0,vulkan:0", help="for the digits model")
    ap.add_argument("--model-device", default="opencl:0", help="for the end-to-end models")
    ap.add_argument("--models", default=",".join(BUILDERS))
    ap.add_argument("--seed", type=int, default=4321)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="quant_ptq_") as workdir:
        c = Checker(args, workdir)
        calib = os.path.join(args.models_dir, "digits_calib_x.npy")
        if not os.path.exists(calib):  # a slice of the test set
            calib = os.path.join(workdir, "digits_calib.npy")
            np.save(calib, np.load(os.path.join(args.models_dir, "digits_test_x.npy"))[:64])
        for device in args.devices.split(","):
            digits(c, device, calib)
            guard(c, device)
            conv1d(c, device)
        names = [m for m in args.models.split(",") if m]
        for name in names:
            index = list(BUILDERS).index(name)
            for batch in (1, 2):
                end_to_end(c, args.model_device, name, batch, index)
        for name in ("resnet", "transformer"):
            for method in ("percentile", "entropy"):
                end_to_end(c, args.model_device, name, 1, list(make_models.MODELS).index(name),
                           method)
        bad_calibration(c, args.model_device)
        print(f"{c.passed} passed, {c.failed} failed")
        return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
