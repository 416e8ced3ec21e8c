"""Reading recommender tags through pipelines and meta-estimators."""

from __future__ import annotations


def unwrap_estimator(estimator):
    """The recommender inside a Pipeline, a search object or a FrozenEstimator."""
    from sklearn.pipeline import Pipeline

    seen = 0
    while seen < 20:
        seen += 1
        if isinstance(estimator, Pipeline):
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        elif type(estimator).__name__ == "FrozenEstimator" and hasattr(estimator, "estimator"):
            estimator = estimator.estimator
        elif hasattr(estimator, "param_grid") or hasattr(estimator, "param_distributions"):
            estimator = estimator.estimator
        else:
            return estimator
    return estimator


def get_recommender_tags(estimator):
    """The :class:`~skrec.base.RecommenderTags` of an estimator.

    Pipelines, ``*SearchCV`` objects (fitted or not) and ``FrozenEstimator``
    are unwrapped down to the recommender.

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
    inner = unwrap_estimator(estimator)
    if hasattr(inner, "__skrec_tags__"):
        return inner.__skrec_tags__()
    raise TypeError(f"{type(inner).__name__} is not a skrec recommender (no __skrec_tags__).")
