"""Free functions that reach the recommender inside wrappers."""

from __future__ import annotations

from sklearn.utils.validation import check_is_fitted


def _unwrap(estimator, history):
    """Walk down Pipeline / fitted search / FrozenEstimator, transforming history."""
    from sklearn.pipeline import Pipeline

    for _ in range(20):
        if isinstance(estimator, Pipeline):
            if history is not None and len(estimator.steps) > 1:
                check_is_fitted(estimator)
                history = estimator[:-1].transform(history)
            estimator = estimator.steps[-1][1]
        elif hasattr(estimator, "cv") and hasattr(estimator, "estimator"):
            if not hasattr(estimator, "best_estimator_"):
                raise ValueError(
                    f"{type(estimator).__name__} has no best_estimator_: fit it with "
                    "refit=True (or a metric name) before recommending."
                )
            estimator = estimator.best_estimator_
        elif type(estimator).__name__ == "FrozenEstimator":
            estimator = estimator.estimator
        else:
            break
    if not hasattr(estimator, "recommend"):
        raise TypeError(f"{type(estimator).__name__} is not a recommender (no recommend method).")
    return estimator, history


def recommend(estimator, users, k=10, *, history=None, **kwargs):
    """Top-``k`` items per user from a recommender, a Pipeline or a search object.

    Same as ``estimator.recommend`` (see
    :meth:`skrec.base.BaseRecommender.recommend`), but it also unwraps a
    :class:`~sklearn.pipeline.Pipeline` (``history`` goes through the
    pipeline's transformers first), a fitted ``*SearchCV`` (its
    ``best_estimator_``) and a :class:`~sklearn.frozen.FrozenEstimator`.

    Parameters
    ----------
    estimator : fitted recommender, Pipeline, search object or FrozenEstimator
    users : array-like of shape (n_users,)
    k : int, default=10
    history : DataFrame or array-like, default=None
    **kwargs
        Passed on to ``recommend`` (``exclude_seen``, ``candidates``, ...).

    Returns
    -------
    items, scores : ndarray of shape (n_users, k)

    Examples
    --------
    >>> import skrec
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=20, n_items=10, random_state=0)
    >>> items, scores = skrec.recommend(Popularity().fit(data.X), [0, 1], k=3)
    >>> items.shape
    (2, 3)
    """
    inner, history = _unwrap(estimator, history)
    return inner.recommend(users, k, history=history, **kwargs)


def score_items(estimator, users, candidates=None, *, history=None, **kwargs):
    """Scores of candidate items per user, unwrapping like :func:`recommend`.

    Parameters
    ----------
    estimator : fitted recommender, Pipeline, search object or FrozenEstimator
    users : array-like of shape (n_users,)
    candidates : array-like, default=None
    history : DataFrame or array-like, default=None
    **kwargs
        Passed on to ``score_items``.

    Returns
    -------
    scores : ndarray of shape (n_users, n_candidates)
    """
    inner, history = _unwrap(estimator, history)
    return inner.score_items(users, candidates, history=history, **kwargs)
