"""Keras optimization stages (prune, cluster, QAT) and recipes that chain them into an int8 export.

Each stage is a function `stage(model, FineTune(x, y, ...), **options) -> (model, metrics)` that
leaves its input model untouched.
"""

from tfedge.optimize.channel_prune import channel_prune
from tfedge.optimize.cluster import cluster
from tfedge.optimize.data import Dataset, digits, load_dataset
from tfedge.optimize.pipeline import run_recipe
from tfedge.optimize.prune import prune
from tfedge.optimize.qat import qat
from tfedge.optimize.recipe import QAT, ChannelPrune, Cluster, Int8, Prune, Recipe, Train
from tfedge.optimize.training import FineTune

__all__ = [
    "prune", "channel_prune", "cluster", "qat", "ChannelPrune", "FineTune", "Recipe", "Train", "Prune", "Cluster", "QAT", "Int8",
    "run_recipe", "Dataset", "digits", "load_dataset",
]
