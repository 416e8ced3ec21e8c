"""Recommender estimators."""

from ._baselines import Popularity
from ._mf import BPRMF, MF
from ._mf_variants import MixtureOfTastesMF, VariationalMF

__all__ = [
    "BPRMF",
    "MF",
    "MixtureOfTastesMF",
    "Popularity",
    "VariationalMF",
]
