"""Models with control flow and shapes only a run decides: detection
post-processing the way torchvision's exports write it (score threshold through
NonZero, TopK, an If around batched NonMaxSuppression) and a Loop with scan
outputs. nngpu runs these nodes on the host after the device graph."""
import numpy as np
from onnx import TensorProto, helper

from make_models import Net

CLASSES = 3


def _branch(name, nodes, outputs):
    return helper.make_graph(nodes, name, [], outputs)


def detector(rng):
    n = Net("detector", rng)
    feat = n.op("Relu", [n.conv("input", 3, 8, 3, stride=2)])                 # [N, 8, 8, 8]
    flat = n.constant_node([-1, CLASSES])
    cls = n.op("Reshape", [n.op("Transpose", [n.conv(feat, 8, CLASSES, 1)], perm=[0, 2, 3, 1]), flat])
    scores = n.op("Reshape", [n.op("Sigmoid", [cls]), n.constant_node([-1])])  # [M * C]
    reg = n.op("Reshape", [n.op("Transpose", [n.conv(feat, 8, 4, 1)], perm=[0, 2, 3, 1]),
                           n.constant_node([-1, 4])])                           # [M, 4]
    xy, wh = n.op("Split", [reg, n.constant_node([2, 2])], n_out=2, axis=1)
    xy = n.op("Mul", [n.op("Sigmoid", [xy]), n.const(16.0)])
    half = n.op("Mul", [n.op("Exp", [wh]), n.const(1.5)])
    boxes = n.op("Concat", [n.op("Sub", [xy, half]), n.op("Add", [xy, half])], axis=1)
    # score threshold: indices only a run knows
    idx = n.op("Squeeze", [n.op("NonZero", [n.op("Greater", [scores, n.const(0.45)])]),
                           n.constant_node([0])])
    sel_scores = n.op("Gather", [scores, idx], axis=0)
    labels = n.op("Mod", [idx, n.constant_node(CLASSES)])
    sel_boxes = n.op("Gather", [boxes, n.op("Div", [idx, n.constant_node(CLASSES)])], axis=0)
    k = n.op("Min", [n.op("Shape", [sel_scores]), n.constant_node([40])])
    top, order = n.op("TopK", [sel_scores, k], n_out=2, axis=0)
    top_boxes = n.op("Gather", [sel_boxes, order], axis=0)
    top_labels = n.op("Gather", [labels, order], axis=0)
    # batched NMS behind If(no candidates), as torchvision exports it
    empty = n.op("Equal", [n.op("Size", [top]), n.constant_node(0)])
    then_g = _branch("no_boxes", [helper.make_node(
        "Constant", [], ["keep_empty"], value=helper.make_tensor("e", TensorProto.INT64, [0], []))],
        [helper.make_tensor_value_info("keep_empty", TensorProto.INT64, [0])])
    offset = n.op("Unsqueeze", [n.op("Mul", [n.op("Cast", [top_labels], to=TensorProto.FLOAT),
                                             n.const(100.0)]), n.constant_node([1])])
    nms_nodes = [
        helper.make_node("Add", [top_boxes, offset], ["nb"]),
        helper.make_node("Unsqueeze", ["nb", "ax0"], ["nb3"]),
        helper.make_node("Unsqueeze", [top, "ax01"], ["ns3"]),
        helper.make_node("NonMaxSuppression", ["nb3", "ns3", "max_out", "iou"], ["sel"]),
        helper.make_node("Gather", ["sel", "two"], ["keep2"], axis=1),
        helper.make_node("Squeeze", ["keep2", "ax1"], ["keep_nms"]),
    ]
    consts = {"ax0": [0], "ax01": [0, 1], "ax1": [1], "max_out": [12], "two": [2]}
    for name, v in consts.items():
        nms_nodes.insert(0, helper.make_node(
            "Constant", [], [name], value=helper.make_tensor(name + "_v", TensorProto.INT64,
                                                             [len(v)], v)))
    nms_nodes.insert(0, helper.make_node("Constant", [], ["iou"], value=helper.make_tensor(
        "iou_v", TensorProto.FLOAT, [1], [0.3])))
    else_g = _branch("nms", nms_nodes, [helper.make_tensor_value_info("keep_nms", TensorProto.INT64, None)])
    keep = n.op("If", [empty], then_branch=then_g, else_branch=else_g)
    det_boxes = n.op("Gather", [top_boxes, keep], axis=0)
    det_scores = n.op("Gather", [top, keep], axis=0)
    det_labels = n.op("Gather", [top_labels, keep], axis=0)
    # per-class counts with a Loop: scan output [C], reading det_labels from outside
    body = helper.make_graph(
        [helper.make_node("Equal", ["det_labels_cast", "i"], ["hit"]),
         helper.make_node("Cast", ["hit"], ["hit_i"], to=TensorProto.INT64),
         helper.make_node("ReduceSum", ["hit_i"], ["count"], keepdims=0),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "count_class",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("count", TensorProto.INT64, [])])
    counts = n.op("Loop", [n.constant_node(CLASSES), n.constant_node(True, np.bool_)], body=body)
    # the body reads det_labels by this name
    n.nodes.append(helper.make_node("Identity", [det_labels], ["det_labels_cast"]))
    n.nodes.insert(len(n.nodes) - 2, n.nodes.pop())  # before the Loop
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 16, 16])],
                    [(det_boxes, "boxes", None), (det_scores, "scores", None),
                     (det_labels, "labels", None, TensorProto.INT64),
                     (counts, "class_counts", None, TensorProto.INT64)])


