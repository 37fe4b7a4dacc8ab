"""Model-zoo CNNs end to end: nngpu (nnrun) beside onnxruntime's CPU provider.

The `onnx` package ships the ONNX model zoo's classic CNNs as "light" models
(onnx/backend/test/data/light: AlexNet, CaffeNet-era GoogLeNet/Inception-v1
with LRN, Inception-v2, ResNet-50, DenseNet-121 with BatchNormalization +
Scale after every Concat, ShuffleNet, SqueezeNet, VGG-19, ZFNet-512), their
weights replaced by ConstantOfShape fills. This script gives them random
weights (He-scaled normal; BN scales and variances in [0.5, 1.5]), runs each
through nnrun on a device and through onnxruntime, and prints latency medians,
the ratio and the output error. A benchmark, not a test.

  python bench/zoo_light.py [--nnrun build/nnrun] [--device opencl:0] [--runs 10]
                            [--models squeezenet,densenet] [--workdir /tmp/zoo_light]
"""
import argparse
import glob
import json
import os
import subprocess
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper


def randomized(path, rng):
    """The light model at path with its ConstantOfShape weights made random initializers."""
    m = onnx.load(path)
    inits = {i.name: i for i in m.graph.initializer}
    keep, weights = [], []
    for n in m.graph.node:
        if n.op_type == "ConstantOfShape" and n.input[0] in inits:
            shape = numpy_helper.to_array(inits[n.input[0]]).astype(int).tolist()
            name = n.output[0]
            if any(s in name for s in ("scale", "_s_0", "_bn_s", "var", "riv")):
                v = rng.uniform(0.5, 1.5, shape)
            else:
                fan = int(np.prod(shape[1:])) if len(shape) > 1 else 1
                v = rng.standard_normal(shape) / np.sqrt(max(fan, 1))
            weights.append(numpy_helper.from_array(v.astype(np.float32), name))
        else:
            keep.append(n)
    del m.graph.node[:]
    m.graph.node.extend(keep)
    m.graph.initializer.extend(weights)
    return m


def ort_median(path, feeds, runs):
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    out = s.run(None, feeds)
    for _ in range(3):
        s.run(None, feeds)
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        s.run(None, feeds)
        ts.append((time.perf_counter() - t) * 1e3)
    return float(np.median(ts)), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nnrun", default="build/nnrun")
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--models", default="", help="comma-separated name parts (default: all)")
    ap.add_argument("--workdir", default="/tmp/zoo_light")
    args = ap.parse_args()
    light = os.path.join(os.path.dirname(onnx.__file__), "backend/test/data/light")
    wanted = [w for w in args.models.split(",") if w]
    rng = np.random.default_rng(1)
    print(f"{'model':22s} {'nngpu ' + args.device:>18s} {'onnxruntime':>12s} {'ours/ORT':>9s} {'max rel err':>12s} kernels")
    for path in sorted(glob.glob(os.path.join(light, "*.onnx"))):
        name = os.path.basename(path)[len("light_"):-5]
        if wanted and not any(w in name for w in wanted):
            continue
        d = os.path.join(args.workdir, name)
        os.makedirs(d, exist_ok=True)
        m = randomized(path, rng)
        model = os.path.join(d, "model.onnx")
        onnx.save(m, model)
        init_names = {i.name for i in m.graph.initializer}
        feeds, cmd = {}, [args.nnrun, model, "--device", args.device, "--runs", str(args.runs),
                          "--json", "--output-dir", os.path.join(d, "out")]
        for i in m.graph.input:
            if i.name in init_names:
                continue
            shape = [x.dim_value or 1 for x in i.type.tensor_type.shape.dim]
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
            f = os.path.join(d, "input_%d.npy" % len(feeds))
            np.save(f, feeds[i.name])
            cmd += ["--input", f"{i.name}={f}"]
        ort_ms, ref = ort_median(model, feeds, args.runs)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print(f"{name:22s} nnrun failed: {r.stderr.strip()[-200:]}")
            continue
        js = json.loads(r.stdout)
        outs = sorted(glob.glob(os.path.join(d, "out", "*.npy")))
        ours = np.load(outs[0]) if len(outs) == 1 else np.load(
            os.path.join(d, "out", m.graph.output[0].name.replace("/", "_") + ".npy"))
        err = float(np.abs(ours - ref[0]).max() / (np.abs(ref[0]).max() + 1e-30))
        ms = js["latency_ms"]["median"]
        print(f"{name:22s} {ms:15.2f} ms {ort_ms:9.2f} ms {ms / ort_ms:8.2f}x {err:12.2e} {js['kernels']}")


if __name__ == "__main__":
    main()
