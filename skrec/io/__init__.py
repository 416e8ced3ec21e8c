"""Safe persistence of estimators: :func:`dump` and :func:`load`.

Files written by :func:`dump` hold data only (plain values and tensors);
:func:`load` rebuilds the estimator without unpickling arbitrary objects, so
a model file from someone else cannot run code on your machine. Files
written by :mod:`pickle` or :mod:`joblib` can: load those only from sources
you trust.
"""

from ._persist import dump, load

__all__ = ["dump", "load"]
