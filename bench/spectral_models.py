"""Spectral front-ends: DFT and STFT on the device (graph/lower_dft.c) against
the CPU reference they ran on before (NNGPU_DISABLE_PASSES=lower_dft) and
onnxruntime's CPU provider (intra_op_num_threads = 2).

Built-in models (made here with onnx.helper; window and mel filters are the
ONNX generator ops, folded at load):
  log_mel   Whisper's front-end: 30 s of 16 kHz audio, STFT(n_fft 400,
            hop 160, Hann window) -> power -> MelWeightMatrix (80 bins) ->
            log10(max(mel, 1e-10)), floored 8 decades under its maximum,
            (+ 4) / 4
  fnet      FNet's token mixing: Re(DFT over hidden (768) then over the
            sequence (512)) of a [1, 512, 768] activation
  rfft_b8   torch.fft.rfft of 8 x 16 channels of 4096 samples (dft_length
            4096, one-sided)
Correctness first: every output must match a float64 NumPy computation of
the same model within 1e-4 (max |diff| / max |truth|) or the case fails;
onnxruntime's own error against it is shown beside (its float32 FFT is off by
~2e-4 on fnet). Reported: median latency, ratios.

  .venv/bin/python bench/spectral_models.py [--nnrun build/nnrun]
      [--devices opencl:0,vulkan:0] [--runs 10]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def i64(name, v):
    return numpy_helper.from_array(np.array(v, np.int64), name)


def f32(name, v):
    return numpy_helper.from_array(np.array(v, np.float32), name)


def model(nodes, inits, x_shape, opset=17):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def log_mel():
    n = helper.make_node
    nodes = [
        n("HannWindow", ["n_fft"], ["window"]),
        n("STFT", ["x", "hop", "window", "n_fft"], ["spec"], onesided=1),
        n("Mul", ["spec", "spec"], ["sq"]),
        n("ReduceSum", ["sq", "last"], ["power"], keepdims=0),
        n("MelWeightMatrix", ["mels", "n_fft", "rate", "lo", "hi"], ["filters"]),
        n("MatMul", ["power", "filters"], ["mel"]),
        n("Max", ["mel", "floor"], ["clamped"]),
        n("Log", ["clamped"], ["ln"]),
        n("Mul", ["ln", "to_log10"], ["log_spec"]),
        n("ReduceMax", ["log_spec"], ["peak"], keepdims=1),
        n("Sub", ["peak", "eight"], ["low"]),
        n("Max", ["log_spec", "low"], ["kept"]),
        n("Add", ["kept", "four"], ["shifted"]),
        n("Div", ["shifted", "four"], ["y"]),
    ]
    inits = [i64("n_fft", 400), i64("hop", 160), i64("last", [-1]), i64("mels", 80), i64("rate", 16000),
             f32("lo", 0.0), f32("hi", 8000.0), f32("floor", 1e-10),
             f32("to_log10", 1 / np.log(10)), f32("eight", 8.0), f32("four", 4.0)]
    return model(nodes, inits, [1, 480000, 1]), (1, 480000, 1)


def fnet():
    n = helper.make_node
    nodes = [
        n("Unsqueeze", ["x", "last"], ["xc"]),
        n("DFT", ["xc", "", "hidden_axis"], ["f1"]),
        n("DFT", ["f1", "", "seq_axis"], ["f2"]),
        n("Slice", ["f2", "zero", "one", "last"], ["re"]),
        n("Squeeze", ["re", "last"], ["y"]),
    ]
    inits = [i64("last", [-1]), i64("hidden_axis", 2), i64("seq_axis", 1), i64("zero", [0]), i64("one", [1])]
    return model(nodes, inits, [1, 512, 768], opset=20), (1, 512, 768)


def rfft_b8():
    n = helper.make_node
    nodes = [
        n("Unsqueeze", ["x", "last"], ["xc"]),
        n("DFT", ["xc", "len", "axis"], ["y"], onesided=1),
    ]
    inits = [i64("last", [-1]), i64("len", 4096), i64("axis", 2)]
    return model(nodes, inits, [8, 16, 4096], opset=20), (8, 16, 4096)


MODELS = {"log_mel": log_mel, "fnet": fnet, "rfft_b8": rfft_b8}


def mel_filters():
    """MelWeightMatrix(80, 400, 16000, 0, 8000) from onnx's reference implementation."""
    from onnx.reference import ReferenceEvaluator
    n = helper.make_node("MelWeightMatrix", ["mels", "n_fft", "rate", "lo", "hi"], ["w"])
    g = helper.make_graph([n], "g", [], [helper.make_tensor_value_info("w", TensorProto.FLOAT, None)],
                          [i64("mels", 80), i64("n_fft", 400), i64("rate", 16000), f32("lo", 0.0), f32("hi", 8000.0)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    return ReferenceEvaluator(m).run(None, {})[0].astype(np.float64)


def truth(name, x):
    """The model's output in float64."""
    x = x.astype(np.float64)
    if name == "fnet":
        return np.fft.fft(np.fft.fft(x, axis=2), axis=1).real
    if name == "rfft_b8":
        f = np.fft.rfft(x, axis=2)
        return np.stack([f.real, f.imag], axis=-1)
    n_fft, hop, s = 400, 160, x[0, :, 0]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = np.stack([s[i * hop:i * hop + n_fft] * window for i in range((len(s) - n_fft) // hop + 1)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    log_spec = np.log10(np.maximum(power @ mel_filters(), 1e-10))
    return ((np.maximum(log_spec, log_spec.max() - 8) + 4) / 4)[None]


def nnrun(args, path, x_path, dev, env_extra, out_dir):
    env = dict(os.environ, **env_extra)
    cmd = [args.nnrun, path, "--device", dev, "--input", f"x={x_path}", "--runs", str(args.runs),
           "--warmup", "2", "--json", "--output-dir", out_dir]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode:
        raise SystemExit(f"nnrun failed on {path} {dev}: {p.stderr.strip()}")
    d = json.loads(p.stdout)
    return d["latency_ms"]["median"], d["kernels"], d["cpu_nodes"], np.load(os.path.join(out_dir, "y.npy"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnrun", default="build/nnrun")
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    rs = np.random.RandomState(0)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        print("| model | device | onnxruntime ms | reference (before) ms | lowered ms | lowered / ORT | kernels | CPU nodes | err | ORT err |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in args.models.split(","):
            m, shape = MODELS[name]()
            path, x_path = os.path.join(tmp, name + ".onnx"), os.path.join(tmp, name + "_x.npy")
            onnx.save(m, path)
            x = rs.uniform(-1, 1, shape).astype(np.float32)
            np.save(x_path, x)
            so = ort.SessionOptions()
            so.intra_op_num_threads = 2
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            exact = truth(name, x)
            scale = max(np.abs(exact).max(), 1e-30)
            ort_err = float(np.abs(sess.run(None, {"x": x})[0] - exact).max() / scale)
            times = []
            for _ in range(2):
                sess.run(None, {"x": x})
            for _ in range(args.runs):
                t = time.perf_counter()
                sess.run(None, {"x": x})
                times.append((time.perf_counter() - t) * 1e3)
            ort_ms = statistics.median(times)
            for dev in args.devices.split(","):
                before, _, _, _ = nnrun(args, path, x_path, dev, {"NNGPU_DISABLE_PASSES": "lower_dft"}, tmp)
                after, kernels, cpu_nodes, y = nnrun(args, path, x_path, dev, {}, tmp)
                err = float(np.abs(y - exact).max() / scale)
                ok = err <= 1e-4 and not np.isnan(y).any()
                failed += not ok
                print(f"| {name} | {dev} | {ort_ms:.2f} | {before:.2f} | {after:.2f} | {after / ort_ms:.2f}x | "
                      f"{kernels} | {cpu_nodes} | {err:.1e}{'' if ok else ' FAIL'} | {ort_err:.1e} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
