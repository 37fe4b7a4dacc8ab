#!/usr/bin/env python3
"""Real architectures from torchvision (random weights), exported by torch.onnx, through nnrun
beside onnxruntime: the widest check of op coverage and accuracy on models nngpu was not
written against (bench/README.md, "torchvision models").

Needs torch and torchvision (not in tests/requirements.txt: a large download; CPU wheels do):
  pip install torch torchvision onnx onnxruntime numpy
  bench/torchvision_models.py [--device opencl:0] [--models a,b,...] [--runs 3] [--work DIR]

Each model is built with seed 0, put in eval mode and exported with the TorchScript exporter
(opset 17, dynamo=False; with --dynamo: the dynamo exporter, WORK/<name>_dynamo) to WORK/<name>/model.onnx (reused when present; weights a model
initializes to zero, like ViT's head, are drawn from N(0, 0.02) so the output is not constant);
the input is N(0, 1)
(seed 1), batch 2 for the models marked so below. Printed per model: the normalized error
max|ours - ort| / max|ort|, our nnrun median, onnxruntime's median (default CPU options, same
runs), their ratio, the kernel count and how many nodes ran on the CPU fallback. Exits 1 when
a model fails to run or its error exceeds --max-rel-err (default 1e-4).

With --precision fp16|int8 the session runs at that precision, calibrated on
--calib-samples N(0, 1) inputs (seed 2, stacked along dim 0), and the error printed is the
relative L2 error ||ours - ort|| / ||ort|| against onnxruntime's fp32 output (the measure the
accuracy guards hold to; default bound 1e-2 for fp16, 0.1 for int8), with the layers the guard
kept fp32.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def model_table(M):
    seg, video = M.segmentation, M.video
    return {  # name: (constructor, image size or input shape after the batch, batch)
        "alexnet": (M.alexnet, 224, 1),
        "resnet18": (M.resnet18, 224, 2),
        "resnext50_32x4d": (M.resnext50_32x4d, 224, 1),
        "squeezenet1_1": (M.squeezenet1_1, 224, 2),
        "googlenet": (lambda: M.googlenet(aux_logits=False, init_weights=True), 224, 1),
        "inception_v3": (lambda: M.inception_v3(aux_logits=False, init_weights=True), 299, 1),
        "densenet121": (M.densenet121, 224, 1),
        "mobilenet_v3_small": (M.mobilenet_v3_small, 224, 2),
        "mobilenet_v3_large": (M.mobilenet_v3_large, 224, 1),
        "mnasnet0_5": (M.mnasnet0_5, 224, 1),
        "shufflenet_v2_x0_5": (M.shufflenet_v2_x0_5, 224, 1),
        "efficientnet_b0": (M.efficientnet_b0, 224, 1),
        "efficientnet_v2_s": (M.efficientnet_v2_s, 224, 1),
        "regnet_x_400mf": (M.regnet_x_400mf, 224, 1),
        "regnet_y_400mf": (M.regnet_y_400mf, 224, 1),
        "convnext_tiny": (M.convnext_tiny, 224, 1),
        "vit_b_16": (M.vit_b_16, 224, 1),
        "swin_t": (M.swin_t, 224, 1),
        "maxvit_t": (M.maxvit_t, 224, 1),
        "deeplabv3_mobilenet_v3_large": (
            lambda: seg.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                     aux_loss=False), 224, 1),
        "lraspp_mobilenet_v3_large": (
            lambda: seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None), 224, 1),
        "wide_resnet50_2": (M.wide_resnet50_2, 224, 1),
        "swin_v2_t": (M.swin_v2_t, 256, 1),
        "vit_b_32": (M.vit_b_32, 224, 2),
        "fcn_resnet50": (lambda: seg.fcn_resnet50(weights=None, weights_backbone=None,
                                                  aux_loss=False), 224, 1),
        # video: [batch, 3, frames, H, W]
        "r3d_18": (video.r3d_18, (3, 8, 112, 112), 1),
        "r2plus1d_18": (video.r2plus1d_18, (3, 8, 112, 112), 2),
    }


def export(torch, ctor, x, path, dynamo):
    torch.manual_seed(0)
    model = ctor().eval()
    with torch.no_grad():  # zero-initialized layers (ViT's head) would make the output 0
        for p in model.parameters():
            if p.dim() >= 2 and not p.any():
                p.normal_(0.0, 0.02)
    # torch's fused multi-head attention fast path has no ONNX export.
    torch.backends.mha.set_fastpath_enabled(False)
    with torch.no_grad():
        if dynamo:  # torch's default exporter since 2.9: its own opset, LayerNormalization, ...
            torch.onnx.export(model, (torch.from_numpy(x),), path, dynamo=True, external_data=False,
                              input_names=["input"], output_names=["output"])
        else:
            torch.onnx.export(model, torch.from_numpy(x), path, opset_version=17, dynamo=False,
                              input_names=["input"], output_names=["output"])


def ort_median(ort, path, x, runs):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    ref = sess.run(None, feed)[0]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    return ref, statistics.median(times)


def run_one(args, torch, ort, name, spec):
    ctor, hw, batch = spec
    shape = (batch,) + (hw if isinstance(hw, tuple) else (3, hw, hw))
    folder = os.path.join(args.work, name + ("_dynamo" if args.dynamo else ""))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    if not os.path.exists(path):
        export(torch, ctor, x, path, args.dynamo)
    np.save(os.path.join(folder, "input.npy"), x)
    ref, t_ort = ort_median(ort, path, x, args.runs)
    out_dir = os.path.join(folder, "out")
    cmd = [os.path.join(args.build, "nnrun"), path, "--device", args.device, "--input",
           f"input={folder}/input.npy", "--output-dir", out_dir, "--runs", str(args.runs),
           "--json"]
    if args.precision != "fp32":
        calib = os.path.join(folder, "calib.npy")
        rng = np.random.default_rng(2)
        np.save(calib, rng.standard_normal((args.calib_samples * batch,) + shape[1:])
                .astype(np.float32))
        cmd += ["--precision", args.precision, "--calibration", calib]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        return None, f"nnrun failed ({r.returncode}): {r.stderr.strip()[-400:]}"
    info = json.loads(r.stdout)
    y = np.load(os.path.join(out_dir, "output.npy"))
    if not np.abs(ref).max() > 0:
        return None, "the reference output is all zeros: nothing to compare"
    diff = y.astype(np.float64) - ref
    ours = info["latency_ms"]["median"]
    on_cpu = sum(1 for layer in info["layers"] if layer.get("on_cpu"))
    if args.precision == "fp32":
        err = float(np.abs(diff).max() / np.abs(ref).max())
        row = (f"| {name} | {'x'.join(map(str, shape))} | {err:.1e} | {ours:.1f} | {t_ort:.1f} | "
               f"{ours / t_ort:.2f}x | {info['kernels']} | {on_cpu} |")
    else:
        err = float(np.linalg.norm(diff) / np.linalg.norm(ref))
        kept = len(info.get("guard_fp32_layers") or [])
        guard = info.get("precision_error_vs_fp32")
        row = (f"| {name} | {'x'.join(map(str, shape))} | {info.get('precision')} | {err:.2e} | "
               f"{'-' if guard is None else f'{guard:.2e}'} | {kept} | {ours:.1f} | "
               f"{t_ort:.1f} | {info['kernels']} | {on_cpu} |")
    return err, row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--models", help="comma-separated subset (default: all)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-rel-err", type=float,
                    help="default 1e-4 (fp32), 1e-2 (fp16), 0.1 (int8)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default="/tmp/nngpu_torchvision")
    ap.add_argument("--dynamo", action="store_true",
                    help="export with torch's dynamo exporter (its default since 2.9) instead of "
                         "the TorchScript one at opset 17")
    ap.add_argument("--precision", default="fp32", choices=("fp32", "fp16", "int8"))
    ap.add_argument("--calib-samples", type=int, default=8)
    args = ap.parse_args()
    if args.max_rel_err is None:
        args.max_rel_err = {"fp32": 1e-4, "fp16": 1e-2, "int8": 0.1}[args.precision]
    warnings.filterwarnings("ignore")
    import onnxruntime as ort
    import torch
    import torchvision

    table = model_table(torchvision.models)
    names = args.models.split(",") if args.models else list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        sys.exit(f"error: unknown model(s) {unknown}; known: {', '.join(table)}")
    print(f"device {args.device}, torch {torch.__version__}, torchvision "
          f"{torchvision.__version__}, onnxruntime {ort.__version__}")
    if args.precision == "fp32":
        print("| model | input | max rel err | nngpu ms | onnxruntime ms | ours / ORT | kernels "
              "| CPU nodes |\n|---|---|---|---|---|---|---|---|")
    else:
        print("| model | input | ran as | rel L2 err vs ORT fp32 | guard's measure | fp32 layers "
              "| nngpu ms | onnxruntime ms | kernels | CPU nodes |\n" + "|---" * 10 + "|")
    failed = 0
    for name in names:
        err, row = run_one(args, torch, ort, name, table[name])
        if err is None or err > args.max_rel_err:
            failed += 1
            row = f"| {name} | FAILED: {row} |" if err is None else row + " FAILED"
        print(row, flush=True)
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
