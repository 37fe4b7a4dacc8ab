"""Model-zoo architectures for make_models.py, written the way exporters write them.

Small random-weight versions of: a Caffe-era GoogLeNet/CaffeNet at opset 8
(ImageScaler preprocessing, LRN, asymmetric-pad MaxPool for Caffe's ceil mode, BatchNormalization with
`spatial`, Dropout `ratio`, Clip/Pad/Slice/Upsample in their attribute forms,
Reshape from an initializer), a DenseNet (pre-activation BatchNormalization
after Concat), EfficientNet/MobileNetV3 blocks (Swish, HardSwish,
squeeze-excite), a YOLOv5 head (Resize nearest, Shape/Gather reshape chains,
box decoding with strided Slices; once more with NonMaxSuppression), a
GridSample warp (every interpolation with the three paddings, 2-D and 3-D), a BERT encoder exported by torch (int64
ids and mask, decomposed LayerNorm, Erf GELU, mask via Unsqueeze/Cast/Sub/Mul),
a GPT-2 block (Range positions, Split qkv, Trilu causal mask and Where, tanh
GELU, tied output embedding), a DCNv2 block (DeformConv with mask and
offset groups, and a strided dilated one without), a spatial transformer (AffineGrid from a
localization net's theta, GridSample), an LSTM/GRU sequence model (torch's
Transpose/Expand around the RNN ops) and a video network of 3-D convolutions. Symbolic dims: batch N, sequence S.
"""
import numpy as np
from onnx import TensorProto, helper

from make_models import Net

SEQ = 7  # the symbolic sequence length S the cases bind
VOCAB = 50


def _i64(n, v):
    return n.const(v, np.int64, "i")


def _dim(n, x, axis):
    """Dim `axis` of x as a 1-D int64, the torch way: Shape -> Gather -> Unsqueeze."""
    d = n.op("Gather", [n.op("Shape", [x]), n.constant_node(axis)], axis=0)
    return n.op("Unsqueeze", [d, n.constant_node([0])])


def _reshape(n, x, *parts):
    """Reshape to the Concat of parts: dims of x (ints: axes) or literal lists."""
    dims = [_dim(n, x, p) if isinstance(p, int) else n.constant_node(p) for p in parts]
    return n.op("Reshape", [x, n.op("Concat", dims, axis=0)])


def caffenet_old(rng):
    """GoogLeNet/CaffeNet as caffe2onnx-era converters wrote them, opset 8."""
    n = Net("caffenet_old", rng)
    x = n.op("ImageScaler", ["input"], scale=0.5, bias=[-0.4, 0.1, 0.3])      # (deprecated)
    n.value_info.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", 3, 32, 32]))
    x = n.op("Relu", [n.conv(x, 3, 16, 5, stride=2, pad=2)])                  # 16x16
    x = n.op("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=1.0)
    x = n.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 1, 1])  # 8x8
    r = n.rng
    stats = [r.uniform(0.5, 1.5, 16), r.normal(0, 0.1, 16), r.normal(0, 0.1, 16),
             r.uniform(0.5, 1.5, 16)]
    x = n.op("BatchNormalization", [x] + [n.const(s, prefix="bn") for s in stats],
             epsilon=1e-5, momentum=0.9, spatial=1)
    # inception: 1x1, 3x3 after a zero Pad (attribute form), pool + 1x1
    b1 = n.op("Relu", [n.conv(x, 16, 8, 1)])
    b2 = n.op("Pad", [n.op("Relu", [n.conv(x, 16, 8, 1)])], pads=[0, 0, 1, 1, 0, 0, 1, 1],
              mode="constant", value=0.0)
    b2 = n.op("Clip", [n.conv(b2, 8, 8, 3, pad=0)], min=0.0, max=6.0)
    b3 = n.op("MaxPool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
    b3 = n.op("Relu", [n.conv(b3, 16, 8, 1)])
    x = n.op("Concat", [b1, b2, b3], axis=1)                                   # 24 x 8x8
    # a decoder-ish side branch: Slice (attributes), reflect Pad, Upsample (scales attribute)
    s = n.op("Slice", [x], starts=[0, 0], ends=[8, 4], axes=[1, 2])            # 8 x 4x8
    s = n.op("Pad", [s], pads=[0, 0, 0, 1, 0, 0, 0, 1], mode="reflect")        # 8 x 4x10
    s = n.op("Upsample", [n.conv(s, 8, 24, 3, pad=(1, 0))], scales=[1.0, 1.0, 2.0, 1.0],
             mode="nearest")                                                   # 24 x 4x8 -> 8x8
    x = n.op("Sum", [x, s, n.op("Relu", [x])])
    x = n.op("AveragePool", [x], kernel_shape=[8, 8])
    x = n.op("Dropout", [x], ratio=0.4)
    x = n.op("Reshape", [x, _i64(n, [0, -1])])
    w = n.const(rng.normal(0, np.sqrt(1.0 / 24), (10, 24)))
    x = n.op("Gemm", [x, w, n.const(rng.normal(0, 0.1, 10), prefix="b")], transB=1)
    return n.model([3, 32, 32], n.op("Softmax", [x], axis=1), opset=8)


def densenet(rng):
    """DenseNet-BC: pre-activation BN -> ReLU -> conv over the Concat of all earlier maps."""
    n = Net("densenet", rng)
    feats, c = [n.conv("input", 3, 16, 3, bias=False)], 16
    for block in range(2):
        for _ in range(3):
            x = feats[0] if len(feats) == 1 else n.op("Concat", feats, axis=1)
            y = n.conv(n.op("Relu", [n.bn(x, c)]), c, 32, 1, bias=False)
            y = n.conv(n.op("Relu", [n.bn(y, 32)]), 32, 8, 3, bias=False)
            feats.append(y)
            c += 8
        x = n.op("Concat", feats, axis=1)
        if block == 0:  # transition: BN -> ReLU -> 1x1 -> AveragePool
            x = n.conv(n.op("Relu", [n.bn(x, c)]), c, c // 2, 1, bias=False)
            feats, c = [n.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])], c // 2
    x = n.op("Relu", [n.bn(x, c)])
    return n.model([3, 16, 16], n.classifier(x, c))


