"""FP16 end to end: the models of make_models.py (and, with --zoo, CNNs of
zoo_models.py), the bundled digits model and
a full-size random-weight MobileNetV2 (bench/mobilenetv2.py: 53 layers whose
fp16 errors compound) through `nnrun --precision fp16` against fp32 on each
device: relative L2 error <= 1e-2 per output, fp16 layers really run, the
end-to-end guard reports its error vs fp32 (within 1e-2 too), and the digits
model's held-out accuracy unchanged. MobileNetV2 also runs with the guard off
(--fp16-tolerance 1) to show what it prevents. OpenCL devices run with
NNGPU_OPENCL_FP16_STORAGE=1 (its half-storage kernels need no cl_khr_fp16,
which POCL lacks)."""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import MODELS  # noqa: E402
import zoo_models  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))
from mobilenetv2 import mobilenet_v2_224  # noqa: E402

GUARD_LINE = re.compile(r"fp16 guard: error vs fp32 (\S+) \(tolerance (\S+),.*: (\d+) of (\d+) "
                        r"layers fp16, (\d+) kept fp32")
PRECISION_LINE = re.compile(r"precision fp16 .*, error vs fp32 (\S+) \(accuracy guard\)")


def run(nnrun, model, inp_name, x_path, out_dir, device, precision, extra=()):
    os.makedirs(out_dir, exist_ok=True)
    cmd = [nnrun, model, "--device", device, "--precision", precision, "--runs", "1",
           "--input", f"{inp_name}={x_path}", "--output-dir", out_dir, *extra]
    env = dict(os.environ)
    if device.startswith("opencl"):
        env["NNGPU_OPENCL_FP16_STORAGE"] = "1"
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    fp16_lines = [l.strip() for l in r.stdout.splitlines()
                  if l.strip().startswith(("fp16", "precision ")) or ":f16" in l]
    return {f[:-4]: np.load(os.path.join(out_dir, f)) for f in os.listdir(out_dir)}, fp16_lines


def rel_err(ref, got):
    ref = ref.astype(np.float64)
    got = got.astype(np.float64)
    return float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-30))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nnrun")
    ap.add_argument("--device", action="append",
                    help="device selector (repeatable; default vulkan:0 and opencl:0)")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--digits", required=True, help="folder with digits_cnn.onnx and its test data")
    ap.add_argument("--tol", type=float, default=1e-2)
    ap.add_argument("--zoo", default="", help="comma-separated zoo_models.CNN models to add")
    ap.add_argument("--no-224", action="store_true",
                    help="leave out the 224x224 MobileNetV2 (its guard's fp32 reference run is slow)")
    args = ap.parse_args()
    failures = 0
    for device in args.device or ["vulkan:0", "opencl:0"]:
        print(f"# {device}")
        failures += check_device(args, device)
    print(f"{failures} failed")
    return 1 if failures else 0


def check_device(args, device):
    failures = 0
    workdir = os.path.join(args.workdir, device.replace(":", "_"))
    cases = []
    builders = dict(MODELS, **{z: zoo_models.MODELS[z] for z in args.zoo.split(",") if z})
    for index, name in enumerate(builders):
        rng = np.random.default_rng([4321, index])
        model = builders[name](rng)
        case = os.path.join(workdir, name)
        os.makedirs(case, exist_ok=True)
        path = os.path.join(case, "model.onnx")
        onnx.save(model, path)
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        x = rng.standard_normal([1] + dims).astype(np.float32)
        np.save(os.path.join(case, "x.npy"), x)
        cases.append((name, path, model.graph.input[0].name, os.path.join(case, "x.npy")))
    if not args.no_224:
        rng = np.random.default_rng(4321)
        case = os.path.join(workdir, "mobilenetv2_224")
        os.makedirs(case, exist_ok=True)
        path = os.path.join(case, "model.onnx")
        if not os.path.exists(path):
            onnx.save(mobilenet_v2_224(rng), path)
            np.save(os.path.join(case, "x.npy"), rng.standard_normal((1, 3, 224, 224)).astype(np.float32))
        cases.append(("mobilenetv2_224", path, "input", os.path.join(case, "x.npy")))
    digits = os.path.join(args.digits, "digits_cnn.onnx")
    dx = os.path.join(args.digits, "digits_test_x.npy")
    cases.append(("digits", digits, onnx.load(digits).graph.input[0].name, dx))
    outs = {}
    for name, path, inp, x in cases:
        try:
            ref, _ = run(args.nnrun, path, inp, x, os.path.join(workdir, name, "fp32"),
                         device, "fp32")
            got, lines = run(args.nnrun, path, inp, x, os.path.join(workdir, name, "fp16"),
                             device, "fp16")
        except RuntimeError as e:
            print(f"FAIL {name}: {e}")
            failures += 1
            continue
        worst = max(rel_err(ref[k], got[k]) for k in ref)
        n16 = sum(":f16" in l for l in lines)
        guard = [m for m in map(GUARD_LINE.match, lines) if m]
        guard_err = float(guard[-1].group(1)) if guard else float("inf")
        # the report's precision line carries the same measured error
        reported = [m.group(1) for m in map(PRECISION_LINE.match, lines) if m]
        ok = (worst <= args.tol and n16 > 0 and guard_err <= args.tol
              and reported == [guard[-1].group(1)])
        failures += not ok
        said = (f"guard: error {guard_err:.2e} (tolerance {guard[-1].group(2)}), "
                f"{guard[-1].group(3)} of {guard[-1].group(4)} layers fp16, "
                f"{guard[-1].group(5)} kept fp32" if guard else "no 'fp16 guard: error vs fp32' line")
        said += f"; reported {reported[0] if reported else 'nothing'}"
        print(f"{'ok  ' if ok else 'FAIL'} {name}: relative error {worst:.2e}, {n16} fp16 layers; "
              f"{said}")
        if name == "mobilenetv2_224":
            try:
                off, _ = run(args.nnrun, path, inp, x, os.path.join(workdir, name, "fp16_unguarded"),
                             device, "fp16", ("--fp16-tolerance", "1"))
                print(f"     {name} without the guard (--fp16-tolerance 1): relative error "
                      f"{max(rel_err(ref[k], off[k]) for k in ref):.2e}")
            except RuntimeError as e:
                print(f"FAIL {name} without the guard: {e}")
                failures += 1
        outs[name] = (ref, got)
    if "digits" in outs:
        y = np.load(os.path.join(args.digits, "digits_test_y.npy"))
        ref, got = outs["digits"]
        k = next(iter(ref))
        a32 = float(np.mean(ref[k].argmax(-1) == y))
        a16 = float(np.mean(got[k].argmax(-1) == y))
        ok = abs(a32 - a16) < 1e-9
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} digits accuracy fp32 {a32:.4f} fp16 {a16:.4f}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
