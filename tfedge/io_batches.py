"""Batches of model inputs/outputs as .npy files (`tfedge run` and `tfedge flash` share this).

A model input of shape (1, H, W, C) accepts x of shape (N, 1, H, W, C) or (N, H, W, C); the outputs are
returned in the same form the inputs came in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfedge.errors import DataError


def quantize_inputs(x: np.ndarray, input_info: dict) -> np.ndarray:
    """x as the model's input dtype (input_info: a compile report input: dtype, scale, zero_point): arrays
    of that dtype pass through, float data is quantized with the input scale and zero point, as the
    device receives it (`tfedge flash`, compare, deploy and the pytest plugin all use this one)."""
    dtype = np.dtype(input_info["dtype"])
    x = np.asarray(x)
    if x.dtype == dtype or dtype.kind == "f":
        return x.astype(dtype) if dtype.kind == "f" else x
    if np.issubdtype(x.dtype, np.integer):
        raise DataError(f"inputs are {x.dtype} but the model takes {dtype}; pass float data (quantized with the "
                        f"model's input scale) or {dtype} data")
    if not input_info.get("scale"):
        raise DataError("the model's input has no quantization scale; pass data of its own dtype")
    info = np.iinfo(dtype)
    q = np.round(x.astype(np.float64) / input_info["scale"]) + input_info["zero_point"]
    return np.clip(q, info.min, info.max).astype(dtype)


def split_samples(x: np.ndarray, input_shape: tuple[int, ...], dtype: np.dtype) -> tuple[np.ndarray, bool]:
    """Returns (samples of exactly `input_shape`, stacked N first; whether x carried each sample's batch dim)."""
    input_shape = tuple(int(d) for d in input_shape)
    if np.dtype(x.dtype) != np.dtype(dtype):
        raise DataError(f"inputs have dtype {x.dtype}, the model expects {np.dtype(dtype)}: convert with x.astype(np.{np.dtype(dtype)})")
    if x.shape[1:] == input_shape:
        return x, True
    if input_shape and input_shape[0] == 1 and x.shape[1:] == input_shape[1:]:
        return x.reshape((x.shape[0],) + input_shape), False
    raise DataError(
        f"inputs have shape {x.shape}; the model input is {input_shape}: expected (N, {', '.join(map(str, input_shape))})"
        + (f" or (N, {', '.join(map(str, input_shape[1:]))})" if input_shape and input_shape[0] == 1 else "")
    )


def join_samples(outputs: list[np.ndarray], with_batch_dim: bool) -> np.ndarray:
    """Stacks per-sample outputs (each of the model's full output shape) in the form the inputs had."""
    y = np.stack(outputs)
    if not with_batch_dim and y.ndim >= 2 and y.shape[1] == 1:
        y = y.reshape((y.shape[0],) + y.shape[2:])
    return y


def load_inputs(path: str | Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError(f"inputs file not found: {path}") from None
    except (ValueError, OSError, EOFError) as exc:  # EOFError: an empty or truncated file
        raise DataError(f"cannot read {path} as a .npy array: {exc or 'empty file'} "
                        "(write the batch with numpy.save)") from None


def save_outputs(path: str | Path, y: np.ndarray) -> None:
    """Writes atomically: a half-written y.npy is never left behind."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial.npy")
    np.save(tmp, y)
    tmp.replace(path)
