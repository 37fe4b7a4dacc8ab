"""LSTM / GRU / RNN layers: nnrun per device vs onnxruntime's CPU provider.

Each case is one ONNX recurrent node with constant random weights (W, R, B),
random input, outputs Y and Y_h. nnrun runs it with `--json` (the input
projection as a GEMM layer, the recurrence kernel as a layer of its own);
onnxruntime runs it with intra_op_num_threads = 2. Correctness first: Y must
match onnxruntime within 1e-4 (max |diff| / max |ref|) or the case fails.
Reported: median end-to-end latency of each, their ratio, and the device
time of the recurrence and projection layers.

  .venv/bin/python bench/rnn_models.py [--nnrun build/nnrun] [--devices opencl:0,vulkan:0]
                                       [--runs 20] [--cases lstm_t100_h512_bi,...]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

# name: (op, seq, batch, input, hidden, direction)
CASES = {
    "lstm_t40_h48_bi": ("LSTM", 40, 1, 128, 48, "bidirectional"),      # PP-OCR mobile CRNN head
    "lstm_t100_h512_bi": ("LSTM", 100, 1, 256, 512, "bidirectional"),  # speech / seq2seq encoder
    "lstm_t50_b8_h256": ("LSTM", 50, 8, 128, 256, "forward"),          # batch 8
    "gru_t100_h256_bi": ("GRU", 100, 1, 80, 256, "bidirectional"),     # filterbank GRU encoder
    "rnn_t64_h128": ("RNN", 64, 4, 64, 128, "forward"),
}


def build(path, op, seq, batch, inp, hidden, direction, rs):
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    nd = 2 if direction == "bidirectional" else 1
    w = (rs.randn(nd, gates * hidden, inp) / np.sqrt(inp)).astype(np.float32)
    r = (rs.randn(nd, gates * hidden, hidden) / np.sqrt(hidden)).astype(np.float32)
    b = (rs.randn(nd, 2 * gates * hidden) * 0.1).astype(np.float32)
    node = helper.make_node(op, ["x", "W", "R", "B"], ["y", "y_h"], direction=direction, hidden_size=hidden)
    graph = helper.make_graph(
        [node], op.lower(), [helper.make_tensor_value_info("x", TensorProto.FLOAT, [seq, batch, inp])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [seq, nd, batch, hidden]),
         helper.make_tensor_value_info("y_h", TensorProto.FLOAT, [nd, batch, hidden])],
        [numpy_helper.from_array(a, n) for a, n in ((w, "W"), (r, "R"), (b, "B"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return rs.randn(seq, batch, inp).astype(np.float32)


def ort_time(path, x, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    ref = s.run(None, {"x": x})[0]
    for _ in range(3):
        s.run(None, {"x": x})
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.run(None, {"x": x})
        ts.append((time.perf_counter() - t0) * 1e3)
    return ref, statistics.median(ts)


def nnrun_time(nnrun, path, xfile, device, runs, out):
    p = subprocess.run([nnrun, path, "--device", device, "--input", f"x={xfile}", "--warmup", "3",
                        "--runs", str(runs), "--json", "--output-dir", out], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"nnrun {device}: {p.stderr.strip()[-300:]}")
    d = json.loads(p.stdout)
    rec = sum(l["time_ms"] or 0 for l in d["layers"] if l["kernel"].split("+")[0] in ("lstm", "gru", "rnn"))
    proj = sum(l["time_ms"] or 0 for l in d["layers"] if "input_projection" in l["name"])
    cpu = [l["name"] for l in d["layers"] if l["on_cpu"]]
    return np.load(os.path.join(out, "y.npy")), d["latency_ms"]["median"], rec, proj, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnrun", default=os.path.join(os.path.dirname(__file__), "..", "build", "nnrun"))
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cases", default=",".join(CASES))
    a = ap.parse_args()
    rs = np.random.RandomState(2026)
    failed = 0
    print(f"{'case':20s} {'ort ms':>8s} | device     {'ms':>8s} {'x ort':>6s} {'recur.':>8s} {'proj.':>7s}  error")
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.cases.split(","):
            path, xfile = os.path.join(tmp, name + ".onnx"), os.path.join(tmp, name + "_x.npy")
            x = build(path, *CASES[name], rs)
            np.save(xfile, x)
            ref, t_ort = ort_time(path, x, a.runs)
            for dev in a.devices.split(","):
                try:
                    y, t, rec, proj, cpu = nnrun_time(a.nnrun, path, xfile, dev, a.runs, os.path.join(tmp, name + dev))
                except RuntimeError as e:
                    print(f"{name:20s} FAILED {e}")
                    failed += 1
                    continue
                err = float(np.abs(y.astype(np.float64) - ref).max() / np.abs(ref).max())
                ok = y.shape == ref.shape and err <= 1e-4 and not np.isnan(y).any()
                failed += not ok
                print(f"{name:20s} {t_ort:8.3f} | {dev:10s} {t:8.3f} {t / t_ort:6.2f} {rec:8.3f} {proj:7.3f}  "
                      f"{err:.1e}{'' if ok else ' WRONG'}{' cpu: ' + ','.join(cpu) if cpu else ''}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
