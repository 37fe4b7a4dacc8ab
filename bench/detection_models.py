#!/usr/bin/env python3
"""torchvision detectors and segmenters (random weights) through nnrun beside onnxruntime:
the run-time tail (NMS, RoiAlign, mask pasting Loop), ConvTranspose heads and row-matched
accuracy (bench/README.md, "Detectors' run-time tails, sequences and Scan").

Needs torch and torchvision (not in tests/requirements.txt; CPU wheels do):
  pip install torch torchvision onnx onnxruntime numpy
  bench/detection_models.py [--devices opencl:0,vulkan:0] [--models a,b,...] [--runs 5]
                            [--warmup 2] [--work DIR]

Random-init heads tie every score (their layers start with a tiny std), so the class,
box and RPN predictors are re-drawn to give outputs of a set spread on the input, and
MobileNet backbones (whose activations shrink to ~1e-9 at init) get BatchNorm statistics
from the input. Inputs are uniform [0, 1] at 320 px (segmenters batch 2, U-Nets 64 px).
Detector rows come in any order: each onnxruntime row is paired with the unused nngpu row
of its label with the nearest box and score; printed are the worst box difference over
the image size, the worst score difference, label mismatches and, for masks/keypoints,
the worst absolute difference. Others: max|ours - ort| / max|ort|. Times: nnrun's median
of --runs after --warmup (the tail compiles for the extents it sees in the first runs),
onnxruntime's median of as many runs after as many warm-ups. `paste_loop` is torchvision's
mask-pasting pattern alone: a Loop growing a [i, 320, 320] state by Concat, 100 steps.
Exits 1 when a model fails to run.
"""
import argparse
import glob
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DETECTORS = ["maskrcnn_resnet50_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn", "keypointrcnn_resnet50_fpn",
             "retinanet_resnet50_fpn", "fcos_resnet50_fpn", "ssdlite320_mobilenet_v3_large",
             "maskrcnn_resnet50_fpn_v2"]
SEGMENTERS = ["fcn_resnet50", "deeplabv3_mobilenet_v3_large"]
OTHERS = ["unet_k2s2", "unet_k4s2p1", "paste_loop"]


def unet(k, s, p):
    import torch
    from torch import nn

    def block(i, o):
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(),
                             nn.Conv2d(o, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.e1, self.e2, self.e3 = block(3, 16), block(16, 32), block(32, 64)
            self.pool = nn.MaxPool2d(2)
            self.u2, self.d2 = nn.ConvTranspose2d(64, 32, k, s, p), block(64, 32)
            self.u1, self.d1 = nn.ConvTranspose2d(32, 16, k, s, p), block(32, 16)
            self.head = nn.Conv2d(16, 2, 1)

        def forward(self, x):
            x1 = self.e1(x)
            x2 = self.e2(self.pool(x1))
            y = self.d2(torch.cat([self.u2(self.e3(self.pool(x2))), x2], 1))
            return self.head(self.d1(torch.cat([self.u1(y), x1], 1)))

    m = UNet()
    for mod in m.modules():  # BatchNorm that does something
        if isinstance(mod, nn.BatchNorm2d):
            with torch.no_grad():
                mod.running_mean.uniform_(-0.5, 0.5)
                mod.running_var.uniform_(0.5, 1.5)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
    return m.eval()


def bn_from_input(m, call):
    """BatchNorm running statistics from this input (MobileNet backbones at init)."""
    import torch
    for b in m.modules():
        if isinstance(b, torch.nn.BatchNorm2d):
            b.reset_running_stats()
            b.momentum = None
            b.train()
    with torch.no_grad():
        call()
    m.eval()


def spread_heads(name, m, x):
    """Predictor weights drawn so their outputs have std `target` on input x."""
    import torch
    g = torch.Generator().manual_seed(1)
    heads = []
    if getattr(m, "rpn", None) is not None:
        heads.append((m.rpn.head.cls_logits, 2.0, None))
    if getattr(m, "roi_heads", None) is not None:
        heads += [(m.roi_heads.box_predictor.cls_score, 2.0, None), (m.roi_heads.box_predictor.bbox_pred, 1.0, None)]
    if name.startswith(("retinanet", "fcos")):
        heads.append((m.head.classification_head.cls_logits, 0.7 if name.startswith("retinanet") else 2.0, -2.0))
    if name.startswith("ssdlite"):
        for seq in m.head.classification_head.module_list:
            heads.append(([c for c in seq.modules() if isinstance(c, torch.nn.Conv2d)][-1], 2.0, None))
    for mod, target, bias in heads:
        seen = []
        hook = mod.register_forward_hook(lambda _m, i, _o: seen.append(i[0].detach().pow(2).mean().item()))
        with torch.no_grad():
            m([x])
        hook.remove()
        rms = (sum(seen) / len(seen)) ** 0.5
        with torch.no_grad():
            mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * target / (rms * mod.weight[0].numel() ** 0.5))
            if bias is None:
                mod.bias.copy_(torch.randn(mod.bias.shape, generator=g) * 0.5)
            else:
                mod.bias.fill_(bias)


