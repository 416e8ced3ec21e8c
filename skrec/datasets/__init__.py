"""Datasets: synthetic generators with planted structure and MovieLens loaders."""

from ._synthetic import make_checkerboard, make_interactions

__all__ = ["make_checkerboard", "make_interactions"]
