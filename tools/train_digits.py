#!/usr/bin/env python3
"""Trains nngpu's bundled demo model: a small CNN on scikit-learn's 8x8 digits.

Plain numpy (forward and backward written out), Adam, fixed seed, stratified
80/20 split. Exports models/digits_cnn.onnx (opset 13, input "image"
[N,1,8,8], output "logits" [N,10], with BatchNormalization nodes left in so
nngpu's BN folding is exercised) plus models/digits_test_x.npy (float32
[M,1,8,8] in [0,1]) and models/digits_test_y.npy (int64 [M]), models/digits_calib_x.npy
(256 training images for INT8 calibration), then checks with
onnxruntime that the exported model reproduces the numpy accuracy.
"""
import argparse
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

BN_EPS = 1e-5
BN_MOMENTUM = 0.9
CHANNELS = (1, 16, 32)


# ---- layers: each forward returns (output, cache); backward takes the cache ----

def im2col(x):
    """[N,C,H,W] -> [N, C*9, H*W] for a 3x3 kernel, pad 1, stride 1."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=2)
    return cols.reshape(n, c * 9, h * w)


def col2im(cols, shape):
    n, c, h, w = shape
    cols = cols.reshape(n, c, 9, h, w)
    xp = np.zeros((n, c, h + 2, w + 2), cols.dtype)
    for k in range(9):
        i, j = divmod(k, 3)
        xp[:, :, i:i + h, j:j + w] += cols[:, :, k]
    return xp[:, :, 1:-1, 1:-1]


def conv_forward(x, w):
    cols = im2col(x)
    n, _, h, wd = x.shape
    out = np.einsum("fk,nkp->nfp", w.reshape(w.shape[0], -1), cols, optimize=True)
    return out.reshape(n, w.shape[0], h, wd), (x.shape, cols, w)


def conv_backward(dout, cache):
    shape, cols, w = cache
    d = dout.reshape(dout.shape[0], dout.shape[1], -1)
    dw = np.einsum("nfp,nkp->fk", d, cols, optimize=True).reshape(w.shape)
    dcols = np.einsum("fk,nfp->nkp", w.reshape(w.shape[0], -1), d, optimize=True)
    return col2im(dcols, shape), dw


def bn_forward(x, gamma, beta, state, training):
    if training:
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        state["mean"] = BN_MOMENTUM * state["mean"] + (1 - BN_MOMENTUM) * mean
        state["var"] = BN_MOMENTUM * state["var"] + (1 - BN_MOMENTUM) * var
    else:
        mean, var = state["mean"], state["var"]
    inv = 1.0 / np.sqrt(var + BN_EPS)
    xhat = (x - mean[None, :, None, None]) * inv[None, :, None, None]
    out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
    return out, (xhat, inv, gamma)


def bn_backward(dout, cache):
    xhat, inv, gamma = cache
    m = dout.shape[0] * dout.shape[2] * dout.shape[3]
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dbeta = dout.sum(axis=(0, 2, 3))
    dxhat = dout * gamma[None, :, None, None]
    dx = (inv[None, :, None, None] / m) * (
        m * dxhat - dxhat.sum(axis=(0, 2, 3))[None, :, None, None]
        - xhat * (dxhat * xhat).sum(axis=(0, 2, 3))[None, :, None, None])
    return dx, dgamma, dbeta


def maxpool_forward(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    mask = r == out[:, :, :, None, :, None]
    mask = mask / mask.sum(axis=(3, 5), keepdims=True)  # split ties evenly
    return out, (mask, x.shape)


def maxpool_backward(dout, cache):
    mask, shape = cache
    return (mask * dout[:, :, :, None, :, None]).reshape(shape)


# ---- the network ---------------------------------------------------------------

def init_params(rng):
    p, bn = {}, {}
    for i in range(len(CHANNELS) - 1):
        cin, cout = CHANNELS[i], CHANNELS[i + 1]
        p[f"conv{i}"] = rng.normal(0, np.sqrt(2.0 / (cin * 9)), (cout, cin, 3, 3))
        p[f"gamma{i}"] = np.ones(cout)
        p[f"beta{i}"] = np.zeros(cout)
        bn[i] = {"mean": np.zeros(cout), "var": np.ones(cout)}
    feat = CHANNELS[-1] * 2 * 2
    p["fc_w"] = rng.normal(0, np.sqrt(1.0 / feat), (10, feat))
    p["fc_b"] = np.zeros(10)
    return p, bn


def forward(p, bn, x, training):
    caches = []
    for i in range(len(CHANNELS) - 1):
        x, c_conv = conv_forward(x, p[f"conv{i}"])
        x, c_bn = bn_forward(x, p[f"gamma{i}"], p[f"beta{i}"], bn[i], training)
        relu_mask = x > 0
        x = x * relu_mask
        x, c_pool = maxpool_forward(x)
        caches.append((c_conv, c_bn, relu_mask, c_pool))
    flat_shape = x.shape
    flat = x.reshape(x.shape[0], -1)
    logits = flat @ p["fc_w"].T + p["fc_b"]
    return logits, (caches, flat, flat_shape)


def backward(p, cache, dlogits):
    caches, flat, flat_shape = cache
    g = {"fc_w": dlogits.T @ flat, "fc_b": dlogits.sum(axis=0)}
    dx = (dlogits @ p["fc_w"]).reshape(flat_shape)
    for i in reversed(range(len(caches))):
        c_conv, c_bn, relu_mask, c_pool = caches[i]
        dx = maxpool_backward(dx, c_pool) * relu_mask
        dx, g[f"gamma{i}"], g[f"beta{i}"] = bn_backward(dx, c_bn)
        dx, g[f"conv{i}"] = conv_backward(dx, c_conv)
    return g


def softmax_xent(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    loss = -np.log(prob[np.arange(len(y)), y] + 1e-12).mean()
    dlogits = prob
    dlogits[np.arange(len(y)), y] -= 1
    return loss, dlogits / len(y)


class Adam:
    def __init__(self, params, lr, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params, grads):
        self.t += 1
        for k in params:
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * grads[k]
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * grads[k] ** 2
            mhat = self.m[k] / (1 - self.b1 ** self.t)
            vhat = self.v[k] / (1 - self.b2 ** self.t)
            params[k] -= self.lr * mhat / (np.sqrt(vhat) + self.eps)


def train(x, y, epochs, batch, lr, seed):
    rng = np.random.default_rng(seed)
    p, bn = init_params(rng)
    opt = Adam(p, lr)
    for epoch in range(epochs):
        order = rng.permutation(len(x))
        total = 0.0
        for s in range(0, len(x), batch):
            idx = order[s:s + batch]
            logits, cache = forward(p, bn, x[idx], training=True)
            loss, dlogits = softmax_xent(logits, y[idx])
            opt.step(p, backward(p, cache, dlogits))
            total += loss * len(idx)
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}", flush=True)
    return p, bn


def accuracy(logits, y):
    return float((logits.argmax(axis=1) == y).mean())


# ---- export ---------------------------------------------------------------------

def export_onnx(p, bn, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes = [], []

    def init(name, value):
        inits.append(numpy_helper.from_array(np.asarray(value, np.float32), name))
        return name

    x = "image"
    for i in range(len(CHANNELS) - 1):
        conv, bnorm, relu, pool = (f"conv{i}", f"bn{i}", f"relu{i}", f"pool{i}")
        nodes.append(helper.make_node("Conv", [x, init(f"{conv}.weight", p[f"conv{i}"])],
                                      [f"{conv}_out"], name=conv, kernel_shape=[3, 3],
                                      pads=[1, 1, 1, 1], strides=[1, 1]))
        nodes.append(helper.make_node(
            "BatchNormalization",
            [f"{conv}_out", init(f"{bnorm}.scale", p[f"gamma{i}"]),
             init(f"{bnorm}.bias", p[f"beta{i}"]), init(f"{bnorm}.mean", bn[i]["mean"]),
             init(f"{bnorm}.var", bn[i]["var"])],
            [f"{bnorm}_out"], name=bnorm, epsilon=BN_EPS, momentum=BN_MOMENTUM))
        nodes.append(helper.make_node("Relu", [f"{bnorm}_out"], [f"{relu}_out"], name=relu))
        nodes.append(helper.make_node("MaxPool", [f"{relu}_out"], [f"{pool}_out"], name=pool,
                                      kernel_shape=[2, 2], strides=[2, 2]))
        x = f"{pool}_out"
    nodes.append(helper.make_node("Flatten", [x], ["flat"], name="flatten", axis=1))
    nodes.append(helper.make_node("Gemm", ["flat", init("fc.weight", p["fc_w"]),
                                           init("fc.bias", p["fc_b"])],
                                  ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, producer_name="nngpu train_digits.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def check_onnxruntime(path, x, y, ref_logits):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    logits = sess.run(None, {"image": x})[0]
    err = np.linalg.norm(logits - ref_logits) / np.linalg.norm(ref_logits)
    return accuracy(logits, y), float(err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--out-dir", default=os.path.join(root, "models"))
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, stratify=y,
                                              random_state=args.seed)
    p, bn = train(x_tr.astype(np.float64), y_tr, args.epochs, args.batch, args.lr, args.seed)
    ref_logits, _ = forward(p, bn, x_te.astype(np.float64), training=False)
    acc = accuracy(ref_logits, y_te)
    print(f"numpy held-out accuracy: {acc:.4f} ({len(y_te)} images)")

    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, "digits_cnn.onnx")
    export_onnx(p, bn, model_path)
    np.save(os.path.join(args.out_dir, "digits_test_x.npy"), x_te.astype(np.float32))
    np.save(os.path.join(args.out_dir, "digits_test_y.npy"), y_te.astype(np.int64))
    # INT8 calibration samples: the first 256 training images (never the held-out ones)
    np.save(os.path.join(args.out_dir, "digits_calib_x.npy"), x_tr[:256].astype(np.float32))

    ort_acc, err = check_onnxruntime(model_path, x_te.astype(np.float32), y_te, ref_logits)
    print(f"onnxruntime held-out accuracy: {ort_acc:.4f} (logits rel. error vs numpy {err:.2e})")
    if acc < 0.95 or ort_acc != acc or err > 1e-4:
        print("error: accuracy below 95% or onnxruntime disagrees with numpy", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