def paste_loop(path):
    """A Loop growing acc [i, 320, 320] by Concat with mask i, 100 steps."""
    import onnx
    from onnx import TensorProto as T, helper
    body = helper.make_graph(
        [helper.make_node("Gather", ["images", "i"], ["m"], axis=0),
         helper.make_node("Unsqueeze", ["m", "zero"], ["m1"]),
         helper.make_node("Concat", ["acc", "m1"], ["acc_out"], axis=0),
         helper.make_node("Identity", ["c"], ["c_out"])], "paste",
        [helper.make_tensor_value_info("i", T.INT64, []), helper.make_tensor_value_info("c", T.BOOL, []),
         helper.make_tensor_value_info("acc", T.FLOAT, None)],
        [helper.make_tensor_value_info("c_out", T.BOOL, []), helper.make_tensor_value_info("acc_out", T.FLOAT, None)])
    g = helper.make_graph(
        [helper.make_node("Shape", ["images"], ["s"]), helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
         helper.make_node("ConstantOfShape", ["shape0"], ["acc0"], value=helper.make_tensor("v", T.FLOAT, [1], [0.0])),
         helper.make_node("Loop", ["n", "", "acc0"], ["out"], body=body)], "paste_loop",
        [helper.make_tensor_value_info("images", T.FLOAT, ["N", 320, 320])],
        [helper.make_tensor_value_info("out", T.FLOAT, None)],
        [helper.make_tensor("zero", T.INT64, [], [0]), helper.make_tensor("shape0", T.INT64, [3], [0, 320, 320])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return np.random.default_rng(0).random((100, 320, 320), dtype=np.float32)


def export(name, d):
    """d/model.onnx and d/images.npy; returns nothing (reused when present)."""
    if os.path.exists(f"{d}/model.onnx"):
        return
    os.makedirs(d, exist_ok=True)
    if name == "paste_loop":
        np.save(f"{d}/images.npy", paste_loop(f"{d}/model.onnx"))
        return
    import torch
    import torchvision
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(123)
    if name in DETECTORS:
        thresh = "score_thresh" if name.startswith(("retinanet", "fcos", "ssdlite")) else "box_score_thresh"
        kw = {} if name.startswith("ssdlite") else dict(min_size=320, max_size=320)
        m = getattr(torchvision.models.detection, name)(weights=None, weights_backbone=None, **kw,
                                                        **{thresh: 0.05}).eval()
        x = torch.rand(3, 320, 320, generator=gen)
        if "mobilenet" in name:  # ssdlite's last layers are 1x1: two images so BatchNorm sees a spread
            x2 = torch.rand(3, 320, 320, generator=torch.Generator().manual_seed(7))
            bn_from_input(m, lambda: m([x, x2]))
        spread_heads(name, m, x)
        names = {"maskrcnn": ["boxes", "labels", "scores", "masks"],
                 "keypointrcnn": ["boxes", "labels", "scores", "keypoints", "keypoints_scores"]}
        outs = next((v for k, v in names.items() if name.startswith(k)), ["boxes", "labels", "scores"])
        if name.startswith(("retinanet", "fcos", "ssdlite")):
            outs = ["boxes", "scores", "labels"]
        args, images = ([x],), x
    elif name in SEGMENTERS:
        seg = getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None, aux_loss=False)

        class Out(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = seg

            def forward(self, x):
                return self.m(x)["out"]
        m = Out().eval()
        images = torch.rand(2, 3, 320, 320, generator=gen)
        if "mobilenet" in name:
            bn_from_input(m, lambda: m(images))
        args, outs = (images,), ["out"]
    else:
        m = unet(2, 2, 0) if name == "unet_k2s2" else unet(4, 2, 1)
        images = torch.rand(2, 3, 64, 64, generator=gen)
        args, outs = (images,), ["out"]
    with torch.no_grad():
        torch.onnx.export(m, args, f"{d}/model.onnx", opset_version=17, dynamo=False,
                          input_names=["images"], output_names=outs)
    np.save(f"{d}/images.npy", images.numpy().astype(np.float32))


def run_ort(d, runs, warmup):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    s = ort.InferenceSession(f"{d}/model.onnx", so, providers=["CPUExecutionProvider"])
    feed = {"images": np.load(f"{d}/images.npy")}
    for _ in range(warmup):
        s.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        res = s.run(None, feed)
        times.append((time.perf_counter() - t) * 1e3)
    return {o.name: r for o, r in zip(s.get_outputs(), res)}, statistics.median(times)


def compare_rows(ours, ref, size=320.0):
    """Detections: each reference row paired with the unused row of its label nearest in box and score."""
    used, pairs = set(), []
    for j in np.argsort(-ref["scores"], kind="stable"):
        best, bi = None, -1
        for i in range(len(ours["scores"])):
            if i in used or ours["labels"][i] != ref["labels"][j]:
                continue
            dist = np.abs(ours["boxes"][i] - ref["boxes"][j]).max() + abs(ours["scores"][i] - ref["scores"][j]) * size
            if best is None or dist < best:
                best, bi = dist, i
        if bi >= 0:
            used.add(bi)
            pairs.append((bi, j))
    i, j = (np.array(p, dtype=int) for p in zip(*pairs)) if pairs else (np.zeros(0, int), np.zeros(0, int))
    out = f"rows {len(ours['scores'])}/{len(ref['scores'])}, unmatched {len(ref['scores']) - len(pairs)}"
    if len(pairs):
        out += (f", box {np.abs(ours['boxes'][i] - ref['boxes'][j]).max() / size:.1e}"
                f", score {np.abs(ours['scores'][i] - ref['scores'][j]).max():.1e}")
        for k in ("masks", "keypoints", "keypoints_scores"):
            if k in ref:
                out += f", {k} {np.abs(ours[k][i].astype(np.float64) - ref[k][j]).max():.1e}"
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--models", default=",".join(DETECTORS + SEGMENTERS + OTHERS))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--work", default="/tmp/nngpu_detection")
    ap.add_argument("--nnrun", default=os.path.join(ROOT, "build", "nnrun"))
    a = ap.parse_args()
    failed = 0
    for name in a.models.split(","):
        d = os.path.join(a.work, name)
        export(name, d)
        ref, ort_ms = run_ort(d, a.runs, a.warmup)
        for dev in a.devices.split(","):
            od = f"{d}/out_{dev.replace(':', '')}"
            os.makedirs(od, exist_ok=True)
            for f in glob.glob(f"{od}/*.npy"):
                os.remove(f)
            p = subprocess.run([a.nnrun, f"{d}/model.onnx", "--device", dev, "--input", f"images={d}/images.npy",
                                "--output-dir", od, "--runs", str(a.runs), "--warmup", str(a.warmup)],
                               capture_output=True, text=True)
            m = re.search(r"latency\s+median\s+([\d.]+)\s*ms", p.stdout)
            if p.returncode or not m:
                failed += 1
                print(f"{name:40s} {dev:9s} FAILED: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
                continue
            ours = {k: np.load(f"{od}/{k}.npy") for k in ref}
            if "boxes" in ref and "scores" in ref:
                err = compare_rows(ours, ref)
            else:
                err = ", ".join(f"{k} {np.abs(ours[k] - ref[k]).max() / max(np.abs(ref[k]).max(), 1e-30):.1e}"
                                for k in ref)
            ms = float(m.group(1))
            print(f"{name:40s} {dev:9s} {err}; nnrun {ms:.1f} ms, onnxruntime {ort_ms:.1f} ms, "
                  f"ratio {ms / ort_ms:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
