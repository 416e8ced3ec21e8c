"""Common checks every skrec recommender must pass.

:func:`check_recommender` runs them all on one estimator;
:func:`parametrize_with_checks` turns them into pytest parameters, like
:func:`sklearn.utils.estimator_checks.parametrize_with_checks`. The checks
build their own small data from the estimator's tags (explicit models get
ratings, time-aware models a ``timestamp`` column, ...), so an estimator
needs nothing beyond fast settings to be checked.
"""

from __future__ import annotations

import pickle
import warnings
from functools import partial

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_no_attributes_set_in_init

from .._constants import ITEM, SESSION, TIME, USER
from ._tags import get_recommender_tags

__all__ = ["check_recommender", "parametrize_with_checks", "recommender_checks"]


# --------------------------------------------------------------------- data
def _with_seed(estimator, seed=0):
    est = clone(estimator)
    if "random_state" in est.get_params() and est.get_params()["random_state"] is None:
        est.set_params(random_state=seed)
    return est


def _check_data(estimator, n_users=30, n_items=24, seed=0):
    """A small planted data set shaped for the estimator's tags: (X, y)."""
    from ..datasets import make_interactions

    tags = get_recommender_tags(estimator)
    data = make_interactions(
        n_users=n_users, n_items=n_items, n_interactions=n_users * 8, random_state=seed
    )
    cols = [USER, ITEM]
    if tags.requires_timestamp:
        cols.append(TIME)
    if tags.requires_session:
        cols.append(SESSION)
    X = data.X[cols].copy()
    if tags.side_features:
        X = X.merge(data.item_features[[ITEM, "if0"]], on=ITEM, how="left")
    y = data.y if tags.feedback == "explicit" else None
    return X, y


def _history_y(estimator, n):
    """Targets for ``n`` history rows: ratings or labels where the model needs them."""
    feedback = get_recommender_tags(estimator).feedback
    if feedback == "implicit" or n == 0:
        return None
    return np.full(n, 5.0 if feedback == "explicit" else 1.0)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        return estimator.fit(X, y)


def _finite_slots(scores):
    return np.isfinite(scores)


# ------------------------------------------------------------------- checks
def check_clone_and_params(estimator):
    """clone / get_params / set_params round trips."""
    params = estimator.get_params(deep=False)
    cloned = clone(estimator)
    assert type(cloned) is type(estimator)
    for key, value in cloned.get_params(deep=False).items():
        assert value is params[key] or repr(value) == repr(params[key]), key
    cloned.set_params(**params)
    assert repr(cloned.get_params(deep=False)) == repr(params)


def check_init_only_stores(estimator):
    """``__init__`` stores its arguments unchanged and sets nothing else."""
    check_no_attributes_set_in_init(type(estimator).__name__, estimator)


def check_fit_returns_self(estimator):
    """``fit`` returns ``self`` and sets the shared fitted attributes."""
    est = _with_seed(estimator)
    X, y = _check_data(est)
    assert _fit(est, X, y) is est
    assert est.n_users_ == X[USER].nunique() and est.n_items_ == X[ITEM].nunique()
    assert len(est.user_ids_) == est.n_users_ and len(est.item_ids_) == est.n_items_
    assert est.seen_.shape == (est.n_users_, est.n_items_)
    assert est.item_popularity_.shape == (est.n_items_,)
    assert est.n_features_in_ == X.shape[1]


