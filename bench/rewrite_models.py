"""The spelling rewrites (layout Transposes moved until they cancel, spelled-out
activations recognized) on models written the way exporters write them:
nnrun per device with the rewrites and without them
(NNGPU_DISABLE_PASSES=sink_transposes,fuse_activations), beside onnxruntime's
CPU provider (intra_op_num_threads = 2).

Built-in models (random weights, made here with onnx.helper):
  nhwc_mnv3   a MobileNetV3-Small-like network in NHWC as tf2onnx writes Keras
              when its transpose optimizer gives up: Transpose -> Conv ->
              Transpose around every Conv, folded BatchNorm as Mul/Add, Keras'
              hard-swish x * (relu6(x + 3) * 1/6), squeeze-excite over
              ReduceMean(axes 1, 2), ZeroPadding2D Pads (224x224, batch 1)
  bert_mlp    four BERT feed-forward blocks (seq 128, 256 -> 1024 -> 256) with
              torch's erf GELU spelled out, residual Adds
More models: --model PATH (one float input; random normal data, or
--model PATH=INPUT.npy). Correctness first: every output must match
onnxruntime within 1e-4 (max |diff| / max |ref|) or the case fails.
Reported: median latency, layers (kernels), Transpose layers, ratios.

  .venv/bin/python bench/rewrite_models.py [--nnrun build/nnrun]
      [--devices opencl:0,vulkan:0] [--runs 20] [--model x.onnx[=x.npy]]...
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, rs):
        self.rs, self.nodes, self.inits, self.k = rs, [], [], 0

    def name(self, p):
        self.k += 1
        return f"{p}{self.k}"

    def const(self, a):
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(a, np.float32 if np.asarray(a).dtype.kind == "f" else np.int64), n))
        return n

    def op(self, t, ins, **kw):
        y = self.name(t.lower())
        self.nodes.append(helper.make_node(t, ins, [y], **kw))
        return y

    def conv_nhwc(self, x, cin, cout, k, stride=1, group=1, pad=True):
        w = self.rs.randn(cout, cin // group, k, k).astype(np.float32) * np.sqrt(2.0 / (cin // group * k * k))
        t = self.op("Transpose", [x], perm=[0, 3, 1, 2])
        p = k // 2 if pad else 0
        c = self.op("Conv", [t, self.const(w)], strides=[stride, stride], group=group, pads=[p] * 4)
        y = self.op("Transpose", [c], perm=[0, 2, 3, 1])
        s = self.const(self.rs.uniform(0.5, 1.5, cout))
        return self.op("Add", [self.op("Mul", [y, s]), self.const(self.rs.normal(0, 0.1, cout))])

    def hard_swish(self, x):
        g = self.op("Mul", [self.op("Clip", [self.op("Add", [x, self.const(3.0)]), self.const(0.0), self.const(6.0)]),
                            self.const(1.0 / 6.0)])
        return self.op("Mul", [x, g])

    def model(self, x_shape, y, name):
        g = helper.make_graph(self.nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, [])], self.inits)
        g.output[0].type.tensor_type.ClearField("shape")
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        return m


def nhwc_mnv3(rs):
    b = Builder(rs)
    x = b.hard_swish(b.conv_nhwc("input", 3, 16, 3, 2))
    # (expand, out, kernel, stride, se, hard-swish) as in MobileNetV3-Small
    cin = 16
    for e, c, k, s, se, hs in [(16, 16, 3, 2, 1, 0), (72, 24, 3, 2, 0, 0), (88, 24, 3, 1, 0, 0),
                               (96, 40, 5, 2, 1, 1), (240, 40, 5, 1, 1, 1), (120, 48, 5, 1, 1, 1),
                               (288, 96, 5, 2, 1, 1), (576, 96, 5, 1, 1, 1)]:
        act = b.hard_swish if hs else (lambda v: b.op("Relu", [v]))
        h = act(b.conv_nhwc(x, cin, e, 1)) if e != cin else x
        if s == 2:  # ZeroPadding2D, then a valid depthwise convolution
            h = b.op("Pad", [h, b.const(np.array([0, k // 2 - 1 if k > 3 else 0, k // 2 - 1 if k > 3 else 0, 0,
                                                  0, k // 2, k // 2, 0], np.int64))])
        h = act(b.conv_nhwc(h, e, e, k, s, e, pad=s == 1))
        if se:
            q = b.op("ReduceMean", [h], axes=[1, 2], keepdims=1)
            q = b.op("Relu", [b.conv_nhwc(q, e, max(8, e // 4), 1)])
            q = b.op("HardSigmoid", [b.conv_nhwc(q, max(8, e // 4), e, 1)], alpha=1.0 / 6, beta=0.5)
            h = b.op("Mul", [h, q])
        h = b.conv_nhwc(h, e, c, 1)
        x = b.op("Add", [h, x]) if s == 1 and cin == c else h
        cin = c
    x = b.op("ReduceMean", [b.hard_swish(b.conv_nhwc(x, cin, 576, 1))], axes=[1, 2], keepdims=0)
    y = b.op("Gemm", [x, b.const(rs.randn(576, 1000).astype(np.float32) * 0.04), b.const(np.zeros(1000))])
    return b.model([1, 224, 224, 3], y, "nhwc_mnv3"), rs.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)


def bert_mlp(rs, seq=128, dim=256, ffn=1024, layers=4):
    b = Builder(rs)
    x = "input"
    for _ in range(layers):
        h = b.op("Add", [b.op("MatMul", [x, b.const(rs.randn(dim, ffn) / np.sqrt(dim))]), b.const(rs.normal(0, 0.1, ffn))])
        e = b.op("Erf", [b.op("Div", [h, b.const(np.float32(1.4142135))])])
        g = b.op("Mul", [b.op("Mul", [h, b.op("Add", [e, b.const(1.0)])]), b.const(0.5)])
        o = b.op("Add", [b.op("MatMul", [g, b.const(rs.randn(ffn, dim) / np.sqrt(ffn))]), b.const(rs.normal(0, 0.1, dim))])
        x = b.op("Add", [o, x])
    return b.model([1, seq, dim], x, "bert_mlp"), rs.randn(1, seq, dim).astype(np.float32)


def ort_time(path, x, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {s.get_inputs()[0].name: x}
    ref = s.run(None, feed)[0]
    for _ in range(3):
        s.run(None, feed)
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.run(None, feed)
        ts.append((time.perf_counter() - t0) * 1e3)
    return s.get_inputs()[0].name, ref, statistics.median(ts)


def nnrun(exe, path, in_name, xfile, device, runs, out, rewrites):
    env = dict(os.environ)
    if not rewrites:
        env["NNGPU_DISABLE_PASSES"] = "sink_transposes,fuse_activations"
    p = subprocess.run([exe, path, "--device", device, "--input", f"{in_name}={xfile}", "--warmup", "3",
                        "--runs", str(runs), "--json", "--output-dir", out], capture_output=True, text=True, env=env)
    if p.returncode:
        raise RuntimeError(f"nnrun {device}: {p.stderr.strip()[-300:]}")
    d = json.loads(p.stdout)
    ys = [f for f in os.listdir(out) if f.endswith(".npy")]
    y = np.load(os.path.join(out, sorted(ys)[0]))
    transposes = sum(1 for l in d["layers"] if "Transpose" in (l["fused"] or "").split("+"))
    return y, d["latency_ms"]["median"], len(d["layers"]), transposes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnrun", default=os.path.join(os.path.dirname(__file__), "..", "build", "nnrun"))
    ap.add_argument("--devices", default="opencl:0,vulkan:0")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--model", action="append", default=[])
    a = ap.parse_args()
    rs = np.random.RandomState(0)
    tmp = tempfile.mkdtemp(prefix="rewrite_models_")
    cases = []
    for name, make in (("nhwc_mnv3", nhwc_mnv3), ("bert_mlp", bert_mlp)):
        m, x = make(rs)
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(m, path)
        cases.append((name, path, x))
    for spec in a.model:
        path, _, xf = spec.partition("=")
        m = onnx.load(path)
        inits = {i.name for i in m.graph.initializer}
        vi = [i for i in m.graph.input if i.name not in inits][0]
        shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        x = np.load(xf) if xf else rs.randn(*shape).astype(np.float32)
        cases.append((os.path.basename(path)[:-5], path, x))
    failed = 0
    print(f"{'model':<14} {'device':<10} {'ort ms':>8} {'without':>26} {'with rewrites':>26} {'speedup':>8} {'vs ort':>7}")
    for name, path, x in cases:
        xfile = os.path.join(tmp, name + "_x.npy")
        np.save(xfile, x)
        in_name, ref, t_ort = ort_time(path, x, a.runs)
        for dev in a.devices.split(","):
            res = []
            for rewrites in (0, 1):
                out = tempfile.mkdtemp(dir=tmp)
                y, t, layers, tr = nnrun(a.nnrun, path, in_name, xfile, dev, a.runs, out, rewrites)
                err = float(np.abs(y - ref).max() / max(np.abs(ref).max(), 1e-30))
                if not err <= 1e-4:
                    print(f"FAIL {name} {dev} rewrites={rewrites}: error {err:.2e}")
                    failed += 1
                res.append((t, layers, tr, err))
            (t0, l0, tr0, _), (t1, l1, tr1, e1) = res
            print(f"{name:<14} {dev:<10} {t_ort:8.2f} {t0:9.2f} ms {l0:4d} ({tr0:3d} T) {t1:9.2f} ms {l1:4d} ({tr1:3d} T)"
                  f" {t0 / t1:7.2f}x {t1 / t_ort:6.2f}x  err {e1:.1e}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
