"""Seed models for the compiler fuzzers (tests/test_compiler_fuzz.py and scripts/fuzz).

Generated Keras models that together hold every op of the compiler's registry, and the export
patterns the graph passes rewrite (dynamic-batch shape arithmetic, SPACE_TO_BATCH_ND dilations,
Conv2DTranspose, residual and squeeze-and-excitation blocks, several inputs and outputs), next to the
shared reference models. Each seed is built once through tests/modelgen.py's cache (content-keyed by
builder and parameters under cache_dir()/testmodels); a cold cache costs about a minute of
TensorFlow conversions, a warm one nothing.

To cover a new op: add a (builder, params) entry to SEEDS (and a builder here or in modelgen.py);
`missing_ops()` names the registry ops no seed holds, and the unit test fails until one does.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np

import modelgen
from modelgen import get_model
from tfedge.paths import cache_dir, partial_path

DYNAMIC = {"converter": "from_keras_model"}  # dynamic batch: SHAPE/STRIDED_SLICE/PACK and SPACE_TO_BATCH_ND


# ---- builders the op tests do not need (registered into modelgen's table so they share its cache) ----


def conv2d_transpose(keras, hw=(4, 5), cin=3, filters=4, strides=2, padding="same", **_):
    """Conv2DTranspose: TRANSPOSE_CONV, and with a dynamic batch a SHAPE -> STRIDED_SLICE -> PACK
    computation of its output shape."""
    inp = keras.Input((*hw, cin))
    x = keras.layers.Conv2D(cin, 1)(inp)
    return keras.Model(inp, keras.layers.Conv2DTranspose(filters, 3, strides=strides, padding=padding)(x))


def se_block(keras, hw=(5, 5), c=8, **_):
    """Squeeze-and-excitation as Keras applications write it: pool, two Dense, Reshape, Multiply."""
    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 3, padding="same", activation="relu")(inp)
    g = keras.layers.GlobalAveragePooling2D()(x)
    g = keras.layers.Dense(c // 2, activation="relu")(g)
    g = keras.layers.Dense(c, activation="sigmoid")(g)
    g = keras.layers.Reshape((1, 1, c))(g)
    return keras.Model(inp, keras.layers.Multiply()([x, g]))


def pad_value(keras, hw=(4, 4), c=3, value=0.5, **_):
    """A constant pad with a non-zero value: PADV2."""
    from tfedge._tf import tf

    inp = keras.Input((*hw, c))
    x = keras.layers.Conv2D(c, 1)(inp)
    return keras.Model(inp, keras.layers.Lambda(
        lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 2], [0, 0]], constant_values=value))(x))


def squeeze(keras, w=6, c=3, **_):
    """A (1, W, C) map squeezed to (W, C): SQUEEZE."""
    from tfedge._tf import tf

    inp = keras.Input((1, w, c))
    x = keras.layers.Conv2D(c, 1)(inp)
    return keras.Model(inp, keras.layers.Lambda(lambda t: tf.squeeze(t, axis=1))(x))


def residual_block(keras, hw=(6, 6), c=4, **_):
    """A ResNet basic block (conv-relu-conv + identity, ADD, RELU), two of them chained."""
    x = inp = keras.Input((*hw, c))
    for _ in range(2):
        y = keras.layers.Conv2D(c, 3, padding="same", activation="relu")(x)
        y = keras.layers.Conv2D(c, 3, padding="same")(y)
        x = keras.layers.ReLU()(keras.layers.Add()([x, y]))
    return keras.Model(inp, x)


def three_inputs_two_outputs(keras, **_):
    """Three inputs (one shape: the converter may reorder inputs against the calibration data), a
    shared branch, two outputs of different kinds."""
    a, b, c = (keras.Input((6, 6, 3)) for _ in range(3))
    x = keras.layers.Concatenate()([keras.layers.Conv2D(3, 3, padding="same")(a), b])
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6")(x)
    pooled = keras.layers.GlobalAveragePooling2D()(x)
    d = keras.layers.Dense(5, activation="tanh")(keras.layers.GlobalMaxPooling2D()(c))
    head = keras.layers.Dense(4, activation="softmax")(keras.layers.Concatenate()([pooled, d]))
    return keras.Model([a, b, c], [head, keras.layers.MaxPooling2D()(x)])


for _builder in (conv2d_transpose, se_block, pad_value, squeeze, residual_block, three_inputs_two_outputs):
    modelgen.BUILDERS["fuzz_" + _builder.__name__] = _builder  # prefixed: never shadows an op test's builder


# ---- the seeds: name -> (builder, params) ----------------------------------------------------------------

SEEDS: dict[str, tuple[str, dict]] = {
    # the patterns the passes rewrite, in the forms that broke them (issue 18)
    "dense3d_dynamic": ("dense", dict(shape=(3, 20), units=6, **DYNAMIC)),
    "conv1d_causal_dilated_dynamic": ("conv1d", dict(padding="causal", dilation=2, **DYNAMIC)),
    "conv1d_dilated_dynamic": ("conv1d", dict(dilation=3, **DYNAMIC)),
    "conv2d_dilated_dynamic": ("conv2d", dict(dilation=2, **DYNAMIC)),
    "depthwise_dilated_dynamic": ("depthwise", dict(dilation=2, **DYNAMIC)),
    "conv2d_transpose_dynamic": ("fuzz_conv2d_transpose", DYNAMIC),
    "se_block_dynamic": ("fuzz_se_block", DYNAMIC),
    "flatten_dense_dynamic": ("flatten_dense", DYNAMIC),
    # every op of the registry
    "small_cnn": ("small_cnn", {}),
    "conv2d_strided_relu6": ("conv2d", dict(hw=(7, 9), strides=2, activation="relu6", per_channel=False)),
    "conv2d_dilated": ("conv2d", dict(dilation=2)),
    "depthwise_mult2": ("depthwise", dict(hw=(7, 7), strides=2, multiplier=2)),
    "conv1d_valid": ("conv1d", dict(strides=2, padding="valid", length=15, cin=2)),
    "separable": ("separable", {}),
    "dense_softmax": ("dense", dict(units=7, softmax=True)),
    "dense3d": ("dense", dict(shape=(3, 20), units=6)),
    "avg_pool": ("pool", dict(kind="avg")),
    "max_pool": ("pool", dict(kind="max")),
    "global_max": ("global_pool", dict(kind="max")),
    "mean_keepdims": ("mean", dict(axes=(3,), keepdims=True)),
    "residual_add": ("residual", dict(op="add")),
    "residual_sub_relu": ("residual", dict(op="sub", activation="relu")),
    "residual_mul": ("residual", dict(op="mul", scale_b=2.0)),
    "residual_block": ("fuzz_residual_block", {}),
    "se_mul": ("broadcast_mul", {}),
    "logistic": ("activation", dict(fn="sigmoid")),
    "tanh_float_io": ("activation", dict(fn="tanh", converter="float_io")),
    "hard_swish": ("activation", dict(fn="hard_swish")),
    "relu": ("activation", dict(fn="relu", pre_conv=False)),
    "relu6_requantizing": ("activation", dict(fn="relu6", pre_conv=False, input_range=8.0)),
    "leaky_relu": ("activation", dict(fn="leaky_relu")),
    "softmax_4d": ("activation", dict(fn="softmax")),
    "concat_width": ("concat", dict(axis=2)),
    "concat_requantize": ("concat_requantize", {}),
    "zero_pad": ("zero_pad", {}),
    "pad_value": ("fuzz_pad_value", {}),
    "upsample": ("upsample", {}),
    "squeeze": ("fuzz_squeeze", dict(rewrite="as_squeeze")),
    "two_in_two_out": ("two_inputs_two_outputs", {}),
    "three_in_two_out": ("fuzz_three_inputs_two_outputs", {}),
    # issue 12's ops (builders in modelgen.py)
    "many_ops": ("many_ops", {}),
    "slice": ("tf_slice", dict(kind="slice_all_batch")),
    "split_v": ("split_concat", dict(kind="split_v", axis=1)),
    "unpack": ("split_concat", dict(kind="unpack", axis=1)),
    "minimum_broadcast": ("binary_math", dict(fn="minimum", broadcast=True)),
    "div": ("binary_math", dict(fn="div")),
    "gelu": ("unary_math", dict(fn="gelu")),
    "exp": ("unary_math", dict(fn="exp")),
    "log": ("unary_math", dict(fn="log")),
    "sqrt": ("unary_math", dict(fn="sqrt")),
    "elu": ("activation", dict(fn="leaky_relu", rewrite="as_elu")),
    "square": ("unary_math", dict(fn="mul_self", rewrite="as_square")),  # MUL(x, x) -> SQUARE
    # the board test's float-I/O group: QUANTIZE/DEQUANTIZE float, DEPTHWISE, ELU, RELU6, EXPAND_DIMS, SQUEEZE
    "board_extras": ("board_ops", dict(kind="extras2", converter="float_io", rewrite="as_elu_squeeze")),
    "batch_matmul": ("batch_matmul", dict(adj_y=True)),
    "broadcast_to_dynamic": ("broadcast_to", DYNAMIC),
    "depth_to_space": ("space_depth", {}),
    "space_to_depth": ("space_depth", dict(kind="space_to_depth", c=3)),
    "fill_zeros_like_dynamic": ("fill_concat", DYNAMIC),
    "decoder": ("conv_transpose", dict(decoder=True, hw=(3, 4), filters=2)),
    # issue 12's LSTM, resource variables and int16x8
    "lstm_stacked": ("lstm_seq", dict(layers=2, units=6)),  # UNIDIRECTIONAL_SEQUENCE_LSTM, variable tensors
    # int16x8 LSTM (written by tfedge.export.lstm16x8; the params of test_lstm_int16.RAW: one cached model)
    "lstm_int16x8": ("lstm_seq", dict(steps=6, features=5, units=7, head=False, train=False, converter="lstm16x8")),
    "streaming_variable": ("streaming_ema", dict(converter="resource_variables")),  # CALL_ONCE init subgraph
    "small_cnn_int16x8": ("small_cnn", dict(int16x8=True)),  # the int16 type axis
    "decoder_int16x8": ("conv_transpose", dict(decoder=True, hw=(3, 4), filters=2, int16x8=True)),  # + RELU int16
    "cropping_int16x8": ("cropping", dict(int16x8=True)),  # int16 byte copies
    # model inputs/outputs beyond int8: CAST, GATHER of run-time ids, ARG_MAX/ARG_MIN, uint8 QUANTIZE
    "embedding_argmax": ("int_io", dict(kind="embedding_argmax", **DYNAMIC)),
    "argmin": ("int_io", dict(kind="argmin", **DYNAMIC)),
    "uint8_io": ("small_cnn", dict(converter="uint8_io")),
}

SHARED = ("hello_world_int8.tflite", "kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite")


def seed_args(name: str) -> tuple[str, dict]:
    """The modelgen builder and parameters of a seed (its rewrite left out): get_model(builder, **params) is the model
    the seed was made from (its float inputs and Keras outputs)."""
    builder, params = SEEDS[name]
    return builder, {k: v for k, v in params.items() if k != "rewrite"}


def seed_bytes(name: str) -> bytes:
    """The .tflite of a generated seed (built and cached on first use)."""
    rewrite = SEEDS[name][1].get("rewrite")
    builder, params = seed_args(name)
    tflite = get_model(builder, **params)["tflite"]
    if rewrite is None:
        return tflite
    path = cache_dir() / "fuzzseeds" / f"{rewrite}-{hashlib.sha256(tflite).hexdigest()[:20]}.tflite"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = partial_path(path)
        tmp.write_bytes(REWRITES[rewrite](tflite))
        os.replace(tmp, path)
    return path.read_bytes()


def as_squeeze(tflite: bytes) -> bytes:
    """The converter writes tf.squeeze as RESHAPE (data, shape); this turns each RESHAPE back into the
    SQUEEZE (data; squeeze_dims) it stands for, so that a seed holds that op."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SQUEEZE
    code.version = 1
    model.operatorCodes.append(code)
    sub = model.subgraphs[0]
    for op in sub.operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.RESHAPE:
            x, y = sub.tensors[op.inputs[0]], sub.tensors[op.outputs[0]]
            options = schema.SqueezeOptionsT()
            options.squeezeDims = [i for i, d in enumerate(x.shape) if d == 1 and i > 0][: len(x.shape) - len(y.shape)]
            op.opcodeIndex, op.inputs = len(model.operatorCodes) - 1, op.inputs[:1]
            op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.SqueezeOptions, options
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def as_elu(tflite: bytes) -> bytes:
    """The converter keeps Keras ELU float; TFLM has an int8 ELU. A LEAKY_RELU model's operator code is
    switched to ELU (options dropped), so that a seed holds that op."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    for code in model.operatorCodes:
        if code.builtinCode == schema.BuiltinOperator.LEAKY_RELU:
            code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ELU
    for op in model.subgraphs[0].operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.ELU:
            op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.NONE, None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def as_square(tflite: bytes) -> bytes:
    """The converter keeps tf.square float and writes x * x as MUL(x, x); neither TFLM nor LiteRT has an
    integer SQUARE. Each MUL whose two inputs are one tensor becomes SQUARE(x) (version 1, no options), with
    the same quantization, so that a seed holds that op and MUL(x, x) in the original file is its referee."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.SQUARE
    code.version = 1
    model.operatorCodes.append(code)
    for op in model.subgraphs[0].operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.MUL and op.inputs[0] == op.inputs[1]:
            op.opcodeIndex, op.inputs = len(model.operatorCodes) - 1, op.inputs[:1]
            op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.NONE, None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


