#!/usr/bin/env python3
"""Hugging Face transformer architectures (small random-weight configs: 2 layers, hidden 128,
4 heads, vocabulary 1000), exported by torch.onnx, through nnrun beside onnxruntime: the
attention-mask, position and normalization patterns real text and vision transformers bring.

Needs torch and transformers (not in tests/requirements.txt: large downloads; no weights are
fetched, every model is built from its config with seed 0):
  pip install torch transformers onnx onnxruntime numpy
  bench/transformers_models.py [--exporter torchscript|dynamo] [--device opencl:0]
                               [--models bert,llama,...] [--work DIR] [--build DIR]

Text models take input_ids and attention_mask [2, 16] (the second sequence padded after 12
tokens); ViT takes pixel_values [2, 3, 64, 64]. The first output (the last hidden state) is
compared: max|ours - ort| / max|ort|. Printed per model: that error, the kernel count, the
nodes on the CPU fallback (mask arithmetic on integers and booleans) and nnrun's median.
Exits 1 when a model fails in nnrun or its error exceeds --max-rel-err (default 1e-4); an
export that torch or transformers refuses is reported and skipped.

--ort-optimize [mha]: nnrun runs the model as onnxruntime.transformers' optimizer rewrites
it (Hugging Face Optimum's O1: com.microsoft Attention or, with mha, MultiHeadAttention,
EmbedLayerNormalization, SkipLayerNormalization, BiasGelu, RotaryEmbedding, ...); the
reference stays onnxruntime on the exported model. The table's op column then lists the
contrib ops. Needs the TorchScript exporter (the optimizer's patterns are its graphs).
"""
import argparse
import json
import os
import subprocess
import sys
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BATCH, SEQ, VOCAB = 2, 16, 1000


def model_table(T):
    small = dict(hidden_size=128, num_attention_heads=4, intermediate_size=256, vocab_size=VOCAB)
    return {  # name: (constructor, takes text)
        "bert": (lambda: T.BertModel(T.BertConfig(num_hidden_layers=2, **small)), True),
        "roberta": (lambda: T.RobertaModel(T.RobertaConfig(num_hidden_layers=2, **small)), True),
        "distilbert": (lambda: T.DistilBertModel(T.DistilBertConfig(
            n_layers=2, dim=128, n_heads=4, hidden_dim=256, vocab_size=VOCAB)), True),
        "t5_encoder": (lambda: T.T5EncoderModel(T.T5Config(
            num_layers=2, d_model=128, num_heads=4, d_ff=256, d_kv=32, vocab_size=VOCAB)), True),
        "llama": (lambda: T.LlamaModel(T.LlamaConfig(
            num_hidden_layers=2, num_key_value_heads=2, max_position_embeddings=64, **small)), True),
        "gpt2": (lambda: T.GPT2Model(T.GPT2Config(
            n_layer=2, n_embd=128, n_head=4, vocab_size=VOCAB, n_positions=64)), True),
        "vit": (lambda: T.ViTModel(T.ViTConfig(num_hidden_layers=2, hidden_size=128,
                                               num_attention_heads=4, intermediate_size=256,
                                               image_size=64, patch_size=16)), False),
    }


def inputs(text):
    rng = np.random.default_rng(1)
    if not text:
        return {"pixel_values": rng.standard_normal((BATCH, 3, 64, 64)).astype(np.float32)}
    mask = np.ones((BATCH, SEQ), np.int64)
    mask[1, 12:] = 0
    return {"input_ids": rng.integers(0, VOCAB, (BATCH, SEQ)).astype(np.int64),
            "attention_mask": mask}


def export(torch, model, feeds, path, exporter):
    names = list(feeds)

    class FirstOutput(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args)), return_dict=False)[0]

    args = tuple(torch.from_numpy(v) for v in feeds.values())
    kw = dict(input_names=names, output_names=["out"])
    if exporter == "dynamo":
        torch.onnx.export(FirstOutput(model), args, path, dynamo=True, external_data=False, **kw)
    else:  # batch and sequence dynamic, as exports for onnxruntime's optimizer are
        axes = {k: {0: "batch", 1: "sequence"} for k in names if k != "pixel_values"}
        torch.onnx.export(FirstOutput(model), args, path, opset_version=17, dynamo=False, dynamic_axes=axes,
                          **kw)


