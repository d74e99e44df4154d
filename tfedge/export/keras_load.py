"""Load a saved Keras model for export or optimization: tf_keras files, tfedge's stage checkpoints,
and Keras 3 `.keras` files (returned as Keras 3 models: export converts them directly, the tfmot
stages translate them with tfedge.optimize.keras_convert)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tfedge._tf import keras, tfmot
from tfedge.errors import ModelError


def load_keras_model(spec: str | Path, base_dir: Path | None = None):
    """A tf_keras model (.keras or .h5 file, SavedModel folder, tfedge stage checkpoints) or, for a
    .keras file written by Keras 3, the Keras 3 model."""
    path = Path(spec)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        raise ModelError(f"model '{spec}': no such file or folder")
    if _saved_by_keras3(path):
        import keras as keras3  # the file needs Keras 3; tf_keras cannot read its config format

        try:
            return keras3.models.load_model(path, compile=False)
        except Exception as exc:  # Keras raises many types for foreign/corrupt files
            raise ModelError(f"model '{path}' (saved by Keras 3) cannot be loaded by Keras 3 "
                             f"({type(exc).__name__}: {str(exc)[:300]})") from exc
    try:
        with tfmot.quantization.keras.quantize_scope(), tfmot.clustering.keras.cluster_scope(), tfmot.sparsity.keras.prune_scope():
            return keras.models.load_model(path, compile=False)
    except Exception as exc:  # tf_keras raises many types for foreign/corrupt files
        raise ModelError(f"model '{path}' cannot be loaded by tf_keras ({type(exc).__name__}: {str(exc)[:300]}); "
                         "save it as a .keras file or a SavedModel folder") from exc


def _saved_by_keras3(path: Path) -> bool:
    """A .keras zip whose metadata.json says Keras 3 (tf_keras writes the same layout with version 2.x)."""
    if path.suffix != ".keras" or not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        try:
            metadata = json.loads(archive.read("metadata.json"))
        except (KeyError, ValueError):
            return False
    return str(metadata.get("keras_version", "")).startswith("3")
