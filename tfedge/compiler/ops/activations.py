"""Activation functions: LOGISTIC, TANH, HARD_SWISH, RELU, RELU6, LEAKY_RELU."""
