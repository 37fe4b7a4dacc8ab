#!/usr/bin/env python3
"""Vulkan on lavapipe: MobileNetV2 and ResNet-18 (224x224, batch 1, random weights from a fixed
seed, built by bench/mobilenetv2.py and bench/tune_models.py through tests/make_models.py's
builder) on nngpu's vulkan:0 beside ncnn's Vulkan backend on the same device (the pip wheel
`ncnn`; the ONNX converted by `pnnx`), and beside nngpu's OpenCL backend (POCL); plus vulkan:0
session creation, cold and warm (bench_session, one process each).

Latency: median of --runs after warm-up, host clock around a synchronized run (nnrun's
latency_ms; time.perf_counter around ncnn's extract). ncnn runs in fp32 (fp16 storage and
arithmetic off, like nngpu's default) and, for reference, with its fp16 defaults. Outputs of
both are checked against onnxruntime.

  bench/vulkan_models.py [--build build] [--runs 10] [--models mobilenetv2,resnet18]
                         [--rounds R] [--params NNGPU_PARAMS]... [--json OUT]

--params P (repeatable) also runs nngpu vulkan:0 with NNGPU_PARAMS=P (an A/B of kernel
parameters, e.g. "vk_conv:WINO=0"). With --rounds R, nngpu vulkan:0 (each variant) and ncnn fp32
are measured R times in alternation (other load hits each alike); reported: the median of the
rounds' medians, and each round's median.
Needs numpy, onnx, onnxruntime, ncnn and pnnx (pip) in the Python running it.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from mobilenetv2 import mobilenet_v2_224  # noqa: E402
from tune_models import resnet18_224  # noqa: E402


def rel_err(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def nnrun(build, model, x_path, device, runs, out_dir, params=None):
    name = onnx.load(model, load_external_data=False).graph.input[0].name
    cmd = [os.path.join(build, "nnrun"), model, "--device", device, "--input",
           f"{name}={x_path}", "--runs", str(runs), "--warmup", "3", "--json",
           "--output-dir", out_dir]
    env = dict(os.environ)
    if params is not None:
        env["NNGPU_PARAMS"] = params
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                    env=env).stdout)
    outs = sorted(f for f in os.listdir(out_dir) if f.endswith(".npy"))
    return res["latency_ms"]["median"], np.load(os.path.join(out_dir, outs[0]))


def ncnn_convert(model, work):
    """pnnx MODEL.onnx -> MODEL.ncnn.param/.bin next to it."""
    subprocess.run([shutil.which("pnnx") or os.path.join(os.path.dirname(sys.executable), "pnnx"),
                    model, "inputshape=[1,3,224,224]"], check=True, capture_output=True, cwd=work)
    base = os.path.splitext(model)[0]
    return base + ".ncnn.param", base + ".ncnn.bin"


def ncnn_run(param, binf, x, runs, fp16):
    import ncnn
    net = ncnn.Net()
    net.opt.use_vulkan_compute = True
    net.opt.num_threads = os.cpu_count() or 1
    if not fp16:
        net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = False
    t0 = time.perf_counter()
    net.load_param(param)
    net.load_model(binf)
    inp = ncnn.Mat(x[0]).clone()

    def once():
        with net.create_extractor() as ex:
            ex.input("in0", inp)
            _, out = ex.extract("out0")
            return np.array(out).reshape(1, -1)
    y = once()
    create_ms = (time.perf_counter() - t0) * 1e3  # load + first run (ncnn builds pipelines lazily)
    for _ in range(3):
        once()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        once()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), create_ms, y


def session_ms(build, model, cache_dir, mesa_cache):
    env = dict(os.environ, NNGPU_CACHE_DIR=cache_dir)
    if mesa_cache:
        env["MESA_SHADER_CACHE_DIR"] = mesa_cache
        env.pop("MESA_SHADER_CACHE_DISABLE", None)
    else:
        env["MESA_SHADER_CACHE_DISABLE"] = "true"
    out = subprocess.run([os.path.join(build, "bench_session"), model, "vulkan:0"], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["create_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--models", default="mobilenetv2,resnet18")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--params", action="append", default=[])
    ap.add_argument("--json")
    args = ap.parse_args()
    builders = {"mobilenetv2": mobilenet_v2_224, "resnet18": resnet18_224}
    work = tempfile.mkdtemp(prefix="nngpu_vkbench_")
    results = {}
    for name in args.models.split(","):
        rng = np.random.default_rng(0)
        model = builders[name](rng)
        path = os.path.join(work, name + ".onnx")
        onnx.save(model, path)
        x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
        x_path = os.path.join(work, name + "_x.npy")
        np.save(x_path, x)
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        r = {}
        param, binf = ncnn_convert(path, work)
        rounds = {}  # row -> its round medians; r[row] holds the rest
        for _ in range(args.rounds):  # alternating: nngpu vulkan:0 variants, ncnn fp32
            for params in [None] + args.params:
                od = tempfile.mkdtemp(dir=work)
                ms, y = nnrun(args.build, path, x_path, "vulkan:0", args.runs, od, params)
                row = "nngpu vulkan:0" + (f" [{params}]" if params is not None else "")
                rounds.setdefault(row, []).append(ms)
                r[row] = {"rel_err": rel_err(y, ref)}
            ms, cms, y = ncnn_run(param, binf, x, args.runs, False)
            rounds.setdefault("ncnn vulkan fp32", []).append(ms)
            r["ncnn vulkan fp32"] = {"create_plus_first_run_ms": cms, "rel_err": rel_err(y, ref)}
        for row, meds in rounds.items():
            r[row]["median_ms"] = statistics.median(meds)
            if args.rounds > 1:
                r[row]["round_medians_ms"] = [round(m, 1) for m in meds]
        od = tempfile.mkdtemp(dir=work)
        ms, y = nnrun(args.build, path, x_path, "opencl:0", args.runs, od)
        r["nngpu opencl:0"] = {"median_ms": ms, "rel_err": rel_err(y, ref)}
        ms, cms, y = ncnn_run(param, binf, x, args.runs, True)
        r["ncnn vulkan fp16"] = {"median_ms": ms, "create_plus_first_run_ms": cms,
                                 "rel_err": rel_err(y, ref)}
        cache = tempfile.mkdtemp(dir=work)
        mesa = tempfile.mkdtemp(dir=work)
        r["session vulkan:0"] = {
            "cold_ms": session_ms(args.build, path, tempfile.mkdtemp(dir=work), None),
            "warm_ms (nngpu cache only)": [session_ms(args.build, path, cache, None)
                                            for _ in range(2)][1],
            "cold_ms (mesa cache empty)": session_ms(args.build, path, tempfile.mkdtemp(dir=work), mesa),
            "warm_ms (nngpu + mesa cache)": session_ms(args.build, path, cache, mesa),
        }
        results[name] = r
        for k, v in r.items():
            print(f"{name:12s} {k:40s} " + "  ".join(
                f"{kk}={vv:.4g}" if isinstance(vv, float) else f"{kk}={vv}" for kk, vv in v.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