REWRITES = {"as_squeeze": as_squeeze, "as_elu": as_elu, "as_square": as_square,
            "as_elu_squeeze": lambda tflite: as_squeeze(as_elu(tflite))}


def all_seeds(shared_dir=None) -> dict[str, bytes]:
    """Every generated seed, plus the shared reference models found in shared_dir (if given)."""
    seeds = {name: seed_bytes(name) for name in SEEDS}
    if shared_dir is not None:
        for name in SHARED:
            path = shared_dir / name
            if path.is_file():
                seeds[name.removesuffix(".tflite")] = path.read_bytes()
    return seeds


def seed_ops(seeds: dict[str, bytes]) -> dict[str, set[str]]:
    """The op kinds each seed's file holds (as read, before any pass)."""
    from tfedge.compiler.reader import read_model

    return {name: {op.kind for op in read_model(data).ops} for name, data in seeds.items()}


def missing_ops(seeds: dict[str, bytes]) -> list[str]:
    """Registry ops that no seed holds: each needs a seed before the fuzzers cover it."""
    from tfedge.compiler.ops import REGISTRY

    held = set().union(*seed_ops(seeds).values())
    return sorted(set(REGISTRY) - held)


# ---- mutations -------------------------------------------------------------------------------------------

MUTATIONS = ("bit_flips", "truncate", "zero_run", "ff_run", "splice", "int32_offset", "int16_vtable")
_EXTREME_32 = (0, 1, -1, 0x7FFFFFFF, -0x80000000, 0x7FFFFFFC, 0x10000, -4)
_EXTREME_16 = (0, 1, -1, 0x7FFF, -0x8000, 4, 0xFFFC - 0x10000)


