"""Free functions that reach the recommender inside wrappers."""

from __future__ import annotations

from .utils._tags import unwrap_estimator


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
        Passed on to ``recommend`` (``exclude_seen``, ``candidates``, ...);
        ``user_features`` and ``item_features`` go through the pipeline's
        transformers like ``history``.

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
    inner, history = unwrap_estimator(estimator, history, fitted=True)
    return inner.recommend(users, k, history=history, **_features_through(estimator, kwargs))


def score_items(estimator, users, candidates=None, *, history=None, **kwargs):
    """Scores of candidate items per user, unwrapping like :func:`recommend`.

    Parameters
    ----------
    estimator : fitted recommender, Pipeline, search object or FrozenEstimator
    users : array-like of shape (n_users,)
    candidates : array-like, default=None
    history : DataFrame or array-like, default=None
    **kwargs
        Passed on to ``score_items`` (``as_frame``, ``return_fallback``, ...;
        ``user_features`` and ``item_features`` transformed like ``history``).

    Returns
    -------
    scores : ndarray of shape (n_users, n_candidates)
        Or, with ``as_frame=True``, a long DataFrame (``user``, ``item``,
        ``score``) in original ids (see
        :meth:`skrec.base.BaseRecommender.score_items`).

    Examples
    --------
    >>> import skrec
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=20, n_items=10, random_state=0)
    >>> model = Popularity().fit(data.X)
    >>> skrec.score_items(model, [0, 1]).shape
    (2, 10)
    >>> skrec.score_items(model, [0, 1], as_frame=True).shape
    (20, 3)
    """
    inner, history = unwrap_estimator(estimator, history, fitted=True)
    return inner.score_items(users, candidates, history=history,
                             **_features_through(estimator, kwargs))


def _features_through(estimator, kwargs):
    """``user_features`` and ``item_features`` transformed like ``history``."""
    out = dict(kwargs)
    for name in ("user_features", "item_features"):
        if out.get(name) is not None:
            out[name] = unwrap_estimator(estimator, out[name], fitted=True)[1]
    return out
