"""Datasets: synthetic generators with planted structure and MovieLens loaders."""

from ._movielens import fetch_movielens, get_data_home
from ._synthetic import make_checkerboard, make_interactions

__all__ = [
    "fetch_movielens",
    "get_data_home",
    "make_checkerboard",
    "make_interactions",
]
