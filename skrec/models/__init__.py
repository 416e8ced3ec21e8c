"""Recommender estimators."""

from ._als import ALS
from ._baselines import Popularity
from ._ease import EASE
from ._knn import ItemKNN, UserKNN
from ._mf import BPRMF, MF
from ._mf_variants import MixtureOfTastesMF, VariationalMF

__all__ = [
    "ALS",
    "BPRMF",
    "EASE",
    "ItemKNN",
    "MF",
    "MixtureOfTastesMF",
    "Popularity",
    "UserKNN",
    "VariationalMF",
]
