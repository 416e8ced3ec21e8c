"""The gated blend of two recommenders by item popularity (BALSE).

``GatedBlend`` mixes the predictions of two fitted recommenders with a
weight that depends on how many training rows an item has: a model that
needs data (collaborative filtering) gets the weight on popular items, a
model that reads item descriptions gets it on rare ones. The gate has two
parameters, learned on held-out rows.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils.validation import check_is_fitted

from .._constants import ITEM, SESSION, TIME, USER
from .._data import check_interactions, check_n_features, encode
from ..base import BaseRecommender, RecommenderTags, _csr_rows
from ..utils._compat import Interval, StrOptions, _name_estimators, _safe_indexing

__all__ = ["GatedBlend"]

#: Probabilities are clipped to [eps, 1 - eps] in the log loss of binary feedback.
_EPS = 1e-7


def _is_pair(value):
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)


class GatedBlend(BaseRecommender):
    """Blend two recommenders with a gate on the item's number of ratings (BALSE).

    The prediction for user ``u`` and item ``j`` is

    .. math::

        \\hat y_{uj} = g_j\\, \\hat y^a_{uj} + (1 - g_j)\\, \\hat y^b_{uj},
        \\qquad g_j = \\sigma(\\beta\\,(s(R_j) - \\gamma)),

    where ``a`` and ``b`` are the two estimators, :math:`R_j` is the item's
    number of training rows, :math:`s` the ``scale`` (``log1p`` by default)
    and :math:`\\sigma` the logistic function: with :math:`\\beta > 0` the
    first estimator takes over on popular items and the second on rare ones.
    This is BALSE [1]_ (Blended Alternate Least Squares with Explanation):
    collaborative filtering blended with a model of the item's tags, which
    wins on items with few ratings.

    ``fit`` holds out ``holdout_size`` of the training rows, fits clones of
    both estimators on the rest, learns :math:`\\beta` and :math:`\\gamma` on
    their predictions for the held-out rows, then (``refit=True``) fits both
    estimators again on every training row.

    Parameters
    ----------
    estimators : list of two estimators or of two (name, estimator) pairs
        The recommenders to blend, first ``a`` then ``b``; both must learn
        from the same feedback (``explicit`` ratings or ``binary`` 0/1
        labels). Bare estimators, as in ``GatedBlend([MF(), FM()])``, are
        named after their class in lower case (``"mf"``, ``"fm"``; a class
        used twice gives ``"mf-1"`` and ``"mf-2"``), as
        :func:`~sklearn.pipeline.make_pipeline` names its steps. The names
        reach the inner parameters: ``set_params(mf__n_factors=16)``, and
        ``{"mf__n_factors": [16, 32]}`` in a grid search.
    holdout_size : float in (0, 1), default=0.2
        Fraction of the training rows held out to learn the gate. The
        split is random (seeded by ``random_state``), except that every user
        and every item keeps at least one row in the fitting part: a row
        whose user or item would lose its last row stays in training. When
        no row can be held out (every user or item has a single row), the
        gate is the equal blend (``beta_ = 0``) and a ``UserWarning`` says so.
    scale : {"log1p", "linear"}, default="log1p"
        The function :math:`s` of the item's number of training rows
        :math:`R_j` that the gate reads: ``log(1 + R_j)`` (popularity spans
        orders of magnitude), or :math:`R_j` itself. An item unseen at fit
        has :math:`R_j = 0`.
    refit : bool, default=True
        Whether to fit both estimators again on all training rows once the
        gate is learned. With ``False`` the blended models are the ones
        fitted without the held-out rows, and :math:`R_j` counts the rows
        they were fitted on.
    max_iter : int, default=200
        Iterations of the gate's optimizer (L-BFGS-B).
    tol : float, default=1e-8
        Tolerance of the gate's optimizer.
    random_state : int, RandomState instance or None, default=None
        Seeds the held-out split. The estimators keep their own
        ``random_state``.

    Attributes
    ----------
    estimators_ : list of estimators
        The two fitted estimators, ``a`` then ``b``.
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The fitted estimators by name.
    beta_ : float
        Slope of the gate. Positive: the weight on ``a`` grows with the
        item's number of rows.
    gamma_ : float
        Where the gate is at one half, on the ``scale`` of the counts (for
        ``log1p``, the items with ``expm1(gamma_)`` rows get an equal blend).
        0 when ``beta_`` is 0.
    item_counts_ : ndarray of shape (n_items_,)
        :math:`R_j`: the number of training rows of each item (of the rows
        the blended models were fitted on).
    holdout_loss_ : dict
        Loss on the held-out rows (mean squared error for explicit feedback,
        log loss for binary) of each estimator (by name) and of the blend
        (``"blend"``); empty when no row could be held out.
    n_holdout_ : int
        Number of held-out rows the gate was learned on.
    n_iter_ : int
        Iterations of the gate's optimizer.
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    sklearn.ensemble.StackingRegressor : Blends regressors with a learned
        final estimator.
    skrec.ctr.FM : A model of the item's tags (its feature columns).

    Notes
    -----
    **The loss.** With explicit feedback (ratings) the gate minimizes the
    mean squared error of the blended rating on the held-out rows; with
    binary feedback (0/1 labels, both models predicting probabilities) the
    log loss of the blended probability. Both are weighted by
    ``sample_weight``. Implicit feedback is refused: held-out positives
    without negatives give the gate nothing to compare. The optimizer is
    :func:`scipy.optimize.minimize` (L-BFGS-B with the analytic gradient) in
    the parameters :math:`(\\beta, c = -\\beta\\gamma)`, starting from the
    equal blend.

    **The counts.** While the gate is learned, :math:`R_j` is the item's
    number of rows in the fitting part, scaled by ``n_rows / n_fitting``
    when ``refit=True``, so that it is on the scale of the counts of the
    refitted models.

    **Scoring.** ``predict`` blends the two models' ``predict`` (each
    treats unknown users and items its own way: a feature model predicts a
    cold item from its feature columns); ``recommend`` and ``score_items``
    blend the two models' ``score_items`` over the candidates, on their own
    scale (ratings for rating models; the CTR models' ``score_items`` gives
    log-odds, so with binary feedback the ranking blends log-odds while
    ``predict`` blends probabilities). A user's
    ``history`` is passed on to both models. The tags combine the two
    models': ``fold_in`` when both fold in, ``side_features`` when either
    reads them.

    References
    ----------
    .. [1] J.-J. Vie, F. Laily and M. Pagliardini, "Using Posters to
       Recommend Anime and Mangas in a Cold-Start Scenario", MANPU 2017
       (BALSE); and J.-J. Vie's talk on Mangaki.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.ensemble import GatedBlend
    >>> from skrec.factorization import MF
    >>> data = make_interactions(n_users=60, n_items=30, n_interactions=900, random_state=0)
    >>> X, y = data.X[["user", "item"]], data.y
    >>> blend = GatedBlend([MF(n_factors=8, max_iter=5, device="cpu", random_state=0),
    ...                     MF(n_factors=2, max_iter=5, device="cpu", random_state=0)],
    ...                    random_state=0).fit(X, y)
    >>> sorted(blend.named_estimators_)
    ['mf-1', 'mf-2']
    >>> blend.predict(X.head(3)).shape
    (3,)
    >>> items, scores = blend.recommend([0, 1], k=5)
    >>> items.shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        "estimators": [list, tuple],
        "holdout_size": [Interval(numbers.Real, 0, 1, closed="neither")],
        "scale": [StrOptions({"log1p", "linear"})],
        "refit": ["boolean"],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimators, *, holdout_size=0.2, scale="log1p", refit=True,
                 max_iter=200, tol=1e-8, random_state=None):
        self.estimators = estimators
        self.holdout_size = holdout_size
        self.scale = scale
        self.refit = refit
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    # ---------------------------------------------------------- names
    def _named(self):
        """``[(name, estimator), (name, estimator)]`` from ``estimators``, validated."""
        ests = self.estimators
        if not isinstance(ests, (list, tuple)):
            raise TypeError(
                f"estimators must be a list of two estimators or of two (name, estimator) "
                f"pairs, got {type(ests).__name__}."
            )
        if len(ests) != 2:
            raise ValueError(
                f"GatedBlend blends exactly two estimators, got {len(ests)}: pass "
                "estimators=[a, b] (a takes the popular items when beta_ > 0)."
            )
        pairs = [_is_pair(e) for e in ests]
        if all(pairs):
            named = [tuple(e) for e in ests]
        elif not any(pairs):
            named = _name_estimators(list(ests))
        else:
            raise ValueError(
                "estimators mixes (name, estimator) pairs and bare estimators; name both or "
                "neither."
            )
        names = [n for n, _ in named]
        if names[0] == names[1]:
            raise ValueError(f"estimators has the name {names[0]!r} twice; names must be unique.")
        params = set(self.get_params(deep=False))
        for name in names:
            if "__" in name:
                raise ValueError(f"Estimator name {name!r} must not contain '__'.")
            if name in params or name == "blend":
                raise ValueError(
                    f"Estimator name {name!r} is also a parameter name of GatedBlend (or "
                    "'blend'); rename the estimator."
                )
        return named

    def get_params(self, deep=True):
        """Parameters of the blend, and with ``deep=True`` of the two estimators.

        The estimators appear under their names (``name`` and
        ``name__param``), as in scikit-learn's ensembles.

        Parameters
        ----------
        deep : bool, default=True
            Whether to include the estimators and their parameters.

        Returns
        -------
        params : dict
        """
        out = super().get_params(deep=False)
        if not deep:
            return out
        try:
            named = self._named()
        except (TypeError, ValueError):
            return out
        for name, est in named:
            out[name] = est
            if hasattr(est, "get_params"):
                for key, value in est.get_params(deep=True).items():
                    out[f"{name}__{key}"] = value
        return out

    def set_params(self, **params):
        """Set parameters of the blend or, by name, of its estimators.

        ``set_params(mf=MF(...))`` replaces an estimator and
        ``set_params(mf__n_factors=16)`` sets one of its parameters.

        Parameters
        ----------
        **params : dict

        Returns
        -------
        self : GatedBlend
        """
        if "estimators" in params:
            self.estimators = params.pop("estimators")
        if params:
            try:
                names = [n for n, _ in self._named()]
            except (TypeError, ValueError):
                names = []
            for pos, name in enumerate(names):
                if name in params:
                    self._replace(pos, params.pop(name))
        return super().set_params(**params)

    def _replace(self, pos, estimator):
        ests = list(self.estimators)
        ests[pos] = (ests[pos][0], estimator) if _is_pair(ests[pos]) else estimator
        self.estimators = type(self.estimators)(ests)

    # ------------------------------------------------------------ tags
    def _inner_tags(self):
        try:
            named = self._named()
        except (TypeError, ValueError):
            return None
        tags = []
        for _, est in named:
            get = getattr(est, "__skrec_tags__", None)
            if not callable(get):
                return None
            tags.append(get())
        return tags

    def __skrec_tags__(self):
        tags = self._inner_tags()
        if tags is None:
            return RecommenderTags(feedback="explicit")
        a, b = tags
        return replace(
            a,
            fold_in=a.fold_in and b.fold_in,
            side_features=a.side_features or b.side_features,
            sequence=a.sequence or b.sequence,
            requires_timestamp=a.requires_timestamp or b.requires_timestamp,
            requires_session=a.requires_session or b.requires_session,
            torch=a.torch or b.torch,
        )

    def _check_estimators(self):
        named = self._named()
        for name, est in named:
            missing = [m for m in ("fit", "predict", "score_items", "__skrec_tags__")
                       if not hasattr(est, m)]
            if missing:
                raise TypeError(
                    f"GatedBlend blends skrec recommenders, but estimator {name!r} "
                    f"({type(est).__name__}) has no {missing}."
                )
        (na, a), (nb, b) = named
        fa, fb = a.__skrec_tags__().feedback, b.__skrec_tags__().feedback
        if fa != fb:
            raise ValueError(
                f"The estimators learn from different feedback: {na!r} from {fa!r}, {nb!r} "
                f"from {fb!r}. Blend two models of the same feedback (e.g. two rating models)."
            )
        if fa == "implicit":
            raise ValueError(
                f"GatedBlend learns its gate from held-out ratings (explicit feedback) or 0/1 "
                f"labels (binary feedback); {na!r} and {nb!r} learn from implicit feedback, "
                "whose held-out rows are all positives and leave the gate nothing to fit. Use "
                "rating models (e.g. MF(loss='mse'), FM(loss='mse')) or click models."
            )
        return named, fa

    # ------------------------------------------------------------- fit
    def _fit_template(self, X, y, sample_weight):
        # The estimators are fitted on the rows of X as given (their own
        # validation, feature columns and duplicate policies).
        self._fit_input = X
        try:
            super()._fit_template(X, y, sample_weight)
        finally:
            self.__dict__.pop("_fit_input", None)

    def _fit(self, data):
        named, feedback = self._check_estimators()
        X = self._fit_input  # validated by the base class: a table, not a sparse matrix
        if not isinstance(X, (pd.DataFrame, np.ndarray, list)):  # make it row-indexable
            X = np.asarray(X) if hasattr(X, "__array__") else list(X)
        n = len(data.user)
        hold = self._holdout_mask(data.user, data.item, data.n_users, data.n_items)
        beta, gamma, n_iter, losses = 0.0, 0.0, 0, {}
        fitted_part = None
        if hold.any():
            keep = np.flatnonzero(~hold)
            held = np.flatnonzero(hold)
            part = [self._fit_one(est, X, data, keep) for _, est in named]
            counts = np.bincount(data.item[keep], minlength=data.n_items).astype(np.float64)
            if self.refit:
                counts *= n / len(keep)
            X_held = _safe_indexing(X, held)
            preds = [est.predict(X_held) for est in part]
            sw = None if data.sample_weight is None else data.sample_weight[held]
            beta, gamma, n_iter, loss = self._learn_gate(
                preds[0], preds[1], data.y[held], self._scaled(counts[data.item[held]]), sw,
                feedback,
            )
            losses = {named[0][0]: loss[0], named[1][0]: loss[1], "blend": loss[2]}
            fitted_part = part
        else:
            warnings.warn(
                "GatedBlend could hold out no row to learn its gate from (every user or item "
                "of X has a single row): the gate is the equal blend (beta_ = 0).",
                UserWarning, stacklevel=4,
            )
        if self.refit or fitted_part is None:
            fitted = [self._fit_one(est, X, data, None) for _, est in named]
            counts = np.bincount(data.item, minlength=data.n_items)
        else:
            fitted = fitted_part
            counts = np.bincount(data.item[~hold], minlength=data.n_items)
        self.estimators_ = fitted
        self._names_ = [name for name, _ in named]
        self.beta_ = float(beta)
        self.gamma_ = float(gamma)
        self.item_counts_ = counts.astype(np.float64)
        self.holdout_loss_ = losses
        self.n_holdout_ = int(hold.sum())
        self.n_iter_ = int(n_iter)
        return self

    def _fit_one(self, estimator, X, data, rows):
        est = clone(estimator)
        sw = data.sample_weight
        if rows is None:
            Xs, ys = X, data.y
        else:
            Xs, ys = _safe_indexing(X, rows), data.y[rows]
            sw = None if sw is None else sw[rows]
        kwargs = {} if sw is None else {"sample_weight": sw}
        return est.fit(Xs, ys, **kwargs)

    def _holdout_mask(self, user, item, n_users, n_items):
        """Held-out rows: a seeded random draw that leaves every user and item a row."""
        n = len(user)
        target = int(np.floor(self.holdout_size * n))
        hold = np.zeros(n, dtype=bool)
        if target == 0:
            return hold
        rng = check_random_state(self.random_state)
        u_left = np.bincount(user, minlength=n_users)
        i_left = np.bincount(item, minlength=n_items)
        taken = 0
        for r in rng.permutation(n):
            u, i = user[r], item[r]
            if u_left[u] > 1 and i_left[i] > 1:
                hold[r] = True
                u_left[u] -= 1
                i_left[i] -= 1
                taken += 1
                if taken == target:
                    break
        return hold

    def _scaled(self, counts):
        counts = np.asarray(counts, dtype=np.float64)
        return np.log1p(counts) if self.scale == "log1p" else counts

    def _learn_gate(self, pa, pb, y, s, sw, feedback):
        """(beta, gamma, iterations, (loss a, loss b, loss blend)) on held-out predictions."""
        pa, pb = np.asarray(pa, dtype=np.float64), np.asarray(pb, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        w = np.ones(len(y)) if sw is None else np.asarray(sw, dtype=np.float64)
        total = w.sum()
        if total <= 0:
            w, total = np.ones(len(y)), float(len(y))
        w = w / total
        binary = feedback == "binary"
        if binary:
            for p, (name, _) in zip((pa, pb), self._named()):
                if p.min() < 0 or p.max() > 1:
                    raise ValueError(
                        f"With binary feedback the gate blends probabilities, but estimator "
                        f"{name!r} predicts values outside [0, 1]; use a click model that "
                        "predicts probabilities (e.g. FM(loss='bce'))."
                    )
        d = pa - pb

        def loss_of(p):
            if binary:
                p = np.clip(p, _EPS, 1 - _EPS)
                return float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log1p(-p))))
            return float(np.sum(w * (p - y) ** 2))

        def fun(theta):
            z = theta[0] * s + theta[1]
            g = expit(z)
            p = pb + g * d
            if binary:
                pc = np.clip(p, _EPS, 1 - _EPS)
                dp = w * (pc - y) / (pc * (1 - pc))
            else:
                dp = 2 * w * (p - y)
            dz = dp * d * g * (1 - g)
            return loss_of(p), np.array([dz @ s, dz.sum()])

        res = minimize(fun, x0=np.zeros(2), jac=True, method="L-BFGS-B", tol=self.tol,
                       options={"maxiter": self.max_iter})
        beta, c = (float(v) for v in res.x)
        gamma = -c / beta if beta != 0 else 0.0
        blend = pb + expit(beta * (s - gamma)) * d
        return beta, gamma, res.nit, (loss_of(pa), loss_of(pb), loss_of(blend))

    # ---------------------------------------------------------- gate
    @property
    def named_estimators_(self):
        check_is_fitted(self, "estimators_")
        return Bunch(**dict(zip(self._names_, self.estimators_)))

    def gate_weights(self, counts=None):
        """Weight of the first estimator for items with these numbers of rows.

        Parameters
        ----------
        counts : array-like of shape (n,), default=None
            Numbers of training rows :math:`R_j`; None gives the weights of
            the catalog (``item_counts_``, in the order of ``item_ids_``).

        Returns
        -------
        weights : ndarray of shape (n,)
            :math:`\\sigma(\\beta (s(R) - \\gamma))`, in (0, 1); the second
            estimator gets one minus it.
        """
        check_is_fitted(self)
        counts = self.item_counts_ if counts is None else np.asarray(counts, dtype=np.float64)
        if counts.ndim != 1 or not np.isfinite(counts).all() or (counts < 0).any():
            raise ValueError(
                "counts must be a 1-D array of finite non-negative numbers of rows per item."
            )
        return expit(self.beta_ * (self._scaled(counts) - self.gamma_))

    # --------------------------------------------------------- scoring
    def predict(self, X):
        """Blended prediction of the two estimators for each row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            (user, item) pairs, with the columns seen at fit.

        Returns
        -------
        y_pred : ndarray of float64, shape (n_interactions,)
            Each estimator predicts unknown users and items its own way; an
            item unseen at fit has :math:`R_j = 0` in the gate.
        """
        check_is_fitted(self)
        check_n_features(self, X, reset=False)
        table = check_interactions(X, require_time=self.__skrec_tags__().requires_timestamp)
        items = encode(table.item, self._item_index)
        counts = np.where(items >= 0, self.item_counts_[np.maximum(items, 0)], 0.0)
        g = self.gate_weights(counts)
        pa, pb = (np.asarray(est.predict(X), dtype=np.float64) for est in self.estimators_)
        return g * pa + (1 - g) * pb

    def _score_items(self, context, item_idx):
        candidates = self.item_ids_ if item_idx is None else self.item_ids_[item_idx]
        counts = self.item_counts_ if item_idx is None else self.item_counts_[item_idx]
        g = self.gate_weights(counts)[None, :]
        history, history_y = self._context_history(context)
        sa, sb = (est.score_items(context.users, candidates, history=history,
                                  history_y=history_y) for est in self.estimators_)
        return g * sa + (1 - g) * sb

    def _context_history(self, context):
        """The ``history`` rows of a context, as a table for the two estimators."""
        first = ~pd.Index(np.asarray(context.users, dtype=object)).duplicated()
        users = np.flatnonzero((context.n_history > 0) & first)
        if len(users) == 0:
            return None, None
        rows = context.rows
        if rows is not None:  # each user's training rows, then their history rows
            ends = rows.indptr[1:][users]
            lengths = context.n_history[users]
            idx = np.concatenate([np.arange(e - m, e) for e, m in zip(ends, lengths)])
            owner = np.repeat(users, lengths)
            frame = pd.DataFrame({USER: np.asarray(context.users, dtype=object)[owner],
                                  ITEM: self.item_ids_[rows.items[idx]]})
            if rows.timestamp is not None:
                frame[TIME] = rows.timestamp[idx]
            if rows.session is not None:
                frame[SESSION] = rows.session[idx]
            if rows.features is not None:
                feats = rows.features.iloc[idx].reset_index(drop=True)
                frame = pd.concat([frame, feats], axis=1)
            hy = None if rows.y is None else rows.y[idx]
        else:  # H(u) as a bag: the history is what it adds to the training rows
            diff = (context.matrix[users] - _csr_rows(self.seen_, context.codes[users])).tocoo()
            nz = diff.data != 0
            frame = pd.DataFrame({
                USER: np.asarray(context.users, dtype=object)[users][diff.row[nz]],
                ITEM: self.item_ids_[diff.col[nz]],
            })
            hy = diff.data[nz].astype(np.float64)
        if self.__skrec_tags__().feedback == "implicit":
            hy = None
        return frame, hy