def if_static(rng):
    """An If on a run-time condition whose branches agree on the shape: a
    gate between two activations, then more device layers."""
    n = Net("if_static", rng)
    x = n.conv("input", 3, 4, 3)
    cond = n.op("Greater", [n.op("ReduceMean", [x], keepdims=0), n.const(0.0)])
    then_g = _branch("relu", [helper.make_node("Relu", [x], ["a"])],
                     [helper.make_tensor_value_info("a", TensorProto.FLOAT, None)])
    else_g = _branch("sigmoid", [helper.make_node("Sigmoid", [x], ["b"])],
                     [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])
    y = n.op("If", [cond], then_branch=then_g, else_branch=else_g)
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 8, 8])], [(n.conv(y, 4, 2, 1), "output", None)])


def two_stage(rng):
    """A second stage the way Faster R-CNN writes it: proposals kept by a score
    threshold (NonZero), RoiAlign of the feature map over them with the batch
    index of each, and a box head (Flatten + Gemm) on the pooled regions."""
    n = Net("two_stage", rng)
    feat = n.op("Relu", [n.conv("input", 3, 8, 3, stride=2)])                 # [N, 8, 8, 8]
    obj = n.op("Reshape", [n.op("Sigmoid", [n.conv(feat, 8, 1, 1)]), n.constant_node([-1])])  # [N*64]
    idx = n.op("Squeeze", [n.op("NonZero", [n.op("Greater", [obj, n.const(0.5)])]), n.constant_node([0])])
    cell = n.op("Mod", [idx, n.constant_node(64)])
    cx = n.op("Cast", [n.op("Mod", [cell, n.constant_node(8)])], to=TensorProto.FLOAT)
    cy = n.op("Cast", [n.op("Div", [cell, n.constant_node(8)])], to=TensorProto.FLOAT)
    x0, y0 = n.op("Mul", [cx, n.const(2.0)]), n.op("Mul", [cy, n.const(2.0)])
    corners = [n.op("Unsqueeze", [v, n.constant_node([1])])
               for v in (x0, y0, n.op("Add", [x0, n.const(5.0)]), n.op("Add", [y0, n.const(3.5)]))]
    boxes = n.op("Concat", corners, axis=1)                                     # [R, 4], input pixels
    batch = n.op("Div", [idx, n.constant_node(64)])
    pooled = n.op("RoiAlign", [feat, boxes, batch], output_height=3, output_width=3,
                  sampling_ratio=2, spatial_scale=0.5, mode="avg")              # [R, 8, 3, 3]
    flat = n.op("Flatten", [pooled], axis=1)
    w = n.const(rng.normal(0, 0.2, (5, 72)))
    head = n.op("Gemm", [flat, w, n.const(rng.normal(0, 0.1, 5), prefix="b")], transB=1)
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 16, 16])],
                    [(head, "box_head", None), (boxes, "proposals", None)], opset=16)


