"""The benchmark corpus: model definitions (models.py) and the cached builder (build.py)."""
