"""Baselines: the yardsticks every model is compared against."""

from ._content import ContentBased
from ._popularity import Popularity

__all__ = ["ContentBased", "Popularity"]