def postprocess(rng):
    """Ops whose outputs the values size, and unpooling: per-pixel classes by
    ArgMax, their distinct values with counts (Unique), the scores above a
    threshold (Compress; and with a 2-D mask, paddle2onnx's masked_select, which
    onnxruntime flattens), MaxPool's indices fed to MaxUnpool before another
    conv, and the feature rows reversed per image up to a length
    (ReverseSequence, [T, N, C])."""
    n = Net("postprocess", rng)
    feat = n.op("Relu", [n.conv("input", 3, 6, 3)])                            # [N, 6, 8, 8]
    classes = n.op("Reshape", [n.op("ArgMax", [feat], axis=1, keepdims=0), n.constant_node([-1])])
    uniq, _, inverse, counts = n.op("Unique", [classes], n_out=4, sorted=1)
    score = n.op("Reshape", [n.op("ReduceMax", [n.op("Sigmoid", [feat])], axes=[1], keepdims=0),
                             n.constant_node([-1])])                            # [N*64]
    kept = n.op("Compress", [score, n.op("Greater", [score, n.const(0.6)])])
    kept_sum = n.op("ReduceSum", [n.op("Mul", [kept, n.const(2.0)])], keepdims=1)
    rows = n.op("Reshape", [feat, n.constant_node([-1, 64])])                  # [N*6, 64]
    masked = n.op("Compress", [rows, n.op("Greater", [rows, n.const(0.8)])])
    kept_sum = n.op("Add", [kept_sum, n.op("ReduceSum", [masked], keepdims=1)])
    pooled, where = n.op("MaxPool", [feat], n_out=2, kernel_shape=[2, 2], strides=[2, 2])
    unpooled = n.op("MaxUnpool", [pooled, where], kernel_shape=[2, 2], strides=[2, 2])
    refined = n.conv(unpooled, 6, 4, 3)                                         # [N, 4, 8, 8]
    seq = n.op("Transpose", [n.op("Reshape", [feat, n.constant_node([0, 6, -1])])], perm=[2, 0, 1])
    batch = n.op("Slice", [n.op("Shape", ["input"]), n.constant_node([0]), n.constant_node([1])])
    lens = n.op("Expand", [n.constant_node([37]), batch])                      # [N]
    rev = n.op("ReverseSequence", [seq, lens], batch_axis=1, time_axis=0)      # [64, N, 6]
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
                    [(uniq, "classes", None, TensorProto.INT64), (counts, "counts", None, TensorProto.INT64),
                     (inverse, "inverse", None, TensorProto.INT64),
                     (kept_sum, "kept_sum", None), (refined, "refined", None), (rev, "reversed", None)],
                    opset=16)


def runtime_params(rng):
    """Shapes that an input's values decide without a dynamic op: Slice starts and
    ConstantOfShape's shape computed from an int64 input (tf2onnx's strided_slice with a
    tensor begin), so those nodes and their readers run in the run-time tail while the
    Conv before them stays on the device."""
    n = Net("runtime_params", rng)
    feat = n.op("Relu", [n.conv("input", 3, 6, 3)])                            # [N, 6, 8, 8]
    k = n.op("Add", [n.op("Mod", ["k", n.const([4], np.int64, "four")]), n.const([1], np.int64, "one")])
    part = n.op("Slice", [feat, k, n.const([100], np.int64, "end"), n.const([1], np.int64, "axis")])
    summed = n.op("ReduceSum", [part, n.const([1], np.int64, "axes")], keepdims=1)  # [N, 1, 8, 8]
    shape = n.op("Concat", [k, n.constant_node([8])], axis=0)                    # [k, 8]
    fill = n.op("ConstantOfShape", [shape], value=helper.make_tensor("value", TensorProto.FLOAT, [1], [0.5]))
    out = n.op("Add", [summed, n.op("ReduceSum", [fill], keepdims=0)])
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 8, 8]), ("k", TensorProto.INT64, [1])],
                    [(out, "output", None)], opset=16)


def sequences(rng):
    """Sequences whose elements are known when the model loads, the way TorchScript
    exports write them: unbind / nonzero(as_tuple=True) as SplitToSequence (split 1,
    keepdims 0) read by SequenceAt (a negative position too), chunks of listed sizes,
    and a Python list as SequenceConstruct read by SequenceAt, ConcatFromSequence
    (new_axis) and SequenceLength."""
    n = Net("sequences", rng)
    feat = n.op("Relu", [n.conv("input", 3, 4, 3)])                             # [N, 4, 8, 8]
    seq = n.op("SplitToSequence", [feat, n.constant_node(1)], axis=1, keepdims=0)
    first = n.op("SequenceAt", [seq, n.constant_node(0)])                       # [N, 8, 8]
    last = n.op("SequenceAt", [seq, n.constant_node(-1)])
    parts = n.op("SplitToSequence", [feat, n.constant_node([3, 5])], axis=3)
    wide = n.op("SequenceAt", [parts, n.constant_node(1)])                      # [N, 4, 8, 5]
    lst = n.op("SequenceConstruct", [first, last, n.op("Sub", [first, last])])
    stacked = n.op("ConcatFromSequence", [lst], axis=1, new_axis=1)             # [N, 3, 8, 8]
    count = n.op("Cast", [n.op("SequenceLength", [lst])], to=TensorProto.FLOAT)
    scaled = n.op("Mul", [stacked, count])
    # nonzero(as_tuple=True): the row and column of every positive value of a map
    hits = n.op("Transpose", [n.op("NonZero", [n.op("Greater", [n.op("SequenceAt", [lst, n.constant_node(2)]),
                                                                n.const(0.5)])])], perm=[1, 0])
    coords = n.op("SplitToSequence", [hits, n.constant_node(1)], axis=1, keepdims=0)
    rows = n.op("SequenceAt", [coords, n.constant_node(1)])
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
                    [(scaled, "stacked", None), (wide, "wide", None),
                     (rows, "rows", None, TensorProto.INT64)], opset=17)


