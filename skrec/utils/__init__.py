"""Utilities: estimator discovery, conversion from sparse matrices, tags, validation."""

from ._convert import from_csr
from ._discovery import all_estimators
from ._tags import get_recommender_tags
from .validation import check_k, check_users

__all__ = ["all_estimators", "check_k", "check_users", "from_csr", "get_recommender_tags"]
