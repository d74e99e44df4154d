"""Built-in models a recipe can name instead of a file (`model: demo_cnn`)."""

from __future__ import annotations

from tfedge._tf import keras


def demo_cnn(input_shape: tuple[int, ...] = (8, 8, 1), classes: int = 10) -> keras.Model:
    """A small digits CNN: three 3x3 convs, two poolings, two dense layers (about 23k weights)."""
    L = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(name="pool1")(x)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.MaxPooling2D(name="pool2")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(64, activation="relu", name="fc1")(x)
    outputs = L.Dense(classes, activation="softmax", name="fc2")(x)
    return keras.Model(inputs, outputs, name="demo_cnn")


BUILTIN_MODELS = {"demo_cnn": demo_cnn}
