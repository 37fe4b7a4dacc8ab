#!/usr/bin/env python3
"""Post-training INT8 through nnrun: accuracy and error against fp32.

  - the bundled digits model with --precision int8 --calibration on each
    device: accuracy within 0.5 point of fp32; the calibration is computed
    once, then read from the cache;
  - the end-to-end models of tests/make_models.py (batch 1 and 2) in int8 vs
    fp32 on the same device: relative L2 error <= 0.1;
  - every calibration method on one model;
  - bad calibration input (missing file, wrong shape, empty folder): a clean
    error that names the file.
Prints one line per check (with the figures) and "N passed, M failed" last.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_models  # noqa: E402

MAX_REL_ERR = 0.1
MAX_ACC_DROP = 0.005


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
    model = make_models.MODELS[name](rng)
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
    ap.add_argument("--models", default=",".join(make_models.MODELS))
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
        names = [m for m in args.models.split(",") if m]
        for name in names:
            index = list(make_models.MODELS).index(name)
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