def check_recommend_output(estimator):
    """Shapes, dtypes, sorted scores, no duplicates, no seen items."""
    est = _fit(_with_seed(estimator), *_check_data(estimator))
    users = est.user_ids_[:7]
    k = 5
    items, scores = est.recommend(users, k=k)
    assert items.shape == (len(users), k) and scores.shape == (len(users), k)
    assert scores.dtype == np.float64
    assert not np.isnan(scores).any(), "recommend returned NaN scores"
    with np.errstate(invalid="ignore"):
        steps = np.diff(scores, axis=1)
    assert np.all((steps <= 1e-9) | np.isnan(steps)), "scores must be sorted, best first"
    assert set(items.ravel()) <= set(est.item_ids_)
    for r, u in enumerate(users):
        row_items = items[r][_finite_slots(scores[r])]
        assert len(set(row_items)) == len(row_items), "duplicate items in a list"
        seen = set(est.item_ids_[est.seen_[[list(est.user_ids_).index(u)]].indices])
        assert not (set(row_items) & seen), "exclude_seen=True returned a seen item"
    # Without exclusion every slot is a real, finite recommendation.
    items2, scores2 = est.recommend(users, k=k, exclude_seen=False)
    assert np.isfinite(scores2).all()
    # k larger than the catalog gives the whole catalog.
    items3, _ = est.recommend(users[:2], k=est.n_items_ + 5, exclude_seen=False)
    assert items3.shape == (2, est.n_items_)
    assert all(set(row) == set(est.item_ids_) for row in items3)


def check_score_items(estimator):
    """``score_items`` agrees with the scores ``recommend`` reports."""
    est = _fit(_with_seed(estimator), *_check_data(estimator))
    users = est.user_ids_[:5]
    full = est.score_items(users)
    assert full.shape == (len(users), est.n_items_)
    assert np.isfinite(full).all()
    _, top = est.recommend(users, k=3, exclude_seen=False)
    np.testing.assert_allclose(top, -np.sort(-full, axis=1)[:, :3], rtol=1e-5, atol=1e-6)
    cand = est.item_ids_[[3, 0, 5]]
    part = est.score_items(users, cand)
    np.testing.assert_allclose(part, full[:, [3, 0, 5]], rtol=1e-5, atol=1e-6)


def check_candidates(estimator):
    """``candidates`` restricts the ranking (1-D shared and 2-D per user)."""
    est = _fit(_with_seed(estimator), *_check_data(estimator))
    users = est.user_ids_[:4]
    cand = est.item_ids_[::3]
    items, scores = est.recommend(users, k=3, candidates=cand, exclude_seen=False)
    assert items.shape == (4, 3)
    assert set(items.ravel()) <= set(cand)
    items, _ = est.recommend(users, k=len(cand) + 3, candidates=cand, exclude_seen=False)
    assert items.shape == (4, len(cand))
    per_user = np.stack([np.roll(est.item_ids_[:6], r) for r in range(4)])
    items, scores = est.recommend(users, k=6, candidates=per_user, exclude_seen=False)
    for r in range(4):
        assert set(items[r]) == set(per_user[r])
    try:
        est.recommend(users, k=3, candidates=["__no_such_item__"])
    except ValueError as exc:
        assert "candidates" in str(exc)
    else:
        raise AssertionError("unknown candidates must raise ValueError")


def check_unknown_users(estimator):
    """Unknown users get the popularity ranking, or an error on request."""
    X, y = _check_data(estimator)
    est = _fit(_with_seed(estimator), X, y)
    items, scores = est.recommend(["__new__", "__other__"], k=4)
    order = np.argsort(-est.item_popularity_, kind="stable")[:4]
    np.testing.assert_allclose(scores[0], est.item_popularity_[order])
    np.testing.assert_array_equal(items[0], items[1])
    try:
        est.recommend(["__new__"], k=4, on_unknown="error")
    except ValueError as exc:
        assert "__new__" in str(exc)
    else:
        raise AssertionError("on_unknown='error' must raise for an unknown user")
    row = X.head(1).copy()  # the columns seen at fit, side features included
    row[USER] = row[USER].astype(object)
    row.loc[row.index[0], USER] = "__new__"
    pred = est.predict(row)
    assert np.isfinite(pred).all()