def _append_body(name, nodes, states, scans):
    """A Loop body (i, cond, states...) -> (cond, states..., scans...): the
    states as (name, type proto, next name), scans as (name, dims)."""
    f = TensorProto.FLOAT
    return helper.make_graph(
        nodes + [helper.make_node("Identity", ["cond"], ["cond_out"])], name,
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])] +
        [helper.make_value_info(s[0], s[1]) for s in states],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, [])] +
        [helper.make_value_info(s[2], s[1]) for s in states] +
        [helper.make_tensor_value_info(s[0], f, s[1]) for s in scans])


def sequence_loops(rng):
    """Lists grown in a Loop, the way TorchScript exports list.append in a
    scripted loop: SequenceEmpty (or a list) carried through a Loop whose body
    appends one tensor per iteration, then stacked, concatenated, indexed and
    counted. One Loop runs N - 1 times (none at batch 1) from a non-empty list;
    a list is edited with inserts and an erasure outside any Loop."""
    n = Net("sequence_loops", rng)
    f = TensorProto.FLOAT
    def seq_t(*dims):
        return helper.make_sequence_type_proto(helper.make_tensor_type_proto(f, list(dims)))
    feat = n.op("Relu", [n.conv("input", 3, 4, 3)])                             # [N, 4, 8, 8]
    batch = n.op("Gather", [n.op("Shape", [feat]), n.constant_node(0)], axis=0)
    h0 = n.op("ReduceMean", [feat], axes=[0], keepdims=0)                       # [4, 8, 8]
    empty = n.op("SequenceEmpty", [], dtype=f)
    axes = n.constant_node([1, 2])
    first = n.op("SequenceConstruct", [n.op("ReduceSum", [h0, axes], keepdims=0)])
    body = _append_body("tanh_steps", [
        helper.make_node("Gather", [feat, "i"], ["x_i"], axis=0),
        helper.make_node("Mul", ["h", "half"], ["h_half"]),
        helper.make_node("Add", ["h_half", "x_i"], ["h_sum"]),
        helper.make_node("Tanh", ["h_sum"], ["h_next"]),
        helper.make_node("SequenceInsert", ["steps", "h_next"], ["steps_next"]),
        helper.make_node("ReduceSum", ["h_next", axes], ["h_total"], keepdims=0),
        helper.make_node("SequenceInsert", ["totals", "h_total"], ["totals_next"])],
        [("h", helper.make_tensor_type_proto(f, [4, 8, 8]), "h_next"),
         ("steps", seq_t(4, 8, 8), "steps_next"), ("totals", seq_t(4), "totals_next")], [("h_sum", [4, 8, 8])])
    half = n.const(0.5, prefix="half")
    n.nodes.append(helper.make_node("Identity", [half], ["half"]))
    h, steps, totals, sums = n.op("Loop", [batch, "", h0, empty, first], n_out=4, body=body)
    stacked = n.op("ConcatFromSequence", [steps], axis=1, new_axis=1)           # [4, N, 8, 8]
    joined = n.op("ConcatFromSequence", [steps], axis=-1)                       # [4, 8, 8N]
    last = n.op("Sub", [n.op("SequenceAt", [steps, n.constant_node(-1)]), h])  # zeros
    count = n.op("Cast", [n.op("SequenceLength", [totals])], to=f)            # N + 1
    table = n.op("Mul", [n.op("ConcatFromSequence", [totals], axis=0, new_axis=1), count])
    start = n.op("SequenceAt", [totals, n.constant_node(0)])
    # N - 1 iterations from a list of one element (none at batch 1)
    body2 = _append_body("scaled", [
        helper.make_node("Cast", ["i"], ["i_f"], to=f),
        helper.make_node("Gather", [feat, "i"], ["x_j"], axis=0),
        helper.make_node("Mul", ["x_j", "i_f"], ["x_scaled"]),
        helper.make_node("SequenceInsert", ["parts", "x_scaled"], ["parts_next"])],
        [("parts", seq_t(4, 8, 8), "parts_next")], [])
    more = n.op("Loop", [n.op("Sub", [batch, n.constant_node(1)]), "",
                         n.op("SequenceConstruct", [h0])], body=body2)
    parts = n.op("ConcatFromSequence", [more], axis=0)                          # [4N, 8, 8]
    # list edits outside any Loop: [a, b] -> insert c at 0, append d, erase position 1
    a, b = n.op("Sigmoid", [h0]), n.op("Neg", [h0])
    lst = n.op("SequenceInsert", [n.op("SequenceConstruct", [a, b]), n.op("Exp", [b]),
                                  n.constant_node(0)])
    lst = n.op("SequenceErase", [n.op("SequenceInsert", [lst, h0]), n.constant_node(1)])
    edited = n.op("ConcatFromSequence", [lst], axis=0, new_axis=1)              # [3, 4, 8, 8]
    return n.finish([("input", f, ["N", 3, 8, 8])],
                    [(stacked, "stacked", [4, "N", 8, 8]), (joined, "joined", [4, 8, "W"]),
                     (last, "last", [4, 8, 8]), (table, "table", ["S", 4]), (start, "start", [4]),
                     (sums, "sums", ["N", 4, 8, 8]), (parts, "parts", ["P", 8, 8]),
                     (edited, "edited", [3, 4, 8, 8])], opset=17)


