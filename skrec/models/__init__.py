"""Recommender estimators."""

from ._baselines import Popularity

__all__ = ["Popularity"]
