"""Matrix factorization: gradient-trained MF and its variants, BPR and ALS."""

from ._als import ALS
from ._mf import BPRMF, MF
from ._variants import MixtureOfTastesMF, VariationalMF

__all__ = ["ALS", "BPRMF", "MF", "MixtureOfTastesMF", "VariationalMF"]