def nms_crowd(rng):
    """NonMaxSuppression over a crowd: 1500 boxes of widths 1 to 80 on a 200 x
    200 field in 3 classes (thousands kept, each candidate compared with the
    kept boxes near it), corner and center forms, against onnxruntime's."""
    n = Net("nms_crowd", rng)
    f = TensorProto.FLOAT
    x = n.op("Transpose", [n.op("Reshape", ["input", n.constant_node([1, 4, -1])])], perm=[0, 2, 1])
    centers = n.op("Mul", [n.op("Slice", [x, n.constant_node([0]), n.constant_node([2]),
                                          n.constant_node([2])]), n.const(60.0)])
    sizes = n.op("Add", [n.op("Mul", [n.op("Abs", [n.op("Slice", [x, n.constant_node([2]), n.constant_node([4]),
                                                                  n.constant_node([2])])]), n.const(30.0)]),
                         n.const(1.0)])
    half = n.op("Mul", [sizes, n.const(0.5)])
    corners = n.op("Concat", [n.op("Sub", [centers, half]), n.op("Add", [centers, half])], axis=2)
    boxes = n.op("Concat", [centers, sizes], axis=2)                             # [1, B, 4] center form
    scores = n.op("Sigmoid", [n.op("Reshape", ["scores", n.constant_node([1, 3, -1])])])
    limit, iou = n.constant_node([400]), n.const([0.4], prefix="iou")
    kept = n.op("NonMaxSuppression", [corners, scores, limit, iou])
    kept_c = n.op("NonMaxSuppression", [boxes, scores, limit, iou, n.const([0.3], prefix="min")],
                  center_point_box=1)
    return n.finish([("input", f, ["N", 4, 30, 50]), ("scores", f, ["N", 3, 30, 50])],
                    [(kept, "kept", None, TensorProto.INT64), (kept_c, "kept_center", None, TensorProto.INT64)],
                    opset=13)


