#!/usr/bin/env python3
"""Accuracy and speed per precision (FP32 / FP16 / INT8) on every device, through nnrun.

- The bundled digits CNN: held-out accuracy (models/digits_test_x.npy / _y.npy), INT8 calibrated
  on models/digits_calib_x.npy (training images, never the held-out ones).
- MobileNetV2 and ResNet-18 (224x224, batch 1, random weights from a fixed seed, the builders of
  bench/mobilenetv2.py and bench/tune_models.py): relative L2 error of the logits against the same
  device's FP32 run, and median latency (nnrun's latency_ms after warm-up). INT8 is calibrated on
  --calib-samples random-normal images; the error is measured on another one.

A precision the device cannot run (FP16 on POCL: no cl_khr_fp16) is reported as what nnrun ran.

  bench/precision.py [--build build] [--runs 10] [--devices opencl:0,vulkan:0]
                     [--models digits,mobilenetv2,resnet18] [--method minmax] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from mobilenetv2 import mobilenet_v2_224  # noqa: E402
from tune_models import resnet18_224  # noqa: E402

PRECISIONS = ("fp32", "fp16", "int8")


def rel_err(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def nnrun(args, model, x_path, device, precision, calib, out_dir):
    name = onnx.load(model, load_external_data=False).graph.input[0].name
    cmd = [os.path.join(args.build, "nnrun"), model, "--device", device, "--input",
           f"{name}={x_path}", "--runs", str(args.runs), "--warmup", "3", "--json",
           "--output-dir", out_dir, "--precision", precision]
    if precision == "int8":
        cmd += ["--calibration", calib, "--calibration-method", args.method]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {res.stderr.strip()}")
    j = json.loads(res.stdout)
    outs = sorted(f for f in os.listdir(out_dir) if f.endswith(".npy"))
    return j, np.load(os.path.join(out_dir, outs[0]))


def ran_as(j):
    """What the session ran: its precision and how many layers stayed fp32 / went to the CPU."""
    layers = j.get("layers", [])
    kept = sum(1 for l in layers if l.get("precision") == "fp32" and not l.get("kernel") == "view")
    cpu = sum(1 for l in layers if l.get("on_cpu"))
    return {"precision": j.get("precision", "?"), "fp32_layers": kept, "cpu_layers": cpu,
            "weight_bytes": j.get("weight_bytes"), "model_weight_bytes": j.get("model_weight_bytes")}


def bench_digits(args, work, device):
    model = os.path.join(ROOT, "models", "digits_cnn.onnx")
    x = os.path.join(ROOT, "models", "digits_test_x.npy")
    y = np.load(os.path.join(ROOT, "models", "digits_test_y.npy"))
    calib = os.path.join(ROOT, "models", "digits_calib_x.npy")
    rows = {}
    for p in PRECISIONS:
        try:
            j, logits = nnrun(args, model, x, device, p, calib, tempfile.mkdtemp(dir=work))
        except RuntimeError as e:
            rows[p] = {"error": str(e)}
            continue
        rows[p] = dict(ran_as(j), accuracy=float((logits.argmax(1) == y).mean()),
                       median_ms=j["latency_ms"]["median"])
    return rows


def bench_random(args, work, device, name, builder):
    rng = np.random.default_rng(0)
    path = os.path.join(work, name + ".onnx")
    if not os.path.exists(path):
        onnx.save(builder(rng), path)
        np.save(os.path.join(work, name + "_x.npy"),
                rng.standard_normal((1, 3, 224, 224)).astype(np.float32))
        np.save(os.path.join(work, name + "_calib.npy"),
                rng.standard_normal((args.calib_samples, 3, 224, 224)).astype(np.float32))
    x = os.path.join(work, name + "_x.npy")
    calib = os.path.join(work, name + "_calib.npy")
    rows, ref = {}, None
    for p in PRECISIONS:
        try:
            j, out = nnrun(args, path, x, device, p, calib, tempfile.mkdtemp(dir=work))
        except RuntimeError as e:
            rows[p] = {"error": str(e)}
            continue
        if p == "fp32":
            ref = out
        rows[p] = dict(ran_as(j), rel_err_vs_fp32=rel_err(out, ref) if ref is not None else None,
                       median_ms=j["latency_ms"]["median"])
    return rows


def print_table(results):
    print(f"{'model':12s} {'device':9s} {'precision':10s} {'ran as':12s} {'accuracy/err':>13s} "
          f"{'median ms':>10s} {'fp32 layers':>11s} {'weights KiB':>12s}")
    for model, devs in results.items():
        for dev, rows in devs.items():
            for p, r in rows.items():
                if "error" in r:
                    print(f"{model:12s} {dev:9s} {p:10s} error: {r['error'][:80]}")
                    continue
                q = (f"{100 * r['accuracy']:.2f}%" if "accuracy" in r
                     else f"{r['rel_err_vs_fp32']:.2e}")
                wb = r.get("weight_bytes")
                print(f"{model:12s} {dev:9s} {p:10s} {r['precision']:12s} {q:>13s} "
                      f"{r['median_ms']:10.2f} {r['fp32_layers']:11d} "
                      f"{(wb or 0) / 1024:12.1f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--models", default="digits,mobilenetv2,resnet18")
    ap.add_argument("--method", default="minmax", choices=("minmax", "percentile", "entropy"))
    ap.add_argument("--calib-samples", type=int, default=8)
    ap.add_argument("--json")
    args = ap.parse_args()
    builders = {"mobilenetv2": mobilenet_v2_224, "resnet18": resnet18_224}
    work = tempfile.mkdtemp(prefix="nngpu_precision_")
    results = {}
    for name in args.models.split(","):
        results[name] = {}
        for dev in args.devices.split(","):
            if name == "digits":
                results[name][dev] = bench_digits(args, work, dev)
            else:
                results[name][dev] = bench_random(args, work, dev, name, builders[name])
    print_table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
