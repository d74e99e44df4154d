"""tfedge: Keras model -> optimized int8 TFLite -> C -> Cortex-M (emulated) with measured costs.

Importing this package is cheap: TensorFlow is imported only by `tfedge.optimize`,
`tfedge.export` and `tfedge.callbacks`, never by the compile/build/emulate/report stages.
"""

__version__ = "0.1.0"
