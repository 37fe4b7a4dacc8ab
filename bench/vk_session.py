#!/usr/bin/env python3
"""Vulkan session creation, cold and warm (bench/README.md, "Session creation, vulkan:0"):
MobileNetV2 and ResNet-18 (224x224, batch 1, the models of bench/vulkan_models.py) through
bench_session --run, one process per measurement, so nothing is shared in memory.

  cold         empty nngpu cache folder and empty Mesa shader cache folder
  warm         both caches as the previous process left them (nngpu's VkPipelineCache file,
               Mesa's disk cache of lavapipe's LLVM compiles)
  warm, nngpu  nngpu's cache only (MESA_SHADER_CACHE_DISABLE=true)
each with the pipelines compiled on one thread (NNGPU_THREADS=1, as before parallel
compiles) and on --threads (default: the online CPUs; the library's own default also
subtracts the load average). Rounds alternate all rows, so other load hits each alike;
reported: median over rounds of create_ms and first_run_ms (the first run is where
lavapipe JIT-compiles the shaders with LLVM), and the load average before and after.

  bench/vk_session.py [--build build] [--rounds 5] [--models mobilenetv2,resnet18]
                      [--threads N] [--json OUT]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from mobilenetv2 import mobilenet_v2_224  # noqa: E402
from tune_models import resnet18_224  # noqa: E402


def bench_session(build, model, env):
    out = subprocess.run([os.path.join(build, "bench_session"), model, "vulkan:0", "--run"],
                         env=dict(os.environ, **env), check=True, capture_output=True,
                         text=True).stdout
    r = json.loads(out)
    return r["create_ms"], r["first_run_ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models", default="mobilenetv2,resnet18")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--json")
    args = ap.parse_args()
    builders = {"mobilenetv2": mobilenet_v2_224, "resnet18": resnet18_224}
    work = tempfile.mkdtemp(prefix="nngpu_vksession_")
    results = {"load_before": os.getloadavg()}
    for name in args.models.split(","):
        path = os.path.join(work, name + ".onnx")
        onnx.save(builders[name](np.random.default_rng(0)), path)
        rows = {}
        for _ in range(args.rounds):
            for threads in sorted({1, args.threads}):
                label = f"{threads} thread" + ("s" if threads > 1 else "")
                nn, mesa = tempfile.mkdtemp(dir=work), tempfile.mkdtemp(dir=work)
                cache = {"NNGPU_CACHE_DIR": nn, "MESA_SHADER_CACHE_DIR": mesa,
                         "NNGPU_THREADS": str(threads)}
                for row, env in ((f"cold, {label}", cache),
                                 (f"warm, {label}", cache),
                                 (f"warm nngpu cache only, {label}",
                                  dict(cache, MESA_SHADER_CACHE_DISABLE="true"))):
                    rows.setdefault(row, []).append(bench_session(args.build, path, env))
        r = {}
        for row, vals in rows.items():
            r[row] = {"create_ms": statistics.median(v[0] for v in vals),
                      "first_run_ms": statistics.median(v[1] for v in vals),
                      "rounds": [[round(a), round(b)] for a, b in vals]}
            print(f"{name:12s} {row:38s} create {r[row]['create_ms']:7.0f} ms  "
                  f"first run {r[row]['first_run_ms']:7.0f} ms", flush=True)
        results[name] = r
    results["load_after"] = os.getloadavg()
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
          % (*results["load_before"], *results["load_after"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