def efficientnet(rng):
    """An EfficientNet MBConv (Swish, squeeze-excite on GlobalAveragePool) and a
    MobileNetV3 block (HardSwish, SE on ReduceMean with HardSigmoid), opset 14."""
    n = Net("efficientnet", rng)

    def swish(x):
        return n.op("Mul", [x, n.op("Sigmoid", [x])])

    def se(x, c, squeeze, pool, act, gate):
        s = n.op("GlobalAveragePool", [x]) if pool else n.op("ReduceMean", [x], axes=[2, 3])
        s = act(n.conv(s, c, squeeze, 1))
        return n.op("Mul", [x, gate(n.conv(s, squeeze, c, 1))])

    x = swish(n.conv_bn("input", 3, 16, 3, stride=2, act=None))                     # 16x16
    y = swish(n.conv_bn(x, 16, 64, 1, act=None))
    y = swish(n.conv_bn(y, 64, 64, 3, group=64, act=None))
    y = se(y, 64, 4, True, swish, lambda s: n.op("Sigmoid", [s]))
    x = n.op("Add", [x, n.conv_bn(y, 64, 16, 1, act=None)])
    y = n.op("HardSwish", [n.conv_bn(x, 16, 48, 1, act=None)])
    y = n.op("HardSwish", [n.conv_bn(y, 48, 48, 5, stride=2, group=48, act=None)])  # 8x8
    y = se(y, 48, 8, False, lambda s: n.op("Relu", [s]),
           lambda s: n.op("HardSigmoid", [s], alpha=1.0 / 6, beta=0.5))
    x = n.conv_bn(y, 48, 24, 1, act=None)
    x = n.op("HardSwish", [n.conv_bn(x, 24, 64, 1, act=None)])
    return n.model([3, 32, 32], n.classifier(x, 64), opset=14)


