#!/usr/bin/env python3
"""MobileNetV2 end to end: nngpu (nnrun on an OpenCL device) beside onnxruntime's CPU provider.

The model is the real architecture (224x224, batch 1, width 1.0, the standard
inverted-residual table, 1280-channel last conv, BatchNormalization after every
conv, ReLU6 as Clip, GlobalAveragePool + Flatten + Gemm 1000) with random
weights from a fixed seed, exported with onnx.helper at opset 13 through the
builder in tests/make_models.py. Both runtimes get the same input; after
warm-up runs, the median of repeated runs is reported (host clock around a
synchronized run: nnrun's latency_ms, time.perf_counter around
InferenceSession.run), the outputs are compared, and nnrun's per-layer device
times are grouped by kernel family with their achieved GFLOP/s.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
from make_models import OPSET, Net  # noqa: E402  (the shared ONNX builder)

# (expansion t, channels c, repeats n, first stride s): MobileNetV2, Sandler et al. 2018.
INVERTED_RESIDUALS = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                      (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
TARGET_RATIO = 2.0  # ours within 2x of onnxruntime's CPU time


def mobilenet_v2_224(rng, classes=1000):
    """MobileNetV2 1.0 at 224x224, batch 1, as an ONNX model."""
    n = Net("mobilenet_v2_224", rng)
    x = n.conv_bn("input", 3, 32, 3, stride=2, act="relu6")
    c = 32
    for t, cout, repeats, first_stride in INVERTED_RESIDUALS:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            hidden = c * t
            y = n.conv_bn(x, c, hidden, 1, act="relu6") if t != 1 else x
            y = n.conv_bn(y, hidden, hidden, 3, stride=stride, group=hidden, act="relu6")
            y = n.conv_bn(y, hidden, cout, 1, act=None)
            x = n.op("Add", [x, y]) if stride == 1 and c == cout else y
            c = cout
    x = n.conv_bn(x, c, 1280, 1, act="relu6")
    model = n.model([3, 224, 224], n.classifier(x, 1280, classes))
    # Batch fixed at 1: re-infer every shape with it.
    for vi in list(model.graph.input) + list(model.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_value = 1
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == OPSET
    return model


def node_costs(model):
    """FLOPs (2 per multiply-add) of each Conv and Gemm node and the bytes every node
    reads and writes (float32), by node name."""
    shapes = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    for init in model.graph.initializer:
        shapes[init.name] = list(init.dims)
    flops, nbytes = {}, {}
    for node in model.graph.node:
        nbytes[node.name] = 4 * sum(int(np.prod(shapes.get(t, [0]))) for t in
                                    list(node.input) + list(node.output) if t)
        if node.op_type == "Conv":
            w, y = shapes[node.input[1]], shapes[node.output[0]]
            flops[node.name] = 2 * int(np.prod(y)) * w[1] * w[2] * w[3]
        elif node.op_type == "Gemm":
            a, y = shapes[node.input[0]], shapes[node.output[0]]
            flops[node.name] = 2 * y[0] * y[1] * a[1]
    return flops, nbytes


def rel_err(y, ref):
    y, ref = np.asarray(y, np.float64), np.asarray(ref, np.float64)
    if not np.all(np.isfinite(y)):
        return float("inf")
    return float(np.linalg.norm(y - ref) / max(np.linalg.norm(ref), 1e-30))


def time_ort(model_path, x, threads, warmup, runs):
    opts = ort.SessionOptions()
    if threads is not None:
        opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    return {"median_ms": statistics.median(times), "min_ms": min(times), "runs": runs,
            "intra_op_num_threads": sess.get_session_options().intra_op_num_threads}, out[0]


def run_nnrun(nnrun, model_path, x_path, out_dir, device, warmup, runs):
    cmd = [nnrun, model_path, "--device", device, "--input", f"input={x_path}",
           "--output-dir", out_dir, "--warmup", str(warmup), "--runs", str(runs), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"mobilenetv2.py: nnrun failed ({p.returncode}):\n{p.stderr}")
    return cmd, json.loads(p.stdout), np.load(os.path.join(out_dir, "output.npy"))


def family_of(kernel):
    return kernel.split("+")[0] if kernel else "?"


def profile(layers, flops, nbytes):
    """Per-layer device times grouped by kernel family, with GFLOP/s where FLOPs are known
    and GB/s of the layer's first node's inputs and outputs (a lower bound on traffic)."""
    fams = {}
    for layer in layers:
        t = layer["time_ms"] or 0.0
        layer["gflops"] = flops[layer["name"]] / (t * 1e6) if t and layer["name"] in flops else None
        layer["gbps"] = nbytes.get(layer["name"], 0) / (t * 1e6) if t else None
        f = fams.setdefault(family_of(layer["kernel"]) + (" (cpu)" if layer["on_cpu"] else ""),
                            {"layers": 0, "time_ms": 0.0, "flops": 0, "bytes": 0})
        f["layers"] += 1
        f["time_ms"] += t
        f["flops"] += flops.get(layer["name"], 0)
        f["bytes"] += nbytes.get(layer["name"], 0)
    total = sum(f["time_ms"] for f in fams.values()) or 1.0
    for f in fams.values():
        f["share"] = f["time_ms"] / total
        f["gflops"] = f["flops"] / (f["time_ms"] * 1e6) if f["flops"] and f["time_ms"] else None
        f["gbps"] = f["bytes"] / (f["time_ms"] * 1e6) if f["time_ms"] else None
    return dict(sorted(fams.items(), key=lambda kv: -kv[1]["time_ms"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nnrun", default=os.path.join(ROOT, "build", "nnrun"))
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="alternations of the runtimes")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--keep", help="write the model, input and outputs to this folder")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--top", type=int, default=8, help="slowest layers to list")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    model = mobilenet_v2_224(rng)
    x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)
    flops, nbytes = node_costs(model)
    work = args.keep or tempfile.mkdtemp(prefix="nngpu_mnv2_")
    os.makedirs(work, exist_ok=True)
    model_path, x_path = os.path.join(work, "mobilenetv2.onnx"), os.path.join(work, "input.npy")
    onnx.save(model, model_path)
    np.save(x_path, x)

    # Rounds alternate the runtimes so that load from other processes hits both alike;
    # each reports the median of its rounds' medians and the minimum of their minima.
    load0 = os.getloadavg()
    rounds = {"ours": [], "default": [], "2": [], "1": []}
    for _ in range(args.rounds):
        cmd, ours, y_ours = run_nnrun(args.nnrun, model_path, x_path, os.path.join(work, "out"),
                                      args.device, args.warmup, args.runs)
        rounds["ours"].append({"median_ms": ours["latency_ms"]["median"],
                               "min_ms": ours["latency_ms"]["min"]})
        for threads in ("default", "2", "1"):
            t, y = time_ort(model_path, x, None if threads == "default" else int(threads),
                            args.warmup, args.runs)
            rounds[threads].append(t)
            if threads == "default":
                y_ort = y
    load1 = os.getloadavg()

    def merge(rs):
        out = dict(rs[-1])
        out["median_ms"] = statistics.median(r["median_ms"] for r in rs)
        out["min_ms"] = min(r["min_ms"] for r in rs)
        out["round_medians_ms"] = [r["median_ms"] for r in rs]
        return out
    ort_default, ort_2, ort_1 = merge(rounds["default"]), merge(rounds["2"]), merge(rounds["1"])
    ours_t = merge(rounds["ours"])

    err = rel_err(y_ours, y_ort)
    ours_ms = ours_t["median_ms"]
    kernel_sum = sum(layer["time_ms"] or 0.0 for layer in ours["layers"])
    fams = profile(ours["layers"], flops, nbytes)
    slowest = sorted(ours["layers"], key=lambda layer: -(layer["time_ms"] or 0.0))[:args.top]
    result = {
        "benchmark": "mobilenetv2_224_b1", "opset": OPSET, "seed": args.seed,
        "onnx_nodes": len(model.graph.node), "gflop": sum(flops.values()) / 1e9,
        "nnrun_command": " ".join(cmd),
        "ours": {"device": args.device, "device_name": ours["device_name"],
                 "median_ms": ours_ms, "min_ms": ours_t["min_ms"],
                 "round_medians_ms": ours_t["round_medians_ms"], "rounds": args.rounds,
                 "runs": ours["latency_ms"]["runs"], "kernels": ours["kernels"],
                 "cpu_nodes": ours["cpu_nodes"], "kernel_sum_ms": kernel_sum},
        "onnxruntime": {"version": ort.__version__, "default": ort_default, "threads_2": ort_2,
                        "threads_1": ort_1, "cpu_count": os.cpu_count()},
        "ratio_vs_ort_default": ours_ms / ort_default["median_ms"],
        "ratio_vs_ort_2_threads": ours_ms / ort_2["median_ms"],
        "ratio_vs_ort_1_thread": ours_ms / ort_1["median_ms"],
        "target_ratio": TARGET_RATIO,
        "rel_err_vs_ort": err, "correct": err < 1e-4,
        "loadavg_before_after": [load0[0], load1[0]],
        "families": fams, "slowest_layers": slowest,
    }
    result["target_met"] = bool(result["correct"] and
                                max(result["ratio_vs_ort_default"],
                                    result["ratio_vs_ort_2_threads"]) <= TARGET_RATIO)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_report(result)
    return 0 if result["correct"] else 1


def print_report(r):
    o, od, o2 = r["ours"], r["onnxruntime"]["default"], r["onnxruntime"]["threads_2"]
    o1 = r["onnxruntime"]["threads_1"]
    print(f"MobileNetV2 224x224 batch 1 ({r['onnx_nodes']} ONNX nodes, {r['gflop']:.3f} GFLOP), "
          f"{o['rounds']} rounds x {o['runs']} runs after warm-up: median of round medians")
    print(f"  {'runtime':44s} {'median ms':>10s} {'min ms':>9s} {'ours / it':>10s}")
    print(f"  {'nngpu ' + o['device'] + ' (' + o['device_name'] + ')':44.44s} "
          f"{o['median_ms']:10.2f} {o['min_ms']:9.2f} {'':>10s}")
    print(f"  {'onnxruntime ' + r['onnxruntime']['version'] + ' CPU, default options':44s} "
          f"{od['median_ms']:10.2f} {od['min_ms']:9.2f} {r['ratio_vs_ort_default']:9.2f}x")
    print(f"  {'onnxruntime CPU, intra_op_num_threads=2':44s} "
          f"{o2['median_ms']:10.2f} {o2['min_ms']:9.2f} {r['ratio_vs_ort_2_threads']:9.2f}x")
    print(f"  {'onnxruntime CPU, intra_op_num_threads=1':44s} "
          f"{o1['median_ms']:10.2f} {o1['min_ms']:9.2f} {r['ratio_vs_ort_1_thread']:9.2f}x")
    print(f"  target: ours <= {r['target_ratio']:.1f}x onnxruntime -> "
          f"{'met' if r['target_met'] else 'NOT met'}; output rel. error vs onnxruntime "
          f"{r['rel_err_vs_ort']:.2e} ({'ok' if r['correct'] else 'WRONG'})")
    print(f"  nngpu: {o['kernels']} kernels, {o['cpu_nodes']} CPU nodes; device kernel time "
          f"(per-layer medians) {o['kernel_sum_ms']:.2f} ms; load average "
          f"{r['loadavg_before_after'][0]:.2f} -> {r['loadavg_before_after'][1]:.2f}")
    def num(v):
        return f"{v:8.1f}" if v else f"{'-':>8s}"
    print(f"  {'kernel family (layer medians)':34s} {'layers':>6s} {'ms':>8s} {'share':>6s} "
          f"{'GFLOP/s':>8s} {'GB/s':>8s}")
    for name, f in r["families"].items():
        print(f"  {name:34.34s} {f['layers']:6d} {f['time_ms']:8.2f} {100 * f['share']:5.1f}% "
              f"{num(f['gflops'])} {num(f['gbps'])}")
    print("  slowest layers:")
    for layer in r["slowest_layers"]:
        print(f"    {layer['name']:10s} {layer['kernel']:26.26s} {layer['time_ms'] or 0:8.3f} ms "
              f"{num(layer['gflops'])} GFLOP/s {num(layer['gbps'])} GB/s")


if __name__ == "__main__":
    sys.exit(main())
