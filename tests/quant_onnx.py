#!/usr/bin/env python3
"""Quantized ONNX models through nnrun against onnxruntime.

1. INT8 models: float models (tests/make_models.py, models/digits_cnn.onnx)
   quantized by onnxruntime.quantization.quantize_static in QDQ and QOperator
   formats (QOperator also with every op type, which writes onnxruntime's
   com.microsoft QLinearAdd, QLinearGlobalAveragePool, QGemm, QLinearSoftmax, ...),
   per channel and per tensor, uint8 and int8 activations, from a small
   calibration set; and by quantize_dynamic (DynamicQuantizeLinear, ConvInteger,
   MatMulInteger). nnrun's output must match onnxruntime's on the quantized model
   (integer rounding may flip single units: relative L2 <= 2e-2), and every QDQ
   Conv / MatMul / Gemm must have become one QLinear layer (nnrun --json layers).
2. Pre-quantized low-bit weights: DequantizeLinear (opset 21) of INT4 / UINT4 /
   INT8 weights, blocked (block_size 32) and per column, into MatMul and Gemm
   (transB) against onnxruntime; and onnxruntime's com.microsoft MatMulNBits (4 and
   8 bits, with and without zero points and bias, K padded to the block, 3-D input)
   as its weight-only quantizer writes it. They must run as MatMulQuantW (int4w / int8w).
3. Weight-only quantization (--weight-bits 4 / 8, per column and group 32) of
   MatMul-heavy float models against onnxruntime's fp32: relative error bounded
   and the weight bytes reduced.
4. NaN: QuantizeLinear of Sqrt(negative) and QLinearMatMul / QLinearConv with an
   infinite x_scale (inf * 0) give exactly onnxruntime's integers (the lowest value).
Prints one line per check and "N passed, M failed" last; exits 1 on a failure.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                      quantize_dynamic, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import make_models  # noqa: E402

INT8_MAX_ERR = 2e-2          # nnrun vs onnxruntime on the same quantized model
# vs the fp32 model, by (bits, group): random normal weights through 3 layers; int4
# per column rounds to steps of max|w| / 7 (~0.4 sigma)
WEIGHT_ONLY_MAX_ERR = {(8, 0): 0.05, (4, 0): 0.25, (4, 32): 0.15}
FAKE_QUANT_MAX_ERR = 1e-4    # vs onnxruntime on the same weights quantized in numpy
INT4_MIN_SHRINK = 6.0        # fp32 bytes / int4 bytes (7x less the scales)


class Samples(CalibrationDataReader):
    def __init__(self, name, batches):
        self.items = iter([{name: b} for b in batches])

    def get_next(self):
        return next(self.items, None)


def rel_l2(y, ref):
    return float(np.linalg.norm(y.astype(np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


def run_ort(path, feeds):
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)[0]


class Checker:
    def __init__(self, args):
        self.args = args
        self.passed = self.failed = 0
        self.count = 0

    def check(self, ok, what):
        print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def nnrun(self, model, feeds, device, extra=()):
        """Runs nnrun; returns (output, json, stderr) or None after a failed check."""
        self.count += 1
        work = os.path.join(self.args.workdir, f"run{self.count}")
        os.makedirs(work, exist_ok=True)
        cmd = [self.args.nnrun, model, "--device", device, "--output-dir", work, "--json",
               "--runs", "1", "--warmup", "0", *extra]
        for name, x in feeds.items():
            path = os.path.join(work, f"in_{name}.npy")
            np.save(path, x)
            cmd += ["--input", f"{name}={path}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            self.check(False, f"{os.path.basename(model)} on {device}: nnrun exited "
                              f"{proc.returncode}: {proc.stderr.strip()[-400:]}")
            return None
        info = json.loads(proc.stdout)
        outs = [f for f in os.listdir(work) if not f.startswith("in_")]
        return np.load(os.path.join(work, sorted(outs)[0])), info, proc.stderr


# ---- 1. static INT8 (onnxruntime.quantization) -------------------------------------

def mlp(rng, din=64, hidden=256, dout=32):
    """MatMul + bias, Relu, a Gemm (transB) last."""
    n = make_models.Net("mlp", rng)
    x = n.op("Relu", [n.linear("input", din, hidden)])
    x = n.op("Relu", [n.linear(x, hidden, hidden)])
    w = n.const(rng.normal(0, np.sqrt(1.0 / hidden), (dout, hidden)))
    b = n.const(rng.normal(0, 0.1, dout), prefix="b")
    return n.model([din], n.op("Gemm", [x, w, b], transB=1))


def tied(rng, dim=64):
    """One weight read by two MatMuls: quantized once."""
    n = make_models.Net("tied", rng)
    w = n.const(rng.normal(0, np.sqrt(1.0 / dim), (dim, dim)))
    x = n.op("Relu", [n.op("MatMul", ["input", w])])
    return n.model([dim], n.op("MatMul", [x, w]))


def qop_mix(rng, c=8, hw=12):
    """Ops onnxruntime's QOperator quantizer writes as com.microsoft QLinear* contrib
    ops beyond Add/Mul/GlobalAveragePool/Gemm/Softmax: LeakyRelu, Sigmoid,
    AveragePool, Concat."""
    n = make_models.Net("qop_mix", rng)
    x = n.op("LeakyRelu", [n.conv("input", 3, c, 3)], alpha=0.1)
    a = n.op("Sigmoid", [n.conv(x, c, c, 1)])
    b = n.op("AveragePool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    y = n.conv(n.op("Concat", [a, b], axis=1), 2 * c, c, 3)
    return n.model([3, hw, hw], n.op("GlobalAveragePool", [y]))


def float_models(args):
    """(name, model path, input name, calibration batches, test input)."""
    out = []
    for name, build in (("resnet", make_models.resnet), ("mobilenet_v2", make_models.mobilenet_v2),
                        ("transformer", make_models.transformer), ("mlp", mlp),
                        ("tied", tied), ("qop_mix", qop_mix)):
        rng = np.random.default_rng([args.seed, len(out)])
        model = build(rng)
        path = os.path.join(args.workdir, f"{name}.onnx")
        onnx.save(model, path)
        dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
        calib = [rng.standard_normal([1] + dims).astype(np.float32) for _ in range(8)]
        test = rng.standard_normal([2] + dims).astype(np.float32)
        out.append((name, path, "input", calib, test))
    digits = os.path.join(ROOT, "models", "digits_cnn.onnx")
    x = np.load(os.path.join(ROOT, "models", "digits_test_x.npy"))
    calib_path = os.path.join(ROOT, "models", "digits_calib_x.npy")
    calib = np.load(calib_path) if os.path.exists(calib_path) else x[200:]
    out.append(("digits_cnn", digits, "image", [calib[i:i + 16] for i in range(0, 64, 16)], x[:32]))
    return out


# (model, format, per_channel, activations): the static INT8 cases
STATIC_CASES = [
    ("resnet", "QDQ", True, "uint8"),
    ("mobilenet_v2", "QDQ", False, "int8"),
    ("transformer", "QDQ", True, "uint8"),
    ("mlp", "QDQ", True, "int8"),
    ("digits_cnn", "QDQ", False, "uint8"),
    ("digits_cnn", "QOperator", True, "int8"),
    ("resnet", "QOperator", False, "uint8"),
    ("transformer", "QOperator", True, "uint8"),
    ("resnet", "QOperatorAll", True, "uint8"),
    ("mobilenet_v2", "QOperatorAll", False, "uint8"),
    ("transformer", "QOperatorAll", True, "uint8"),
    ("qop_mix", "QOperatorAll", True, "uint8"),
    ("qop_mix", "QOperatorAll", False, "int8"),
    ("resnet", "Dynamic", True, "uint8"),
    ("mobilenet_v2", "Dynamic", False, "uint8"),
    ("transformer", "Dynamic", False, "uint8"),
]


def quantize(args, name, path, input_name, calib, fmt, per_channel, act):
    pre = os.path.join(args.workdir, f"{name}_pre.onnx")
    if pre not in args.preprocessed:
        args.preprocessed.add(pre)
        quant_pre_process(path, pre, skip_symbolic_shape=True)  # folds BatchNormalization like an exporter would
    out = os.path.join(args.workdir, f"{name}_{fmt}_{'pc' if per_channel else 'pt'}_{act}.onnx")
    if fmt == "Dynamic":
        quantize_dynamic(pre, out, per_channel=per_channel, weight_type=QuantType.QUInt8)
        return out
    extra = {}
    if fmt == "QOperator":  # standard-domain QLinearConv / QLinearMatMul only
        extra["op_types_to_quantize"] = ["Conv", "MatMul"]
    # uint8 activations x int8 weights: 7-bit weights (reduce_range), as onnxruntime advises
    # for x86, where its AVX2 kernels without VNNI saturate 16-bit pair sums
    # (vpmaddubsw) and so are no oracle for full-range weights on such machines.
    quantize_static(pre, out, Samples(input_name, calib),
                    quant_format=QuantFormat.QDQ if fmt == "QDQ" else QuantFormat.QOperator,
                    per_channel=per_channel, reduce_range=act == "uint8",
                    activation_type=QuantType.QUInt8 if act == "uint8" else QuantType.QInt8,
                    weight_type=QuantType.QInt8, **extra)
    return out


def check_static(ck, args, models):
    by_name = {m[0]: m for m in models}
    for name, fmt, per_channel, act in STATIC_CASES:
        _, path, input_name, calib, x = by_name[name]
        qpath = quantize(args, name, path, input_name, calib, fmt, per_channel, act)
        qmodel = onnx.load(qpath)
        heavy = sum(n.op_type in ("Conv", "MatMul", "Gemm") for n in qmodel.graph.node)
        qlinear = sum(n.op_type in ("QLinearConv", "QLinearMatMul") for n in qmodel.graph.node)
        ref = run_ort(qpath, {input_name: x})
        fp32 = run_ort(path, {input_name: x})
        label = f"{name} {fmt} {'per-channel' if per_channel else 'per-tensor'} {act}"
        for device in args.devices:
            got = ck.nnrun(qpath, {input_name: x}, device)
            if got is None:
                continue
            y, info, _ = got
            err = rel_l2(y, ref)
            layers = info["layers"]
            float_heavy = [l["name"] for l in layers if l["fused"] in ("Conv", "MatMul", "Gemm")]
            folded = sum(l["fused"].startswith("DequantizeLinear+") and
                         l.get("precision", "int8") == "int8" for l in layers)
            native = sum(l["fused"] in ("QLinearConv", "QLinearMatMul") for l in layers)
            ck.check(y.shape == ref.shape and err <= INT8_MAX_ERR,
                     f"{label} on {device}: rel L2 {err:.2e} vs onnxruntime "
                     f"(quantized vs fp32 {rel_l2(ref, fp32):.2e})")
            if fmt == "Dynamic":  # float layers of the centred integers, DynamicQuantizeLinear
                # as float ops: all on the device
                integer = [l for l in layers if re.search("(Conv|MatMul)Integer", l["fused"])]
                wrong = [l["name"] for l in integer if "Cast" not in l["fused"]]
                wrong += [l["name"] for l in layers
                          if device != "cpu" and l["kernel"].startswith("cpu:")]
                wrong += [l["name"] for l in layers if "DynamicQuantizeLinear" in l["fused"]]
                ck.check(integer and not wrong, f"{label} on {device}: {len(integer)} integer "
                         "layers as float layers, nothing on the CPU"
                         + (f"; not: {', '.join(wrong)}" if wrong else ""))
                continue
            if fmt == "QOperatorAll":  # contrib ops rewritten; QGemm folded into an int8 layer
                ck.check(not float_heavy, f"{label} on {device}: no float Conv/MatMul/Gemm layer"
                         + (f"; float: {', '.join(float_heavy)}" if float_heavy else ""))
                continue
            if fmt == "QOperator":  # what the quantizer left float stays float
                ck.check(native == qlinear, f"{label} on {device}: {native} QLinear layers of "
                                            f"{qlinear} ({heavy} float layers left float)")
                continue
            ck.check(not float_heavy and folded == heavy,
                     f"{label} on {device}: {folded} QDQ layers folded of {heavy}"
                     + (f"; float: {', '.join(float_heavy)}" if float_heavy else ""))


# ---- 2. pre-quantized 4-bit / 8-bit weights (DequantizeLinear opset 21) ------------------

def pack4(q):
    """ONNX INT4/UINT4 raw data: two per byte, low nibble first."""
    flat = (q.reshape(-1).astype(np.int64) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, 0).astype(np.uint8)
    return (flat[0::2] | (flat[1::2] << 4)).tobytes()


def quant_init(name, q, dtype):
    if dtype in (TensorProto.INT4, TensorProto.UINT4):
        return helper.make_tensor(name, dtype, q.shape, pack4(q), raw=True)
    return numpy_helper.from_array(q.astype(np.int8 if dtype == TensorProto.INT8 else np.uint8), name)


def blocked_weight(rng, k, n, bits, signed, block, axis):
    """Random q and per-block (or per-column) scales and zero points along axis."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    q = rng.integers(lo, hi + 1, (k, n))
    groups = list(q.shape)
    groups[axis] = -(-q.shape[axis] // block) if block else 1
    if not block:  # per slice along the other axis: 1-D scales
        groups = [q.shape[1 - axis]]
    scale = rng.uniform(0.5, 1.5, groups).astype(np.float32) / (q.shape[axis] ** 0.5 * (hi - lo) / 4)
    mid = (lo + hi) // 2
    zp = rng.integers(mid - 2, mid + 3, groups) if not signed else None
    return q, scale, zp


def low_bit_model(rng):
    """x[.,64] -> MatMul(DQ(int4, block 32)) + b -> Relu -> MatMul(DQ(uint4 per column, zp))
    -> Relu -> Gemm(transB, DQ(int8 per row of [N, K])) -> Gemm(transB, DQ(uint4 blocked
    along K, zp))."""
    nodes, inits = [], []

    def dq(name, q, scale, zp, dtype, axis, block):
        inits.append(quant_init(name + "_q", q, dtype))
        inits.append(numpy_helper.from_array(scale, name + "_scale"))
        inputs = [name + "_q", name + "_scale"]
        if zp is not None:
            inits.append(quant_init(name + "_zp", zp, dtype))
            inputs.append(name + "_zp")
        attrs = {"axis": axis}
        if block:
            attrs["block_size"] = block
        nodes.append(helper.make_node("DequantizeLinear", inputs, [name], name=name + "_dq", **attrs))
        return name

    w1 = dq("w1", *blocked_weight(rng, 64, 48, 4, True, 32, 0), TensorProto.INT4, 0, 32)
    q2, s2, z2 = blocked_weight(rng, 48, 40, 4, False, 0, 0)
    w2 = dq("w2", q2, s2, z2, TensorProto.UINT4, 1, 0)
    q3, s3, z3 = blocked_weight(rng, 24, 40, 8, True, 0, 1)  # [N, K], one scale per row
    w3 = dq("w3", q3, s3, z3, TensorProto.INT8, 0, 0)
    q4, s4, z4 = blocked_weight(rng, 16, 24, 4, False, 8, 1)  # [N, K] blocked along K
    w4 = dq("w4", q4, s4, z4, TensorProto.UINT4, 1, 8)
    inits.append(numpy_helper.from_array(rng.normal(0, 0.1, 48).astype(np.float32), "b1"))
    inits.append(numpy_helper.from_array(rng.normal(0, 0.1, 16).astype(np.float32), "b4"))
    nodes += [
        helper.make_node("MatMul", ["input", w1], ["m1"], name="matmul_int4_block32"),
        helper.make_node("Add", ["m1", "b1"], ["a1"], name="bias1"),
        helper.make_node("Relu", ["a1"], ["r1"], name="relu1"),
        helper.make_node("MatMul", ["r1", w2], ["m2"], name="matmul_uint4_per_column"),
        helper.make_node("Relu", ["m2"], ["r2"], name="relu2"),
        helper.make_node("Gemm", ["r2", w3], ["g3"], name="gemm_int8_transB", transB=1, alpha=0.5),
        helper.make_node("Gemm", ["g3", w4, "b4"], ["output"], name="gemm_uint4_transB_block8",
                         transB=1),
    ]
    graph = helper.make_graph(
        nodes, "low_bit_weights",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 64])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 16])], inits)
    model = helper.make_model(graph, producer_name="nngpu quant_onnx.py",
                              opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def nbits_weight(rng, k, n, bits, block, with_zp):
    """MatMulNBits' B [N, k_blocks, block * bits / 8], scales [N * k_blocks], zero points
    packed along the blocks (None: the default 2^(bits-1)), from random codes."""
    kb, qmax = -(-k // block), (1 << bits) - 1
    q = rng.integers(0, qmax + 1, (n, kb * block))
    scale = (rng.uniform(0.5, 1.5, (n, kb)) / (k ** 0.5 * qmax / 4)).astype(np.float32)
    zp = rng.integers(qmax // 2 - 2, qmax // 2 + 3, (n, kb)) if with_zp else None
    if bits == 8:
        return (q.astype(np.uint8).reshape(n, kb, block), scale.reshape(-1),
                None if zp is None else zp.astype(np.uint8).reshape(-1))
    b = (q[:, 0::2] | (q[:, 1::2] << 4)).astype(np.uint8).reshape(n, kb, block // 2)
    if zp is None:
        return b, scale.reshape(-1), None
    packed = np.zeros((n, -(-kb // 2)), np.uint8)
    for j in range(kb):
        packed[:, j // 2] |= (zp[:, j] << (4 * (j % 2))).astype(np.uint8)
    return b, scale.reshape(-1), packed.reshape(-1)


def nbits_model(rng):
    """x[N, 3, 80] -> MatMulNBits(4 bits, block 32, K 80 padded to 96, zero points, bias)
    -> Relu -> MatMulNBits(8 bits, block 16, no zero points) -> MatMulNBits(4 bits, block
    64, default zero points, bias)."""
    nodes, inits = [], []

    def layer(name, x, k, n, bits, block, with_zp, bias):
        b, scale, zp = nbits_weight(rng, k, n, bits, block, with_zp)
        inits.extend([numpy_helper.from_array(b, name + "_b"),
                      numpy_helper.from_array(scale, name + "_scales")])
        inputs = [x, name + "_b", name + "_scales", ""]
        if zp is not None:
            inits.append(numpy_helper.from_array(zp, name + "_zp"))
            inputs[3] = name + "_zp"
        if bias:
            inits.append(numpy_helper.from_array(rng.normal(0, 0.1, n).astype(np.float32),
                                                 name + "_bias"))
            inputs += ["", name + "_bias"]
        nodes.append(helper.make_node("MatMulNBits", inputs, [name], name=name, domain="com.microsoft",
                                      K=k, N=n, bits=bits, block_size=block))
        return name

    y = layer("nbits4_zp_bias", "input", 80, 48, 4, 32, True, True)
    nodes.append(helper.make_node("Relu", [y], ["r1"], name="relu1"))
    y = layer("nbits8", "r1", 48, 40, 8, 16, True, False)
    layer("nbits4_default_zp", y, 40, 24, 4, 64, False, True)
    nodes[-1].output[0] = "output"
    graph = helper.make_graph(
        nodes, "matmul_nbits",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 80])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, 24])], inits)
    return helper.make_model(graph, producer_name="nngpu quant_onnx.py",
                             opset_imports=[helper.make_opsetid("", 17),
                                            helper.make_opsetid("com.microsoft", 1)])


def check_low_bit(ck, args):
    rng = np.random.default_rng([args.seed, 100])
    path = os.path.join(args.workdir, "low_bit_weights.onnx")
    onnx.save(low_bit_model(rng), path)
    x = rng.standard_normal((4, 64)).astype(np.float32)
    want = {"matmul_int4_block32": "int4w", "matmul_uint4_per_column": "int4w",
            "gemm_int8_transB": "int8w", "gemm_uint4_transB_block8": "int4w"}
    check_low_bit_model(ck, args, "int4/int8 DequantizeLinear weights", path, x, want)
    path = os.path.join(args.workdir, "matmul_nbits.onnx")
    onnx.save(nbits_model(rng), path)
    x = rng.standard_normal((2, 3, 80)).astype(np.float32)
    want = {"nbits4_zp_bias": "int4w", "nbits8": "int8w", "nbits4_default_zp": "int4w"}
    check_low_bit_model(ck, args, "MatMulNBits", path, x, want)


def check_low_bit_model(ck, args, what, path, x, want):
    """nnrun vs onnxruntime within 1e-5, each layer of want (name: precision) a MatMulQuantW."""
    ref = run_ort(path, {"input": x})
    for device in args.devices:
        got = ck.nnrun(path, {"input": x}, device)
        if got is None:
            continue
        y, info, _ = got
        err = rel_l2(y, ref)
        ck.check(y.shape == ref.shape and err <= 1e-5,
                 f"{what} on {device}: rel L2 {err:.2e} vs onnxruntime")
        kinds = {l["name"]: (l["fused"], l.get("precision", "?")) for l in info["layers"]}
        bad = [f"{k}: {kinds.get(k)}" for k, p in want.items()
               if k not in kinds or not kinds[k][0].startswith("DequantizeLinear+")
               or kinds[k][1] not in (p, "?")]
        ck.check(not bad, f"{what} on {device}: MatMulQuantW layers"
                          + (f"; not: {'; '.join(bad)}" if bad else ""))


# ---- 3. weight-only quantization -----------------------------------------------------

def fake_quantized(path, out, bits, group):
    """The model with every constant 2-D MatMul/Gemm weight replaced by its
    dequantized symmetric quantization, computed the way options.weight_bits
    specifies (scale max|w| / 7 or / 127 per column or group of rows)."""
    model = onnx.load(path)
    inits = {t.name: t for t in model.graph.initializer}
    qmax, qmin = (7, -8) if bits == 4 else (127, -127)
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm") or node.input[1] not in inits:
            continue
        w = numpy_helper.to_array(inits[node.input[1]])
        if w.ndim != 2 or w.dtype != np.float32:
            continue
        trans = node.op_type == "Gemm" and any(a.name == "transB" and a.i for a in node.attribute)
        kn = w.T if trans else w
        k = kn.shape[0]
        rows = group if group and group < k else k
        deq = np.empty_like(kn)
        for r0 in range(0, k, rows):
            blk = kn[r0:r0 + rows]
            amax = np.abs(blk).max(axis=0)
            scale = np.where(amax > 0, amax / np.float32(qmax), np.float32(1)).astype(np.float32)
            q = np.clip(np.round(blk / scale), qmin, qmax)
            deq[r0:r0 + rows] = q * scale
        inits[node.input[1]].CopyFrom(numpy_helper.from_array(
            np.ascontiguousarray(deq.T if trans else deq), node.input[1]))
    onnx.save(model, out)
    return out


def check_weight_only(ck, args, models):
    by_name = {m[0]: m for m in models}
    for name in ("mlp", "transformer", "tied"):
        _, path, input_name, _, x = by_name[name]
        ref = run_ort(path, {input_name: x})
        for bits, group in ((8, 0), (4, 0), (4, 32)):
            fake = fake_quantized(path, os.path.join(args.workdir, f"{name}_w{bits}g{group}.onnx"),
                                  bits, group)
            fake_ref = run_ort(fake, {input_name: x})
            for device in args.devices:
                extra = ["--weight-bits", str(bits), "--verbose"]
                if group:
                    extra += ["--weight-group", str(group)]
                got = ck.nnrun(path, {input_name: x}, device, extra)
                if got is None:
                    continue
                y, info, err_text = got
                err = rel_l2(y, ref)
                m = re.search(r"weights: (\d+) MatMul/Gemm weights int(\d) \(([^)]*)\): "
                              r"(\d+) bytes -> (\d+) bytes", err_text)
                label = f"{name} --weight-bits {bits}" + (f" --weight-group {group}" if group else "")
                bound = WEIGHT_ONLY_MAX_ERR[(bits, group)]
                fake_err = rel_l2(y, fake_ref)
                ck.check(err <= bound and fake_err <= FAKE_QUANT_MAX_ERR,
                         f"{label} on {device}: rel L2 {err:.2e} vs fp32 (bound {bound}), "
                         f"{fake_err:.2e} vs the weights quantized in numpy")
                if not m:
                    ck.check(False, f"{label} on {device}: no 'weights:' summary line")
                    continue
                count, before, after = int(m.group(1)), int(m.group(4)), int(m.group(5))
                shrink = before / max(after, 1)
                low = [l["name"] for l in info["layers"] if l.get("precision") == f"int{bits}w"]
                ck.check(count > 0 and shrink >= (INT4_MIN_SHRINK if bits == 4 else 3.5)
                         and info.get("precision", f"fp32+int{bits}w") == f"fp32+int{bits}w"
                         and len(low) >= count,
                         f"{label} on {device}: {count} weights, {before} -> {after} bytes "
                         f"({shrink:.2f}x smaller); session weight bytes "
                         f"{info.get('model_weight_bytes', '?')} model -> {info['weight_bytes']} "
                         f"device, precision {info.get('precision', '?')}")


# ---- 4. NaN ---------------------------------------------------------------------------

def nan_models(rng):
    """(name, model, feeds): NaN reaching QuantizeLinear and the QLinear requantization."""
    out = []
    for dt, zp in ((TensorProto.INT8, 10), (TensorProto.UINT8, 128)):
        npdt = np.int8 if dt == TensorProto.INT8 else np.uint8
        g = helper.make_graph(
            [helper.make_node("Sqrt", ["x"], ["r"]), helper.make_node("QuantizeLinear", ["r", "s", "z"], ["y"])],
            "nan_q", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [37])],
            [helper.make_tensor_value_info("y", dt, [37])],
            [numpy_helper.from_array(np.array(0.02, np.float32), "s"),
             numpy_helper.from_array(np.array(zp, npdt), "z")])
        x = rng.uniform(-4, 4, 37).astype(np.float32)
        out.append((f"QuantizeLinear {npdt.__name__}", helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), x))
    for op in ("QLinearMatMul", "QLinearConv"):
        k, c = 6, 5
        w = rng.integers(0, 256, (c, k)).astype(np.uint8)
        w[:, ::2] = 7  # the weight zero point: acc 0, inf * 0 = NaN
        shape = [3, c]
        if op == "QLinearConv":
            w, shape = w.T.reshape(k, c, 1, 1).copy(), [1, c, 4, 3]
        g = helper.make_graph(
            [helper.make_node(op, ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz"], ["y"])], "nan_ql",
            [helper.make_tensor_value_info("x", TensorProto.UINT8, shape)],
            [helper.make_tensor_value_info("y", TensorProto.UINT8, None)],
            [numpy_helper.from_array(np.array(np.inf, np.float32), "xs"),
             numpy_helper.from_array(np.array(100, np.uint8), "xz"),
             numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(0.01, np.float32), "ws"),
             numpy_helper.from_array(np.array(7, np.uint8), "wz"),
             numpy_helper.from_array(np.array(0.05, np.float32), "ys"),
             numpy_helper.from_array(np.array(90, np.uint8), "yz")])
        x = rng.integers(0, 256, shape).astype(np.uint8)
        out.append((op, helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), x))
    return out


