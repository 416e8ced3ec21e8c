"""Ensembles of recommenders: the gated blend of two models by item popularity (BALSE)."""

from ._gated import GatedBlend

__all__ = ["GatedBlend"]
