#!/usr/bin/env python3
"""INT8 guard on fresh inputs: the error the guard measures against the error on fresh inputs.

For each model of tests/make_models.py and quant_ptq.py's outlier model (random weights, fixed
seed): calibrate on 8 standard-normal samples, then run 3 fresh inputs per scale (x1 of the
calibration data's distribution, x1.5 and x2: outside the calibrated ranges) in int8 and fp32
on one device and print the worst relative L2 error per scale beside the guard's measured one.
Usage: bench/guard_fresh.py build/nnrun [device] [models,comma,separated]
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import make_models  # noqa: E402
import quant_ptq  # noqa: E402

GUARD = re.compile(r"int8 guard: error vs fp32 (\S+) .*?: (\d+) of (\d+) layers int8")


def main():
    nnrun = sys.argv[1]
    dev = sys.argv[2] if len(sys.argv) > 2 else "opencl:0"
    names = sys.argv[3].split(",") if len(sys.argv) > 3 else list(make_models.MODELS) + ["outlier"]
    with tempfile.TemporaryDirectory(prefix="guard_fresh_") as work:
        env = dict(os.environ, NNGPU_CACHE_DIR=os.path.join(work, "cache"))

        def run(model, x, *extra):
            np.save(os.path.join(work, "x.npy"), x)
            out = os.path.join(work, "out")
            p = subprocess.run([nnrun, model, "--device", dev, "--runs", "1", "--warmup", "0",
                                "--input", "input=" + os.path.join(work, "x.npy"),
                                "--output-dir", out, *extra],
                               capture_output=True, text=True, env=env, check=True)
            return np.load(os.path.join(out, "output.npy")), p.stdout

        for i, name in enumerate(names):
            rng = np.random.default_rng([7, i])
            m = quant_ptq.outlier_model(rng) if name == "outlier" else make_models.MODELS[name](rng)
            dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim[1:]]
            path = os.path.join(work, name + ".onnx")
            onnx.save(m, path)
            calib = os.path.join(work, name + "_calib.npy")
            np.save(calib, rng.standard_normal([8] + dims).astype(np.float32))
            worst, measured = [], None
            for scale in (1.0, 1.5, 2.0):
                errs = []
                for _ in range(3):
                    x = (scale * rng.standard_normal([1] + dims)).astype(np.float32)
                    y32, _ = run(path, x)
                    y8, text = run(path, x, "--precision", "int8", "--calibration", calib)
                    errs.append(quant_ptq.rel_l2(y8, y32))
                    found = GUARD.findall(text)
                    measured = found[-1] if found else None
                worst.append(f"x{scale}: {max(errs):.4f}")
            said = f"{measured[0]} ({measured[1]}/{measured[2]} int8)" if measured else "-"
            print(f"{name:16s} guard measured {said:24s} fresh worst: {', '.join(worst)}",
                  flush=True)


if __name__ == "__main__":
    main()
