"""Datasets for recipes: scikit-learn's bundled digits, or an .npz with x_train/y_train/x_test/y_test."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfedge.errors import DataError

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def digits(test_fraction: float = 0.2, seed: int = 0, size: int = 8) -> Dataset:
    """The 1797 8x8 scikit-learn digits as (N, size, size, 1) float32 in [0, 1], split reproducibly.

    `size` a multiple of 8 repeats each pixel (nearest-neighbour, no interpolation or augmentation):
    96 gives the 96x96 grayscale input MobileNets for microcontrollers take."""
    from sklearn.datasets import load_digits

    if size < 8 or size % 8:
        raise DataError(f"digits: size must be a multiple of 8 (the images are 8x8), got {size}")
    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    if size > 8:
        x = np.repeat(np.repeat(x, size // 8, axis=1), size // 8, axis=2)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    return Dataset(x[train], y[train], x[test], y[test])


def load_dataset(spec: str, base: Path | None = None) -> Dataset:
    """'digits' or a path (relative to `base`, the recipe's folder) to an .npz holding NPZ_KEYS."""
    if spec == "digits":
        return digits()
    path = Path(spec)
    if base is not None and not path.is_absolute():
        path = base / path
    if path.suffix != ".npz" or not path.is_file():
        raise DataError(f"data '{spec}': expected 'digits' or an existing .npz file with arrays {', '.join(NPZ_KEYS)}")
    with np.load(path) as archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            raise DataError(f"data '{path}': missing arrays {', '.join(missing)} (has {', '.join(archive.files)})")
        arrays = {key: archive[key] for key in NPZ_KEYS}
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"y_{split}"]):
            raise DataError(f"data '{path}': x_{split} and y_{split} hold different sample counts")
    return Dataset(**{k: (v.astype(np.float32) if k.startswith("x") else v) for k, v in arrays.items()})
