#!/usr/bin/env python3
"""Feeds nnrun broken models, broken inputs and unwritable outputs.

Every broken run must exit with a status > 0 (not die by a signal), print
exactly one non-empty line on stderr starting "nnrun: error:" that names the
file, node or tensor at fault, and leave no file in the output folder.
Bit-flipped models may also load and run: then the run must succeed cleanly.
Prints one line per check and "N passed, M failed" last; exits 1 on a failure.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUNCATE_FRACTIONS = (0.0001, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.9999)


class Checker:
    def __init__(self, args):
        self.args = args
        self.passed = self.failed = 0
        self.count = 0

    def run(self, model, inputs, outdir=None, device=None, env=None):
        """Runs nnrun; inputs: list of (name, file). Returns (proc, outdir)."""
        self.count += 1
        if outdir is None:
            outdir = os.path.join(self.args.workdir, f"out{self.count}")
            os.makedirs(outdir)
        cmd = [self.args.nnrun, model, "--device", device or self.args.device,
               "--output-dir", outdir]
        for name, path in inputs:
            cmd += ["--input", f"{name}={path}"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                                  timeout=self.args.timeout,
                                  env=dict(os.environ, **env) if env else None)
        except subprocess.TimeoutExpired:
            proc = subprocess.CompletedProcess(cmd, None, "", "(timed out)")
        return proc, outdir

    def report(self, label, problem):
        if problem:
            self.failed += 1
            print(f"FAIL {label}: {problem}", flush=True)
        else:
            self.passed += 1
            if self.args.verbose:
                print(f"ok   {label}", flush=True)

    @staticmethod
    def leftovers(outdir):
        return sorted(os.listdir(outdir)) if os.path.isdir(outdir) else []

    def error_problem(self, proc, outdir, mentions):
        """What is wrong with a run that had to fail, or None."""
        if proc.returncode is None:
            return f"timed out after {self.args.timeout}s"
        if proc.returncode < 0:
            return f"killed by signal {-proc.returncode}"
        if proc.returncode == 0:
            return "exited 0"
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        if len(lines) != 1 or not lines[0].startswith("nnrun: error:"):
            shown = " | ".join(lines[:4]) or "(nothing)"
            return f"stderr is not one 'nnrun: error:' line: {shown}"
        if mentions and not any(m in lines[0] for m in mentions):
            return f"error does not name any of {mentions}: {lines[0]}"
        if self.leftovers(outdir):
            return f"left files in the output folder: {self.leftovers(outdir)}"
        return None

    def expect_error(self, label, model, inputs, mentions, outdir=None):
        proc, outdir = self.run(model, inputs, outdir)
        self.report(label, self.error_problem(proc, outdir, mentions))

    def expect_clean(self, label, model, inputs, mentions, device=None, env=None):
        """Either a clean error or a clean success with whole output files."""
        proc, outdir = self.run(model, inputs, device=device, env=env)
        if proc.returncode == 0:
            files = self.leftovers(outdir)
            bad = [f for f in files if not f.endswith(".npy")]
            problem = f"success left stray files {bad}" if bad else None
            problem = problem or ("success wrote no output" if not files else None)
            for f in files if not problem else []:
                try:
                    np.load(os.path.join(outdir, f))
                except Exception as e:  # noqa: BLE001 - any load failure is a finding
                    problem = f"success wrote an unreadable {f}: {e}"
            self.report(label, problem)
        else:
            self.report(label, self.error_problem(proc, outdir, mentions))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def parses_as_model(data):
    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception:  # noqa: BLE001 - the protobuf library raises several kinds
        return False
    return len(m.graph.node) > 0


def model_cases(c, a, model_bytes, good_input):
    work = a.workdir
    name = os.path.basename(a.model)
    base = os.path.join(work, "trunc_")
    for frac in TRUNCATE_FRACTIONS:
        n = max(1, int(len(model_bytes) * frac))
        path = write(f"{base}{n}.onnx", model_bytes[:n])
        label = f"truncated model ({n} of {len(model_bytes)} bytes)"
        if parses_as_model(model_bytes[:n]):
            c.expect_clean(label, path, good_input, [os.path.basename(path)])
        else:
            c.expect_error(label, path, good_input, [os.path.basename(path)])

    for seed in range(a.seeds):
        rng = np.random.default_rng(seed)
        data = bytearray(model_bytes)
        # Half the seeds flip bits anywhere, half in the first kilobyte (graph structure).
        span = len(data) if seed % 2 else min(len(data), 1024)
        for pos in rng.integers(0, span, size=int(rng.integers(1, 9))):
            data[pos] ^= 1 << int(rng.integers(0, 8))
        path = write(os.path.join(work, f"flip_{seed}.onnx"), bytes(data))
        c.expect_clean(f"bit-flipped model (seed {seed})", path, good_input, [])

    path = write(os.path.join(work, "empty.onnx"), b"")
    c.expect_error("empty model file", path, good_input, ["empty.onnx"])
    missing = os.path.join(work, "no_such_model.onnx")
    c.expect_error("missing model file", missing, good_input, ["no_such_model.onnx"])

    m = onnx.load_from_string(model_bytes)
    node = next(n for n in m.graph.node if n.op_type in ("Relu", "Conv", "Gemm"))
    node.op_type = "NngpuFrobnicate"
    path = write(os.path.join(work, "unknown_op.onnx"), m.SerializeToString())
    c.expect_error("unknown op in the default domain", path, good_input,
                   ["NngpuFrobnicate", node.name or "NngpuFrobnicate"])
    return name


def input_cases(c, a, x, input_name):
    work = a.workdir

    def npy(fname, arr):
        path = os.path.join(work, fname)
        np.save(path, arr)
        return path

    bad_shape = x[:, :, :-1] if x.ndim >= 3 else x.reshape(-1)[:-1]
    c.expect_error("wrong input shape", a.model, [(input_name, npy("bad_shape.npy", bad_shape))],
                   [input_name, "bad_shape.npy"])
    c.expect_error("wrong input dtype (int32 for float)", a.model,
                   [(input_name, npy("int32.npy", x.astype(np.int32)))],
                   [input_name, "int32.npy"])
    good = npy("good.npy", x)
    c.expect_error("input name that does not exist", a.model, [("no_such_input", good)],
                   ["no_such_input"])
    c.expect_error("empty .npy file", a.model,
                   [(input_name, write(os.path.join(work, "empty.npy"), b""))], ["empty.npy"])
    with open(good, "rb") as f:
        raw = f.read()
    corrupt = bytearray(raw)
    corrupt[10:30] = b"{'descr': <f4 ;;; ]]"
    c.expect_error("corrupt .npy header", a.model,
                   [(input_name, write(os.path.join(work, "corrupt.npy"), bytes(corrupt)))],
                   ["corrupt.npy"])
    c.expect_error("truncated .npy data", a.model,
                   [(input_name, write(os.path.join(work, "short.npy"), raw[:-5]))],
                   ["short.npy"])
    c.expect_error("missing .npy file", a.model,
                   [(input_name, os.path.join(work, "no_such_input.npy"))],
                   ["no_such_input.npy"])

    blocker = write(os.path.join(work, "a_file"), b"not a folder")
    c.expect_error("output folder under a regular file", a.model, [(input_name, good)],
                   ["a_file"], outdir=os.path.join(blocker, "out"))
    if os.geteuid() != 0:  # root writes into read-only folders anyway
        ro = os.path.join(work, "read_only")
        os.makedirs(ro)
        os.chmod(ro, 0o555)
        c.expect_error("read-only output folder", a.model, [(input_name, good)],
                       ["read_only"], outdir=ro)
        os.chmod(ro, 0o755)


def device_fault_cases(c, a, model, good_input):
    """Device allocation failures, injected on the Vulkan backend with
    NNGPU_VK_ALLOC_LIMIT at several sizes: the arena, then the weights of one
    layer or another, fail to allocate. Each must end in one clean error (or
    a clean success when everything fitted). Then a failed pipeline compile,
    injected with NNGPU_VK_FAIL_PIPELINE: one error naming the shader."""
    listing = subprocess.run([a.nnrun, "--list-devices"], capture_output=True, text=True)
    if "vulkan:0" not in listing.stdout:
        print("note: no vulkan:0 device: allocation-failure injection not exercised")
        return
    for limit in (1024, 4096, 16384, 65536, 262144):
        c.expect_clean(f"vulkan:0 with NNGPU_VK_ALLOC_LIMIT={limit}", model, good_input,
                       ["NNGPU_VK_ALLOC_LIMIT", "out of memory"], device="vulkan:0",
                       env={"NNGPU_VK_ALLOC_LIMIT": str(limit)})
    proc, _ = c.run(model, good_input, device="vulkan:0",
                    env={"NNGPU_VK_ALLOC_LIMIT": "1024"})
    c.report("vulkan:0 with a 1 KiB allocation limit fails",
             None if proc.returncode == 1 else f"exit {proc.returncode}")
    # pipelines compile on worker threads: a failed one is still one error naming it
    for shader in ("gemm", "pool"):
        proc, outdir = c.run(model, good_input, device="vulkan:0",
                             env={"NNGPU_VK_FAIL_PIPELINE": shader})
        c.report(f"vulkan:0 with NNGPU_VK_FAIL_PIPELINE={shader}",
                 c.error_problem(proc, outdir, [f"shader '{shader}'"]))


def op_cases(c, a):
    """Models nngpu cannot run as given: one error naming the node."""
    from onnx import TensorProto as T, helper

    def model(node, x_shape, inits=(), before=(), opset=13):
        g = helper.make_graph(list(before) + [node], "g",
                              [helper.make_tensor_value_info("x", T.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", T.FLOAT, None)], list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        return write(os.path.join(a.workdir, node.name + ".onnx"), m.SerializeToString())

    def x_file(shape):
        path = os.path.join(a.workdir, f"x_{'_'.join(map(str, shape))}.npy")
        np.save(path, np.ones(shape, np.float32))
        return [("x", path)]

    # control flow: a branch with the wrong output count, a branch with an unknown op
    def branch(name, nodes, outs):
        return helper.make_graph(nodes, name, [], [helper.make_tensor_value_info(o, T.FLOAT, None)
                                                   for o in outs])
    cond = [helper.make_node("ReduceSum", ["x"], ["sum"], keepdims=0),
            helper.make_node("Greater", ["sum", "zero"], ["cond"])]
    zero = [helper.make_tensor("zero", T.FLOAT, [], [0.0])]
    path = model(helper.make_node(
        "If", ["cond"], ["y"], name="if_two_outputs",
        then_branch=branch("t", [helper.make_node("Relu", ["x"], ["a"]),
                                 helper.make_node("Neg", ["x"], ["b"])], ["a", "b"]),
        else_branch=branch("e", [helper.make_node("Neg", ["x"], ["c"])], ["c"])),
        [3, 4], zero, before=cond)
    c.expect_error("If branch with more outputs than the node", path, x_file([3, 4]),
                   ["if_two_outputs", "outputs"])
    path = model(helper.make_node(
        "If", ["cond"], ["y"], name="if_unknown_op",
        then_branch=branch("t", [helper.make_node("Relu", ["x"], ["a"])], ["a"]),
        else_branch=branch("e", [helper.make_node("FancyOp", ["x"], ["c"])], ["c"])),
        [3, 4], zero, before=cond)
    c.expect_error("If branch with an unknown op", path, x_file([3, 4]),
                   ["if_unknown_op", "FancyOp"])
    # sequences: a Loop body that reads the list it carries; an erasure past the list's end
    seq = helper.make_sequence_type_proto(helper.make_tensor_type_proto(T.FLOAT, [3, 4]))
    body = helper.make_graph(
        [helper.make_node("SequenceAt", ["s", "last"], ["prev"]),
         helper.make_node("Neg", ["prev"], ["next"]),
         helper.make_node("SequenceInsert", ["s", "next"], ["s_out"]),
         helper.make_node("Identity", ["c"], ["c_out"])], "reads_list",
        [helper.make_tensor_value_info("i", T.INT64, []), helper.make_tensor_value_info("c", T.BOOL, []),
         helper.make_value_info("s", seq)],
        [helper.make_tensor_value_info("c_out", T.BOOL, []), helper.make_value_info("s_out", seq)])
    ints = [helper.make_tensor(n, T.INT64, [], [v]) for n, v in (("trips", 3), ("last", -1), ("far", 3))]
    path = model(helper.make_node("ConcatFromSequence", ["grown"], ["y"], name="list_concat", axis=0),
                 [3, 4], ints, before=[helper.make_node("SequenceConstruct", ["x"], ["start"], name="start_list"),
                                       helper.make_node("Loop", ["trips", "", "start"], ["grown"],
                                                        name="loop_reads_list", body=body)], opset=17)
    c.expect_error("Loop body reading the list it carries", path, x_file([3, 4]),
                   ["loop_reads_list", "not supported"])
    path = model(helper.make_node("ConcatFromSequence", ["fewer"], ["y"], name="erased_concat", axis=0),
                 [3, 4], ints, before=[helper.make_node("SequenceConstruct", ["x", "x"], ["pair"]),
                                       helper.make_node("SequenceErase", ["pair", "far"], ["fewer"],
                                                        name="erase_far")], opset=17)
    c.expect_error("SequenceErase past the end of the list", path, x_file([3, 4]),
                   ["erase_far", "out of range"])
    # loss functions rewritten at import: an unknown reduction names the node
    labels = [helper.make_tensor("labels", T.INT64, [3], [0, 2, 1])]
    path = model(helper.make_node("SoftmaxCrossEntropyLoss", ["x", "labels"], ["y"],
                                  name="sce_median", reduction="median"), [3, 4], labels)
    c.expect_error("SoftmaxCrossEntropyLoss with an unknown reduction", path, x_file([3, 4]),
                   ["sce_median", "median"])
    # onnxruntime's GroupQueryAttention: what its rewrite does not cover names the node
    gqa_in = [helper.make_tensor("seqlens", T.INT32, [1], [4]), helper.make_tensor("total", T.INT32, [], [5])]
    path = model(helper.make_node("GroupQueryAttention", ["x", "x", "x", "", "", "seqlens", "total", "", "", "",
                                                          "", "", "seqlens"], ["y"], name="gqa_int8_cache",
                                  domain="com.microsoft", num_heads=2, kv_num_heads=2), [1, 5, 8], gqa_in)
    c.expect_error("GroupQueryAttention with a quantized KV cache", path, x_file([1, 5, 8]),
                   ["gqa_int8_cache", "quantized KV cache"])
    path = model(helper.make_node("GroupQueryAttention", ["x", "x", "x", "", "", "seqlens", "total"], ["y"],
                                  name="gqa_heads", domain="com.microsoft", num_heads=3, kv_num_heads=2),
                 [1, 5, 12], gqa_in)
    c.expect_error("GroupQueryAttention with 3 query heads for 2 KV heads", path, x_file([1, 5, 12]),
                   ["gqa_heads", "kv_num_heads"])
    # onnxruntime's MultiHeadAttention / RotaryEmbedding: refused parts and shapes name the node
    path = model(helper.make_node("MultiHeadAttention", ["x", "x", "x"], ["y", "", "", "qk"], name="mha_qk",
                                  domain="com.microsoft", num_heads=2), [1, 5, 8])
    c.expect_error("MultiHeadAttention with its qk output", path, x_file([1, 5, 8]), ["mha_qk", "qk output"])
    mask = [helper.make_tensor("mask", T.INT32, [1, 4], np.ones(4))]
    path = model(helper.make_node("MultiHeadAttention", ["x", "x", "x", "", "mask"], ["y"], name="mha_mask",
                                  domain="com.microsoft", num_heads=2), [1, 5, 8], mask)
    c.expect_error("MultiHeadAttention with a mask shorter than the keys", path, x_file([1, 5, 8]),
                   ["mha_mask", "key_padding_mask"])
    path = model(helper.make_node("RotaryEmbedding", ["x", "pos", "cache", "cache"], ["y"], name="rope_packed",
                                  domain="com.microsoft", is_packed_batching=1), [1, 5, 8],
                 [helper.make_tensor("cache", T.FLOAT, [20, 4], np.ones(80)),
                  helper.make_tensor("pos", T.INT64, [1], [0])])
    c.expect_error("contrib RotaryEmbedding with is_packed_batching", path, x_file([1, 5, 8]),
                   ["rope_packed", "is_packed_batching"])
    # opset-23 ops expanded once shapes are known: shapes that do not fit name the node
    path = model(helper.make_node("Attention", ["x", "x", "x"], ["y"], name="attention_no_heads"),
                 [2, 5, 8], opset=23)
    c.expect_error("3-D Attention without head counts", path, x_file([2, 5, 8]),
                   ["attention_no_heads", "q_num_heads"])
    cache = [helper.make_tensor("cache", T.FLOAT, [20, 3], np.ones(60))]
    path = model(helper.make_node("RotaryEmbedding", ["x", "cache", "cache", "pos"], ["y"],
                                  name="rope_odd_cache"), [1, 2, 5, 8],
                 cache + [helper.make_tensor("pos", T.INT64, [1, 5], np.arange(5))], opset=23)
    c.expect_error("RotaryEmbedding with a cache of the wrong width", path, x_file([1, 2, 5, 8]),
                   ["rope_odd_cache", "rotary_dim"])
    w = [helper.make_tensor("W", T.FLOAT, [1, 12, 2], np.ones(24)),
         helper.make_tensor("R", T.FLOAT, [1, 12, 4], np.ones(48))]
    path = model(helper.make_node("GRU", ["x", "W", "R"], ["y"], name="gru_bogus", hidden_size=4,
                                  activations=["Sigmoid", "Bogus"]), [5, 1, 2], w)
    c.expect_error("GRU with an unknown activation", path, x_file([5, 1, 2]), ["gru_bogus", "Bogus"])
    idx = helper.make_tensor("idx", T.INT64, [1, 1], [7])
    path = model(helper.make_node("GatherND", ["x", "idx"], ["y"], name="gathernd_far"), [3, 4], [idx])
    c.expect_error("GatherND index out of range", path, x_file([3, 4]), ["gathernd_far", "7"])
    # spectral ops: frames that do not fit the signal; mel edges past the spectrum
    ints = [helper.make_tensor("step", T.INT64, [], [4]), helper.make_tensor("frame", T.INT64, [], [100])]
    path = model(helper.make_node("STFT", ["x", "step", "", "frame"], ["y"], name="stft_long_frame"),
                 [1, 50, 1], ints, opset=17)
    c.expect_error("STFT frame longer than the signal", path, x_file([1, 50, 1]),
                   ["stft_long_frame", "frame_length 100"])
    mel = [helper.make_tensor(n, T.INT64, [], [v]) for n, v in (("mels", 8), ("len", 64), ("rate", 1000))]
    mel += [helper.make_tensor(n, T.FLOAT, [], [v]) for n, v in (("lo", 0.0), ("hi", 5000.0))]
    path = model(helper.make_node("MatMul", ["x", "filters"], ["y"], name="mel_use"), [2, 33], mel,
                 before=[helper.make_node("MelWeightMatrix", ["mels", "len", "rate", "lo", "hi"], ["filters"],
                                          name="mel_past_nyquist")], opset=17)
    c.expect_error("MelWeightMatrix edges past sample_rate / 2", path, x_file([2, 33]),
                   ["mel_past_nyquist", "spectrum bins"])
    # onnxruntime contrib ops: an unknown one, and a QLinearConcat whose inputs are not triples
    path = model(helper.make_node("Attention", ["x"], ["y"], name="ms_attention",
                                  domain="com.microsoft"), [3, 4])
    c.expect_error("unsupported com.microsoft op", path, x_file([3, 4]),
                   ["ms_attention", "Attention", "com.microsoft"])
    s = [helper.make_tensor("s", T.FLOAT, [], [0.1]), helper.make_tensor("z", T.UINT8, [], [128])]
    path = model(helper.make_node("QLinearConcat", ["s", "z", "x", "s"], ["y"], name="qconcat_short",
                                  domain="com.microsoft", axis=0), [3, 4], s)
    c.expect_error("QLinearConcat without (x, scale, zero point) triples", path, x_file([3, 4]),
                   ["qconcat_short", "triples"])
    w = [helper.make_tensor("W", T.FLOAT, [2, 3, 1, 1], np.ones(6))]
    path = model(helper.make_node("FusedConv", ["x", "W"], ["y"], name="fused_softsign",
                                  domain="com.microsoft", activation="Softsign"), [1, 3, 4, 4], w)
    c.expect_error("FusedConv with an activation nngpu does not know", path, x_file([1, 3, 4, 4]),
                   ["fused_softsign", "Softsign"])
    w = [helper.make_tensor("Wqkv", T.FLOAT, [4, 12], np.ones(48)),
         helper.make_tensor("past", T.FLOAT, [2, 1, 2, 0, 2], []), helper.make_tensor("p", T.INT32, [], [0])]
    path = model(helper.make_node("Attention", ["x", "Wqkv", "", "", "past", "", "p"], ["y"], name="attn_past",
                                  domain="com.microsoft", num_heads=2), [1, 3, 4], w)
    c.expect_error("Attention with a shared past buffer", path, x_file([1, 3, 4]),
                   ["attn_past", "past_sequence_length"])
    # old forms the opset-7 import does not take: Tile's tiles + axis inputs (opsets 1-5)
    t = [helper.make_tensor("tiles", T.INT64, [], [2]), helper.make_tensor("axis", T.INT64, [], [0])]
    path = model(helper.make_node("Tile", ["x", "tiles", "axis"], ["y"], name="tile_opset5"), [3, 4],
                 t, opset=5)
    c.expect_error("Tile of opset 5", path, x_file([3, 4]), ["tile_opset5", "opset 5", "axis"])
    w = [helper.make_tensor(n, T.FLOAT, [3, 4], np.ones(12)) for n in ("m", "v")]
    path = model(helper.make_node("BatchNormalization", ["x", "m", "v", "m", "v"], ["y"],
                                  name="bn_per_activation", spatial=0, is_test=1), [1, 3, 4], w, opset=6)
    c.expect_error("BatchNormalization with spatial=0", path, x_file([1, 3, 4]),
                   ["bn_per_activation", "spatial=0"])


def graph_input_name(model_bytes):
    m = onnx.load_from_string(model_bytes)
    inits = {i.name for i in m.graph.initializer}
    return next(i.name for i in m.graph.input if i.name not in inits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("nnrun", help="path to the nnrun executable")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "digits_cnn.onnx"))
    ap.add_argument("--input", default=os.path.join(ROOT, "models", "digits_test_x.npy"),
                    help="a valid input for --model (the first 2 items are used)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--seeds", type=int, default=32, help="bit-flipped models to try")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--workdir", default=None, help="scratch folder (emptied first)")
    ap.add_argument("--verbose", action="store_true", help="also list passing checks")
    a = ap.parse_args()

    if a.workdir:
        shutil.rmtree(a.workdir, ignore_errors=True)
        os.makedirs(a.workdir)
    else:
        a.workdir = tempfile.mkdtemp(prefix="nngpu_bad_input_")
    with open(a.model, "rb") as f:
        model_bytes = f.read()
    input_name = graph_input_name(model_bytes)
    x = np.load(a.input)[:2]

    c = Checker(a)
    good = os.path.join(a.workdir, "good.npy")
    np.save(good, x)
    proc, outdir = c.run(a.model, [(input_name, good)])
    baseline = None if proc.returncode == 0 and c.leftovers(outdir) else (
        f"exit {proc.returncode}: {proc.stderr.strip()[:300]}")
    c.report("baseline: the unbroken model runs", baseline)

    good_input = [(input_name, good)]
    model_cases(c, a, model_bytes, good_input)
    input_cases(c, a, x, input_name)
    device_fault_cases(c, a, a.model, good_input)
    op_cases(c, a)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