def _offset_slots(buf: bytes) -> np.ndarray:
    """4-aligned positions holding a value that reads as a forward flatbuffer offset (a uoffset
    pointing inside the file): where the tables and vectors are linked."""
    n = len(buf) // 4
    values = np.frombuffer(buf[: n * 4], "<u4").astype(np.int64)
    pos = np.arange(n, dtype=np.int64) * 4
    return pos[(values > 0) & (values % 4 == 0) & (pos + values < len(buf))]


def mutate(data: bytes, rng: np.random.Generator, donor: bytes | None = None) -> tuple[bytes, str]:
    """One corrupt variant of a .tflite: 1..3 mutations, (bytes, description). Deterministic in rng."""
    buf = bytearray(data)
    done = []
    for _ in range(int(rng.integers(1, 4))):
        if len(buf) < 16:
            break
        kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
        n = len(buf)
        # half of the positions in the first/last 4 KB, where the converter puts the tables
        near = int(rng.integers(0, min(4096, n)))
        pos = (near if rng.random() < 0.5 else n - 1 - near) if rng.random() < 0.5 else int(rng.integers(0, n))
        if kind == "bit_flips":
            for _ in range(int(rng.integers(1, 9))):
                p = int(rng.integers(0, n)) if rng.random() < 0.5 else pos
                buf[p] ^= 1 << int(rng.integers(8))
        elif kind == "truncate":
            buf = buf[: int(rng.integers(0, n))]
        elif kind in ("zero_run", "ff_run"):
            length = int(rng.integers(1, 65))
            buf[pos:pos + length] = bytes([0 if kind == "zero_run" else 0xFF]) * len(buf[pos:pos + length])
        elif kind == "splice":  # a range of this file (or another seed) copied over another place
            src = donor if donor is not None and rng.random() < 0.3 else bytes(buf)
            length = int(rng.integers(1, 257))
            start = int(rng.integers(0, max(1, len(src) - length)))
            chunk = src[start:start + length]
            buf[pos:pos + len(chunk)] = chunk
        elif kind == "int32_offset":
            slots = _offset_slots(bytes(buf))
            p = int(slots[int(rng.integers(len(slots)))]) if len(slots) else pos & ~3
            value = _EXTREME_32[int(rng.integers(len(_EXTREME_32)))] if rng.random() < 0.7 else \
                int(rng.integers(-n, 2 * n))
            buf[p:p + 4] = int(value).to_bytes(4, "little", signed=True)[: len(buf[p:p + 4])]
        else:  # int16_vtable: a vtable entry (field offset) or vtable size
            p = pos & ~1
            value = _EXTREME_16[int(rng.integers(len(_EXTREME_16)))]
            buf[p:p + 2] = int(value).to_bytes(2, "little", signed=True)[: len(buf[p:p + 2])]
        done.append(f"{kind}@{pos}")
    return bytes(buf), " ".join(done)
