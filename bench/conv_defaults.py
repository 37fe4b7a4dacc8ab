#!/usr/bin/env python3
"""Per-layer evidence for the default kernel choices of 3x3 convolutions, dilated
convolutions and Resize (session 26), beside onnxruntime.

  conv sweep   4 stacked 3x3 convs, C -> C channels on HxH maps: the mean
               device time per conv (layer times, median of --runs) with each
               algorithm forced through NNGPU_PARAMS and with the defaults
  small chain  31 3x3 convs of 16 channels at 32x32: latency vs onnxruntime
  aspp         DeepLabV3's atrous branches (3x3, dilation 2/12 and 24/36
               where all but the centre tap read padding) and a bilinear
               Resize 40x40 -> 320x320 of 256 channels: per-layer times

Needs torch (to export the models) and onnxruntime:
  python bench/conv_defaults.py --devices opencl:0,vulkan:0 [--only sweep,small,aspp]
"""
import argparse
import json
import os
import subprocess

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORCED = {  # OpenCL conv_direct / Vulkan vk_conv parameters
    "direct": "conv_direct:ALGO=0,WINO=0;vk_conv:IGEMM=0,WINO=0",
    "im2col/igemm": "conv_direct:ALGO=1,WINO=0;vk_conv:IGEMM=1,WINO=0",
    "winograd F(2,3)": "conv_direct:WINO=2;vk_conv:WINO=2",
    "winograd F(4,3)": "conv_direct:WINO=4;vk_conv:WINO=4",
    "default": None,
}


def export(path, module, shape):
    import torch
    if not os.path.exists(path):
        torch.onnx.export(module.eval(), torch.randn(*shape), path, opset_version=17, dynamo=False)
    return path


def nnrun(a, model, device, params=None):
    env = dict(os.environ)
    env.pop("NNGPU_PARAMS", None)
    if params:
        env["NNGPU_PARAMS"] = params
    out = subprocess.run([a.nnrun, model, "--device", device, "--runs", str(a.runs), "--warmup", "2",
                          "--json"], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def ort_ms(model, runs):
    import onnxruntime as ort
    from zoo_light import ort_median  # the same timing as the model-zoo bench
    inputs = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).get_inputs()
    feeds = {i.name: np.random.rand(*i.shape).astype(np.float32) for i in inputs}
    return ort_median(model, feeds, runs)[0]


def sweep(a, device):
    import torch.nn as nn
    print(f"\nconv sweep on {device}: mean ms per 3x3 conv (C -> C, HxH), kernel of the default")
    print("%-10s" % "C,H" + "".join("%17s" % k for k in FORCED) + "  default kernel")
    for c in (16, 32, 64, 128, 256):
        for h in (7, 14, 28, 56):
            path = export(os.path.join(a.work, f"conv_{c}_{h}.onnx"),
                          nn.Sequential(*[nn.Conv2d(c, c, 3, padding=1) for _ in range(4)]), (1, c, h, h))
            row, kernel = "%-10s" % f"{c},{h}", ""
            for name, params in FORCED.items():
                layers = nnrun(a, path, device, params)["layers"][1:]  # the first conv is warm-up
                row += "%17.3f" % (sum(l["time_ms"] for l in layers) / len(layers))
                kernel = layers[0]["kernel"]
            print(row + "  " + kernel)


def small(a, device):
    import torch.nn as nn
    layers = [nn.Conv2d(3, 16, 3, padding=1)]
    for _ in range(30):
        layers += [nn.Conv2d(16, 16, 3, padding=1), nn.ReLU()]
    path = export(os.path.join(a.work, "small_chain.onnx"), nn.Sequential(*layers), (1, 3, 32, 32))
    ours = nnrun(a, path, device)["latency_ms"]["median"]
    ref = ort_ms(path, a.runs)
    print(f"\nsmall chain on {device}: nnrun {ours:.2f} ms, onnxruntime {ref:.2f} ms, ratio {ours / ref:.2f}")


def aspp(a, device):
    import torch.nn as nn
    import torch.nn.functional as F

    class Aspp(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.ModuleList(nn.Conv2d(256, 256, 3, padding=d, dilation=d) for d in (2, 12, 24, 36))

        def forward(self, x):
            y = sum(F.relu(b(x)) for b in self.b)
            return F.interpolate(y, size=(320, 320), mode="bilinear", align_corners=False)

    path = export(os.path.join(a.work, "aspp.onnx"), Aspp(), (1, 256, 20, 20))
    j = nnrun(a, path, device)
    print(f"\naspp on {device}: latency {j['latency_ms']['median']:.2f} ms "
          f"(onnxruntime {ort_ms(path, a.runs):.2f} ms)")
    for l in j["layers"]:
        print("  %-12s %-36s %8.3f ms" % (l["name"][:12], l["kernel"][:36], l["time_ms"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--only", default="sweep,small,aspp")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--work", default="/tmp/nngpu_conv_defaults")
    ap.add_argument("--nnrun", default=os.path.join(ROOT, "build", "nnrun"))
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    parts = {"sweep": sweep, "small": small, "aspp": aspp}
    for device in a.devices.split(","):
        for part in a.only.split(","):
            parts[part](a, device)


if __name__ == "__main__":
    main()
