"""Recommender estimators."""

from ._baselines import Popularity
from ._knn import ItemKNN, UserKNN

__all__ = [
    "ItemKNN",
    "Popularity",
    "UserKNN",
]
