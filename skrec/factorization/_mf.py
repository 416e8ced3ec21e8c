"""Gradient-trained matrix factorization: MF and BPRMF.

The shared machinery (losses, negative sampling, side features, time bins,
scoring) is in :class:`_FactorizationBase`; the variants with other modules
(mixture of tastes, variational) live in :mod:`skrec.factorization._variants`.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
import torch

from .._torch import PairwiseRecommender
from .._torch._docs import fill_engine_doc
from ..base import RecommenderTags
from ..utils._compat import Interval, StrOptions
from ._modules import MFModule

__all__ = ["BPRMF", "MF"]

_LOSSES = ("mse", "bce", "bpr")


# ------------------------------------------------------------- helpers
def _numeric_features(features):
    """Side-feature columns as a float array; non-numeric columns are refused."""
    cols = {}
    for name in features.columns:
        col = features[name]
        if col.dtype == object:
            try:
                col = pd.to_numeric(col)
            except (TypeError, ValueError):
                pass
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise TypeError(
                f"side_features=True reads numeric columns only, but column {name!r} has "
                f"dtype {features[name].dtype}. One-hot encode it first (e.g. with "
                "skrec.compose.make_side_feature_transformer) or drop it."
            )
        cols[name] = col.to_numpy(dtype=np.float64)
    values = np.column_stack(list(cols.values())) if cols else np.empty((len(features), 0))
    if not np.isfinite(values).all():
        raise ValueError("Side-feature columns contain NaN or infinite values; impute them first.")
    return values


def _entity_table(values, codes, n):
    """One feature row per entity (the first value seen), and whether each column is constant."""
    first = np.full((n, values.shape[1]), np.nan)
    order = np.arange(len(codes))[::-1]  # later rows overwrite: reversed gives the first
    first[codes[order]] = values[order]
    constant = np.all(np.isclose(first[codes], values), axis=0)
    return np.nan_to_num(first), constant


def _standardize(table):
    """The standardized table and the (mean, scale) that standardize new rows."""
    mean = table.mean(0)
    scale = table.std(0)
    scale[scale == 0] = 1.0
    return (table - mean) / scale, (mean, scale)


def split_side_features(features, user, item, n_users, n_items):
    """User and item feature tables from row-aligned columns.

    A column named ``user__*`` is a user feature and ``item__*`` an item
    feature (the prefixes of :class:`skrec.compose.SideFeatureJoiner`);
    another column is an item feature when constant within each item, else a
    user feature when constant within each user, else it is a context feature
    that factorization cannot use and is ignored with a warning.
    """
    values = _numeric_features(features)
    names = list(map(str, features.columns))
    item_tab, item_const = _entity_table(values, item, n_items)
    user_tab, user_const = _entity_table(values, user, n_users)
    u_cols, i_cols, ignored = [], [], []
    for j, name in enumerate(names):
        if name.startswith("user__"):
            u_cols.append(j)
        elif name.startswith("item__") or item_const[j]:
            i_cols.append(j)
        elif user_const[j]:
            u_cols.append(j)
        else:
            ignored.append(name)
    if ignored:
        warnings.warn(
            f"Side-feature column(s) {ignored} vary within users and within items; "
            "factorization models read user and item features only, so they are ignored.",
            UserWarning,
        )
    user_x = item_x = user_spec = None
    if u_cols:
        user_x, (mean, scale) = _standardize(user_tab[:, u_cols])
        user_spec = ([names[j] for j in u_cols], mean, scale)
    if i_cols:
        item_x, _ = _standardize(item_tab[:, i_cols])
    return user_x, item_x, user_spec


def _as_seconds(timestamp):
    ts = np.asarray(timestamp)
    if np.issubdtype(ts.dtype, np.datetime64):
        return ts.astype("datetime64[s]").astype(np.float64)
    try:
        return ts.astype(np.float64)
    except (TypeError, ValueError):
        return pd.to_datetime(ts).to_numpy().astype("datetime64[s]").astype(np.float64)


# --------------------------------------------------------------- base
class _FactorizationBase(PairwiseRecommender):
    """Parameters shared by the gradient-trained factorization estimators."""

    def _item_vectors(self):
        return self.item_factors_

    def _user_vectors(self):
        return self.user_factors_

    _parameter_constraints: dict = {
        **PairwiseRecommender._parameter_constraints,
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "init_std": [Interval(numbers.Real, 0, None, closed="neither")],
    }


# ----------------------------------------------------------------- MF
@fill_engine_doc
class MF(_FactorizationBase):
    """Matrix factorization trained by gradient descent.

    Scores ``s(u, i) = mu + b_u + b_i + p_u . q_i`` (Koren et al., 2009), with
    optional side features added to the factors (``p_u + W_u x_u``,
    ``q_i + W_i x_i``) and temporal terms (a time-binned item bias
    ``b_{i, bin(t)}`` and a user drift ``m_u n_{bin(t)}``). ``loss="mse"``
    fits ratings (explicit feedback, ``y`` required); ``loss="bce"`` and
    ``loss="bpr"`` fit implicit feedback with ``n_negatives`` sampled
    negatives per interaction.

    Parameters
    ----------
    n_factors : int, default=32
        Dimension of the user and item factors.
    loss : {"mse", "bce", "bpr"}, default="mse"
        Squared error on ratings, binary cross-entropy of positives against
        sampled negatives, or the pairwise BPR loss.
    biases : bool, default=True
        Whether to learn user and item biases (and the global mean, for
        ``"mse"``).
    reg : float, default=0.1
        L2 penalty per interaction on every parameter row the interaction
        uses (as in Funk's SGD): the objective is
        ``mean(loss_ui + reg * (|p_u|^2 + |q_i|^2 + b_u^2 + b_i^2))``.
    n_negatives : int, default=4
        Negatives sampled per interaction (implicit losses).
    sampler : {"uniform", "popularity"}, default="uniform"
        Distribution of the negatives (popularity: counts ** 0.75).
    side_features : bool, default=False
        Read the numeric side-feature columns of ``X``: ``user__*`` columns
        and columns constant within each user are user features, ``item__*``
        columns and columns constant within each item are item features
        (standardized). Categorical columns must be one-hot encoded first.
    temporal : bool or int, default=False
        Add time-binned terms; an int sets the number of equal-width time
        bins over the training period (True: 30). Requires a ``timestamp``
        column; ranking uses the latest bin.
    time_reg : float, default=5.0
        L2 penalty per interaction on the temporal terms (``b_{i, bin}`` and
        the drift), which have few interactions each and overfit under the
        factors' ``reg`` (tuned on MovieLens 100K). Applied only when
        ``reg > 0``.
    duplicates : {"mean", "last", "first", "sum", "error"}, default="mean"
        What to do with repeated (user, item) pairs for ``loss="mse"``
        (implicit losses keep every row).
    init_std : float, default=0.1
        Standard deviation of the initial factors.
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network.
    user_factors_, item_factors_ : ndarray of shape (n_users_, n_factors), (n_items_, n_factors)
        The learned factors (including side-feature terms), as numpy arrays.
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    BPRMF : MF trained with the pairwise BPR loss.
    VariationalMF : Bayesian MF with Gaussian posteriors.

    Notes
    -----
    Users unseen at fit are folded in from their ``history``: for
    ``loss="mse"`` by the exact ridge solve of their factors and bias
    against the fixed item factors (with the penalty ``reg * n_u`` that the
    per-interaction penalty puts on a user with ``n_u`` ratings); for the
    implicit losses by gradient steps on the same loss.

    The defaults (32 factors, Adam with lr 0.08 decayed linearly over 10
    epochs of 8,192 rows, reg 0.1) are tuned for ratings: they reach an RMSE
    of about 0.904 on MovieLens 100K (random 90/10) in less time than
    Surprise's SVD (see ``benchmarks/bench_mf_ml100k.py``). The implicit
    losses usually want a smaller ``reg`` (about 1e-3) and more epochs.

    References
    ----------
    .. [1] Y. Koren, R. Bell and C. Volinsky, "Matrix Factorization Techniques
       for Recommender Systems", IEEE Computer 42(8), 2009.
    .. [2] Y. Koren, "Collaborative Filtering with Temporal Dynamics", KDD 2009.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.factorization import MF
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = MF(n_factors=8, max_iter=20, device="cpu", random_state=0)
    >>> model = model.fit(data.X[["user", "item"]], data.y)
    >>> model.predict(data.X[["user", "item"]].head(3)).shape
    (3,)
    >>> items, scores = model.recommend([0, 1], k=5)
    >>> items.shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        **_FactorizationBase._parameter_constraints,
        "loss": [StrOptions(set(_LOSSES))],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "duplicates": [StrOptions({"mean", "last", "first", "sum", "error"})],
        "biases": ["boolean"],
        "side_features": ["boolean"],
        "temporal": ["boolean", Interval(numbers.Integral, 1, None, closed="left")],
        "time_reg": [Interval(numbers.Real, 0, None, closed="left")],
    }
    _module_inputs = ("user_x", "time")

    def __init__(self, n_factors=32, *, loss="mse", biases=True, reg=0.1, n_negatives=4,
                 sampler="uniform", side_features=False, temporal=False, time_reg=5.0,
                 duplicates="mean", init_std=0.1, max_iter=10, batch_size=8192, lr=0.08,
                 weight_decay=0.0, optimizer="adam", lr_schedule="linear", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, warm_start=False,
                 device="auto", random_state=None, verbose=0):
        self.n_factors = n_factors
        self.loss = loss
        self.biases = biases
        self.reg = reg
        self.n_negatives = n_negatives
        self.sampler = sampler
        self.side_features = side_features
        self.temporal = temporal
        self.time_reg = time_reg
        self.duplicates = duplicates
        self.init_std = init_std
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _n_time_bins(self):
        t = getattr(self, "temporal", False)
        if t is True:
            return 30
        if t is False or t is None:
            return 0
        return int(t)

    def __skrec_tags__(self):
        tags = super().__skrec_tags__()
        return RecommenderTags(
            feedback=tags.feedback, fold_in=True, torch=True,
            side_features=bool(getattr(self, "side_features", False)),
            requires_timestamp=self._n_time_bins() > 0,
        )

    @property
    def _user_param_names(self):
        names = ["user_factors.weight"]
        if self.biases and self._explicit() or (self.biases and self.loss == "bce"):
            names.append("user_bias.weight")
        if self._n_time_bins():
            names.append("user_drift.weight")
        return tuple(names)

    # ---------------------------------------------------------- training
    def _prepare_fit(self, data):
        super()._prepare_fit(data)
        self._user_x = self._item_x = None
        if self.side_features:
            if data.features is None or data.features.shape[1] == 0:
                raise ValueError(
                    "side_features=True but X has no side-feature column (every column other "
                    "than user, item, timestamp and session is one); add feature columns or "
                    "set side_features=False."
                )
            self._user_x, self._item_x, self._user_spec = split_side_features(
                data.features, data.user, data.item, data.n_users, data.n_items
            )
        n_bins = self._n_time_bins()
        if n_bins:
            seconds = _as_seconds(data.timestamp)
            self._time_range = (float(seconds.min()), float(seconds.max()))
            self._time_bins = self._bin_times(seconds)

    def _bin_times(self, seconds):
        n_bins = self._n_time_bins()
        lo, hi = self._time_range
        width = (hi - lo) / n_bins if hi > lo else 1.0
        return np.clip(np.floor((seconds - lo) / width), 0, n_bins - 1).astype(np.int64)

    def _training_rows(self, data):
        rows = super()._training_rows(data)
        if self._user_x is not None:
            rows["user_x"] = self._user_x[data.user]
        if self._n_time_bins():
            rows["time"] = self._time_bins
        return rows

    def _build_module(self, data):
        return MFModule(
            data.n_users, data.n_items, self.n_factors, biases=self.biases,
            global_mean=self.global_mean_ if self._explicit() else 0.0,
            init_std=self.init_std, user_bias=self.loss != "bpr",
            n_user_features=0 if self._user_x is None else self._user_x.shape[1],
            item_features=self._item_x, n_time_bins=self._n_time_bins(),
            # The loss multiplies every penalty by reg; this makes the time terms' time_reg.
            time_penalty=self.time_reg / self.reg if self.reg > 0 else 0.0,
        )

    def _after_fit(self, data):
        with torch.no_grad():
            m = self.module_
            p = m.user_factors.weight
            if m.user_feature_proj is not None:
                p = p + m.user_feature_proj(torch.as_tensor(self._user_x, dtype=torch.float32,
                                                            device=self.device_))
            q = m.item_factors.weight
            if m.item_feature_proj is not None:
                q = q + m.item_feature_proj(m.item_features)
        self.user_factors_ = p.detach().cpu().numpy()
        self.item_factors_ = q.detach().cpu().numpy()

    # ----------------------------------------------------------- scoring
    def _context_user_x(self, context):
        """Standardized user features of a context's users.

        Known users keep their training features; a new user's come from
        their latest ``history`` row with finite values in the user-feature
        columns (zeros, the training mean, when there is none).
        """
        x = np.zeros((len(context), self._user_x.shape[1]))
        known = context.known
        x[known] = self._user_x[context.codes[known]]
        rows = context.rows
        names, mean, scale = self._user_spec
        if rows is not None and rows.features is not None and set(names) <= set(
                map(str, rows.features.columns)):
            cols = {str(c): c for c in rows.features.columns}
            frame = rows.features[[cols[n] for n in names]]
            values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
            valid = np.isfinite(values).all(axis=1)
            for r in np.flatnonzero(~known):  # a row without the features is skipped
                ok = np.flatnonzero(valid[rows.indptr[r]:rows.indptr[r + 1]])
                if len(ok):
                    x[r] = (values[rows.indptr[r] + ok[-1]] - mean) / scale
        return x

    def _forward_extras(self, context):
        extras = {}
        if self._user_x is not None:
            extras["user_x"] = torch.as_tensor(self._context_user_x(context),
                                               dtype=torch.float32, device=self.device_)
        return extras

    def _history_rows(self, context):
        rows = super()._history_rows(context)
        if self._user_x is not None:
            rows["user_x"] = self._context_user_x(context)[rows["user"]]
        return rows

    def _pair_extras(self, user_idx, item_idx, features, timestamp, offset):
        extras = {}
        if self._user_x is not None:
            extras["user_x"] = torch.as_tensor(self._user_x[user_idx], dtype=torch.float32,
                                               device=self.device_)
        if timestamp is not None and self._n_time_bins():
            bins = self._bin_times(_as_seconds(timestamp[offset : offset + len(user_idx)]))
            extras["time"] = torch.as_tensor(bins, device=self.device_)
        return extras

    def _ridge_user_params(self, history, feature_term=None):
        """Exact ridge fold-in (explicit loss): user factors and bias per row of H(u).

        ``feature_term`` (n, n_factors) is each user's ``W_u x_u``, held fixed.
        """
        m = self.module_
        with torch.no_grad():
            q_all = m.item_factors.weight
            if m.item_feature_proj is not None:
                q_all = q_all + m.item_feature_proj(m.item_features)
            base = m.global_mean.expand(m.n_items).clone()
            if m.biases:
                base = base + m.item_bias.weight[:, 0]
            if m.n_time_bins:
                table = m.item_time_bias.weight.view(m.n_items, m.n_time_bins)
                base = base + table[:, -1]
            k = q_all.shape[1]
            use_bias = m.has_user_bias
            n = history.shape[0]
            P = torch.zeros((n, k), device=self.device_)
            B = torch.zeros((n, 1), device=self.device_)
            for r in range(n):
                lo, hi = history.indptr[r], history.indptr[r + 1]
                if hi == lo:
                    continue
                items = torch.as_tensor(history.indices[lo:hi], device=self.device_)
                ratings = torch.as_tensor(history.data[lo:hi], dtype=torch.float32,
                                          device=self.device_)
                Q = q_all[items].double()
                if use_bias:
                    Q = torch.cat([Q, torch.ones((len(items), 1), dtype=Q.dtype,
                                                 device=Q.device)], 1)
                t = (ratings - base[items]).double()
                if feature_term is not None:
                    t = t - (q_all[items] @ feature_term[r]).double()
                lam = self.reg * (hi - lo) + 1e-8
                A = Q.T @ Q + lam * torch.eye(Q.shape[1], dtype=Q.dtype, device=Q.device)
                sol = torch.linalg.solve(A, Q.T @ t)
                P[r] = sol[:k].float()
                if use_bias:
                    B[r, 0] = sol[k].float()
        params = {"user_factors.weight": P}
        if use_bias:
            params["user_bias.weight"] = B
        if m.n_time_bins:
            params["user_drift.weight"] = torch.zeros((n, 1), device=self.device_)
        return params

    def _fold_in_params(self, context):
        if self._explicit():
            term = None
            if self._user_x is not None:
                with torch.no_grad():
                    x = torch.as_tensor(self._context_user_x(context), dtype=torch.float32,
                                        device=self.device_)
                    term = self.module_.user_feature_proj(x)
            return self._ridge_user_params(context.matrix, term)
        return super()._fold_in_params(context)


