"""Baselines: the yardsticks every model is compared against."""

from ._popularity import Popularity

__all__ = ["Popularity"]
