"""Recommender estimators."""

from ._als import ALS
from ._baselines import Popularity
from ._ease import EASE

__all__ = [
    "ALS",
    "EASE",
    "Popularity",
]
