"""The only module that imports private scikit-learn names.

skrec supports scikit-learn >=1.6,<1.10 (pinned in pyproject.toml). Anything
scikit-learn does not export publicly is imported here and nowhere else, so a
scikit-learn upgrade is checked in one place.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "StrOptions", "_check_sample_weight", "_fit_context"]
