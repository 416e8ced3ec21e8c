"""skrec: recommender systems as scikit-learn estimators.

The package root holds the column-name constants of the interaction table and
the free functions :func:`recommend` and :func:`score_items`, which also work
on a :class:`~sklearn.pipeline.Pipeline`, a fitted search object or a
:class:`~sklearn.frozen.FrozenEstimator`. torch is imported only by the models
that need it.
"""

from ._api import recommend, score_items
from ._constants import ITEM, SESSION, TIME, USER

__version__ = "0.1.0.dev0"

__all__ = ["ITEM", "SESSION", "TIME", "USER", "__version__", "recommend", "score_items"]
