"""Differentiable search over channel widths (DNAS): one mask model per board instead of sampled trials.

The space's deepest digits_cnn is built at its widest widths with a learnable gate per group of output
channels after each conv (sigmoid of a logit; a group is an eighth of the block's channels). It trains
on the cross-entropy plus a cost term: the board's instructions predicted from the gates' expected
widths by the measured per-layer table (tfedge.search.cost_table), converted to est. ms and divided by
the ms budget (or by the widest model's cost when there is none): 0.1 x that plus 5 x its excess over
1, times `dnas_cost_weight`. The first epoch trains the weights only (the gates wait for features
worth ranking). The widths found (each block's expected width rounded to whole groups,
at least one) are built as a plain model and trained, quantized and measured on the board exactly like a
sampled trial (tfedge.search.trial.run_trial), with the table's prediction for those widths beside
the measured instructions. Its record goes into the same store and plot (mode `dnas`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tfedge.search.space import SearchSpace, trial_key
from tfedge.search.store import ResultStore

GROUPS = 8  # gates per conv block
# The gates' own optimizer: at the weights' 3e-3 Adam moves a logit ~0.1 per epoch of digits, so the
# widths would barely leave their start in a few epochs.
GATE_LEARNING_RATE = 0.05
# The cost term: a weak pull towards fewer instructions everywhere and a strong push above the ms budget,
# so the widths settle near the budget instead of shrinking as far as the accuracy lets them.
PULL, OVER = 0.1, 5.0


def dnas_params(space: SearchSpace, board: str, widths: list[int] | None = None) -> dict:
    """A DNAS record's parameters: its found widths, the space's deepest depth and first kernel, no compression."""
    return {"mode": "dnas", "model.widths": widths, "model.depth": max(space.model["depth"]),
            "model.kernel": space.model["kernel"][0], "recipe.sparsity": 0.0, "recipe.clusters": 0,
            "recipe.quantization": "ptq", "board": board}


def _gate_layer():
    from tfedge._tf import keras, tf

    class ChannelGate(keras.layers.Layer):
        """Multiplies each group of channels by sigmoid(its logit); starts nearly open (logit 3)."""

        def __init__(self, channels: int, groups: int, **kwargs):
            super().__init__(**kwargs)
            self.channels, self.groups = channels, groups
            self.group = channels // groups

        def build(self, input_shape):
            self.logits = self.add_weight(name="logits", shape=(self.groups,), initializer=keras.initializers.Constant(3.0))

        def call(self, x):
            return x * tf.repeat(tf.sigmoid(self.logits), self.group)

        def expected_channels(self):
            return self.group * tf.reduce_sum(tf.sigmoid(self.logits))

        def kept_channels(self) -> int:
            """The expected width rounded to whole groups (at least one): the width the cost term saw.
            (Counting the open gates, logit > 0, kept 4 channels where the gates expected 12: many
            half-open gates.)"""
            return self.group * max(1, int(round(float(self.expected_channels()) / self.group)))

    return ChannelGate


def search_widths(space: SearchSpace, board: str, data, table: dict, progress: Callable[[str], None]) -> dict:
    """Train the mask model for `board`; returns the found widths and the cost predictions."""
    from tfedge._tf import keras, set_seeds, tf
    from tfedge.search.builders import digits_cnn, digits_cnn_widths
    from tfedge.search.cost_table import predict

    set_seeds(space.seed)
    depth, kernel = max(space.model["depth"]), space.model["kernel"][0]
    widest = digits_cnn_widths(max(space.model["width"]), depth)
    in_channels, classes = int(data.x_train.shape[-1]), int(max(data.y_train.max(), data.y_test.max())) + 1
    gate_cls = _gate_layer()
    gates = [gate_cls(w, min(GROUPS, w), name=f"gate{b + 1}") for b, w in enumerate(widest)]
    model = digits_cnn(tuple(data.x_train.shape[1:]), classes, widths=widest, kernel=kernel,
                       gates=lambda block, x: gates[block](x))
    ms_per_instruction = table["ms_per_instruction"]
    target = (space.budget or {}).get("ms") or predict(table, widest, in_channels, classes) * ms_per_instruction
    optimizer, gate_optimizer = keras.optimizers.Adam(3e-3), keras.optimizers.Adam(GATE_LEARNING_RATE)
    gate_vars = [g.logits for g in gates]
    weights = [v for v in model.trainable_variables if all(v is not g for g in gate_vars)]
    optimizer.build(weights)  # slots made here, not inside the traced step
    gate_optimizer.build(gate_vars)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    x, y = data.x_train.astype(np.float32), data.y_train

    @tf.function
    def step(xb, yb, search):
        with tf.GradientTape() as tape:
            ce = loss_fn(yb, model(xb, training=True))
            ms = predict(table, [g.expected_channels() for g in gates], in_channels, classes) * ms_per_instruction
            cost = space.dnas_cost_weight * (PULL * ms / target + OVER * tf.nn.relu(ms / target - 1.0))
            loss = ce + cost
        grads = tape.gradient(loss, weights + gate_vars)
        optimizer.apply_gradients(zip(grads[:len(weights)], weights))
        if search:
            gate_optimizer.apply_gradients(zip(grads[len(weights):], gate_vars))
        return ce, ms

    rng = np.random.default_rng(space.seed)
    for epoch in range(space.epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), space.batch_size):
            # a Python bool: one trace per value (the weights-only first epoch, then the search)
            ce, ms = step(x[order[i:i + space.batch_size]], y[order[i:i + space.batch_size]], epoch > 0 or space.epochs == 1)
        accuracy = float(np.mean(model.predict(data.x_test, verbose=0).argmax(axis=1) == data.y_test))
        progress(f"dnas {board}: epoch {epoch + 1}/{space.epochs}: float accuracy {accuracy:.3f}, expected "
                 + "-".join(f"{float(g.expected_channels()):.1f}" for g in gates) + f" channels, {float(ms):.3f} ms")
    widths = [g.kept_channels() for g in gates]
    expected = [float(g.expected_channels()) for g in gates]
    predicted = float(predict(table, widths, in_channels, classes))
    return {"widths": widths, "expected_widths": expected, "predicted_instructions": round(predicted),
            "predicted_ms": predicted * ms_per_instruction,
            "expected_instructions": round(float(predict(table, expected, in_channels, classes))), "target_ms": float(target)}


def run_dnas(space: SearchSpace, out_dir: str | Path, progress: Callable[[str], None] = print) -> list[dict]:
    """The DNAS record of every board of the space (measured now, or read back from the store)."""
    from tfedge.search.builders import digits_cnn, digits_cnn_widths
    from tfedge.search.cost_table import cost_table
    from tfedge.search.trial import load_data, run_trial

    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    store = ResultStore(out_dir)
    data = load_data(space.data)
    classes = int(max(data.y_train.max(), data.y_test.max())) + 1
    records = []
    for board in space.boards:
        done = [r for r in store.all() if r["params"].get("mode") == "dnas" and r["params"]["board"] == board]
        if done:
            records.append(done[-1])
            continue
        start = time.monotonic()
        depth, kernel = max(space.model["depth"]), space.model["kernel"][0]
        table = cost_table(board, lambda widths: digits_cnn(tuple(data.x_train.shape[1:]), classes, widths=widths, kernel=kernel),
                           data.x_train, digits_cnn_widths(max(space.model["width"]), depth), kernel, classes, progress)
        found = search_widths(space, board, data, table, progress)
        params = dnas_params(space, board, found["widths"])
        key = trial_key(space, params)
        trial_dir = out_dir / "trials" / key
        trial_dir.mkdir(parents=True, exist_ok=True)
        metrics = {**run_trial(space, params, trial_dir, None), **found}
        if "instructions" in metrics:
            metrics["prediction_error"] = metrics["instructions"] / found["predicted_instructions"] - 1.0
        metrics["seconds"] = round(time.monotonic() - start, 1)
        store.add({"key": key, "params": params, "status": "done", "metrics": metrics, "error": None,
                   "seconds": metrics["seconds"], "cached": False})
        records.append(store.all()[-1])
        m = metrics
        progress(f"dnas {board}: widths {found['widths']}: predicted {found['predicted_instructions']:,} instructions, "
                 + (f"measured {m['instructions']:,} ({m['prediction_error']:+.1%}), accuracy {m['accuracy']:.3f} at {m['ms']:.3f} ms"
                    if "instructions" in m else "does not fit the board"))
    return records
