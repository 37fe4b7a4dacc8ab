#!/usr/bin/env python3
"""Autotuning benchmark: MobileNetV2 and ResNet-18 (224x224, batch 1, random weights from a
fixed seed, built like bench/mobilenetv2.py through tests/make_models.py's builder) run with
nnrun with an empty tuning DB (built-in defaults) and with the DB nntune fills under a budget,
the two alternating over --rounds rounds after tuning. Reports the tuning time, end-to-end
latency (median over rounds of nnrun's median over --runs) and per-layer device times (medians;
layers sorted by time saved).

  bench/tune_models.py [--build build] [--device opencl:0] [--budget 120] [--runs 20]
                       [--rounds 3] [--models mobilenetv2,resnet18] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from make_models import Net  # noqa: E402
from mobilenetv2 import mobilenet_v2_224  # noqa: E402


def resnet18_224(rng, classes=1000):
    """ResNet-18 (He et al. 2016) at 224x224, batch 1: 7x7/2 stem, 3x3/2 max pool, four stages
    of two basic blocks (64, 128, 256, 512), 1x1/2 projection shortcuts."""
    n = Net("resnet18_224", rng)
    x = n.conv_bn("input", 3, 64, 7, stride=2)
    x = n.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for i in range(2):
            s = stride if i == 0 else 1
            y = n.conv_bn(x, c, cout, 3, stride=s)
            y = n.conv_bn(y, cout, cout, 3, act=None)
            short = x if s == 1 and c == cout else n.conv_bn(x, c, cout, 1, stride=s, act=None)
            x = n.op("Relu", [n.op("Add", [y, short])])
            c = cout
    model = n.model([3, 224, 224], n.classifier(x, 512, classes))
    for vi in list(model.graph.input) + list(model.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_value = 1
    del model.graph.value_info[:]
    return onnx.shape_inference.infer_shapes(model, strict_mode=True)


def nnrun(build, model, device, db, runs):
    out = subprocess.run([os.path.join(build, "nnrun"), model, "--device", device, "--tuning-db", db,
                          "--runs", str(runs), "--warmup", "3", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def layer_times(res):
    return {l["name"]: (l.get("time_ms") or -1, l.get("kernel", ""), l.get("params_source", ""))
            for l in res.get("layers", [])}


def median_layers(per_round):
    """Per layer: the median time over rounds (kernel and source from the first)."""
    out = {}
    for name, (t, kern, src) in per_round[0].items():
        ts = [r[name][0] for r in per_round if name in r and r[name][0] > 0]
        out[name] = (float(np.median(ts)) if ts else -1, kern, src)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--budget", type=float, default=120)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--models", default="mobilenetv2,resnet18")
    ap.add_argument("--rounds", type=int, default=3, help="alternating default/tuned runs")
    ap.add_argument("--json")
    a = ap.parse_args()
    builders = {"mobilenetv2": mobilenet_v2_224, "resnet18": resnet18_224}
    report = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.models.split(","):
            path = os.path.join(tmp, name + ".onnx")
            onnx.save(builders[name](np.random.default_rng(0)), path)
            empty = os.path.join(tmp, name + "_empty.db")
            tuned = os.path.join(tmp, name + "_tuned.db")
            t0 = time.perf_counter()
            tune = subprocess.run([os.path.join(a.build, "nntune"), "--device", a.device, path,
                                   "--db", tuned, "--budget", str(a.budget), "--json"],
                                  capture_output=True, text=True)
            tune_s = time.perf_counter() - t0
            if tune.returncode != 0:
                print(tune.stderr, file=sys.stderr)
            # Defaults and tuned alternate, so load from other processes hits both alike.
            rounds = [(nnrun(a.build, path, a.device, empty, a.runs),
                       nnrun(a.build, path, a.device, tuned, a.runs)) for _ in range(a.rounds)]
            lb = median_layers([layer_times(b) for b, _ in rounds])
            la = median_layers([layer_times(t) for _, t in rounds])
            rows = []
            for lname, (tb, kern, _) in lb.items():
                ta, _, src = la.get(lname, (-1, "", ""))
                if tb > 0 and ta > 0:
                    rows.append((tb - ta, lname, kern, tb, ta, src))
            rows.sort(reverse=True)
            e2e_b = float(np.median([b["latency_ms"]["median"] for b, _ in rounds]))
            e2e_a = float(np.median([t["latency_ms"]["median"] for _, t in rounds]))
            print(f"== {name}: tuning {tune_s:.1f} s (budget {a.budget:.0f} s); end to end "
                  f"{e2e_b:.2f} ms -> {e2e_a:.2f} ms ({e2e_b / e2e_a if e2e_a else 0:.2f}x; median of "
                  f"{a.rounds} alternating rounds)")
            print(f"   device time summed over layers {sum(r[3] for r in rows):.2f} ms -> "
                  f"{sum(r[4] for r in rows):.2f} ms")
            for saved, lname, kern, tb, ta, src in rows[:8] + rows[-3:]:
                print(f"   {lname:28.28s} {kern:34.34s} {tb:8.3f} -> {ta:8.3f} ms  ({src})")
            tj = json.loads(tune.stdout) if tune.stdout.strip() else {}
            report[name] = {"tuning_s": tune_s, "budget_s": a.budget, "latency_default_ms": e2e_b,
                            "latency_tuned_ms": e2e_a, "kernels": tj.get("kernels", []),
                            "layers": [{"name": r[1], "kernel": r[2], "default_ms": r[3],
                                        "tuned_ms": r[4], "params_source": r[5]} for r in rows]}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