# --------------------------------------------------------------- BPRMF
@fill_engine_doc
class BPRMF(_FactorizationBase):
    """Matrix factorization trained with Bayesian personalized ranking.

    Scores ``s(u, i) = b_i + p_u . q_i`` and minimizes
    ``-log sigmoid(s(u, i) - s(u, j))`` over observed items ``i`` and
    sampled unobserved items ``j`` (Rendle et al., 2009), plus the L2
    penalty ``reg`` on every parameter row used.

    Parameters
    ----------
    n_factors : int, default=64
    reg : float, default=1e-2
        L2 penalty per training triple on the user, positive and negative
        item rows.
    n_negatives : int, default=4
        Negatives per observed interaction (the loss averages over them).
    sampler : {"uniform", "popularity"}, default="uniform"
    biases : bool, default=True
        Whether to learn an item bias.
    init_std : float, default=0.1
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    user_factors_, item_factors_ : ndarray
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int

    See Also
    --------
    MF : Matrix factorization with pointwise losses.

    Notes
    -----
    Users unseen at fit are folded in by gradient steps on the BPR loss over
    their history, item factors fixed.

    The defaults (Adam, lr 0.03 decayed linearly over 10 epochs, 4 negatives
    per positive, reg 0.01) reach NDCG@10 of about 0.40 on MovieLens 100K
    (every rating a positive, per-user 80/20 split) in about 5 s on one CPU
    thread (``benchmarks/bench_bprmf_ml100k.py``).

    References
    ----------
    .. [1] S. Rendle, C. Freudenthaler, Z. Gantner and L. Schmidt-Thieme,
       "BPR: Bayesian Personalized Ranking from Implicit Feedback", UAI 2009.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.factorization import BPRMF
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = BPRMF(n_factors=8, max_iter=10, device="cpu", random_state=0).fit(data.X)
    >>> items, scores = model.recommend([0, 1], k=5)
    >>> items.shape
    (2, 5)
    """

    _parameter_constraints: dict = {
        **_FactorizationBase._parameter_constraints,
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "biases": ["boolean"],
    }
    _user_param_names = ("user_factors.weight",)
    loss = "bpr"
    duplicates = "keep"

    def __init__(self, n_factors=64, *, reg=1e-2, n_negatives=4, sampler="uniform", biases=True,
                 init_std=0.1, max_iter=10, batch_size=4096, lr=0.03, weight_decay=0.0,
                 optimizer="adam", lr_schedule="linear", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, warm_start=False,
                 device="auto", random_state=None, verbose=0):
        self.n_factors = n_factors
        self.reg = reg
        self.n_negatives = n_negatives
        self.sampler = sampler
        self.biases = biases
        self.init_std = init_std
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, data):
        return MFModule(data.n_users, data.n_items, self.n_factors, biases=self.biases,
                        init_std=self.init_std, user_bias=False)

    def _after_fit(self, data):
        self.user_factors_ = self.module_.user_factors.weight.detach().cpu().numpy()
        self.item_factors_ = self.module_.item_factors.weight.detach().cpu().numpy()