def check_nan(ck, args):
    rng = np.random.default_rng([args.seed, 101])
    for i, (name, model, x) in enumerate(nan_models(rng)):
        path = os.path.join(args.workdir, f"nan_{i}.onnx")
        onnx.save(model, path)
        ref = run_ort(path, {"x": x})
        for device in args.devices:
            got = ck.nnrun(path, {"x": x}, device)
            if got is None:
                continue
            y = got[0]
            bad = int(np.sum(y.reshape(-1) != ref.reshape(-1))) if y.shape == ref.shape else -1
            ck.check(bad == 0, f"NaN {name} on {device}: {bad} of {ref.size} values differ from "
                               f"onnxruntime's")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nnrun")
    ap.add_argument("--devices", default="cpu,opencl:0,vulkan:0")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--only", default="static,low_bit,weight_only,nan")
    args = ap.parse_args()
    args.devices = [d for d in args.devices.split(",") if d]
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory()
        args.workdir = tmp.name
    os.makedirs(args.workdir, exist_ok=True)
    args.preprocessed = set()
    ck = Checker(args)
    parts = args.only.split(",")
    models = float_models(args) if {"static", "weight_only"} & set(parts) else []
    if "static" in parts:
        check_static(ck, args, models)
    if "low_bit" in parts:
        check_low_bit(ck, args)
    if "weight_only" in parts:
        check_weight_only(ck, args, models)
    if "nan" in parts:
        check_nan(ck, args)
    print(f"{ck.passed} passed, {ck.failed} failed")
    return 1 if ck.failed else 0


if __name__ == "__main__":
    sys.exit(main())
