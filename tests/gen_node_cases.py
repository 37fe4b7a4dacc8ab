#!/usr/bin/env python3
"""Writes the onnx package's backend node test cases for the ops nngpu supports
(and its "simple" model cases: sequence models, expand, sign, ...).

Each case becomes OUTDIR/<case name>/ holding model.onnx, input_<i>.npy (in
graph-input order) and output_<i>.npy (expected, in graph-output order), the
layout tests/case_runner.c reads. The op list is parsed from src/graph/ops.def.
Cases are skipped (and counted per reason) when their model uses an op outside
the list or a non-default domain, is the "_expanded" function body of an op nngpu
expands itself (SELF_EXPANDED), runs in training mode, or carries a dtype or
value kind nngpu has no type for. Graph inputs that only feed parameter slots
(shape, axes, pads, sizes, ...) become initializers unless --dynamic-params,
and each case records ONNX's tolerance in a "tolerance" file ("RTOL ATOL").
INT4/UINT4 graph inputs and outputs (numpy has no 4-bit type for the .npy
files) travel as INT8/UINT8 through a Cast at the graph's edge.
"""
import argparse
import collections
import os
import re
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
from onnx import TensorProto

DEFAULT_DOMAINS = ("", "ai.onnx")
# ONNX element types nngpu has a dtype for (nngpu_dtype).
SUPPORTED_ELEM_TYPES = {
    TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.INT8,
    TensorProto.UINT8, TensorProto.INT32, TensorProto.INT64, TensorProto.BOOL,
    TensorProto.INT4, TensorProto.UINT4,
}
# 4-bit types and the 8-bit types their graph inputs and outputs are widened to.
WIDENED = {TensorProto.INT4: TensorProto.INT8, TensorProto.UINT4: TensorProto.UINT8}
# Inputs that carry parameters (shapes, axes, pads, ...) rather than data, by op;
# nngpu wants them constant, so by default they become initializers.
PARAM_INPUTS = {
    "Reshape": {1}, "Slice": {1, 2, 3, 4}, "Split": {1}, "Squeeze": {1}, "Unsqueeze": {1},
    "Pad": {1, 2, 3}, "Resize": {1, 2, 3}, "Upsample": {1}, "ReduceMean": {1},
    "ReduceSum": {1}, "ReduceMax": {1}, "Expand": {1}, "ConstantOfShape": {0},
    "Range": {0, 1, 2}, "ReduceMin": {1}, "ReduceProd": {1}, "ReduceL1": {1},
    "ReduceL2": {1}, "ReduceSumSquare": {1}, "ReduceLogSumExp": {1}, "ReduceLogSum": {1},
    "Tile": {1}, "TopK": {1}, "CumSum": {1}, "CumProd": {1}, "Trilu": {1}, "OneHot": {1},
    "NonMaxSuppression": {2, 3, 4}, "MaxUnpool": {2}, "DFT": {1, 2}, "STFT": {1, 2, 3},
    "Col2Im": {1, 2}, "AffineGrid": {1}, "HannWindow": {0}, "HammingWindow": {0},
    "BlackmanWindow": {0}, "MelWeightMatrix": {0, 1, 2, 3, 4},
}
# Ops nngpu expands into standard ops itself (src/graph/expand_*.c): their cases
# test that; the "_expanded" copies (ONNX's function body, ~100 models of ops the
# other cases cover one by one) would add about a minute per device to the suite.
SELF_EXPANDED = ("test_attention_", "test_rotary_embedding", "test_affine_grid_", "test_sce_")
SUPPORTED_NP_DTYPES = {np.dtype(t) for t in (np.float32, np.float16, np.float64, np.int8,
                                             np.uint8, np.int32, np.int64, np.bool_)}
SUPPORTED_NP_DTYPE_NAMES = {"int4", "uint4"}  # ml_dtypes' 4-bit types, widened on writing


def read_ops(ops_def):
    """ONNX op names from the X(ENUM, "Name", kind) lines of ops.def, and the
    function ops the importer rewrites ({"Name", fn} in src/onnx/onnx_function_ops.c)."""
    with open(ops_def, encoding="utf-8") as f:
        ops = set(re.findall(r'^\s*X\(\s*\w+\s*,\s*"(\w+)"', f.read(), re.M))
    if not ops:
        raise SystemExit(f"error: no ops found in {ops_def}")
    functions = os.path.join(os.path.dirname(os.path.dirname(ops_def)), "onnx", "onnx_function_ops.c")
    with open(functions, encoding="utf-8") as f:
        ops |= set(re.findall(r'\{"(\w+)", \w+\}', f.read()))
    return ops


