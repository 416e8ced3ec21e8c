"""Splitters and helpers for evaluating recommenders.

Every splitter is a scikit-learn cross-validator (pass it as ``cv=``); it
reads the ``user``, ``item``, ``timestamp`` and ``session`` columns of ``X``
by name and needs no ``groups``. Plain random row splits are scikit-learn's
own :class:`~sklearn.model_selection.KFold` and
:class:`~sklearn.model_selection.ShuffleSplit`, which the cold-start
splitters also use over users and items.
"""

from ._helpers import kcore_filter, train_test_split_interactions
from ._split import (
    ColdStartItemSplit,
    ColdStartUserSplit,
    LeaveLastOut,
    UserHoldoutSplit,
    UserKFold,
)
from ._support import support_query_split
from ._temporal import SessionSplit, TemporalSplit

__all__ = [
    "ColdStartItemSplit",
    "ColdStartUserSplit",
    "LeaveLastOut",
    "SessionSplit",
    "TemporalSplit",
    "UserHoldoutSplit",
    "UserKFold",
    "kcore_filter",
    "support_query_split",
    "train_test_split_interactions",
]