# the optimizer's model_type per model (its fusions follow these architectures' graphs)
OPT_TYPES = {"bert": "bert", "roberta": "bert", "distilbert": "bert", "t5_encoder": "t5", "llama": "gpt2",
             "gpt2": "gpt2", "vit": "vit"}


def ort_optimize(onnx, src, dst, name, mha):
    """src rewritten by onnxruntime.transformers' optimizer (opt_level 1); its contrib ops."""
    import collections
    import logging
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    options = FusionOptions(OPT_TYPES[name])
    options.use_multi_head_attention = mha
    optimizer.optimize_model(src, model_type=OPT_TYPES[name], num_heads=4, hidden_size=128, opt_level=1,
                             optimization_options=options).save_model_to_file(dst)
    ops = collections.Counter(n.op_type for n in onnx.load(dst).graph.node if n.domain == "com.microsoft")
    return " ".join(f"{k}x{v}" for k, v in sorted(ops.items())) or "none"


def run_one(args, torch, ort, onnx, name, spec):
    ctor, text = spec
    folder = os.path.join(args.work, f"{name}_{args.exporter}{'_eager' * (args.ort_optimize is not None)}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    feeds = inputs(text)
    if not os.path.exists(path):
        torch.manual_seed(0)
        try:
            model = ctor().eval()
            if args.ort_optimize is not None:  # the optimizer matches eager attention's graph
                model.set_attn_implementation("eager")
            export(torch, model, feeds, path, args.exporter)
        except Exception as e:  # the exporter's or transformers' refusal, not ours
            return None, f"export failed: {str(e).splitlines()[0][:160]}"
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {i.name: feeds[i.name] for i in sess.get_inputs()}  # unused inputs are dropped
    ref = sess.run(None, feeds)[0]
    ops = len({n.op_type for n in onnx.load(path).graph.node})
    if args.ort_optimize is not None:
        opt = os.path.join(folder, f"model_ortopt{'_mha' * (args.ort_optimize == 'mha')}.onnx")
        ops, path = ort_optimize(onnx, path, opt, name, args.ort_optimize == "mha"), opt
    cmd = [os.path.join(args.build, "nnrun"), path, "--device", args.device, "--output-dir",
           os.path.join(folder, "out"), "--runs", str(args.runs), "--json"]
    for k, v in feeds.items():
        np.save(os.path.join(folder, k + ".npy"), v)
        cmd += ["--input", f"{k}={folder}/{k}.npy"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if r.returncode != 0:
        return float("inf"), f"nnrun failed ({r.returncode}): {r.stderr.strip()[-400:]}"
    info = json.loads(r.stdout)
    y = np.load(os.path.join(folder, "out", "out.npy"))
    err = float(np.abs(y.astype(np.float64) - ref).max() / np.abs(ref).max())
    on_cpu = sum(1 for layer in info["layers"] if layer.get("on_cpu"))
    return err, (f"| {name} | {args.exporter} | {ops} | {err:.1e} | {info['kernels']} | {on_cpu} "
                 f"| {info['latency_ms']['median']:.2f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--exporter", choices=["torchscript", "dynamo"], default="dynamo")
    ap.add_argument("--device", default="opencl:0")
    ap.add_argument("--ort-optimize", nargs="?", const="", choices=["", "mha"],
                    help="run the onnxruntime.transformers-optimized model (mha: MultiHeadAttention)")
    ap.add_argument("--models", help="comma-separated subset (default: all)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-rel-err", type=float, default=1e-4)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default="/tmp/nngpu_transformers")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import onnx
    import onnxruntime as ort
    import torch
    import transformers
    table = model_table(transformers)
    names = args.models.split(",") if args.models else list(table)
    print("| model | exporter | op types | max rel err | kernels | CPU nodes | nngpu ms |")
    print("|---|---|---|---|---|---|---|")
    failed = 0
    for name in names:
        err, row = run_one(args, torch, ort, onnx, name, table[name])
        bad = err is not None and not err <= args.max_rel_err
        failed += bad
        print(row if err is not None and row.startswith("|") else f"{name}: {row}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
