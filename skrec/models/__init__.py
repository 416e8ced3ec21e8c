"""Recommender estimators."""

from ._baselines import Popularity
from ._knn import ItemKNN, UserKNN
from ._mf import BPRMF, MF
from ._mf_variants import MixtureOfTastesMF, VariationalMF

__all__ = [
    "BPRMF",
    "ItemKNN",
    "MF",
    "MixtureOfTastesMF",
    "Popularity",
    "UserKNN",
    "VariationalMF",
]