def all_nodes(graph):
    """Nodes of graph and of every subgraph attribute, depth first."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            subgraphs = list(attr.graphs) + ([attr.g] if attr.HasField("g") else [])
            for sub in subgraphs:
                yield from all_nodes(sub)


def elem_type_name(t):
    return TensorProto.DataType.Name(t).lower()


def value_info_reason(vi):
    """Why a graph input/output type disqualifies the case, or None."""
    kind = vi.type.WhichOneof("value")
    if kind != "tensor_type":
        return f"non-tensor value ({kind})"
    et = vi.type.tensor_type.elem_type
    if et not in SUPPORTED_ELEM_TYPES:
        return f"dtype {elem_type_name(et)}"
    return None


def is_training(node):
    """Training mode nngpu does not run (BatchNormalization's it expands)."""
    if node.op_type == "BatchNormalization":
        return False
    for attr in node.attribute:
        if attr.name == "training_mode" and onnx.helper.get_attribute_value(attr):
            return True
    # Dropout's third input turns training mode on at run time.
    return node.op_type == "Dropout" and len(node.input) >= 3 and node.input[2] != ""


def as_array(value):
    """A data-set value as an ndarray, or the value itself when it is no tensor."""
    if isinstance(value, np.generic):
        return np.asarray(value)
    if isinstance(value, TensorProto):
        if value.data_type not in SUPPORTED_ELEM_TYPES:
            return value
        return onnx.numpy_helper.to_array(value)
    return value


def case_data(case):
    inputs, outputs = case.data_sets[0]
    return [as_array(v) for v in inputs], [as_array(v) for v in outputs]


def fed_inputs(graph):
    """The graph inputs a run feeds: those without an initializer (old models list both)."""
    inits = {t.name for t in graph.initializer}
    return [vi for vi in graph.input if vi.name not in inits]


def skip_reason(case, ops):
    """The reason to skip a case, or None to write it."""
    model = case.model
    if case.name.endswith("_expanded") and case.name.startswith(SELF_EXPANDED):
        return "function body of an op nngpu expands itself"
    for opset in model.opset_import:
        if opset.domain not in DEFAULT_DOMAINS:
            return "non-default domain"
    if model.functions:
        return "model-local functions"
    for node in all_nodes(model.graph):
        if node.domain not in DEFAULT_DOMAINS:
            return "non-default domain"
        if node.op_type not in ops:
            return "unsupported op"
        if is_training(node):
            return "training mode"
    for vi in list(model.graph.input) + list(model.graph.output):
        reason = value_info_reason(vi)
        if reason:
            return reason
    if not case.data_sets:
        return "no data"
    raw_in, raw_out = case.data_sets[0]
    if len(raw_in) != len(fed_inputs(model.graph)) or len(raw_out) != len(model.graph.output):
        return "data does not match graph inputs/outputs"
    inputs, outputs = case_data(case)
    for value in inputs + outputs:
        if isinstance(value, TensorProto):
            return f"dtype {elem_type_name(value.data_type)}"
        if not isinstance(value, np.ndarray):
            return f"non-tensor value ({type(value).__name__})"
        if value.dtype not in SUPPORTED_NP_DTYPES and value.dtype.name not in SUPPORTED_NP_DTYPE_NAMES:
            return f"dtype {value.dtype}"
    return None


def bake_params(model, inputs):
    """Turns graph inputs used only as parameters (PARAM_INPUTS) into initializers.

    Returns the new model, the remaining inputs and how many were baked."""
    uses = {}
    for node in model.graph.node:
        for slot, name in enumerate(node.input):
            uses.setdefault(name, []).append(slot in PARAM_INPUTS.get(node.op_type, ()))
    model = onnx.ModelProto.FromString(model.SerializeToString())
    fed = fed_inputs(model.graph)
    del model.graph.input[:]
    model.graph.input.extend(fed)
    keep_vi, keep_data, baked = [], [], 0
    for vi, value in zip(model.graph.input, inputs):
        if uses.get(vi.name) and all(uses[vi.name]):
            model.graph.initializer.append(onnx.numpy_helper.from_array(value, vi.name))
            baked += 1
        else:
            keep_vi.append(vi)
            keep_data.append(value)
    del model.graph.input[:]
    model.graph.input.extend(keep_vi)
    return model, keep_data, baked


def widen_4bit_io(model, inputs, outputs):
    """INT4/UINT4 graph inputs and outputs become INT8/UINT8 with a Cast beside them."""
    graph = model.graph
    casts_in, casts_out = [], []
    for i, vi in enumerate(graph.input):
        et = vi.type.tensor_type.elem_type
        if et in WIDENED:
            wide = vi.name + "_wide"
            casts_in.append(onnx.helper.make_node("Cast", [wide], [vi.name], to=et))
            vi.name = wide
            vi.type.tensor_type.elem_type = WIDENED[et]
            inputs[i] = inputs[i].astype(np.int8 if et == TensorProto.INT4 else np.uint8)
    for i, vi in enumerate(graph.output):
        et = vi.type.tensor_type.elem_type
        if et in WIDENED:
            wide = vi.name + "_wide"
            casts_out.append(onnx.helper.make_node("Cast", [vi.name], [wide], to=WIDENED[et]))
            vi.name = wide
            vi.type.tensor_type.elem_type = WIDENED[et]
            outputs[i] = outputs[i].astype(np.int8 if et == TensorProto.INT4 else np.uint8)
    if casts_in or casts_out:
        nodes = casts_in + list(graph.node) + casts_out
        del graph.node[:]
        graph.node.extend(nodes)
    return model, inputs, outputs


def write_case(case, outdir, bake):
    """Writes one case; returns how many parameter inputs were baked."""
    case_dir = os.path.join(outdir, case.name)
    shutil.rmtree(case_dir, ignore_errors=True)  # an older run may have left more inputs
    os.makedirs(case_dir)
    inputs, outputs = case_data(case)
    model, baked = case.model, 0
    if bake:
        model, inputs, baked = bake_params(model, inputs)
    model = onnx.ModelProto.FromString(model.SerializeToString())
    fed = fed_inputs(model.graph)
    del model.graph.input[:]
    model.graph.input.extend(fed)
    model, inputs, outputs = widen_4bit_io(model, list(inputs), list(outputs))
    onnx.save(model, os.path.join(case_dir, "model.onnx"))
    # The case's own tolerance (ONNX's runner: rtol 1e-3, atol 1e-7), read by case_runner.
    with open(os.path.join(case_dir, "tolerance"), "w", encoding="ascii") as f:
        f.write(f"{case.rtol!r} {case.atol!r}\n")
    for kind, values in (("input", inputs), ("output", outputs)):
        for i, value in enumerate(values):
            np.save(os.path.join(case_dir, f"{kind}_{i}.npy"), np.asarray(value, order="C"))
    return baked


def collect_cases():
    """The node cases, and the small whole-model ones ("simple": sequence models, ...)."""
    from onnx.backend.test.case.model import collect_testcases as model_cases
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return collect_testcases(None) + [c for c in model_cases() if c.kind == "simple"]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", help="folder to write the cases into")
    ap.add_argument("--ops-def", default=os.path.join(root, "src", "graph", "ops.def"))
    ap.add_argument("--filter", default=None, help="regex: only cases whose name matches")
    ap.add_argument("--verbose", action="store_true", help="list every skipped case")
    ap.add_argument("--dynamic-params", action="store_true",
                    help="keep shape/axes/pads inputs as graph inputs instead of initializers")
    args = ap.parse_args()

    ops = read_ops(args.ops_def)
    pattern = re.compile(args.filter) if args.filter else None
    written, baked_cases, skipped = 0, 0, collections.Counter()
    os.makedirs(args.outdir, exist_ok=True)
    for case in collect_cases():
        if case.kind not in ("node", "simple") or (pattern and not pattern.search(case.name)):
            continue
        reason = skip_reason(case, ops)
        if reason:
            skipped[reason] += 1
            if args.verbose:
                print(f"skip {case.name}: {reason}")
            continue
        baked_cases += write_case(case, args.outdir, not args.dynamic_params) > 0
        written += 1

    print(f"node cases: {written} written, {sum(skipped.values())} skipped "
          f"({len(ops)} ops in {os.path.relpath(args.ops_def, root)}); "
          f"{baked_cases} with parameter inputs made initializers")
    for reason, count in skipped.most_common():
        print(f"  skipped {count:4d}: {reason}")
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
