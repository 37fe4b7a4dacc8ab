"""Models of opsets 1-6 (the model zoo's "-1", "-3", "-6" files), for make_models.py.

onnxruntime runs only opset 7 and newer, so each builder writes the model twice
from the same random draws: in its old form (IR version 3, initializers listed as
graph inputs, the attribute forms of the time) and as the opset-13 model that
means the same, whose onnxruntime outputs are the expected ones. What differs:
Add/Mul with broadcast=1 and axis (B aligned from `axis`), PRelu with one slope
per channel, BatchNormalization's is_test/spatial/consumed_inputs, Dropout's
is_test, Concat without axis (opsets 1-3), Reshape's `shape` attribute (opsets
1-4), Pad's `paddings` (opset 1), Cast to a type name (opsets 1-5) and Upsample
with height_scale / width_scale (opset 1).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Twin:
    """One graph written in two forms: old (opset `opset`) and new (opset 13)."""

    def __init__(self, name, rng, opset):
        self.name, self.rng, self.opset = name, rng, opset
        self.old, self.new = ([], []), ([], [])  # (nodes, initializers) per form
        self.count = 0

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value, new_shape=None, dtype=np.float32, prefix="w"):
        """An initializer; new_shape: its shape in the new form when it differs."""
        name, value = self.fresh(prefix), np.asarray(value, dtype)
        self.old[1].append(numpy_helper.from_array(value, name))
        new = value.reshape(new_shape) if new_shape is not None else value
        self.new[1].append(numpy_helper.from_array(new, name))
        return name

    def op(self, op_type, inputs, old=None, new=None, new_inputs=None, new_op=None, **attrs):
        """A node: attrs in both forms, old / new only in one; new_inputs extra
        inputs of the new form (values become initializers)."""
        out = self.fresh(op_type.lower())
        self.old[0].append(helper.make_node(op_type, inputs, [out], name=out, **attrs, **(old or {})))
        extra = []
        for v in new_inputs or []:
            name = self.fresh("p")
            self.new[1].append(numpy_helper.from_array(np.asarray(v), name))
            extra.append(name)
        self.new[0].append(helper.make_node(new_op or op_type, inputs + extra, [out], name=out,
                                            **attrs, **(new or {})))
        return out

    def conv(self, x, cin, cout, k, pad=None, bias=True):
        w = self.const(self.rng.normal(0, np.sqrt(2.0 / (cin * k * k)), (cout, cin, k, k)))
        p = k // 2 if pad is None else pad
        y = self.op("Conv", [x, w], kernel_shape=[k, k], pads=[p] * 4)
        if not bias:
            return y
        # the Caffe2 converters' bias: Add with broadcast=1, axis=1 of C values
        b = self.const(self.rng.normal(0, 0.1, cout), new_shape=(cout, 1, 1), prefix="b")
        return self.op("Add", [y, b], old=dict(broadcast=1, axis=1))

    def bn(self, x, c):
        r = self.rng
        stats = [r.uniform(0.5, 1.5, c), r.normal(0, 0.1, c), r.normal(0, 0.1, c),
                 r.uniform(0.5, 1.5, c)]
        old = dict(is_test=1, spatial=1)
        if self.opset < 6:
            old["consumed_inputs"] = [0, 0, 0, 1, 1]
        return self.op("BatchNormalization", [x] + [self.const(s, prefix="bn") for s in stats],
                       old=old, epsilon=1e-5)

    def dropout(self, x):
        return self.op("Dropout", [x], old=dict(is_test=1))

    def concat(self, xs):
        return self.op("Concat", xs, old={} if self.opset < 4 else dict(axis=1), new=dict(axis=1))

    def reshape(self, x, shape):
        if self.opset < 5:
            return self.op("Reshape", [x], old=dict(shape=shape), new_inputs=[np.array(shape, np.int64)])
        s = self.const(shape, dtype=np.int64, prefix="shape")
        return self.op("Reshape", [x, s])

    def models(self, in_shape, out, n_out):
        """(old, new) ModelProtos: input "input" [N] + in_shape, output [N, n_out]."""
        def model(form, opset, ir):
            nodes, inits = form
            inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N"] + in_shape)]
            if ir < 4:  # initializers were graph inputs too
                inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
            outputs = [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", n_out])]
            m = helper.make_model(helper.make_graph(nodes, self.name, inputs, outputs, inits),
                                  producer_name="nngpu legacy_models.py",
                                  opset_imports=[helper.make_opsetid("", opset)])
            m.ir_version = ir
            onnx.checker.check_model(m)
            return m
        return model(self.old, self.opset, 3), model(self.new, 13, 8)


def caffe2_resnet_opset6(rng):
    """A Caffe2-converted ResNet/VGG block, opset 6: bias Add with axis, BatchNormalization
    with is_test and spatial, PRelu per channel, Sum residual, Dropout, Gemm, Softmax."""
    t = Twin("caffe2_resnet_opset6", rng, 6)
    x = t.op("Relu", [t.bn(t.conv("input", 3, 8, 3, bias=False), 8)])
    y = t.bn(t.conv(x, 8, 8, 3), 8)
    x = t.op("Sum", [x, y])
    slope = t.const(rng.uniform(0.05, 0.3, 8), new_shape=(8, 1, 1), prefix="slope")
    x = t.op("PRelu", [x, slope])
    x = t.op("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])             # 8x8
    scale = t.const(rng.uniform(0.5, 1.5, 8), new_shape=(8, 1, 1), prefix="scale")
    x = t.op("Mul", [x, scale], old=dict(broadcast=1, axis=1))
    x = t.dropout(t.op("GlobalAveragePool", [x]))
    x = t.reshape(x, [0, -1])
    w = t.const(rng.normal(0, 0.3, (10, 8)))
    b = t.const(rng.normal(0, 0.1, 10), prefix="b")
    x = t.op("Gemm", [x, w, b], old=dict(broadcast=1), transB=1)
    return t.models([3, 16, 16], t.op("Softmax", [x]), 10)


def squeezenet_opset3(rng):
    """SqueezeNet 1.0 as the zoo's opset-3 file writes it: fire modules whose Concat
    has no axis, Dropout with is_test, Reshape's shape attribute, Softmax."""
    t = Twin("squeezenet_opset3", rng, 3)
    x = t.op("Relu", [t.conv("input", 3, 16, 3)])
    x = t.op("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2])            # 7x7
    for cin, squeeze, expand in ((16, 4, 8), (16, 6, 12)):
        s = t.op("Relu", [t.conv(x, cin, squeeze, 1)])
        x = t.concat([t.op("Relu", [t.conv(s, squeeze, expand, 1)]),
                      t.op("Relu", [t.conv(s, squeeze, expand, 3)])])
    x = t.op("Relu", [t.conv(t.dropout(x), 24, 10, 1)])
    x = t.op("AveragePool", [x], kernel_shape=[7, 7])
    return t.models([3, 16, 16], t.op("Softmax", [t.reshape(x, [0, 10])]), 10)


def mnist_opset1(rng):
    """The zoo's mnist-1 kind of model, opset 1: Reshape attribute, Conv + Add of a
    [C, 1, 1] bias with broadcast=1 and no axis, Pad's `paddings`, Upsample with
    height_scale / width_scale, Cast to "FLOAT", Concat without axis, MatMul + Add."""
    t = Twin("mnist_opset1", rng, 1)
    x = t.reshape("input", [0, 1, 8, 8])
    w = t.const(rng.normal(0, 0.4, (4, 1, 3, 3)))
    x = t.op("Conv", [x, w], kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    b = t.const(rng.normal(0, 0.1, (4, 1, 1)), prefix="b")
    x = t.op("Relu", [t.op("Add", [x, b], old=dict(broadcast=1))])
    p = t.op("Pad", [x], old=dict(paddings=[0, 0, 1, 1, 0, 0, 1, 1]),
             new_inputs=[np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)])       # 10x10
    x = t.op("MaxPool", [p], kernel_shape=[2, 2], strides=[2, 2])             # 5x5
    u = t.op("Upsample", [x], old=dict(height_scale=2.0, width_scale=2.0), new_op="Resize",
             new=dict(coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
             new_inputs=[np.zeros(0, np.float32), np.array([1, 1, 2, 2], np.float32)], mode="nearest")
    x = t.op("MaxPool", [u], kernel_shape=[2, 2], strides=[2, 2])             # 5x5
    x = t.op("Cast", [x], old=dict(to="FLOAT"), new=dict(to=TensorProto.FLOAT))
    x = t.reshape(t.concat([x, x]), [0, 200])
    w = t.const(rng.normal(0, 0.1, (200, 10)))
    b = t.const(rng.normal(0, 0.1, 10), prefix="b")
    return t.models([64], t.op("Add", [t.op("MatMul", [x, w]), b], old=dict(broadcast=1)), 10)


MODELS = {f.__name__: f for f in (caffe2_resnet_opset6, squeezenet_opset3, mnist_opset1)}