def check_empty_history(estimator):
    """An empty history (or one of unknown items only) changes nothing."""
    est = _fit(_with_seed(estimator), *_check_data(estimator))
    empty = pd.DataFrame({USER: pd.Series([], dtype=object), ITEM: pd.Series([], dtype=object)})
    users = np.r_[est.user_ids_[:3], np.array(["__new__"], dtype=object)].astype(object)
    ref = est.recommend(users, k=4)
    for hist in (empty, pd.DataFrame({USER: ["__new__", users[0]], ITEM: ["__x__", "__y__"]})):
        got = est.recommend(users, k=4, history=hist, history_y=_history_y(est, len(hist)))
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1])


def check_fold_in(estimator):
    """A fold-in model scores a new user from history, excluding that history."""
    if not get_recommender_tags(estimator).fold_in:
        return
    est = _fit(_with_seed(estimator), *_check_data(estimator))
    u0 = est.user_ids_[0]
    own = est.item_ids_[est.seen_[[0]].indices]
    hist = pd.DataFrame({USER: "__new__", ITEM: own})
    hy = _history_y(est, len(hist))
    items, scores = est.recommend(["__new__"], k=5, history=hist, history_y=hy,
                                  on_unknown="error")
    finite = np.isfinite(scores[0])
    assert finite.any()
    assert not set(items[0][finite]) & set(own)
    s = est.score_items(["__new__", u0], history=hist, history_y=hy)
    assert np.isfinite(s).all()


