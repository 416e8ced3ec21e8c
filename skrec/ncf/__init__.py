"""Neural collaborative filtering: GMF, MLP and NeuMF (He et al., 2017)."""

from ._ncf import NCF

__all__ = ["NCF"]
