"""Common checks every skrec recommender must pass.

:func:`check_recommender` runs them all on one estimator;
:func:`parametrize_with_checks` turns them into pytest parameters, like
:func:`sklearn.utils.estimator_checks.parametrize_with_checks`. The checks
build their own small data from the estimator's tags (explicit models get
ratings, time-aware models a ``timestamp`` column, ...), so an estimator
needs nothing beyond fast settings to be checked.

Reliability checks: :func:`check_bad_input_matrix` runs the cases of
:func:`_bad_input_cases` (sparse, missing, infinite, unhashable and
mixed-type ids, tuple ids that must stay queryable, wrong lengths and
shapes of ``y`` / ``sample_weight``, bad ``users``, ``k``, ``candidates``,
``history`` and ``history_y``): each must
raise a ``ValueError`` or ``TypeError`` naming the argument, warn, or give a
documented result. :func:`check_malformed_tables` fits hypothesis-generated
tables; :func:`check_interrupted_fit` interrupts fits; :func:`check_not_fitted`
asks an unfitted model for output.
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
    y = None
    if tags.feedback == "explicit":
        y = data.y
    elif tags.feedback == "binary":  # clicks (ratings above the median) and non-clicks
        y = (data.y > np.median(data.y)).astype(np.float64)
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
    """Unknown users get the popularity ranking, flagged, or an error on request.

    The rule: a fallback row ranks items by ``item_popularity_`` and its
    scores are those counts; ``return_fallback=True`` tells which rows fell
    back (never a known user without extra history).
    """
    X, y = _check_data(estimator)
    est = _fit(_with_seed(estimator), X, y)
    known = est.user_ids_[0]
    users = np.array(["__new__", "__other__", known], dtype=object)
    items, scores, fallback = est.recommend(users, k=4, return_fallback=True)
    assert fallback.dtype == bool and fallback.tolist() == [True, True, False], fallback
    order = np.argsort(-est.item_popularity_, kind="stable")[:4]
    np.testing.assert_allclose(scores[0], est.item_popularity_[order])
    np.testing.assert_array_equal(items[0], items[1])
    plain = est.recommend(users, k=4)
    np.testing.assert_array_equal(plain[0], items)
    np.testing.assert_array_equal(plain[1], scores)
    s, fb = est.score_items(users, return_fallback=True)
    np.testing.assert_array_equal(fb, fallback)
    np.testing.assert_allclose(s[0], est.item_popularity_)
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


# ------------------------------------------------------- reliability checks
#: Methods of a training loop that the interrupted-fit check wraps, when an
#: estimator has them, to raise ``KeyboardInterrupt`` from inside training.
_TRAINING_HOOKS = ("_train_step", "_batch_loss", "_half_step")
#: The exceptions a bad input may raise (anything else is a bug).
_CLEAR_ERRORS = (ValueError, TypeError)
#: Examples drawn by :func:`check_malformed_tables` (kept small: it runs for every model).
_MALFORMED_EXAMPLES = 15


def _outputs(est, users, X):
    """What a fitted model answers: ids, lists, scores, predictions."""
    items, scores = est.recommend(users, k=5)
    return {
        "user_ids_": np.asarray(est.user_ids_, dtype=object),
        "item_ids_": np.asarray(est.item_ids_, dtype=object),
        "items": np.asarray(items, dtype=object),
        "scores": scores,
        "score_items": est.score_items(users),
        "predict": est.predict(X.head(20)),
    }


def _assert_same_outputs(a, b, what):
    for key in a:
        try:
            np.testing.assert_array_equal(a[key], b[key])
        except AssertionError as exc:
            raise AssertionError(f"{what}: {key} changed") from exc


def _interrupting(est, variant):
    """Instance patches that make ``est.fit`` raise KeyboardInterrupt (``variant``)."""
    cls = type(est)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if variant == "before":
        return {"_fit": interrupt}
    if variant == "after":
        def fit_then_interrupt(data):
            cls._fit(est, data)
            raise KeyboardInterrupt
        return {"_fit": fit_then_interrupt}
    calls = [0]  # "inside": the third call to a training-loop hook raises
    patches = {}
    for name in _TRAINING_HOOKS:
        if callable(getattr(cls, name, None)):
            def hook(*args, _name=name, **kwargs):
                calls[0] += 1
                if calls[0] >= 3:
                    raise KeyboardInterrupt
                return getattr(cls, _name)(est, *args, **kwargs)
            patches[name] = hook
    return patches


def _fit_interrupted(est, X, y, patches):
    for name, fn in patches.items():
        est.__dict__[name] = fn
    try:
        _fit(est, X, y)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the patched fit was not interrupted")
    finally:
        for name in patches:
            est.__dict__.pop(name, None)


def _other_data(estimator):
    """Different data (other ids, other size) for a refit."""
    X, y = _check_data(estimator, n_users=20, n_items=16, seed=1)
    X = X.copy()
    X[USER] = X[USER] + 1000
    X[ITEM] = X[ITEM] + 500
    return X, y


def check_interrupted_fit(estimator):
    """A fit interrupted (KeyboardInterrupt) leaves the previous model untouched.

    The refit on other data is interrupted before training (``_fit``
    raises), after it (``_fit`` returns, then raises) and, for models with a
    training loop (a method in ``_TRAINING_HOOKS``), from inside it. Every
    time ``recommend``, ``score_items`` and ``predict`` answer exactly as
    before the refit; an unfitted model interrupted stays unfitted.
    """
    from sklearn.exceptions import NotFittedError

    X, y = _check_data(estimator)
    XB, yB = _other_data(estimator)
    est = _fit(_with_seed(estimator), X, y)
    users = est.user_ids_[:5]
    ref = _outputs(est, users, X)
    params = est.get_params(deep=False)
    variants = ["before", "after"]
    if _interrupting(est, "inside"):
        variants.append("inside")
    for variant in variants:
        _fit_interrupted(est, XB, yB, _interrupting(est, variant))
        _assert_same_outputs(ref, _outputs(est, users, X), f"fit interrupted {variant} training")
        assert repr(est.get_params(deep=False)) == repr(params)
    # The model still refits normally afterwards.
    _fit(est, XB, yB)
    assert est.n_users_ == XB[USER].nunique()
    if "warm_start" in params:  # a warm start updates the fitted model in place
        warm = _fit(_with_seed(estimator).set_params(warm_start=True), X, y)
        ref = _outputs(warm, users, X)
        for variant in variants:
            _fit_interrupted(warm, X, y, _interrupting(warm, variant))
            _assert_same_outputs(ref, _outputs(warm, users, X),
                                 f"warm-started fit interrupted {variant} training")
    for variant in variants:
        fresh = _with_seed(estimator)
        _fit_interrupted(fresh, X, y, _interrupting(fresh, variant))
        assert not [k for k in vars(fresh) if k.endswith("_") and not k.startswith("__")], (
            f"an unfitted model interrupted {variant} training kept fitted attributes"
        )
        for call in (partial(fresh.recommend, users, k=3), partial(fresh.score_items, users),
                     partial(fresh.predict, X.head(3))):
            try:
                call()
            except NotFittedError:
                pass
            else:
                raise AssertionError("an unfitted model must raise NotFittedError")


def check_not_fitted(estimator):
    """recommend, score_items, predict and user_context raise NotFittedError before fit."""
    from sklearn.exceptions import NotFittedError

    X, _ = _check_data(estimator)
    est = _with_seed(estimator)
    calls = {
        "recommend": lambda: est.recommend([0], k=3),
        "recommend(k=0)": lambda: est.recommend([0], k=0),
        "score_items": lambda: est.score_items([0]),
        "predict": lambda: est.predict(X.head(3)),
    }
    for name in ("user_context", "encode_users"):  # BaseRecommender's public helpers
        if hasattr(est, name):
            calls[name] = partial(getattr(est, name), [0])
    for name, call in calls.items():
        try:
            call()
        except NotFittedError:
            pass
        except Exception as exc:  # noqa: BLE001 - the point is the exception type
            raise AssertionError(
                f"unfitted {name} raised {type(exc).__name__}: {exc}, not NotFittedError"
            ) from exc
        else:
            raise AssertionError(f"unfitted {name} must raise NotFittedError")


def _bad_input_cases(estimator):
    """The bad-input matrix: ``(label, kind, argument, call)`` per case.

    ``kind`` is ``"raise"`` (a ValueError or TypeError whose message names
    ``argument``), ``"warn"`` (a UserWarning naming ``argument``) or
    ``"ok"`` (the call asserts its own outcome). Fit cases get a fresh clone.
    """
    tags = get_recommender_tags(estimator)
    X, y = _check_data(estimator)
    n = len(X)
    yy = np.ones(n) if y is None else np.asarray(y, dtype=np.float64)
    y_fit = y  # what a valid fit passes

    def fit(Xb, yb=None, **kw):
        return lambda: _fit_kw(_with_seed(estimator), Xb, yb, **kw)

    def with_cell(col, value):
        bad = X.copy()
        values = bad[col].astype(object).tolist()
        values[1] = value
        bad[col] = pd.Series(values, index=bad.index, dtype=object)
        return bad

    cases = [
        ("sparse X", "raise", "X", fit(sp.csr_array(np.eye(3)), y_fit)),
        ("NaN user id", "raise", "X", fit(with_cell(USER, np.nan), y_fit)),
        ("None item id", "raise", "X", fit(with_cell(ITEM, None), y_fit)),
        ("inf item id", "raise", "X", fit(X.assign(**{ITEM: np.r_[np.inf, X[ITEM].iloc[1:]]
                                                       .astype(float)}), y_fit)),
        ("empty X", "raise", "X", fit(X.iloc[:0], None if y is None else yy[:0])),
        ("1-D X", "raise", "X", fit(X[USER].to_numpy(), y_fit)),
        ("ragged list X", "raise", "X", fit([[1, 2], [3]], None)),
        ("list id", "raise", "X", fit(with_cell(USER, [1, 2]), y_fit)),
        ("dict id", "raise", "X", fit(with_cell(ITEM, {"a": 1}), y_fit)),
        ("set id", "raise", "X", fit(with_cell(USER, {1}), y_fit)),
        ("unhashable tuple id", "raise", "X", fit(with_cell(ITEM, (1, [2])), y_fit)),
        ("y too short", "raise", "y", fit(X, yy[:-1])),
        ("y=[] for one row", "raise", "y", fit(X.head(1), [])),
        ("2-D y", "raise", "y", fit(X, yy[:, None])),
        ("string y", "raise", "y", fit(X, np.array(["a"] * n, dtype=object))),
        ("NaN in y", "raise", "y", fit(X, np.r_[np.nan, yy[1:]])),
        ("sample_weight too short", "raise", "sample_weight",
         fit(X, y_fit, sample_weight=np.ones(n - 1))),
        ("negative sample_weight", "raise", "sample_weight",
         fit(X, y_fit, sample_weight=np.r_[-1.0, np.ones(n - 1)])),
    ]
    if tags.feedback in ("explicit", "binary"):
        cases.append((f"{tags.feedback} model without y", "raise", "y", fit(X, None)))
    if tags.feedback == "binary":
        cases.append(("binary y outside {0, 1}", "raise", "y", fit(X, np.r_[2.0, yy[1:]])))
    if tags.feedback == "implicit":
        cases.append(("negative implicit y", "raise", "y", fit(X, np.r_[-1.0, yy[1:]])))

    def mixed_ids():  # half the ids become strings: every id keeps its type
        Xm = X.copy()
        Xm[USER] = [u if u % 2 else f"u{u}" for u in X[USER]]
        Xm[ITEM] = [i if i % 2 else f"i{i}" for i in X[ITEM]]
        est = _fit(_with_seed(estimator), Xm, y)
        assert set(map(repr, est.user_ids_)) == set(map(repr, Xm[USER])), "user ids changed"
        assert set(map(repr, est.item_ids_)) == set(map(repr, Xm[ITEM])), "item ids changed"
        query = [est.user_ids_[j] for j in range(4)]
        query = [v.item() if isinstance(v, np.generic) else v for v in query]
        _, _, fb = est.recommend(query, k=3, return_fallback=True)
        assert not fb.any(), f"known mixed-type users {query} were served the fallback"
        items, _ = est.recommend(query, k=3, exclude_seen=False)
        assert set(map(repr, items.ravel())) <= set(map(repr, est.item_ids_))

    cases.append(("mixed id types at fit", "ok", "X", mixed_ids))

    def tuple_ids():  # composite keys: fitted, then queried as users, candidates, history
        Xt = X.copy()
        Xt[USER] = pd.Series([(u, "k") for u in X[USER]], index=X.index, dtype=object)
        Xt[ITEM] = pd.Series([(i, 0) for i in X[ITEM]], index=X.index, dtype=object)
        est = _fit(_with_seed(estimator), Xt, y)
        assert all(type(v) is tuple for v in est.user_ids_), "tuple user ids changed"
        query = list(est.user_ids_[:3])
        cand = list(est.item_ids_[:4])
        _, _, fb = est.recommend(query, k=3, candidates=cand, return_fallback=True)
        assert not fb.any(), f"known tuple users {query} were served the fallback"
        items, _ = est.recommend(query, k=2, exclude_seen=False)
        assert all(type(v) is tuple for v in items.ravel())
        hist = pd.DataFrame({USER: pd.Series([query[0]], dtype=object),
                             ITEM: pd.Series([cand[0]], dtype=object)})
        codes = est.encode_items([cand[0]])
        assert codes.tolist() == [0]
        est.recommend(query[:1], k=2, history=hist, history_y=_history_y(est, 1))

    cases.append(("tuple ids fitted and queried", "ok", "X", tuple_ids))

    fitted = _fit(_with_seed(estimator), X, y)
    u = fitted.user_ids_[:3]
    u0 = u[0].item() if isinstance(u[0], np.generic) else u[0]
    items = fitted.item_ids_
    it = [v.item() if isinstance(v, np.generic) else v for v in items[:4]]
    hist = pd.DataFrame({USER: [u0, u0], ITEM: [it[0], it[1]]})
    hy = _history_y(fitted, 2)
    hy_ok = np.ones(2) if hy is None else hy
    rec = fitted.recommend
    cases += [
        ("users scalar", "raise", "users", lambda: rec(u0, k=3)),
        ("users None", "raise", "users", lambda: rec(None, k=3)),
        ("users 2-D", "raise", "users", lambda: rec(np.array([u, u]), k=3)),
        ("nested list user", "raise", "users", lambda: rec([[u0]], k=3)),
        ("NaN user", "raise", "users", lambda: rec([u0, np.nan], k=3)),
        ("None user", "raise", "users", lambda: rec([u0, None], k=3)),
        ("set as a user", "raise", "users", lambda: rec([{u0}], k=3)),
        ("dict as a user", "raise", "users", lambda: rec([{u0: 1}], k=3)),
        ("unhashable tuple as a user", "raise", "users", lambda: rec([(u0, [1])], k=3)),
        ("users as a set", "raise", "users", lambda: rec({u0}, k=3)),
        ("sparse users", "raise", "users", lambda: rec(sp.csr_array(np.ones((1, 2))), k=3)),
        ("k=0", "raise", "k", lambda: rec(u, k=0)),
        ("k=-1", "raise", "k", lambda: rec(u, k=-1)),
        ("k=2.5", "raise", "k", lambda: rec(u, k=2.5)),
        ("k='3'", "raise", "k", lambda: rec(u, k="3")),
        ("k=True", "raise", "k", lambda: rec(u, k=True)),
        ("k=None", "raise", "k", lambda: rec(u, k=None)),
        ("unknown candidate", "raise", "candidates",
         lambda: rec(u, k=2, candidates=[it[0], "__no_such_item__"])),
        ("repeated candidates", "raise", "candidates",
         lambda: rec(u, k=2, candidates=[it[0], it[0], it[1]])),
        ("repeated 2-D candidates", "raise", "candidates",
         lambda: rec(u[:2], k=2, candidates=[[it[0], it[1]], [it[2], it[2]]])),
        ("repeated candidates in score_items", "raise", "candidates",
         lambda: fitted.score_items(u, [it[1], it[1]])),
        ("empty candidates", "raise", "candidates", lambda: rec(u, k=2, candidates=[])),
        ("3-D candidates", "raise", "candidates",
         lambda: rec(u, k=2, candidates=np.array(it[:4]).reshape(1, 2, 2))),
        ("2-D candidates, wrong rows", "raise", "candidates",
         lambda: rec(u, k=2, candidates=[[it[0]]])),
        ("NaN candidate", "raise", "candidates", lambda: rec(u, k=2, candidates=[it[0], np.nan])),
        ("candidates as a set", "raise", "candidates", lambda: rec(u, k=2, candidates={it[0]})),
        ("sparse history", "raise", "history",
         lambda: rec(u, k=2, history=sp.csr_array(np.eye(2)))),
        ("history without item column", "raise", "history",
         lambda: rec(u, k=2, history=hist.rename(columns={ITEM: "i"}))),
        ("NaN history user", "raise", "history",
         lambda: rec(u, k=2, history=hist.assign(**{USER: [u0, None]}), history_y=hy)),
        ("history_y wrong length", "raise", "history_y",
         lambda: rec(u, k=2, history=hist, history_y=np.ones(3))),
        ("history_y without history", "raise", "history_y",
         lambda: rec(u, k=2, history_y=hy_ok)),
        ("string history_y", "raise", "history_y",
         lambda: rec(u, k=2, history=hist, history_y=["a", "b"])),
    ]
    if tags.feedback == "implicit":
        cases.append(("negative history_y", "raise", "history_y",
                      lambda: rec(u, k=2, history=hist, history_y=[-1.0, 1.0])))
    else:
        cases.append((f"{tags.feedback} history without history_y", "raise", "history_y",
                      lambda: rec(u, k=2, history=hist)))
    if tags.feedback == "binary":
        cases.append(("binary history_y outside {0, 1}", "raise", "history_y",
                      lambda: rec(u, k=2, history=hist, history_y=[3.0, 1.0])))

    def same_as_without(history, history_y):
        def run():
            ref = rec(u, k=4)
            got = rec(u, k=4, history=history, history_y=history_y)
            np.testing.assert_array_equal(np.asarray(got[0], dtype=object),
                                          np.asarray(ref[0], dtype=object))
            np.testing.assert_allclose(got[1], ref[1])
        return run

    unknown_items = pd.DataFrame({USER: [u0, u0], ITEM: ["__x__", "__y__"]})
    other_users = pd.DataFrame({USER: ["__someone_else__"] * 2, ITEM: it[:2]})
    cases += [
        ("history of unknown items (ignored)", "ok", "history",
         same_as_without(unknown_items, hy)),
        ("history of users not asked for (ignored)", "ok", "history",
         same_as_without(other_users, hy)),
    ]

    def unknown_users_fall_back():
        _, _, fb = rec(["__nobody__", u0], k=3, return_fallback=True)
        assert fb.tolist() == [True, False]
        rows = X.head(2).copy()  # the columns seen at fit, side features included
        rows[USER] = np.array(["__nobody__", u0], dtype=object)
        rows[ITEM] = np.array([it[0], "__x__"], dtype=object)
        pred = fitted.predict(rows)
        assert np.isfinite(pred).all()

    cases.append(("unknown users and items at recommend/predict", "ok", "users",
                  unknown_users_fall_back))
    int_users = all(isinstance(v, (int, np.integer)) for v in fitted.user_ids_)
    int_items = all(isinstance(v, (int, np.integer)) for v in items)
    if int_users:
        cases.append(("int user asked as str", "warn", "users", lambda: rec([str(u0)], k=2)))
        Xs = X.head(2).assign(**{USER: [str(u0)] * 2})
        cases.append(("int user asked as str in predict", "warn", "X",
                      lambda: fitted.predict(Xs)))
    if int_items:
        cases.append(("int item in history as str", "warn", "history",
                      lambda: rec(u, k=2, history=hist.assign(**{ITEM: [str(it[0])] * 2}),
                                  history_y=hy)))
        cases.append(("int candidate as str", "warn", "candidates",
                      lambda: fitted.score_items(u, [it[0], str(it[1])])))
    cases += [
        ("batch_size=0", "raise", "batch_size", lambda: rec(u, k=2, batch_size=0)),
        ("on_unknown='ignore'", "raise", "on_unknown", lambda: rec(u, k=2, on_unknown="x")),
        ("predict on sparse X", "raise", "X", lambda: fitted.predict(sp.csr_array(np.eye(2)))),
        ("predict with NaN id", "raise", "X",
         lambda: fitted.predict(X.head(3).assign(**{USER: [u0, np.nan, u0]}))),
    ]
    return cases


def _fit_kw(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        return est.fit(X, y, **kw)


def _run_case(label, kind, arg, call):
    if kind == "ok":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            call()
        return
    if kind == "warn":
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                call()
            except _CLEAR_ERRORS as exc:  # an unknown candidate also raises, naming it
                assert arg in str(exc), f"{label}: message {str(exc)!r} should name {arg!r}"
        msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert any(arg in m for m in msgs), f"{label}: expected a UserWarning naming {arg!r}"
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            call()
    except _CLEAR_ERRORS as exc:
        assert arg in str(exc), (
            f"{label}: {type(exc).__name__} message {str(exc)!r} should name {arg!r}"
        )
    except Exception as exc:  # noqa: BLE001 - the point is the exception type
        raise AssertionError(
            f"{label}: raised {type(exc).__name__} ({exc}); a bad {arg} must raise a "
            "ValueError or TypeError naming it"
        ) from exc
    else:
        raise AssertionError(f"{label}: no error; a bad {arg} must raise a ValueError or "
                             "TypeError naming it")


def check_bad_input_matrix(estimator):
    """Every bad input of :func:`_bad_input_cases` gets a clear error, warning or result."""
    failures = []
    for label, kind, arg, call in _bad_input_cases(estimator):
        try:
            _run_case(label, kind, arg, call)
        except AssertionError as exc:
            failures.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - an "ok" case that crashed
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} bad-input case(s) failed:\n" + "\n".join(failures)


def check_malformed_tables(estimator):
    """Hypothesis-generated tables with odd cells: a clear error, or a model that keeps ids.

    Cells of a small valid table are replaced by NaN, None, inf, unhashable
    values, tuples, bools, floats and strings. ``fit`` either raises a
    ValueError / TypeError naming ``X`` or succeeds, and then every fitted id
    is one of the table's ids, with its type, and known users are served by
    the model (not the fallback).
    """
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    X, y = _check_data(estimator)
    base = X.head(40).reset_index(drop=True)
    y_base = None if y is None else np.asarray(y)[:40]
    odd = st.one_of(
        st.just(np.nan), st.none(), st.just(np.inf), st.just([1]), st.just({"a": 1}),
        st.just({2}), st.just((1, 2)), st.booleans(), st.floats(-5, 5, allow_nan=False),
        st.text(min_size=1, max_size=3), st.integers(-3, 10_000),
    )

    column_types = st.sampled_from(["keep", "str", "float", "category", "string", "bytes"])

    def retype(values, how):
        if how == "str":
            return values.astype(str)
        if how == "float":
            return values.astype(np.float64)
        if how == "category":
            return values.astype("category")
        if how == "string":
            return values.astype("string")
        if how == "bytes":
            return values.map(lambda v: str(v).encode())
        return values

    @settings(max_examples=_MALFORMED_EXAMPLES, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(st.integers(0, len(base) - 1), st.sampled_from([USER, ITEM]),
                              odd), min_size=0, max_size=4),
           st.booleans(), column_types, column_types)
    def run(edits, as_list, user_type, item_type):
        table = base.copy()
        table[USER] = retype(table[USER], user_type)
        table[ITEM] = retype(table[ITEM], item_type)
        for col in (USER, ITEM):
            table[col] = table[col].astype(object)
        for row, col, value in edits:
            table.at[row, col] = value
        data = table.to_numpy().tolist() if as_list else table
        if as_list and (get_recommender_tags(estimator).requires_timestamp
                        or get_recommender_tags(estimator).requires_session):
            data = table
        est = _with_seed(estimator)
        try:
            _fit(est, data, y_base)
        except _CLEAR_ERRORS as exc:
            assert "X" in str(exc), f"message {str(exc)!r} should name X"
            return
        except Exception as exc:  # noqa: BLE001 - the point is the exception type
            raise AssertionError(
                f"fit on a malformed table raised {type(exc).__name__}: {exc}") from exc
        given_ids = {repr(v.item() if isinstance(v, np.generic) else v)
                     for v in table[USER]}
        fitted_ids = {repr(v.item() if isinstance(v, np.generic) else v)
                      for v in est.user_ids_}
        # No id changed type (np.asarray would make "1" of 1, or 1.0 of every int) ...
        assert fitted_ids <= given_ids, f"fitted user ids {fitted_ids - given_ids} are not in X"
        # ... and none was lost (equal ids such as 0 and 0.0 may share a code, as in an Index).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            codes = est.encode_users(table[USER].tolist())
        assert (codes >= 0).all(), "a user id of X is unknown after fit"
        query = [v.item() if isinstance(v, np.generic) else v for v in est.user_ids_[:3]]
        _, _, fb = est.recommend(query, k=2, return_fallback=True)
        assert not fb.any(), f"known users {query} were served the fallback"

    run()


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
    check_not_fitted,
    check_interrupted_fit,
    check_bad_input_matrix,
    check_malformed_tables,
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