def check_relabel_invariance(estimator):
    """Renaming ids with a bijection renames the output and nothing else."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    X, y = _check_data(estimator)

    @settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.randoms(use_true_random=False), st.booleans())
    def run(rnd, as_strings):
        users = X[USER].unique()
        items = X[ITEM].unique()
        new_u = rnd.sample(range(10_000), len(users))
        new_i = rnd.sample(range(10_000), len(items))
        if as_strings:
            new_u = [f"user-{v}" for v in new_u]
            new_i = [f"item-{v}" for v in new_i]
        umap = dict(zip(users, new_u))
        imap = dict(zip(items, new_i))
        X2 = X.copy()
        X2[USER] = X[USER].map(umap)
        X2[ITEM] = X[ITEM].map(imap)
        a = _fit(_with_seed(estimator), X, y)
        b = _fit(_with_seed(estimator), X2, y)
        qu = a.user_ids_[:6]
        ia, sa = a.recommend(qu, k=5)
        ib, sb = b.recommend([umap[u] for u in qu], k=5)
        np.testing.assert_allclose(sa, sb, rtol=1e-5, atol=1e-6)
        for r in range(len(qu)):
            s = sa[r]
            with np.errstate(invalid="ignore"):
                gap_before = np.abs(np.diff(np.r_[np.inf, s])) > 1e-6
                gap_after = np.abs(np.diff(np.r_[s, -np.inf])) > 1e-6
            distinct = np.isfinite(s) & gap_before & gap_after
            mapped = np.array([imap[v] for v in ia[r]], dtype=object)
            assert list(mapped[distinct]) == list(np.asarray(ib[r], dtype=object)[distinct])

    run()


def check_determinism(estimator):
    """Two fits with the same integer random_state give the same model."""
    X, y = _check_data(estimator)
    a = _fit(_with_seed(estimator, 7), X, y)
    b = _fit(_with_seed(estimator, 7), X, y)
    users = a.user_ids_[:6]
    np.testing.assert_allclose(a.score_items(users), b.score_items(users), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.predict(X.head(20)), b.predict(X.head(20)), rtol=1e-5, atol=1e-6)


def check_pickle(estimator):
    """A pickle round trip gives identical output."""
    X, y = _check_data(estimator)
    est = _fit(_with_seed(estimator), X, y)
    users = est.user_ids_[:6]
    before = est.recommend(users, k=5), est.predict(X.head(20))
    clone_ = pickle.loads(pickle.dumps(est))
    after = clone_.recommend(users, k=5), clone_.predict(X.head(20))
    np.testing.assert_array_equal(before[0][0], after[0][0])
    np.testing.assert_array_equal(before[0][1], after[0][1])
    np.testing.assert_array_equal(before[1], after[1])


def check_predict(estimator):
    """``predict`` returns one finite float per row, also for unknown ids."""
    X, y = _check_data(estimator)
    est = _fit(_with_seed(estimator), X, y)
    pred = est.predict(X)
    assert pred.shape == (len(X),) and pred.dtype == np.float64
    assert np.isfinite(pred).all()
    X_new = X.head(3).copy()
    X_new[USER] = ["__a__", X[USER].iloc[1], "__c__"]
    X_new[ITEM] = [X[ITEM].iloc[0], "__b__", "__d__"]
    assert np.isfinite(est.predict(X_new)).all()


def check_dataframe_array_equivalence(estimator):
    """A DataFrame and the equivalent 2-D array give the same model."""
    tags = get_recommender_tags(estimator)
    if tags.requires_timestamp or tags.requires_session:
        return  # arrays cannot name a timestamp column
    X, y = _check_data(estimator)
    a = _fit(_with_seed(estimator), X, y)
    b = _fit(_with_seed(estimator), X.to_numpy(), y)
    users = a.user_ids_[:6]
    np.testing.assert_allclose(a.score_items(users), b.score_items(users), rtol=1e-5, atol=1e-6)


def check_string_ids(estimator):
    """String ids work and come back as given."""
    X, y = _check_data(estimator)
    X = X.copy()
    X[USER] = "u" + X[USER].astype(str)
    X[ITEM] = "i" + X[ITEM].astype(str)
    est = _fit(_with_seed(estimator), X, y)
    items, _ = est.recommend(["u0", "u1"], k=3)
    assert all(isinstance(v, str) and v.startswith("i") for v in items.ravel())


def check_bad_input(estimator):
    """Clear errors for the usual mistakes."""
    X, y = _check_data(estimator)
    tags = get_recommender_tags(estimator)
    est = _with_seed(estimator)

    def raises(exc, match, fn):
        try:
            fn()
        except exc as e:
            assert match in str(e), f"message {str(e)!r} should mention {match!r}"
        else:
            raise AssertionError(f"expected {exc.__name__} mentioning {match!r}")

    mat = sp.csr_array(np.eye(3))
    raises(TypeError, "from_csr", lambda: clone(est).fit(mat, y))
    raises(ValueError, USER, lambda: clone(est).fit(X.rename(columns={USER: "uid"}), y))
    bad = X.copy()
    bad[USER] = bad[USER].astype(object)
    bad.loc[bad.index[0], USER] = None
    raises(ValueError, "missing", lambda: clone(est).fit(bad, y))
    raises(ValueError, "empty", lambda: clone(est).fit(X.iloc[:0], None if y is None else y[:0]))
    yy = np.ones(len(X)) if y is None else y
    raises(ValueError, "y", lambda: clone(est).fit(X, yy[:-1]))
    raises(ValueError, "y", lambda: clone(est).fit(X, yy[:, None]))
    y_nan = yy.copy()
    y_nan[0] = np.nan
    raises(ValueError, "y", lambda: clone(est).fit(X, y_nan))
    if tags.feedback == "explicit":
        raises(ValueError, "y", lambda: clone(est).fit(X, None))
    fitted = _fit(clone(est), X, y)
    u = fitted.user_ids_[:2]
    raises(ValueError, "k", lambda: fitted.recommend(u, k=0))
    raises(TypeError, "k", lambda: fitted.recommend(u, k=2.5))
    raises(ValueError, "users", lambda: fitted.recommend(np.array([u, u]), k=2))


def _planted_split(seed=0):
    """Checkerboard with out-of-block noise rated low; train/test by user."""
    from ..datasets import make_checkerboard

    data = make_checkerboard(n_users=36, n_items=30, n_blocks=3, density=0.6, random_state=seed)
    rng = np.random.RandomState(seed)
    X = data.X.copy()
    noise_u = rng.randint(0, 36, size=40)
    noise_i = rng.randint(0, 30, size=40)
    off = data.user_block[noise_u] != data.item_block[noise_i]
    noise = pd.DataFrame({USER: noise_u[off], ITEM: noise_i[off]}).drop_duplicates()
    X = pd.concat([X, noise], ignore_index=True)
    in_block = data.user_block[X[USER].to_numpy()] == data.item_block[X[ITEM].to_numpy()]
    y = np.where(in_block, 5.0, 1.0)
    return X, y, data


def check_beats_popularity(estimator):
    """On planted block structure the model ranks in-block items first, unlike Popularity."""
    from ..baselines import Popularity

    tags = get_recommender_tags(estimator)
    if tags.requires_session or tags.requires_timestamp:
        return  # sequence models have their own known-answer tests
    X, y, data = _planted_split()
    est = _fit(_with_seed(estimator), X, y if tags.feedback == "explicit" else None)
    pop = Popularity().fit(X)
    users = np.arange(36)

    def in_block_precision(model):
        items, scores = model.recommend(users, k=5)
        items = items.astype(np.int64)
        hits = data.item_block[items] == data.user_block[users][:, None]
        return float(hits[np.isfinite(scores)].mean())

    p_model, p_pop = in_block_precision(est), in_block_precision(pop)
    assert p_model >= p_pop + 0.2, (
        f"{type(estimator).__name__} in-block precision@5 {p_model:.2f} does not beat "
        f"Popularity ({p_pop:.2f}) by 0.2 on planted data"
    )


_CHECKS = (
    check_clone_and_params,
    check_init_only_stores,
    check_fit_returns_self,
    check_recommend_output,
    check_score_items,
    check_candidates,
    check_unknown_users,
    check_empty_history,
    check_fold_in,
    check_relabel_invariance,
    check_determinism,
    check_pickle,
    check_predict,
    check_dataframe_array_equivalence,
    check_string_ids,
    check_bad_input,
    check_beats_popularity,
)


def recommender_checks():
    """The check functions, in order."""
    return list(_CHECKS)


def check_recommender(estimator, *, expected_failed_checks=None):
    """Run every common recommender check on ``estimator``.

    Parameters
    ----------
    estimator : recommender instance
        Unfitted, with settings that fit in well under a second.
    expected_failed_checks : dict, default=None
        ``{check_name: reason}`` for checks to skip.

    Raises
    ------
    AssertionError
        From the first check that fails.

    Examples
    --------
    >>> from skrec.baselines import Popularity
    >>> from skrec.utils.estimator_checks import check_recommender
    >>> check_recommender(Popularity(), expected_failed_checks={
    ...     "check_beats_popularity": "it is the popularity baseline"})
    """
    expected = expected_failed_checks or {}
    for check in _CHECKS:
        if check.__name__ in expected:
            continue
        check(estimator)


def parametrize_with_checks(estimators, *, expected_failed_checks=None):
    """A pytest ``parametrize`` decorator over (estimator, check) pairs.

    Parameters
    ----------
    estimators : list of recommender instances
    expected_failed_checks : callable, default=None
        ``estimator -> {check_name: reason}``; those checks are marked
        ``xfail`` with the reason.

    Returns
    -------
    decorator
        Use it on ``def test_x(estimator, check): check(estimator)``.
    """
    import pytest

    params = []
    for est in estimators:
        expected = expected_failed_checks(est) if expected_failed_checks else {}
        for check in _CHECKS:
            name = check.__name__
            marks = ()
            if name in expected:
                marks = (pytest.mark.xfail(reason=expected[name], strict=True),)
            params.append(
                pytest.param(est, partial(check), id=f"{type(est).__name__}-{name}", marks=marks)
            )
    return pytest.mark.parametrize("estimator, check", params)
