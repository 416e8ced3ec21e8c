"""The only module that imports private scikit-learn names.

skrec supports scikit-learn >=1.6,<1.10 (pinned in pyproject.toml). Anything
scikit-learn does not export publicly is imported here and nowhere else, so a
scikit-learn upgrade is checked in one place.
"""

from sklearn.base import _fit_context
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight

try:  # public since scikit-learn 1.6; guarded so that a move is a one-line fix
    from sklearn.frozen import FrozenEstimator
except ImportError:  # pragma: no cover - absent from older scikit-learn
    FrozenEstimator = None

__all__ = [
    "BaseSearchCV",
    "FrozenEstimator",
    "Interval",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "validate_params",
]
