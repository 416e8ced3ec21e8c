"""The only module that imports private scikit-learn names.

skrec supports scikit-learn >=1.6,<1.10 (pinned in pyproject.toml). Anything
scikit-learn does not export publicly is imported here and nowhere else, so a
scikit-learn upgrade is checked in one place.
"""

import numbers

from sklearn.base import _fit_context
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import _name_estimators
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, Options, StrOptions, validate_params
from sklearn.utils.validation import _check_sample_weight

try:  # public since scikit-learn 1.6; guarded so that a move is a one-line fix
    from sklearn.frozen import FrozenEstimator
except ImportError:  # pragma: no cover - absent from older scikit-learn
    FrozenEstimator = None

__all__ = [
    "BaseSearchCV",
    "FrozenEstimator",
    "Interval",
    "PositiveIntSequence",
    "StrOptions",
    "_check_sample_weight",
    "_fit_context",
    "_name_estimators",
    "_safe_indexing",
    "validate_params",
]


class PositiveIntSequence(Options):
    """Parameter constraint: a non-empty tuple or list of positive integers.

    For ``_parameter_constraints`` (layer sizes); scikit-learn's validation
    only accepts its own constraint classes, hence the subclass of
    ``Options``.
    """

    def __init__(self):
        super().__init__(object, set())

    def is_satisfied_by(self, val):
        return (
            isinstance(val, (tuple, list))
            and len(val) > 0
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v > 0
                    for v in val)
        )

    def __str__(self):
        return "a non-empty tuple or list of positive ints"
