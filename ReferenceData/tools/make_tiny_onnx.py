#!/usr/bin/python3
"""Two tiny, deterministic ONNX vision models, an input batch and their expected outputs, for the tests of
`ncut trace --onnx MODEL --onnx-output NAME`.

Writes into ReferenceData/onnx/ (opset 13, IR version 8, random weights from a fixed numpy seed):

  tiny_cnn.onnx   input  "pixels"     float32 [N,3,32,32]   (N is the symbolic batch dimension "N")
                  output "features"   float32 [N,8,16,16]   Conv 3->8, kernel 3, stride 2, pad 1, + bias, Relu
                  output "deep"       float32 [N,12,8,8]    Conv 8->12, kernel 3, stride 2, pad 1, + bias, Relu
                  output "pooled"     float32 [N,12]        GlobalAveragePool + Flatten of "deep" (rank 2:
                                                            neither N x C x h x w nor N x T x C)
  tiny_vit.onnx   input  "pixels"     float32 [N,3,32,32]
                  output "tokens"     float32 [N,17,16]     1 CLS token + 16 patch tokens (a 4 x 4 grid), + position
                                                            embedding [1,17,16]
                  output "tokens_reg" float32 [N,21,16]     1 CLS token + 4 register tokens + the same 16 patch
                                                            tokens, + its own position embedding [1,21,16]
                  The patch tokens are Conv 3->16, kernel 8, stride 8, + bias -> [N,16,4,4] -> Reshape [N,16,16]
                  -> Transpose [N,16 tokens,16 channels], in row-major grid order (token t is row t // 4,
                  column t % 4). The CLS [1,1,16] and register [1,4,16] initializers are expanded to the batch
                  with Shape/Gather/Concat/Expand, so N stays symbolic.
  tiny_inputs.npy                     float32 [2,3,32,32]   uniform in [-2, 2]
  tiny_cnn_features.npy               float32 [2,8,16,16]   expected "features" for tiny_inputs.npy
  tiny_cnn_deep.npy                   float32 [2,12,8,8]    expected "deep"
  tiny_vit_tokens.npy                 float32 [2,17,16]     expected "tokens"
  tiny_vit_tokens_reg.npy             float32 [2,21,16]     expected "tokens_reg"

The expected outputs are computed here with numpy alone (a direct convolution in float64, then rounded to
float32), independently of any ONNX runtime. The models are checked with onnx.checker.check_model (full check)
and onnx.shape_inference, and their declared output shapes are asserted. Running the script again gives
byte-identical files.

Needs only numpy and onnx (Debian: python3-numpy, python3-onnx). Run from the repository root:
  /usr/bin/python3 ReferenceData/tools/make_tiny_onnx.py
"""
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = Path(__file__).resolve().parent.parent / "onnx"  # ReferenceData/onnx/
OPSET = 13
IR_VERSION = 8
SEED = 20261207
STD = 0.2        # weights and learned tokens
BIAS_STD = 0.05  # biases


# ---------------------------------------------------------------- numpy reference (float64)

