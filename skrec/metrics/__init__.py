"""Ranking metrics and scorers.

This first version holds only what the estimator contract needs (the
default ``score``); the full set of metrics and scorers is in the
evaluation issue.
"""

from ._scorer import get_scorer

__all__ = ["get_scorer"]
