#!/usr/bin/env python3
"""Vulkan session creation, cold and warm (bench/README.md, "Session creation, vulkan:0"):
MobileNetV2 and ResNet-18 (224x224, batch 1, the models of bench/vulkan_models.py) through
bench_session --run, one process per cold or warm-across-processes measurement.

  cold                    first session of a fresh process, empty nngpu cache folder and
                          empty Mesa shader cache folder
  warm, in-process        a second session of the same model in that process while the
                          first lives (shares the device and its compiled pipelines)
  warm, across processes  a new process, both caches as the cold one left them (nngpu's
                          VkPipelineCache file, Mesa's disk cache of lavapipe's LLVM compiles)
  warm, nngpu cache only  the same with MESA_SHADER_CACHE_DISABLE=true
Pipelines compile on the library's default threads (--threads N sets NNGPU_THREADS). Rounds
alternate all rows, so other load hits each alike; reported: median over rounds of create_ms,
first_run_ms (lavapipe JIT-compiles the shaders with LLVM at the first dispatch) and their sum
(time to the first result), each row's ratio to cold (median over rounds of the ratio to the
same round's cold process), and the load average before and after.

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


def bench_session(build, model, env, second=False):
    """(create_ms, first_run_ms) of the process's first session, and of its second one."""
    cmd = [os.path.join(build, "bench_session"), model, "vulkan:0", "--run"]
    out = subprocess.run(cmd + (["--second"] if second else []), env=dict(os.environ, **env),
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    first = (r["create_ms"], r["first_run_ms"])
    if not second:
        return first, None
    s = r["second_session"]
    assert s["vk_compiled"] == 0, "the second session compiled pipelines"
    return first, (s["create_ms"], s["first_run_ms"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--models", default="mobilenetv2,resnet18")
    ap.add_argument("--threads", type=int)
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
            nn, mesa = tempfile.mkdtemp(dir=work), tempfile.mkdtemp(dir=work)
            cache = {"NNGPU_CACHE_DIR": nn, "MESA_SHADER_CACHE_DIR": mesa}
            if args.threads:
                cache["NNGPU_THREADS"] = str(args.threads)
            cold, second = bench_session(args.build, path, cache, second=True)
            rows.setdefault("cold", []).append(cold)
            rows.setdefault("warm, in-process", []).append(second)
            rows.setdefault("warm, across processes", []).append(
                bench_session(args.build, path, cache)[0])
            rows.setdefault("warm, nngpu cache only", []).append(
                bench_session(args.build, path, dict(cache, MESA_SHADER_CACHE_DISABLE="true"))[0])
        r = {}
        for row, vals in rows.items():
            med = {"create_ms": statistics.median(v[0] for v in vals),
                   "first_run_ms": statistics.median(v[1] for v in vals),
                   "first_result_ms": statistics.median(v[0] + v[1] for v in vals),
                   "rounds": [[round(a, 1), round(b, 1)] for a, b in vals]}
            # ratios to cold: median over rounds of the same round's pair (load hits both alike)
            pairs = list(zip(rows["cold"], vals))
            med["create_ratio"] = statistics.median(w[0] / c[0] for c, w in pairs)
            med["first_result_ratio"] = statistics.median(sum(w) / sum(c) for c, w in pairs)
            r[row] = med
            print(f"{name:12s} {row:24s} create {med['create_ms']:8.1f} ms ({med['create_ratio']:.3f}x)"
                  f"  first run {med['first_run_ms']:7.1f} ms  first result "
                  f"{med['first_result_ms']:7.1f} ms ({med['first_result_ratio']:.3f}x)", flush=True)
        results[name] = r
    results["load_after"] = os.getloadavg()
    print("load average before %.2f %.2f %.2f, after %.2f %.2f %.2f"
          % (*results["load_before"], *results["load_after"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