def conv2d(x, w, b, stride, pad):
    """x [N,C,H,W], w [O,C,k,k], b [O] -> [N,O,Ho,Wo]; cross-correlation, as ONNX Conv (group 1, dilation 1)."""
    n, c, h, wd = x.shape
    o, c2, k, k2 = w.shape
    assert c == c2 and k == k2
    xp = np.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=np.float64)
    xp[:, :, pad:pad + h, pad:pad + wd] = x
    ho = (h + 2 * pad - k) // stride + 1
    wo = (wd + 2 * pad - k) // stride + 1
    y = np.zeros((n, o, ho, wo), dtype=np.float64)
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]  # [N,C,k,k]
            y[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return y + b.reshape(1, o, 1, 1)


def relu(x):
    return np.maximum(x, 0.0)


# ---------------------------------------------------------------- weights

def make_weights():
    rng = np.random.default_rng(SEED)

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    return {
        # tiny_cnn
        "conv1.weight": normal((8, 3, 3, 3), STD),
        "conv1.bias": normal((8,), BIAS_STD),
        "conv2.weight": normal((12, 8, 3, 3), STD),
        "conv2.bias": normal((12,), BIAS_STD),
        # tiny_vit
        "patch.weight": normal((16, 3, 8, 8), STD),
        "patch.bias": normal((16,), BIAS_STD),
        "cls_token": normal((1, 1, 16), STD),
        "pos_embed": normal((1, 17, 16), STD),
        "reg_tokens": normal((1, 4, 16), STD),
        "pos_embed_reg": normal((1, 21, 16), STD),
    }, rng


def reference_cnn(x, p):
    f = relu(conv2d(x, p["conv1.weight"], p["conv1.bias"], 2, 1))
    d = relu(conv2d(f, p["conv2.weight"], p["conv2.bias"], 2, 1))
    return f, d, d.mean(axis=(2, 3))


def reference_vit(x, p):
    n = x.shape[0]
    grid = conv2d(x, p["patch.weight"], p["patch.bias"], 8, 0)          # [N,16,4,4]
    patches = grid.reshape(n, 16, 16).transpose(0, 2, 1)                # [N,16 tokens,16 channels]
    cls = np.broadcast_to(p["cls_token"].astype(np.float64), (n, 1, 16))
    reg = np.broadcast_to(p["reg_tokens"].astype(np.float64), (n, 4, 16))
    tokens = np.concatenate([cls, patches], axis=1) + p["pos_embed"]
    tokens_reg = np.concatenate([cls, reg, patches], axis=1) + p["pos_embed_reg"]
    return tokens, tokens_reg


# ---------------------------------------------------------------- ONNX graphs

def init(name, arr):
    return numpy_helper.from_array(np.ascontiguousarray(arr), name)


def value(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def model(graph, doc):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="make_tiny_onnx.py", producer_version="1", doc_string=doc)
    m.ir_version = IR_VERSION
    return m


def make_cnn(p):
    nodes = [
        helper.make_node("Conv", ["pixels", "conv1.weight", "conv1.bias"], ["conv1_out"], name="conv1",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1_out"], ["features"], name="relu1"),
        helper.make_node("Conv", ["features", "conv2.weight", "conv2.bias"], ["conv2_out"], name="conv2",
                         kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2_out"], ["deep"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["deep"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["pooled"], name="flatten", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [value("pixels", ["N", 3, 32, 32])],
        [value("features", ["N", 8, 16, 16]), value("deep", ["N", 12, 8, 8]), value("pooled", ["N", 12])],
        [init(k, p[k]) for k in ("conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias")])
    return model(graph, "Tiny random CNN for tests: pixels [N,3,32,32] -> features [N,8,16,16], "
                        "deep [N,12,8,8], pooled [N,12].")


def make_vit(p):
    i64 = lambda name, vals: init(name, np.array(vals, dtype=np.int64))
    inits = [init(k, p[k]) for k in ("patch.weight", "patch.bias", "cls_token", "pos_embed",
                                     "reg_tokens", "pos_embed_reg")]
    inits += [
        i64("grid_shape", [0, 16, 16]),   # Reshape: 0 copies the batch dimension
        i64("batch_index", [0]),
        i64("cls_tail", [1, 16]),
        i64("reg_tail", [4, 16]),
    ]
    nodes = [
        helper.make_node("Conv", ["pixels", "patch.weight", "patch.bias"], ["patch_grid"], name="patch_embed",
                         kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Reshape", ["patch_grid", "grid_shape"], ["patch_flat"], name="flatten_grid"),
        helper.make_node("Transpose", ["patch_flat"], ["patch_tokens"], name="to_tokens", perm=[0, 2, 1]),
        helper.make_node("Shape", ["pixels"], ["pixels_shape"], name="pixels_shape"),
        helper.make_node("Gather", ["pixels_shape", "batch_index"], ["batch"], name="batch", axis=0),
        helper.make_node("Concat", ["batch", "cls_tail"], ["cls_shape"], name="cls_shape", axis=0),
        helper.make_node("Expand", ["cls_token", "cls_shape"], ["cls"], name="cls_expand"),
        helper.make_node("Concat", ["batch", "reg_tail"], ["reg_shape"], name="reg_shape", axis=0),
        helper.make_node("Expand", ["reg_tokens", "reg_shape"], ["reg"], name="reg_expand"),
        helper.make_node("Concat", ["cls", "patch_tokens"], ["tokens_raw"], name="concat_cls", axis=1),
        helper.make_node("Add", ["tokens_raw", "pos_embed"], ["tokens"], name="add_pos"),
        helper.make_node("Concat", ["cls", "reg", "patch_tokens"], ["tokens_reg_raw"], name="concat_cls_reg",
                         axis=1),
        helper.make_node("Add", ["tokens_reg_raw", "pos_embed_reg"], ["tokens_reg"], name="add_pos_reg"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_vit",
        [value("pixels", ["N", 3, 32, 32])],
        [value("tokens", ["N", 17, 16]), value("tokens_reg", ["N", 21, 16])],
        inits)
    return model(graph, "Tiny random ViT-style patch embedding for tests: pixels [N,3,32,32] -> tokens "
                        "[N,17,16] (CLS + 4x4 patches), tokens_reg [N,21,16] (CLS + 4 registers + 4x4 patches).")


def check(m, expected):
    onnx.checker.check_model(m, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True)
    got = {}
    for v in inferred.graph.output:
        got[v.name] = [d.dim_param if d.HasField("dim_param") else d.dim_value
                       for d in v.type.tensor_type.shape.dim]
    assert got == expected, (got, expected)


# ---------------------------------------------------------------- main

def main():
    OUT.mkdir(exist_ok=True)
    p, rng = make_weights()
    x = rng.uniform(-2.0, 2.0, size=(2, 3, 32, 32)).astype(np.float32)

    cnn, vit = make_cnn(p), make_vit(p)
    check(cnn, {"features": ["N", 8, 16, 16], "deep": ["N", 12, 8, 8], "pooled": ["N", 12]})
    check(vit, {"tokens": ["N", 17, 16], "tokens_reg": ["N", 21, 16]})
    (OUT / "tiny_cnn.onnx").write_bytes(cnn.SerializeToString())
    (OUT / "tiny_vit.onnx").write_bytes(vit.SerializeToString())

    xd = x.astype(np.float64)
    features, deep, _ = reference_cnn(xd, p)
    tokens, tokens_reg = reference_vit(xd, p)
    arrays = {
        "tiny_inputs.npy": x,
        "tiny_cnn_features.npy": features,
        "tiny_cnn_deep.npy": deep,
        "tiny_vit_tokens.npy": tokens,
        "tiny_vit_tokens_reg.npy": tokens_reg,
    }
    for name, a in arrays.items():
        np.save(OUT / name, np.ascontiguousarray(a, dtype=np.float32))

    for f in sorted(OUT.iterdir()):
        print(f"{f.name:28s} {f.stat().st_size:7d} bytes")


if __name__ == "__main__":
    main()
