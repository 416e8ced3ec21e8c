"""Reaching the recommender inside pipelines and meta-estimators, and reading its tags."""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._compat import BaseSearchCV, FrozenEstimator

_MAX_DEPTH = 20


def _is_search(estimator):
    """A ``*SearchCV`` object: scikit-learn's, or one built on the same attributes."""
    if isinstance(estimator, BaseSearchCV):
        return True
    return hasattr(estimator, "estimator") and (
        hasattr(estimator, "param_grid") or hasattr(estimator, "param_distributions")
    )


def _is_frozen(estimator):
    return FrozenEstimator is not None and isinstance(estimator, FrozenEstimator)


def unwrap_estimator(estimator, history=None, *, fitted=False):
    """The recommender inside a Pipeline, a ``*SearchCV`` or a FrozenEstimator.

    This is the one place that knows how skrec reaches a recommender through
    scikit-learn's wrappers; the free functions :func:`skrec.recommend` and
    :func:`skrec.score_items`, the scorers and
    :func:`~skrec.utils.get_recommender_tags` all go through it.

    Parameters
    ----------
    estimator : estimator instance
        A recommender, or any nesting of :class:`~sklearn.pipeline.Pipeline`
        (its last step), ``*SearchCV`` (``best_estimator_``) and
        :class:`~sklearn.frozen.FrozenEstimator` (its ``estimator``) around one.
    history : DataFrame or array-like, default=None
        Interactions to score with (``history=`` of ``recommend``). Through a
        Pipeline it is transformed by ``pipe[:-1]``, as ``X`` is at predict.
    fitted : bool, default=False
        Whether the caller is about to score with the result. ``True``: a
        search must be fitted with ``refit`` (its ``best_estimator_``), and
        the result must have a ``recommend`` method. ``False`` (reading
        tags): an unfitted search gives its ``estimator`` and an unfitted
        Pipeline its last step.

    Returns
    -------
    estimator : estimator instance
        The innermost recommender (or estimator when ``fitted=False``).
    history : DataFrame, array-like or None
        ``history`` after the transformers it went through.

    Raises
    ------
    ValueError
        With ``fitted=True``, a search without ``best_estimator_``.
    TypeError
        With ``fitted=True``, when the innermost estimator is not a recommender.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skrec.baselines import Popularity
    >>> search = GridSearchCV(make_pipeline(FunctionTransformer(), Popularity()), {})
    >>> type(unwrap_estimator(search)[0]).__name__
    'Popularity'
    """
    for _ in range(_MAX_DEPTH):
        if isinstance(estimator, Pipeline):
            last = estimator.steps[-1][1]
            if fitted and history is not None and len(estimator.steps) > 1:
                check_is_fitted(estimator)
                history = estimator[:-1].transform(history)
            estimator = last
        elif _is_search(estimator):
            if hasattr(estimator, "best_estimator_"):
                estimator = estimator.best_estimator_
            elif fitted:
                raise ValueError(
                    f"{type(estimator).__name__} has no best_estimator_: fit it with "
                    "refit=True (or a metric name) before recommending."
                )
            else:
                estimator = estimator.estimator
        elif _is_frozen(estimator):
            estimator = estimator.estimator
        else:
            break
    if fitted and not hasattr(estimator, "recommend"):
        raise TypeError(
            f"{type(estimator).__name__} is not a recommender (no recommend method)."
        )
    return estimator, history


def get_recommender_tags(estimator):
    """The :class:`~skrec.base.RecommenderTags` of an estimator.

    Pipelines, ``*SearchCV`` objects (fitted or not) and ``FrozenEstimator``
    are unwrapped down to the recommender with :func:`unwrap_estimator`.

    Parameters
    ----------
    estimator : estimator instance

    Returns
    -------
    RecommenderTags

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from skrec.baselines import Popularity
    >>> from skrec.utils import get_recommender_tags
    >>> get_recommender_tags(make_pipeline(FunctionTransformer(), Popularity())).feedback
    'implicit'
    """
    inner, _ = unwrap_estimator(estimator)
    if hasattr(inner, "__skrec_tags__"):
        return inner.__skrec_tags__()
    raise TypeError(f"{type(inner).__name__} is not a skrec recommender (no __skrec_tags__).")
