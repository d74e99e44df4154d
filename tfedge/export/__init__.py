"""Keras model -> fully-integer .tflite, and checking its accuracy on the host (LiteRT)."""

from tfedge.export.int8 import export_int8
from tfedge.export.litert import evaluate_tflite, predict_tflite, tflite_summary

__all__ = ["export_int8", "evaluate_tflite", "predict_tflite", "tflite_summary"]
