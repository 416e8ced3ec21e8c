"""Recommender estimators."""

from ._baselines import Popularity
from ._mf import BPRMF, MF

__all__ = [
    "BPRMF",
    "MF",
    "Popularity",
]
