"""Exports Keras 3 MobileNetV3 Small / Large (weights=None) through tf2onnx the way
users get them (NHWC, opset 17; tf2onnx's transpose optimizer fails on them and
leaves a Transpose pair around every Conv), for bench/rewrite_models.py --model.

Random Keras weights give flat logits, so every float initializer is perturbed
(x * U(0.5, 1.5) + N(0, 0.05)) and the final Softmax dropped: the output is the
logits. Needs a venv with tensorflow-cpu, tf2onnx and onnx (not the test venv):

  python3 -m venv /tmp/venvtf && /tmp/venvtf/bin/pip install tensorflow-cpu tf2onnx onnx
  /tmp/venvtf/bin/python bench/keras_nhwc_export.py OUTDIR
  .venv/bin/python bench/rewrite_models.py --model OUTDIR/mnv3s.onnx=OUTDIR/mnv3s_x.npy \
      --model OUTDIR/mnv3l.onnx=OUTDIR/mnv3l_x.npy
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

MODELS = {"mnv3s": keras.applications.MobileNetV3Small, "mnv3l": keras.applications.MobileNetV3Large}


def logits_only(m, rng):
    sm = [n for n in m.graph.node if n.op_type == "Softmax"][-1]
    m.graph.node.remove(sm)
    for n in m.graph.node:
        n.output[:] = [m.graph.output[0].name if o == sm.input[0] else o for o in n.output]
    for init in m.graph.initializer:
        a = numpy_helper.to_array(init)
        if a.dtype == np.float32 and a.size > 1:
            a = a * rng.uniform(0.5, 1.5, a.shape) + rng.normal(0, 0.05, a.shape)
            init.CopyFrom(numpy_helper.from_array(a.astype(np.float32), init.name))
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, ctor in MODELS.items():
        net = ctor(weights=None, input_shape=(224, 224, 3))
        spec = (tf.TensorSpec((1, 224, 224, 3), tf.float32, name="input"),)
        f = tf.function(lambda x: net(x, training=False), input_signature=spec)
        proto, _ = tf2onnx.convert.from_function(f, input_signature=spec, opset=17)
        onnx.save(logits_only(proto, rng), os.path.join(out, name + ".onnx"))
        np.save(os.path.join(out, name + "_x.npy"),
                np.random.default_rng(0).uniform(0, 255, (1, 224, 224, 3)).astype(np.float32))
        print(f"{name}: {sum(n.op_type == 'Transpose' for n in proto.graph.node)} Transposes")


if __name__ == "__main__":
    main()
