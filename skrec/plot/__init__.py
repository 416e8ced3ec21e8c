"""Plots of recommender evaluations, in the style of scikit-learn's displays.

Each display is built from a fitted estimator (``from_estimator``) or from
numbers already computed (``from_predictions``), stores those numbers as
attributes and draws them with ``plot(ax=None, **kwargs)``, which sets
``ax_``, ``figure_`` and the line attributes. matplotlib (the ``plot``
extra: ``pip install skrec-learn[plot]``) is imported only when a display
draws, so ``import skrec.plot`` works without it.

- :class:`MetricAtKDisplay`: a ranking metric against the list length k
  for several models;
- :class:`TrainingHistoryDisplay`: training and validation loss per epoch
  from a fitted model's ``history_``;
- :class:`PopularityDisplay`: the long tail of item popularity and how a
  model's top-k lists spread over it (catalog coverage);
- :class:`ColdStartDisplay`: a metric for users unseen at fit against the
  number of their interactions given as history.
"""

from ._cold_start import ColdStartDisplay
from ._history import TrainingHistoryDisplay
from ._metric_at_k import MetricAtKDisplay
from ._popularity import PopularityDisplay

__all__ = [
    "ColdStartDisplay",
    "MetricAtKDisplay",
    "PopularityDisplay",
    "TrainingHistoryDisplay",
]