def scan(rng):
    """Scan the way older TensorFlow / Keras converters write recurrences: a
    running state over the time axis (1) of one input read forward and of a
    second read backward, a value of the outer graph read by the body, and
    scan outputs stacked on axis 1 and on a reversed axis 0."""
    n = Net("scan", rng)
    f = TensorProto.FLOAT
    feat = n.op("Relu", [n.conv("input", 3, 4, 3)])                             # [N, 4, 6, 6]
    seq = n.op("Reshape", [feat, n.constant_node([0, 0, -1])])                  # [N, 4, 36]
    back = n.op("Tanh", [seq])
    w = n.const(rng.normal(0, 0.5, (36, 36)), prefix="w")
    n.nodes.append(helper.make_node("Identity", [w], ["recurrent_w"]))
    body = helper.make_graph(
        [helper.make_node("MatMul", ["h", "recurrent_w"], ["hw"]),
         helper.make_node("Add", ["hw", "x_t"], ["pre"]),
         helper.make_node("Sub", ["pre", "b_t"], ["pre2"]),
         helper.make_node("Tanh", ["pre2"], ["h_next"]),
         helper.make_node("Identity", ["h_next"], ["h_out"]),
         helper.make_node("ReduceSum", ["h_next", "last_axis"], ["h_sum"], keepdims=0)],
        "step",
        [helper.make_tensor_value_info("h", f, ["N", 36]), helper.make_tensor_value_info("x_t", f, ["N", 36]),
         helper.make_tensor_value_info("b_t", f, ["N", 36])],
        [helper.make_tensor_value_info("h_next", f, ["N", 36]), helper.make_tensor_value_info("h_out", f, ["N", 36]),
         helper.make_tensor_value_info("h_sum", f, ["N"])])
    n.nodes.append(helper.make_node("Constant", [], ["last_axis"],
                                    value=helper.make_tensor("last_axis_v", TensorProto.INT64, [1], [-1])))
    h0 = n.op("ReduceMean", [seq], axes=[1], keepdims=0)                        # [N, 36]
    h, hs, sums = n.op("Scan", [h0, seq, back], n_out=3, body=body, num_scan_inputs=2,
                       scan_input_axes=[1, 1], scan_input_directions=[0, 1],
                       scan_output_axes=[1, 0], scan_output_directions=[0, 1])
    return n.finish([("input", f, ["N", 3, 6, 6])],
                    [(h, "final_state", ["N", 36]), (hs, "states", ["N", 4, 36]), (sums, "sums", [4, "N"])], opset=17)


def loop_concat(rng):
    """Loop states grown by Concat, torch's `acc = torch.cat((acc, y), dim)` in a
    scripted loop (Mask R-CNN pastes its masks so): one on axis 1 from a
    non-empty start, beside a plain state; and one the body also reads (a
    running sum of it), which keeps the Concat as written."""
    n = Net("loop_concat", rng)
    f = TensorProto.FLOAT
    feat = n.op("Relu", [n.conv("input", 3, 4, 3)])                             # [N, 4, 5, 5]
    batch = n.op("Gather", [n.op("Shape", [feat]), n.constant_node(0)], axis=0)
    start = n.op("ReduceMean", [feat], axes=[0], keepdims=0)                    # [4, 5, 5]
    n.nodes.append(helper.make_node("Identity", [feat], ["features"]))
    body = helper.make_graph(
        [helper.make_node("Gather", ["features", "i"], ["x_i"], axis=0),
         helper.make_node("Mul", ["x_i", "scale"], ["scaled"]),
         helper.make_node("Concat", ["acc", "scaled"], ["acc_next"], axis=1),
         helper.make_node("Add", ["total", "x_i"], ["total_next"]),
         helper.make_node("Identity", ["cond"], ["cond_out"])], "grow",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc", f, [4, None, 5]),
         helper.make_tensor_value_info("total", f, [4, 5, 5])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_next", f, [4, None, 5]),
         helper.make_tensor_value_info("total_next", f, [4, 5, 5])])
    n.nodes.append(helper.make_node("Identity", [n.const(1.5, prefix="scale")], ["scale"]))
    acc, total = n.op("Loop", [batch, "", start, start], n_out=2, body=body)
    body2 = helper.make_graph(
        [helper.make_node("Gather", ["features", "i"], ["y_i"], axis=0),
         helper.make_node("Concat", ["acc2", "y_i"], ["acc2_next"], axis=0),
         helper.make_node("ReduceSum", ["acc2"], ["seen"], keepdims=0),
         helper.make_node("Identity", ["cond"], ["cond_out"])], "grow_read",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc2", f, [None, 5, 5])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc2_next", f, [None, 5, 5]),
         helper.make_tensor_value_info("seen", f, [])])
    acc2, seen = n.op("Loop", [batch, "", start], n_out=2, body=body2)
    return n.finish([("input", f, ["N", 3, 5, 5])],
                    [(acc, "grown", [4, "W", 5]), (total, "total", [4, 5, 5]), (acc2, "grown_read", ["R", 5, 5]),
                     (seen, "seen", ["N"])], opset=17)


MODELS = {f.__name__: f for f in (detector, if_static, two_stage, postprocess, runtime_params,
                                  sequences, sequence_loops, nms_crowd, scan, loop_concat)}
