#!/usr/bin/env python3
"""LLMs as onnxruntime-genai's model builder writes them (com.microsoft GroupQueryAttention
with a KV cache, SkipSimplifiedLayerNormalization, MatMulNBits at int4) through nnrun beside
onnxruntime: a prompt step and a decode step after a cache.

Needs torch, transformers and onnxruntime-genai (not in tests/requirements.txt):
  pip install torch transformers onnxruntime-genai onnx onnxruntime numpy
  bench/genai_models.py [--devices cpu,opencl:0,vulkan:0] [--work DIR] [--build DIR]

Each architecture is a 2-layer random-weight config (hidden 64, 4 query / 2 KV heads, seed 0)
saved with a word-level tokenizer, then built by `onnxruntime_genai.models.builder` at fp32 and
int4 (-e cpu). Steps: prompt (batch 1, 7 tokens, no cache) and decode (batch 2, 1 token after
6 cached). Printed per model, device and step: max|ours - ort| / max|ort| over every output
(logits and present caches), nnrun's median and onnxruntime's. At int4 the builder sets
MatMulNBits accuracy_level 4, where onnxruntime quantizes the activations to int8 and nngpu
does not: the error is then onnxruntime's (about 1e-2); `--exact-int4` sets level 0 for both.
Exits 1 when nnrun fails or an fp32 error exceeds --max-rel-err (default 1e-4).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import zoo_light  # noqa: E402
STEPS = {"prompt": (1, 7, 0), "decode": (2, 1, 6)}  # batch, new tokens, cached tokens


def make_hf(kind, out):
    import torch
    import transformers as tf
    from tokenizers import Tokenizer, models, pre_tokenizers
    common = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128)
    cfg = {"llama": lambda: tf.LlamaConfig(**common),
           "qwen3": lambda: tf.Qwen3Config(head_dim=16, **common)}[kind]()
    torch.manual_seed(0)
    tf.AutoModelForCausalLM.from_config(cfg).save_pretrained(out)
    vocab = {f"t{i}": i for i in range(256)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tf.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="t0", bos_token="t1", eos_token="t2",
                               pad_token="t0").save_pretrained(out)


def build(hf, out, precision, exact_int4):
    subprocess.run([sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", hf, "-o", out,
                    "-p", precision, "-e", "cpu", "-c", out + "_cache"], check=True, capture_output=True)
    path = os.path.join(out, "model.onnx")
    if precision == "int4" and exact_int4:
        import onnx
        m = onnx.load(path)
        for n in m.graph.node:
            for a in n.attribute:
                if n.op_type == "MatMulNBits" and a.name == "accuracy_level":
                    a.i = 0
        onnx.save(m, path, save_as_external_data=True, location="model.onnx.data")
    return path


def feeds_for(path, batch, seq, past, rng):
    import onnx
    m = onnx.load(path, load_external_data=False)
    sizes = {"batch_size": batch, "sequence_length": seq, "total_sequence_length": seq + past,
             "past_sequence_length": past}
    feeds = {}
    for vi in m.graph.input:
        dims = [sizes.get(d.dim_param, 16) if d.dim_param else d.dim_value
                for d in vi.type.tensor_type.shape.dim]  # kv_cache_dim: the head size, 16
        if vi.name == "input_ids":
            feeds[vi.name] = rng.integers(0, 256, dims).astype(np.int64)
        elif vi.name == "attention_mask":
            feeds[vi.name] = np.ones(dims, np.int64)
        else:
            feeds[vi.name] = rng.standard_normal(dims).astype(np.float32)
    return feeds


def run_step(args, path, device, feeds, work):
    ort_ms, ref = zoo_light.ort_median(path, feeds, 20)
    os.makedirs(work, exist_ok=True)
    cmd = [os.path.join(args.build, "nnrun"), path, "--device", device, "--output-dir",
           os.path.join(work, "out"), "--json", "--runs", "20"]
    for name, x in feeds.items():
        np.save(os.path.join(work, name + ".npy"), x)
        cmd += ["--input", f"{name}={os.path.join(work, name + '.npy')}"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        return None, p.stderr.strip().splitlines()[-1:], 0
    worst = 0.0
    import onnx
    names = [o.name for o in onnx.load(path, load_external_data=False).graph.output]
    for name, want in zip(names, ref):
        got = np.load(os.path.join(work, "out", name + ".npy"))
        worst = max(worst, float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)))
    return worst, json.loads(p.stdout), ort_ms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", default="cpu,opencl:0,vulkan:0")
    ap.add_argument("--models", default="llama,qwen3")
    ap.add_argument("--precisions", default="fp32,int4")
    ap.add_argument("--work", default="/tmp/nngpu_genai")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--max-rel-err", type=float, default=1e-4)
    ap.add_argument("--exact-int4", action="store_true")
    args = ap.parse_args()
    failed = 0
    for kind in args.models.split(","):
        hf = os.path.join(args.work, "hf_" + kind)
        if not os.path.exists(os.path.join(hf, "config.json")):
            make_hf(kind, hf)
        for precision in args.precisions.split(","):
            path = build(hf, os.path.join(args.work, f"{kind}_{precision}"), precision, args.exact_int4)
            for step, (batch, seq, past) in STEPS.items():
                feeds = feeds_for(path, batch, seq, past, np.random.default_rng(1))
                for device in args.devices.split(","):
                    work = os.path.join(args.work, "run", f"{kind}_{precision}_{step}_{device.replace(':', '')}")
                    err, info, ort_ms = run_step(args, path, device, feeds, work)
                    label = f"{kind} {precision} {step} (batch {batch}, {seq} new, {past} cached) {device}"
                    if err is None:
                        print(f"{label}: FAILED {info}")
                        failed += 1
                        continue
                    bad = precision == "fp32" and err > args.max_rel_err
                    failed += bad
                    print(f"{label}: rel err {err:.2e}{' FAIL' if bad else ''}, nnrun "
                          f"{info['latency_ms']['median']:.2f} ms ({info['kernels']} kernels, "
                          f"{info['cpu_nodes']} CPU nodes), onnxruntime {ort_ms:.2f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