def _yolo(n, rng, classes, anchors):
    """Two YOLOv5 detection heads (strides 8 and 16 on a 32x32 input): [N, boxes,
    x y w h objectness classes...]."""
    no = classes + 5

    def leaky(x):
        return n.op("LeakyRelu", [x], alpha=0.1)

    def head(x, cin, hw, stride):
        p = n.conv(x, cin, anchors * no, 1)
        p = n.op("Transpose", [_reshape(n, p, 0, [anchors, no, hw, hw])], perm=[0, 1, 3, 4, 2])
        y = n.op("Sigmoid", [p])
        cut = [n.op("Slice", [y, _i64(n, [a]), _i64(n, [b]), _i64(n, [4]), _i64(n, [1])])
               for a, b in ((0, 2), (2, 4), (4, no))]
        g = np.stack(np.meshgrid(np.arange(hw), np.arange(hw)), -1).reshape(1, 1, hw, hw, 2)
        xy = n.op("Mul", [n.const(2.0, prefix="two"), cut[0]])
        xy = n.op("Add", [n.op("Sub", [xy, n.const(0.5, prefix="half")]),
                          n.const(g, prefix="grid")])
        xy = n.op("Mul", [xy, n.const(float(stride), prefix="stride")])
        wh = n.op("Mul", [cut[1], n.const(2.0, prefix="two")])
        wh = n.op("Mul", [n.op("Pow", [wh, n.const(2.0, prefix="two")]),
                          n.const(rng.uniform(10, 60, (1, anchors, 1, 1, 2)), prefix="anchor")])
        y = n.op("Concat", [xy, wh, cut[2]], axis=-1)
        return _reshape(n, y, 0, [-1], [no])

    a = leaky(n.conv("input", 3, 16, 3, stride=2))                              # 16x16
    b = leaky(n.conv(a, 16, 32, 3, stride=2))                                   # 8x8
    up = n.op("Resize", [leaky(n.conv(b, 32, 16, 1)), n.const([], prefix="roi"),
                         n.const([1, 1, 2, 2], prefix="scales")],
              mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    c = leaky(n.conv(n.op("Concat", [up, a], axis=1), 32, 16, 3))
    return n.op("Concat", [head(b, 32, 8, 16), head(c, 16, 16, 8)], axis=1)


def yolo_head(rng, classes=80, anchors=3):
    """Two YOLOv5 detection heads (strides 8 and 16 on a 32x32 input), opset 13."""
    n = Net("yolo_head", rng)
    out = _yolo(n, rng, classes, anchors)
    return n.model([3, 32, 32], out, out_shape=[anchors * (64 + 256), classes + 5], opset=13)


def yolo_nms(rng, classes=4, anchors=3):
    """The YOLO heads with the post-processing keras2onnx's YOLOv3 carries:
    boxes, class scores (objectness times class) and NonMaxSuppression's
    selected (batch, class, box) triples as the outputs; the last one's length
    is decided by the values (center_point_box: x y w h), opset 13."""
    n = Net("yolo_nms", rng)
    no, count = classes + 5, anchors * (64 + 256)
    out = _yolo(n, rng, classes, anchors)
    cut = [n.op("Slice", [out, _i64(n, [a]), _i64(n, [b]), _i64(n, [2])])
           for a, b in ((0, 4), (4, 5), (5, no))]
    boxes = n.op("Identity", [cut[0]])
    scores = n.op("Transpose", [n.op("Mul", [cut[1], cut[2]])], perm=[0, 2, 1])
    sel = n.op("NonMaxSuppression", [boxes, scores, _i64(n, [6]), n.const([0.45], prefix="iou"),
                                     n.const([0.3], prefix="thr")], center_point_box=1)
    sel = n.op("Identity", [sel])  # as tf2onnx ends its graphs
    return n.finish([("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
                    [(boxes, "boxes", ["N", count, 4]), (scores, "scores", ["N", classes, count]),
                     (sel, "selected", None, TensorProto.INT64)], opset=13)


def grid_sample(rng):
    """A spatial-transformer-style warp (opset 20): the features sampled at a
    fixed grid reaching past the image (|x|, |y| up to 1.6) with linear
    reflection, cubic border and nearest zeros padding, align_corners both
    ways, and as a 3-D volume (linear, reflection)."""
    n = Net("grid_sample", rng)
    f = n.op("Relu", [n.conv("input", 3, 4, 3)])                                # 4x9x11
    outs = []
    for mode, pad, align in (("linear", "reflection", 0), ("cubic", "border", 1),
                             ("nearest", "zeros", 0), ("linear", "border", 1)):
        grid = n.const(rng.uniform(-1.6, 1.6, (1, 6, 7, 2)), prefix="grid")
        grid = n.op("Expand", [grid, n.op("Concat", [_dim(n, f, 0), n.constant_node([6, 7, 2])],
                                          axis=0)])
        outs.append(n.op("GridSample", [f, grid], mode=mode, padding_mode=pad,
                         align_corners=align))
    # 3-D: the channels as 2 x 2 depth slices, sampled trilinearly, back to 4 channels
    vol = n.op("Reshape", [f, n.const([0, 2, 2, 9, 11], np.int64, "shape")])
    grid = n.op("Expand", [n.const(rng.uniform(-1.6, 1.6, (1, 2, 6, 7, 3)), prefix="grid"),
                           n.op("Concat", [_dim(n, f, 0), n.constant_node([2, 6, 7, 3])], axis=0)])
    y = n.op("GridSample", [vol, grid], mode="linear", padding_mode="reflection", align_corners=0)
    outs.append(n.op("Reshape", [y, n.const([0, 4, 6, 7], np.int64, "shape")]))
    return n.model([3, 9, 11], n.op("Concat", outs, axis=1), out_shape=[20, 6, 7], opset=20)


def deform_conv(rng):
    """DCNv2 as torchvision's DeformConv2d exports (dynamo, opset 19) on [N, 8, 10, 12]: offsets
    and a Sigmoid mask from Convs over the features, offsets large enough to sample past the
    image; grouped (2) with 2 offset groups and a bias, then a stride-2 dilation-2 one with
    asymmetric pads, no mask and no bias."""
    n = Net("deform_conv", rng)
    f = n.op("Relu", [n.conv("input", 8, 8, 3)])                                # 8x10x12
    off = n.op("Mul", [n.conv(f, 8, 2 * 9 * 2, 3), n.const(3.0, prefix="spread")])
    mask = n.op("Sigmoid", [n.conv(f, 8, 2 * 9, 3)])
    w = n.const(rng.normal(0, np.sqrt(2.0 / 36), (12, 4, 3, 3)))
    x = n.op("DeformConv", [f, w, off, n.const(rng.normal(0, 0.1, 12), prefix="b"), mask],
             group=2, offset_group=2, pads=[1, 1, 1, 1], kernel_shape=[3, 3])   # 12x10x12
    x = n.op("Relu", [x])
    off = n.conv(x, 12, 9 * 2, 3, stride=2)                                    # 18x5x6
    w = n.const(rng.normal(0, np.sqrt(2.0 / 108), (6, 12, 3, 3)))
    y = n.op("DeformConv", [x, w, off], strides=[2, 2], dilations=[2, 2], pads=[1, 2, 2, 1])
    return n.model([8, 10, 12], y, out_shape=[6, 5, 6], opset=19)


def spatial_transformer(rng):
    """A spatial transformer network as torch exports F.affine_grid (opset 20) on [N, 3, 14, 15]:
    a localization net's theta (near the identity) through AffineGrid to a 10x12 grid whose
    size's batch comes from Shape, GridSample (linear, zeros), then a Conv; and the same
    theta at align_corners 1 with border padding."""
    n = Net("spatial_transformer", rng)
    loc = n.op("Relu", [n.conv("input", 3, 8, 3, stride=2)])
    theta = n.classifier(loc, 8, classes=6)
    theta = n.op("Mul", [theta, n.const(0.3, prefix="spread")])
    theta = n.op("Add", [n.op("Reshape", [theta, n.const([-1, 2, 3], np.int64, "shape")]),
                         n.const([[1, 0, 0], [0, 1, 0]], prefix="identity")])
    size = n.op("Concat", [_dim(n, "input", 0), n.constant_node([3, 10, 12])], axis=0)
    outs = []
    for align, pad in ((0, "zeros"), (1, "border")):
        grid = n.op("AffineGrid", [theta, size], align_corners=align)
        outs.append(n.conv(n.op("GridSample", ["input", grid], mode="linear", padding_mode=pad,
                                align_corners=align), 3, 4, 3))
    return n.model([3, 14, 15], n.op("Concat", outs, axis=1), out_shape=[8, 10, 12], opset=20)


def _layer_norm(n, x, dim):
    """LayerNorm as torch exported it before opset 17."""
    mean = n.op("ReduceMean", [x], axes=[-1])
    d = n.op("Sub", [x, mean])
    var = n.op("ReduceMean", [n.op("Pow", [d, n.const(2.0, prefix="two")])], axes=[-1])
    y = n.op("Div", [d, n.op("Sqrt", [n.op("Add", [var, n.const(1e-12, prefix="eps")])])])
    y = n.op("Mul", [y, n.const(n.rng.uniform(0.5, 1.5, dim), prefix="gamma")])
    return n.op("Add", [y, n.const(n.rng.normal(0, 0.1, dim), prefix="beta")])


def _embed(n, ids, rows, dim):
    return n.op("Gather", [n.const(n.rng.normal(0, 1.0, (rows, dim)), prefix="emb"), ids])


def _attention(n, x, q, k, v, heads, dim, mask):
    """Multi-head attention over [N, S, dim] projections; mask(scores) adds the masking."""
    hd = dim // heads

    def split(t, perm):
        return n.op("Transpose", [_reshape(n, t, 0, 1, [heads, hd])], perm=perm)

    s = n.op("MatMul", [split(q, [0, 2, 1, 3]), split(k, [0, 2, 3, 1])])
    s = mask(n.op("Div", [s, n.const(np.sqrt(hd), prefix="sqrt_hd")]))
    a = n.op("MatMul", [n.op("Softmax", [s], axis=-1), split(v, [0, 2, 1, 3])])
    return _reshape(n, n.op("Transpose", [a], perm=[0, 2, 1, 3]), 0, 1, [dim])


def bert(rng, dim=32, heads=4, ffn=64):
    """A BERT encoder layer as torch.onnx exports HF's BertModel (opset 14)."""
    n = Net("bert", rng)
    ids, mask = "input_ids", "attention_mask"
    seq = _dim(n, ids, 1)
    pos = n.op("Slice", [_i64(n, np.arange(16)[None]), _i64(n, [0]), seq, _i64(n, [1])])
    types = n.op("ConstantOfShape", [n.op("Shape", [ids])],
                 value=helper.make_tensor("zero", TensorProto.INT64, [1], [0]))
    e = n.op("Add", [n.op("Add", [_embed(n, ids, VOCAB, dim), _embed(n, types, 2, dim)]),
                     _embed(n, pos, 16, dim)])
    x = _layer_norm(n, e, dim)
    m = n.op("Unsqueeze", [n.op("Unsqueeze", [mask, n.constant_node([1])]), n.constant_node([2])])
    m = n.op("Cast", [m], to=TensorProto.FLOAT)
    m = n.op("Mul", [n.op("Sub", [n.const(1.0, prefix="one"), m]),
                     n.const(-10000.0, prefix="neg")])
    att = _attention(n, x, n.linear(x, dim, dim), n.linear(x, dim, dim), n.linear(x, dim, dim),
                     heads, dim, lambda s: n.op("Add", [s, m]))
    x = _layer_norm(n, n.op("Add", [n.linear(att, dim, dim), x]), dim)
    h = n.linear(x, dim, ffn)
    e = n.op("Erf", [n.op("Div", [h, n.const(np.sqrt(2.0), prefix="sqrt2")])])
    h = n.op("Mul", [n.op("Mul", [h, n.op("Add", [e, n.const(1.0, prefix="one")])]),
                     n.const(0.5, prefix="half")])
    x = _layer_norm(n, n.op("Add", [n.linear(h, ffn, dim), x]), dim)
    pooled = n.op("Tanh", [n.linear(n.op("Gather", [x, n.constant_node(0)], axis=1), dim, dim)])
    return n.finish([(ids, TensorProto.INT64, ["N", "S"]), (mask, TensorProto.INT64, ["N", "S"])],
                    [(x, "last_hidden_state", None), (pooled, "pooler_output", None)], opset=14)


def gpt2(rng, dim=32, heads=4):
    """A GPT-2 block with a tied LM head, the way HF's GPT2 exports (opset 14)."""
    n = Net("gpt2", rng)
    ids = "input_ids"
    seq = n.op("Gather", [n.op("Shape", [ids]), n.constant_node(1)], axis=0)
    pos = n.op("Unsqueeze", [n.op("Range", [n.constant_node(0), seq, n.constant_node(1)]),
                             n.constant_node([0])])
    wte = n.const(rng.normal(0, 1.0, (VOCAB, dim)), prefix="wte")
    x = n.op("Add", [n.op("Gather", [wte, ids]), _embed(n, pos, 16, dim)])
    qkv = n.op("Split", [n.linear(_layer_norm(n, x, dim), dim, 3 * dim), _i64(n, [dim] * 3)],
               n_out=3, axis=2)

    def causal(s):
        ones = n.op("ConstantOfShape", [n.op("Concat", [_dim(n, ids, 1), _dim(n, ids, 1)], axis=0)],
                    value=helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0]))
        keep = n.op("Cast", [n.op("Trilu", [ones], upper=0)], to=TensorProto.BOOL)
        return n.op("Where", [keep, s, n.const(np.finfo(np.float32).min, prefix="min")])

    x = n.op("Add", [x, n.linear(_attention(n, x, *qkv, heads, dim, causal), dim, dim)])
    h = n.linear(_layer_norm(n, x, dim), dim, 4 * dim)
    t = n.op("Add", [h, n.op("Mul", [n.const(0.044715, prefix="c"),
                                     n.op("Pow", [h, n.const(3.0, prefix="three")])])])
    t = n.op("Tanh", [n.op("Mul", [t, n.const(np.sqrt(2 / np.pi), prefix="c")])])
    h = n.op("Mul", [n.op("Mul", [n.const(0.5, prefix="half"), h]),
                     n.op("Add", [n.const(1.0, prefix="one"), t])])
    x = n.op("Add", [x, n.linear(h, 4 * dim, dim)])
    logits = n.op("MatMul", [_layer_norm(n, x, dim), n.op("Transpose", [wte], perm=[1, 0])])
    return n.finish([(ids, TensorProto.INT64, ["N", "S"])], [(logits, "logits", None)],
                    opset=14)


def lstm_gru(rng, feat=8, h1=12, h2=16):
    """Bidirectional LSTM then GRU over [N, S, feat], torch's batch_first export (opset 14)."""
    n = Net("lstm_gru", rng)
    x = n.op("Transpose", ["input"], perm=[1, 0, 2])                          # [S, N, feat]

    def zeros_state(dirs, hidden):  # torch: Expand(zeros, [dirs, N, hidden])
        shape = n.op("Concat", [n.constant_node([dirs]), _dim(n, "input", 0),
                                n.constant_node([hidden])], axis=0)
        return n.op("Expand", [n.const(np.zeros((1, 1, 1)), prefix="zero"), shape])

    def weights(dirs, gates, hidden, din):
        s = 1.0 / np.sqrt(hidden)
        return [n.const(rng.uniform(-s, s, shape), prefix="rnn")
                for shape in ((dirs, gates * hidden, din), (dirs, gates * hidden, hidden),
                              (dirs, 2 * gates * hidden))]

    y, _, _ = n.op("LSTM", [x, *weights(2, 4, h1, feat), "", zeros_state(2, h1),
                            zeros_state(2, h1)], n_out=3, hidden_size=h1, direction="bidirectional")
    y = n.op("Reshape", [n.op("Transpose", [y], perm=[0, 2, 1, 3]), _i64(n, [0, 0, -1])])
    y, _ = n.op("GRU", [y, *weights(1, 3, h2, 2 * h1), "", zeros_state(1, h2)], n_out=2,
                hidden_size=h2, linear_before_reset=1)
    y = n.op("Transpose", [n.op("Squeeze", [y, n.constant_node([1])])], perm=[1, 0, 2])
    return n.model(["S", feat], n.linear(y, h2, 4), opset=14)


def video_3d(rng):
    """A video network (R3D / R(2+1)D style, torchvision's export) on [N, 3, 8, 16, 16]:
    3-D stem with padding in time, (2+1)-D factorized blocks (1x3x3 then 3x1x1) with
    BatchNormalization and residual Add, a grouped 3-D conv with dilation 2 and stride 2 in
    time, a VALID one, a SAME_UPPER one, MaxPool 3-D, global pooling and a classifier."""
    n = Net("video_3d", rng)

    def conv3d(x, cin, cout, k, stride=(1, 1, 1), pad=None, dil=(1, 1, 1), group=1, **extra):
        w = n.const(rng.normal(0, np.sqrt(2.0 / (cin // group * np.prod(k))), (cout, cin // group) + k))
        b = n.const(rng.normal(0, 0.1, cout), prefix="b")
        attrs = dict(kernel_shape=list(k), strides=list(stride), dilations=list(dil), group=group)
        if pad is not None:
            attrs["pads"] = list(pad) * 2
        return n.op("Conv", [x, w, b], **attrs, **extra)

    x = n.op("Relu", [n.bn(conv3d("input", 3, 8, (3, 7, 7), (1, 2, 2), (1, 3, 3)), 8)])  # 8x8x8
    for _ in range(2):  # (2+1)-D block with a residual
        y = n.op("Relu", [n.bn(conv3d(x, 8, 12, (1, 3, 3), pad=(0, 1, 1)), 12)])
        y = n.bn(conv3d(y, 12, 8, (3, 1, 1), pad=(1, 0, 0)), 8)
        x = n.op("Relu", [n.op("Add", [x, y])])
    x = n.op("Relu", [conv3d(x, 8, 16, (3, 3, 3), (2, 1, 1), (2, 1, 1), dil=(2, 1, 1), group=2)])  # 4x8x8
    x = n.op("MaxPool", [x], kernel_shape=[1, 2, 2], strides=[1, 2, 2])                  # 4x4x4
    x = n.op("Relu", [conv3d(x, 16, 16, (2, 3, 3), auto_pad="VALID")])                   # 3x2x2
    x = n.op("Relu", [conv3d(x, 16, 16, (2, 2, 2), auto_pad="SAME_UPPER")])              # 3x2x2
    return n.model([3, 8, 16, 16], n.classifier(x, 16), out_shape=[10])


def ort_contrib(rng, c=8, hw=10, dim=16):
    """onnxruntime's com.microsoft float fusions beyond what its optimizer writes for
    the models here: FusedConv with a Z input, LeakyRelu / HardSigmoid / Clip
    parameters and no activation; FusedMatMul with transA / transB and alpha;
    QuickGelu, BiasGelu, FastGelu, Gelu; SkipLayerNormalization with bias and its
    sum output; SimplifiedLayerNormalization (RMS, default domain) and
    SkipSimplifiedLayerNormalization with bias and sum; FusedGemm with LeakyRelu."""
    ms = {"domain": "com.microsoft"}

    def w(*shape):
        return n.const(rng.normal(0, 1.0 / np.sqrt(np.prod(shape[1:])), shape))

    def b(k):
        return n.const(rng.normal(0, 0.1, k), prefix="b")

    n = Net("ort_contrib", rng)
    x1 = n.op("FusedConv", ["input", w(c, 3, 3, 3), b(c)], pads=[1, 1, 1, 1],
              activation="LeakyRelu", activation_params=[0.2], **ms)
    x2 = n.op("FusedConv", [x1, w(c, c, 1, 1), b(c), x1], activation="HardSigmoid",
              activation_params=[0.2, 0.5], **ms)
    x3 = n.op("FusedConv", [x2, w(c, 1, 3, 3), b(c)], group=c, pads=[1, 1, 1, 1],
              activation="Clip", activation_params=[-0.5, 0.8], **ms)
    x4 = n.op("FusedConv", [x3, w(c, c, 1, 1), b(c), x2], **ms)
    t = n.op("Transpose", [n.op("Reshape", [x4, _i64(n, [0, c, -1])])], perm=[0, 2, 1])
    q = n.op("FusedMatMul", [t, w(dim, c)], transB=1, alpha=0.5, **ms)          # [N, L, dim]
    s = n.op("Softmax", [n.op("FusedMatMul", [q, q], transB=1, alpha=0.25, **ms)], axis=-1)
    a = n.op("FusedMatMul", [s, q], transA=1, **ms)                              # s^T q
    h = n.op("QuickGelu", [a], alpha=1.702, **ms)
    h = n.op("FastGelu", [n.op("BiasGelu", [h, b(dim)], **ms), b(dim)], **ms)
    h = n.op("Gelu", [h], **ms)
    y, _, _, summed = n.op("SkipLayerNormalization", [h, q, n.const(rng.uniform(0.5, 1.5, dim)),
                                                     b(dim), b(dim)], n_out=4, epsilon=1e-5, **ms)
    n.nodes[-1].output[1:3] = ["", ""]  # no mean / inv_std_var
    y = n.op("SimplifiedLayerNormalization", [y, n.const(rng.uniform(0.5, 1.5, dim))], axis=-1,
             epsilon=1e-6)
    y, _, _, summed2 = n.op("SkipSimplifiedLayerNormalization",
                            [y, summed, n.const(rng.uniform(0.5, 1.5, dim)), b(dim)], n_out=4,
                            epsilon=1e-5, **ms)
    n.nodes[-1].output[1:3] = ["", ""]
    summed = n.op("Add", [summed, summed2])
    pooled = n.op("ReduceMean", [n.op("Add", [y, summed])], axes=[1], keepdims=0)
    out = n.op("FusedGemm", [pooled, w(dim, 5), b(5)], activation="LeakyRelu",
               activation_alpha=0.1, **ms)
    # ONNX's checker does not know the com.microsoft domain: no Net.model
    graph = helper.make_graph(
        n.nodes, n.name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, hw, hw])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", 5])], n.inits)
    m = helper.make_model(graph, producer_name="nngpu zoo_models.py",
                          opset_imports=[helper.make_opsetid("", 13),
                                         helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


def ort_attention(rng, dim=32, heads=4):
    """com.microsoft Attention as models carry it beyond what the transformers optimizer
    writes for bert here: a 2-D 0/1 mask (int64 attention_mask cast to int32), then a
    unidirectional one with qkv_hidden_sizes (a wider v), an explicit scale and
    mask_filter_value, no bias."""
    ms = {"domain": "com.microsoft"}
    n = Net("ort_attention", rng)
    mask = n.op("Cast", ["attention_mask"], to=TensorProto.INT32)
    w1 = n.const(rng.normal(0, dim ** -0.5, (dim, 3 * dim)))
    b1 = n.const(rng.normal(0, 0.1, 3 * dim), prefix="b")
    a = n.op("Attention", ["input", w1, b1, mask], num_heads=heads, **ms)
    w2 = n.const(rng.normal(0, dim ** -0.5, (dim, 16 + 16 + 24)))
    a = n.op("Attention", [a, w2, ""], num_heads=heads, unidirectional=1,
             qkv_hidden_sizes=[16, 16, 24], scale=0.3, mask_filter_value=-1e4, **ms)
    out = n.op("MatMul", [a, n.const(rng.normal(0, 0.2, (24, 8)))])
    graph = helper.make_graph(
        n.nodes, n.name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", "S", dim]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["N", "S"])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", "S", 8])], n.inits)
    m = helper.make_model(graph, producer_name="nngpu zoo_models.py",
                          opset_imports=[helper.make_opsetid("", 13),
                                         helper.make_opsetid("com.microsoft", 1)])
    m.ir_version = 8
    return m


MODELS = {f.__name__: f for f in (caffenet_old, densenet, efficientnet, yolo_head, yolo_nms,
                                  grid_sample, bert, gpt2, lstm_gru, video_3d, ort_contrib,
                                  ort_attention, deform_conv, spatial_transformer)}
# the CNN-style ones, for the fp16 and int8 checks
CNN = ("caffenet_old", "densenet", "efficientnet", "yolo_head")


def feeds(model, batch, rng):
    """Random inputs in graph-input order: floats normal, token ids below VOCAB, an
    attention mask with padding at the end of every sample but the first."""
    out = []
    weights = {t.name for t in model.graph.initializer}  # graph inputs too before IR version 4
    for vi in model.graph.input:
        if vi.name in weights:
            continue
        dims = [batch if d.dim_param == "N" else SEQ if d.dim_param == "S" else d.dim_value
                for d in vi.type.tensor_type.shape.dim]
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            out.append(rng.standard_normal(dims).astype(np.float32))
        elif vi.name == "key_padding_mask":  # int32 0 / 1: the last keys masked after sample 0
            m = np.ones(dims, np.int32)
            for b in range(1, batch):
                m[b, ..., -2 * b:] = 0
            if len(dims) == 3:  # [B, S, T]: even queries don't see key 0 either
                m[:, ::2, 0] = 0
            out.append(m)
        elif vi.name == "left_padding_mask":  # int32 0 / 1: the first 2b + 1 keys of sample b masked
            m = np.ones(dims, np.int32)
            for b in range(1, batch):
                m[b, :2 * b + 1] = 0
            out.append(m)
        elif vi.name == "key_lengths":  # int32 valid keys per sample (at least one: onnxruntime
            out.append(rng.integers(1, 2 * SEQ, dims).astype(np.int32))  # reads garbage for none)
        elif vi.name in ("position_ids", "position_offset"):  # rows of a 64-row rotary cache
            out.append(rng.integers(0, 64 - SEQ, dims).astype(np.int64))
        elif vi.name == "attention_mask":
            m = np.ones(dims, np.int64)
            for b in range(1, batch):
                m[b, SEQ - 2 * b:] = 0
            out.append(m)
        else:
            out.append(rng.integers(0, VOCAB, dims).astype(np.int64))
    return out
