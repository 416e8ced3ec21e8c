"""The recommender contract: tags, the mixin and the template base class.

:class:`BaseRecommender` validates input, encodes ids, builds ``seen_`` and
then calls three hooks that a model implements with its own maths:

``_fit(data)``
    learn from an :class:`~skrec._data.Interactions` object;
``_score_items(context, item_idx)``
    scores of ``item_idx`` (or the whole catalog) for a batch of users,
    described by a :class:`UserContext`;
``_predict_pairs(user_idx, item_idx, features=None)``
    one score per (user, item) pair (a default built on ``_score_items``
    exists).

The user context is built in one place (:meth:`BaseRecommender.user_context`)
for ``recommend``, ``score_items``, ``predict`` and the scorers: no model and
no scorer rebuilds H(u) itself.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._data import (
    Interactions,
    aggregate_duplicates,
    as_ids,
    check_feedback_values,
    check_interactions,
    check_n_features,
    check_target,
    encode,
    encode_fit,
    id_kinds,
    to_csr,
    warn_id_kinds,
)
from ._similar import SimilarityMixin
from .utils._compat import _check_sample_weight, _fit_context
from .utils._topk import as_tensor, mask_entries, topk
from .utils.validation import check_k, check_users

_ON_UNKNOWN = ("fallback", "error")
#: Upper bound on the number of (user, item) scores held at once per batch.
_SCORES_PER_BATCH = 2**22


@dataclass(frozen=True)
class RecommenderTags:
    """Recommender-specific facts about an estimator.

    Read them with :func:`skrec.utils.get_recommender_tags`, which also
    unwraps pipelines and search objects.

    Attributes
    ----------
    feedback : {"implicit", "explicit", "binary"}
        ``"implicit"``: ``y`` is None or a non-negative confidence per row.
        ``"explicit"``: ``y`` (ratings) is required. ``"binary"``: ``y`` is
        required and holds 0/1 labels, 0 being an observed negative (a shown
        item not clicked), which is neither a positive nor "seen".
    fold_in : bool
        Whether the model scores users unseen at fit from their ``history``.
    side_features : bool
        Whether the model reads side-feature columns (its user context then
        carries the feature rows of H(u)).
    sequence : bool
        Whether the model reads the order of a user's history (its user
        context then carries H(u) as ordered rows).
    requires_timestamp : bool
        Whether ``X`` must have a ``timestamp`` column.
    requires_session : bool
        Whether ``X`` must have a ``session`` column.
    torch : bool
        Whether the model is trained with torch and honours ``device``.
    cold_items : bool
        Whether the model scores items unseen at fit from their side-feature
        columns (``item_features=`` of ``recommend`` and ``score_items``).
    user_features : bool
        Whether the model reads the side features of a user unseen at fit
        (``user_features=``), so that such a user is scored without history.
    """

    feedback: str = "implicit"
    fold_in: bool = False
    side_features: bool = False
    sequence: bool = False
    requires_timestamp: bool = False
    requires_session: bool = False
    torch: bool = False
    cold_items: bool = False
    user_features: bool = False


def _ranges(indptr, owners):
    """Concatenated ``range(indptr[o], indptr[o + 1])`` for each owner, and their indptr."""
    owners = np.asarray(owners, dtype=np.int64)
    starts = np.asarray(indptr, dtype=np.int64)[owners]
    lengths = np.asarray(indptr, dtype=np.int64)[owners + 1] - starts
    out_ptr = np.zeros(len(owners) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_ptr[1:])
    idx = np.arange(out_ptr[-1], dtype=np.int64) - np.repeat(out_ptr[:-1] - starts, lengths)
    return idx, out_ptr


@dataclass
class OrderedRows:
    """Interactions grouped by owner (a user, or a position in a batch), in order.

    Rows of owner ``r`` are ``indptr[r]:indptr[r + 1]`` of every array.

    Attributes
    ----------
    indptr : ndarray of int64 of shape (n_owners + 1,)
    items : ndarray of int64
        Item codes.
    y : ndarray of float64 or None
        Target of each row (rating, confidence or 0/1 label).
    timestamp, session : ndarray or None
    features : DataFrame or None
        Side-feature columns of each row.
    """

    indptr: np.ndarray
    items: np.ndarray
    y: np.ndarray | None = None
    timestamp: np.ndarray | None = None
    session: np.ndarray | None = None
    features: pd.DataFrame | None = None

    def take(self, owners):
        """The rows of ``owners`` (an index array), regrouped in that order."""
        idx, ptr = _ranges(self.indptr, owners)
        return self._select(idx, ptr)

    def _select(self, idx, ptr):
        return OrderedRows(
            indptr=ptr,
            items=self.items[idx],
            y=None if self.y is None else self.y[idx],
            timestamp=None if self.timestamp is None else self.timestamp[idx],
            session=None if self.session is None else self.session[idx],
            features=None if self.features is None
            else self.features.iloc[idx].reset_index(drop=True),
        )

    def lengths(self):
        return np.diff(self.indptr)


def _group_rows(owner, n_owners, *, items, y=None, timestamp=None, session=None,
                features=None, order_by_time=True):
    """OrderedRows of rows with an owner each: by owner, then time (stable)."""
    owner = np.asarray(owner, dtype=np.int64)
    keys = [np.arange(len(owner))]
    if order_by_time and timestamp is not None:
        rank = np.empty(len(owner), dtype=np.int64)  # works for any sortable dtype
        rank[np.argsort(np.asarray(timestamp), kind="stable")] = np.arange(len(owner))
        keys.append(rank)
    keys.append(owner)
    order = np.lexsort(keys)
    indptr = np.zeros(n_owners + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=n_owners), out=indptr[1:])
    return OrderedRows(
        indptr=indptr,
        items=np.asarray(items, dtype=np.int64)[order],
        y=None if y is None else np.asarray(y, dtype=np.float64)[order],
        timestamp=None if timestamp is None else np.asarray(timestamp)[order],
        session=None if session is None else np.asarray(session)[order],
        features=None if features is None else features.iloc[order].reset_index(drop=True),
    )


def _concat_rows(a, b):
    """Per owner: the rows of ``a`` then those of ``b`` (same owners)."""
    n = len(a.indptr) - 1
    la, lb = a.lengths(), b.lengths()
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(la + lb, out=indptr[1:])
    owner_a = np.repeat(np.arange(n), la)
    owner_b = np.repeat(np.arange(n), lb)
    pos_a = indptr[:-1][owner_a] + (np.arange(len(owner_a)) - a.indptr[:-1][owner_a])
    pos_b = indptr[:-1][owner_b] + la[owner_b] + (np.arange(len(owner_b))
                                                  - b.indptr[:-1][owner_b])
    order = np.empty(len(pos_a) + len(pos_b), dtype=np.int64)
    order[pos_a] = np.arange(len(pos_a))
    order[pos_b] = len(pos_a) + np.arange(len(pos_b))

    def cat(x, y_):
        if x is None or y_ is None:  # a column that one side lacks is left out
            return None
        return np.concatenate([np.asarray(x), np.asarray(y_)])[order]

    feats = None
    if a.features is not None or b.features is not None:
        frames = [f if f is not None else pd.DataFrame(index=range(m))
                  for f, m in ((a.features, len(a.items)), (b.features, len(b.items)))]
        feats = pd.concat(frames, ignore_index=True).iloc[order].reset_index(drop=True)
    return OrderedRows(indptr=indptr, items=cat(a.items, b.items), y=cat(a.y, b.y),
                       timestamp=cat(a.timestamp, b.timestamp),
                       session=cat(a.session, b.session), features=feats)


@dataclass
class UserContext:
    """What a scoring hook knows of a batch of users.

    Built once by :meth:`BaseRecommender.user_context` for ``recommend``,
    ``score_items``, ``predict`` and the scorers, and handed to a model's
    ``_score_items(context, item_idx)`` hook in batches (``context[sl]``).

    Attributes
    ----------
    users : ndarray of shape (n_users,)
        The users' original ids.
    codes : ndarray of int64 of shape (n_users,)
        Internal codes; -1 for a user unseen at fit.
    matrix : scipy.sparse.csr_array of shape (n_users, n_items_)
        H(u) as a bag: the user's training interactions (summed confidences,
        or mean ratings) plus their rows in ``history`` (``history_y``, or 1).
        For binary feedback only the positive rows (label 1).
    n_history : ndarray of int64 of shape (n_users,)
        How many rows of ``history`` (with items known at fit) each user has:
        a known user with ``n_history > 0`` has a context beyond training.
    rows : OrderedRows or None
        H(u) as ordered rows, present when the model's tags ask for it
        (``sequence`` or ``side_features``): each user's training rows in
        time order (row order without timestamps), then their ``history``
        rows in time order, with targets, timestamps, sessions and the
        side-feature columns. Rows of items unseen at fit are left out.
    features : DataFrame or None
        One row per user of the side-feature columns given as
        ``user_features=`` (all missing for a user not given there), read by
        models with the ``user_features`` tag for users unseen at fit.
    new_items : DataFrame or None
        Side-feature rows of the items unseen at fit that joined the catalog
        for this call (``item_features=``): row ``j`` describes item code
        ``n_items_ + j``, which ``item_idx`` may then hold.
    """

    users: np.ndarray
    codes: np.ndarray
    matrix: sp.csr_array
    n_history: np.ndarray
    rows: OrderedRows | None = None
    features: pd.DataFrame | None = None
    new_items: pd.DataFrame | None = None

    def __len__(self):
        return len(self.codes)

    @property
    def known(self):
        """Whether each user was seen at fit."""
        return self.codes >= 0

    @property
    def extended(self):
        """Whether each user's context differs from their training rows (unknown or history)."""
        return (self.codes < 0) | (self.n_history > 0)

    def __getitem__(self, key):
        idx = np.arange(len(self.codes))[key]
        if np.ndim(idx) == 0:
            idx = np.array([idx])
        return UserContext(
            users=self.users[idx],
            codes=self.codes[idx],
            matrix=self.matrix[idx],
            n_history=self.n_history[idx],
            rows=None if self.rows is None else self.rows.take(idx),
            features=None if self.features is None
            else self.features.iloc[idx].reset_index(drop=True),
            new_items=self.new_items,
        )

    def sequences(self):
        """Item codes of each user's ordered rows, as a list of arrays."""
        if self.rows is None:
            raise ValueError(
                "This context has no ordered rows: the model's tags must set sequence=True "
                "or side_features=True."
            )
        r = self.rows
        return [r.items[r.indptr[i]:r.indptr[i + 1]] for i in range(len(self.codes))]


class RecommenderMixin:
    """Mixin for all recommenders: tags and a default ranking ``score``."""

    def __skrec_tags__(self):
        return RecommenderTags()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        rec = self.__skrec_tags__()
        tags.estimator_type = "recommender"
        tags.input_tags.string = True
        tags.input_tags.allow_nan = False
        tags.target_tags.required = rec.feedback == "explicit"
        if rec.torch:  # CUDA kernels (atomics, cuBLAS) are not bit-reproducible
            from .utils._torch import is_cuda_param

            try:
                tags.non_deterministic = is_cuda_param(getattr(self, "device", "cpu"))
            except (TypeError, ValueError):  # an invalid device is reported at fit
                pass
        return tags

    def score(self, X, y=None):
        """NDCG@10 of :meth:`recommend` against the interactions in ``X``.

        Users unseen at fit are folded in from part of their rows (see
        :func:`skrec.metrics.make_ranking_scorer`).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            Held-out interactions.
        y : array-like of shape (n_interactions,), default=None
            Targets of ``X`` (used only with a relevance threshold).

        Returns
        -------
        score : float
        """
        from .metrics import get_scorer

        check_n_features(self, X, reset=False)
        return get_scorer("ndcg@10")(self, X, y)


class BaseRecommender(SimilarityMixin, RecommenderMixin, BaseEstimator):
    """Base class of skrec recommenders (the template of fit and scoring).

    Subclasses store their parameters in ``__init__``, declare
    ``_parameter_constraints`` and implement ``_fit`` and ``_score_items``
    (and optionally ``_predict_pairs``).

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray
        Original ids in order of first appearance; internal index ``j``
        stands for ``item_ids_[j]``.
    n_users_, n_items_ : int
    seen_ : scipy.sparse.csr_array of shape (n_users_, n_items_)
        Training interactions (summed confidences for implicit feedback,
        the aggregated rating for explicit feedback).
    item_popularity_ : ndarray of shape (n_items_,)
        Number of training interactions per item (weighted by
        ``sample_weight``); the fallback ranking for unknown users.
    global_mean_ : float
        Mean training target (explicit models only): the prediction for
        unknown users or items.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names of ``X`` when it was a DataFrame with string columns.
    """

    _parameter_constraints: dict = {}

    # ------------------------------------------------------------------ fit
    def _duplicates_policy(self):
        """Policy for repeated (user, item) pairs: explicit models use ``duplicates``."""
        return getattr(self, "duplicates", "keep")

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the recommender on an interaction table.

        Fitting is all-or-nothing: if it fails or is interrupted
        (``KeyboardInterrupt``), the estimator is left as it was before the
        call (fitted with its previous data, or unfitted).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            One row per interaction: columns ``user`` and ``item`` (by name in
            a DataFrame, columns 0 and 1 of an array), optional ``timestamp``
            and ``session``, then side features. A user x item sparse matrix
            is refused: convert it with :func:`skrec.utils.from_csr`. Ids are
            hashable scalars kept with their type (a list of rows is read
            row by row, so ``[[1, "x"], ["u", 5]]`` keeps its ints and
            strings). Tuple ids work like any other, in ``X`` and in every
            query (``users=[(1, 2)]`` is one tuple user; per-user 2-D
            ``candidates`` are given as lists or arrays, never tuples).
        y : array-like of shape (n_interactions,), default=None
            Rating per interaction (explicit models, required), 0/1 label
            (binary models, required) or non-negative confidence (implicit
            models; 1 when None).
        sample_weight : array-like of shape (n_interactions,), default=None
            Non-negative weight per interaction.

        Returns
        -------
        self : object
            The fitted recommender.
        """
        before = dict(self.__dict__)
        in_place = self._fit_snapshot()
        try:
            self._fit_template(X, y, sample_weight)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            self._fit_restore(in_place)
            raise
        return self

    def _fit_snapshot(self):
        """State that a fit may change in place (not by reassigning attributes).

        ``fit`` restores ``__dict__`` after a failure, which undoes every
        attribute assignment; a model that updates a fitted object in place
        (a warm-started torch module) returns a copy of that state here and
        puts it back in :meth:`_fit_restore`. Default: nothing.
        """
        return None

    def _fit_restore(self, snapshot):
        """Put back what :meth:`_fit_snapshot` returned, after ``__dict__`` is restored."""

    def _fit_template(self, X, y, sample_weight):
        tags = self.__skrec_tags__()
        table = check_interactions(
            X, require_time=tags.requires_timestamp, require_session=tags.requires_session
        )
        check_n_features(self, X, reset=True)
        n = len(table)
        explicit = tags.feedback == "explicit"
        y = check_target(y, n, required=tags.feedback != "implicit")
        check_feedback_values(y, tags.feedback, "y")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, np.empty((n, 0)), dtype=np.float64, ensure_non_negative=True
            )
        user, user_index = encode_fit(table.user)
        item, item_index = encode_fit(table.item)
        shape = (len(user_index), len(item_index))

        rows, y_kept = aggregate_duplicates(user, item, y, self._duplicates_policy())
        if rows is not None and len(rows) != n:
            user, item = user[rows], item[rows]
            table = _take_rows(table, rows)
            if sample_weight is not None:
                sample_weight = sample_weight[rows]
        y = y_kept

        positive = None
        if tags.feedback == "binary":
            positive = y > 0  # observed negatives are neither positives nor seen
        if explicit:
            counts = to_csr(user, item, None, shape)
            matrix = to_csr(user, item, y, shape)
            matrix.data /= counts.data  # mean rating of any pairs kept twice
        elif positive is not None:
            w = None if sample_weight is None else sample_weight[positive]
            matrix = to_csr(user[positive], item[positive], w, shape)
        else:
            values = y
            if sample_weight is not None:
                values = sample_weight if y is None else y * sample_weight
            matrix = to_csr(user, item, values, shape)

        pop_item, pop_w = item, sample_weight
        if positive is not None:
            pop_item = item[positive]
            pop_w = None if sample_weight is None else sample_weight[positive]
        fitted = {
            "user_ids_": user_index.to_numpy(),
            "item_ids_": item_index.to_numpy(),
            "_user_index": user_index,
            "_item_index": item_index,
            "_id_kinds": (id_kinds(user_index), id_kinds(item_index)),
            "n_users_": shape[0],
            "n_items_": shape[1],
            "seen_": matrix,
            "item_popularity_": np.bincount(
                pop_item, weights=pop_w, minlength=shape[1]).astype(np.float64),
        }
        if explicit:
            fitted["global_mean_"] = float(np.average(y, weights=sample_weight))
        if tags.sequence or tags.side_features:
            fitted["_train_rows_"] = _group_rows(
                user, shape[0], items=item, y=y, timestamp=table.timestamp,
                session=table.session, features=table.features,
            )
        # The hooks read the shared fitted state; fit() restores the previous
        # state if anything below fails.
        self.__dict__.update(fitted)
        data = Interactions(
            user=user,
            item=item,
            y=y,
            sample_weight=sample_weight,
            matrix=matrix,
            n_users=shape[0],
            n_items=shape[1],
            timestamp=table.timestamp,
            session=table.session,
            features=table.features,
        )
        self._fit(data)

    def _fit(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------- hooks
    def _score_items(self, context, item_idx):  # pragma: no cover - abstract
        """Scores for a batch of users.

        Parameters
        ----------
        context : UserContext
            The users (``context.codes``: internal index, -1 for a user
            unseen at fit, only passed to models with the ``fold_in`` tag and
            only with history) and H(u) (``context.matrix``; ordered rows in
            ``context.rows`` when the tags ask for them).
        item_idx : ndarray of int64 of shape (n_candidates,) or None
            Items to score; None for the whole catalog.

        Returns
        -------
        ndarray or torch.Tensor of shape (n_batch, n_candidates)
        """
        raise NotImplementedError

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        """One score per (known user, known item) pair.

        The default scores each distinct user's catalog in batches through
        ``_score_items`` (on the users' training context) and gathers the
        pairs; models override it with a direct formula.
        """
        out = np.empty(len(user_idx), dtype=np.float64)
        uniq, inverse = np.unique(user_idx, return_inverse=True)
        step = max(1, _SCORES_PER_BATCH // max(self.n_items_, 1))
        for start in range(0, len(uniq), step):
            batch = uniq[start : start + step]
            scores = as_tensor(self._score_items(self._training_context(batch), None))
            rows = np.flatnonzero((inverse >= start) & (inverse < start + len(batch)))
            r = as_tensor(inverse[rows] - start).long().to(scores.device)
            c = as_tensor(np.asarray(item_idx)[rows]).long().to(scores.device)
            out[rows] = scores[r, c].double().cpu().numpy()
        return out

    # ---------------------------------------------------------- predict
    def predict(self, X):
        """Predict a rating (explicit models) or a relevance score per row.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            (user, item) pairs, read like the ``X`` of :meth:`fit`.

        Returns
        -------
        y_pred : ndarray of float64, shape (n_interactions,)
            For a user or item unseen at fit: the global mean rating
            (explicit models) or the item's training popularity (implicit;
            0 for an unknown item).
        """
        check_is_fitted(self)
        tags = self.__skrec_tags__()
        check_n_features(self, X, reset=False)
        table = check_interactions(X, require_time=tags.requires_timestamp)
        warn_id_kinds(table.user, self._user_index, self._fitted_id_kinds(0), "X", "user")
        warn_id_kinds(table.item, self._item_index, self._fitted_id_kinds(1), "X", "item")
        u = encode(table.user, self._user_index)
        i = encode(table.item, self._item_index)
        known = (u >= 0) & (i >= 0)
        out = np.empty(len(u), dtype=np.float64)
        if tags.feedback == "explicit":
            out[~known] = self.global_mean_
        else:
            iu = i[~known]
            out[~known] = np.where(iu >= 0, self.item_popularity_[np.maximum(iu, 0)], 0.0)
        if known.any():
            feats = None
            if table.features is not None:
                feats = table.features.iloc[np.flatnonzero(known)].reset_index(drop=True)
            kwargs = {}
            if tags.requires_timestamp:  # time-aware models read each row's timestamp
                kwargs["timestamp"] = table.timestamp[known]
            out[known] = np.asarray(
                self._predict_pairs(u[known], i[known], features=feats, **kwargs),
                dtype=np.float64,
            )
        return out

    # ---------------------------------------------------------- context
    def encode_users(self, users):
        """Internal codes of user ids: positions in ``user_ids_``, -1 if unseen at fit.

        Parameters
        ----------
        users : array-like of shape (n,)

        Returns
        -------
        codes : ndarray of int64 of shape (n,)
        """
        check_is_fitted(self)
        users = as_ids(users, "users", check_missing=False)
        warn_id_kinds(users, self._user_index, self._fitted_id_kinds(0), "users", "user")
        return encode(users, self._user_index)

    def encode_items(self, items):
        """Internal codes of item ids: positions in ``item_ids_``, -1 if unseen at fit.

        Parameters
        ----------
        items : array-like of shape (n,)

        Returns
        -------
        codes : ndarray of int64 of shape (n,)
        """
        check_is_fitted(self)
        items = as_ids(items, "items", check_missing=False)
        warn_id_kinds(items, self._item_index, self._fitted_id_kinds(1), "items", "item")
        return encode(items, self._item_index)

    def _fitted_id_kinds(self, axis):
        """Kinds of the fitted user (``axis=0``) or item (1) ids, e.g. ``{"int"}``."""
        kinds = getattr(self, "_id_kinds", None)
        if kinds is None:  # a model fitted before the kinds were recorded
            kinds = (id_kinds(self._user_index), id_kinds(self._item_index))
            self._id_kinds = kinds
        return kinds[axis]

    def _training_context(self, codes):
        """The context of known users (internal codes) without extra history."""
        codes = np.asarray(codes, dtype=np.int64)
        rows = getattr(self, "_train_rows_", None)
        return UserContext(
            users=self.user_ids_[codes],
            codes=codes,
            matrix=_csr_rows(self.seen_, codes),
            n_history=np.zeros(len(codes), dtype=np.int64),
            rows=None if rows is None else rows.take(codes),
        )

    def user_context(self, users, *, history=None, history_y=None):
        """H(u) of each user: training interactions plus their rows in ``history``.

        The one place where a user's context is built, for ``recommend``,
        ``score_items`` and the scorers.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids, known or not.
        history : DataFrame or array-like, default=None
            Extra interactions of these users (an interaction table). Rows
            of items unseen at fit and of users not in ``users`` are ignored.
        history_y : array-like of shape (n_history,), default=None
            Targets of ``history``: required by explicit models (ratings)
            and binary ones (0/1 labels); confidences (1 when None) for
            implicit ones.

        Returns
        -------
        UserContext
        """
        check_is_fitted(self)
        users = check_users(users)
        warn_id_kinds(users, self._user_index, self._fitted_id_kinds(0), "users", "user")
        tags = self.__skrec_tags__()
        codes = encode(users, self._user_index)
        known = codes >= 0
        safe = np.where(known, codes, 0)
        matrix = _csr_rows(self.seen_, codes)
        n_history = np.zeros(len(users), dtype=np.int64)
        ordered = tags.sequence or tags.side_features
        rows = None
        if ordered:
            train = self._train_rows_.take(safe)
            empty = np.flatnonzero(~known)
            if len(empty):  # unknown users have no training rows
                lengths = train.lengths().copy()
                lengths[empty] = 0
                keep = np.repeat(lengths > 0, train.lengths())
                train = train._select(np.flatnonzero(keep), np.r_[0, np.cumsum(lengths)])
            rows = train
        if history is None:
            if history_y is not None:
                raise ValueError("history_y was given without history.")
            return UserContext(users, codes, matrix, n_history, rows)
        table = check_interactions(history, name="history", allow_empty=True)
        hy = check_target(history_y, len(table), name="history_y")
        if hy is None and len(table) and tags.feedback in ("explicit", "binary"):
            kind = "ratings" if tags.feedback == "explicit" else "0/1 labels"
            raise ValueError(
                f"{type(self).__name__} learns from {tags.feedback} feedback, so a user's "
                f"history needs its {kind}: pass history_y (one per row of history). "
                "Treating every history row as a positive would be a silent guess."
            )
        check_feedback_values(hy, tags.feedback, "history_y")
        warn_id_kinds(table.item, self._item_index, self._fitted_id_kinds(1), "history", "item")
        item = encode(table.item, self._item_index)
        obj_users = np.asarray(users, dtype=object)
        uniq = pd.Index(pd.unique(obj_users))
        warn_id_kinds(table.user, uniq, id_kinds(obj_users), "history", "user")
        pos = encode(table.user, uniq)
        keep = (item >= 0) & (pos >= 0)  # unknown items and other users' rows are ignored
        values = np.ones(int(keep.sum())) if hy is None else hy[keep]
        upos = encode(obj_users, uniq)
        in_bag = np.ones(len(values), dtype=bool)
        if tags.feedback == "binary":
            in_bag = values > 0
        hist = to_csr(pos[keep][in_bag], item[keep][in_bag], values[in_bag],
                      (len(uniq), self.n_items_))[upos]
        matrix = sp.csr_array(matrix + hist)
        n_history = np.bincount(pos[keep], minlength=len(uniq))[upos].astype(np.int64)
        if ordered:
            kept = np.flatnonzero(keep)
            grouped = _group_rows(
                pos[kept], len(uniq), items=item[kept],
                y=None if hy is None else hy[kept],
                timestamp=None if table.timestamp is None else table.timestamp[kept],
                session=None if table.session is None else table.session[kept],
                features=None if table.features is None
                else table.features.iloc[kept].reset_index(drop=True),
            )
            extra = grouped.take(upos)
            if extra.y is None and rows.y is not None:
                extra.y = np.ones(len(extra.items))
            rows = _concat_rows(rows, extra)
        return UserContext(users, codes, matrix, n_history, rows)

    # ---------------------------------------------------------- ranking
    def _candidate_codes(self, candidates, n_users, new_index=None):
        """Internal codes of ``candidates``: (1-D codes or None, 2-D codes or None).

        Candidates are read like every id array (:func:`skrec._data.as_ids`);
        an id unseen at fit (and not in ``new_index``, the items given by
        ``item_features=``, coded ``n_items_ + position``) and an id
        repeated (in a row of 2-D candidates) raise a ``ValueError`` naming
        ``candidates``.
        """
        if candidates is None:
            return None, None
        if sp.issparse(candidates):
            raise TypeError("candidates must be a dense array-like of item ids, got a sparse "
                            "matrix.")
        if isinstance(candidates, (set, frozenset, dict)):
            raise TypeError(
                f"candidates must be an ordered array-like of item ids, got a "
                f"{type(candidates).__name__}."
            )
        if isinstance(candidates, (pd.Series, pd.Index, pd.DataFrame)):
            candidates = candidates.to_numpy()
        two_d = (np.ndim(candidates) == 2 if isinstance(candidates, np.ndarray)
                 else _is_list_of_rows(candidates))
        if two_d:
            rows = [as_ids(row, "candidates") for row in candidates]
            widths = {len(r) for r in rows}
            if len(widths) > 1:
                raise ValueError(
                    f"2-D candidates need rows of one length; got lengths {sorted(widths)[:5]}."
                )
            if len({r.dtype for r in rows}) > 1:  # never let concatenation coerce ids
                rows = [r.astype(object) for r in rows]
            flat = np.concatenate(rows) if rows else np.empty(0, dtype=object)
            shape = (len(rows), widths.pop() if widths else 0)
        else:
            flat = as_ids(candidates, "candidates")
            shape = (len(flat),)
        if len(shape) == 2 and shape[0] != n_users:
            raise ValueError(
                f"2-D candidates need one row per user: got {shape[0]} rows for "
                f"{n_users} users."
            )
        if len(flat) == 0:
            raise ValueError("candidates is empty; pass at least one item id.")
        warn_id_kinds(flat, self._item_index, self._fitted_id_kinds(1), "candidates", "item")
        codes = encode(flat, self._item_index)
        if new_index is not None and (codes < 0).any():
            miss = np.flatnonzero(codes < 0)
            extra = encode(flat[miss], new_index)
            codes[miss] = np.where(extra >= 0, self.n_items_ + extra, -1)
        if (codes < 0).any():
            unknown = flat[codes < 0]
            raise ValueError(
                f"candidates holds {len(unknown)} item id(s) unseen at fit, e.g. "
                f"{list(unknown[:5])}; only items in item_ids_ can be ranked, and items "
                "unseen at fit that item_features= describes (feature-aware models)."
            )
        grid = codes.reshape(shape if len(shape) == 2 else (1, -1))
        srt = np.sort(grid, axis=1)
        rep = srt[:, 1:] == srt[:, :-1]
        if rep.any():
            row = int(np.flatnonzero(rep.any(axis=1))[0])
            dup = self.item_ids_[srt[row, 1:][rep[row]][0]]
            dup = dup.item() if isinstance(dup, np.generic) else dup
            where = f" (row {row})" if len(shape) == 2 else ""
            raise ValueError(
                f"candidates holds repeated item ids{where}, e.g. {dup!r}: each candidate must "
                "appear once per list, or a ranking would repeat it (and a seen item repeated "
                "would be masked only once). Deduplicate first, e.g. pd.unique(candidates)."
            )
        if len(shape) == 1:
            return codes, None
        return None, grid

    def _fallback_mask(self, context, on_unknown):
        if on_unknown not in _ON_UNKNOWN:
            raise ValueError(f"on_unknown must be one of {_ON_UNKNOWN}, got {on_unknown!r}.")
        unknown = ~context.known
        if self.__skrec_tags__().user_features and context.features is not None:
            unknown &= ~context.features.notna().any(axis=1).to_numpy()
        if self.__skrec_tags__().fold_in:
            has_rows = np.diff(context.matrix.indptr) > 0
            if context.rows is not None:
                has_rows |= context.rows.lengths() > 0
            unknown &= ~has_rows
        if on_unknown == "error" and unknown.any():
            raise ValueError(
                f"{int(unknown.sum())} user(s) unseen at fit and without usable history, e.g. "
                f"{list(np.asarray(context.users, dtype=object)[unknown][:5])}. Pass their "
                "interactions as history=, or on_unknown='fallback' to rank them by popularity."
            )
        return unknown

    def _batch_scores(self, context, item_idx, items_2d, fallback):
        """Scores tensor (n_batch, n_candidates) mixing model and fallback rows."""
        import torch

        full = items_2d is not None
        cols = None if full else item_idx
        model_rows = np.flatnonzero(~fallback)
        popularity = self.item_popularity_
        if context.new_items is not None:  # items unseen at fit have no popularity
            popularity = np.r_[popularity, np.zeros(len(context.new_items))]
        pop = popularity if cols is None else popularity[cols]
        if len(model_rows) == len(context):
            scores = as_tensor(self._score_items(context, cols))
        else:
            scores = as_tensor(np.tile(pop, (len(context), 1)))
            if len(model_rows):
                part = as_tensor(self._score_items(context[model_rows], cols))
                scores = scores.to(device=part.device, dtype=part.dtype)
                scores[torch.as_tensor(model_rows, device=part.device)] = part
        if full:
            idx = torch.as_tensor(items_2d, dtype=torch.long, device=scores.device)
            scores = torch.gather(scores, 1, idx)
        return scores

    def _new_items(self, item_features):
        """(ids, feature rows) of the items unseen at fit described by ``item_features``."""
        if item_features is None:
            return np.empty(0, dtype=object), None
        table = check_interactions(item_features, name="item_features")
        codes = encode(table.item, self._item_index)
        rows = np.flatnonzero(codes < 0)
        # the first row of each new item, in order of appearance
        rows = rows[~pd.Index(table.item[rows], dtype=object).duplicated()]
        if len(rows) == 0:
            return np.empty(0, dtype=object), None
        tags = self.__skrec_tags__()
        if not tags.cold_items:
            raise ValueError(
                f"item_features describes {len(rows)} item(s) unseen at fit, e.g. "
                f"{table.item[rows][:5].tolist()}, but {type(self).__name__} cannot score items "
                "unseen at fit: it learns one parameter per fitted item. Use a feature-aware "
                "model (skrec.ctr.FM, skrec.baselines.ContentBased, ...), or leave these "
                "items out."
            )
        if table.features is None:
            raise ValueError(
                "item_features has no side-feature column to describe the items unseen at fit "
                "with; pass rows in the format of X, with the item feature columns."
            )
        return table.item[rows], table.features.iloc[rows].reset_index(drop=True)

    def _user_feature_rows(self, users, user_features):
        """Side features of each user from ``user_features`` (their last row; NaN if absent)."""
        table = check_interactions(user_features, name="user_features")
        if table.features is None:
            raise ValueError(
                "user_features has no side-feature column; pass rows in the format of X, "
                "with the user feature columns (the item column is ignored)."
            )
        obj = np.asarray(users, dtype=object)
        index = pd.Index(pd.unique(table.user[::-1]), dtype=object)
        last = len(table) - 1 - pd.Index(table.user[::-1], dtype=object).get_indexer(index)
        pos = index.get_indexer(obj)
        frame = table.features.iloc[last[np.maximum(pos, 0)]].reset_index(drop=True)
        if (pos < 0).any():
            frame = frame.astype(object)
            frame.iloc[np.flatnonzero(pos < 0)] = np.nan
        return frame

    def _iter_batches(self, users, history, history_y, candidates, on_unknown, batch_size,
                      user_features=None, item_features=None):
        # users were checked by the caller; user_context checks them again (it is public)
        context = self.user_context(users, history=history, history_y=history_y)
        new_ids, new_rows = self._new_items(item_features)
        if user_features is not None:
            context.features = self._user_feature_rows(users, user_features)
        kwargs = {}
        if new_rows is not None:
            context.new_items = new_rows
            kwargs["new_index"] = pd.Index(new_ids, dtype=object)
        item_idx, items_2d = self._candidate_codes(candidates, len(users), **kwargs)
        if new_rows is not None and item_idx is None and items_2d is None:
            item_idx = np.arange(self.n_items_ + len(new_ids))
        catalog = (self.item_ids_ if new_rows is None
                   else np.r_[self.item_ids_.astype(object), new_ids])
        fallback = self._fallback_mask(context, on_unknown)
        if batch_size is None:
            batch_size = max(1, _SCORES_PER_BATCH // max(self.n_items_, 1))
        elif not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        for start in range(0, len(users), batch_size):
            sl = slice(start, start + batch_size)
            sub2d = None if items_2d is None else items_2d[sl]
            ctx = context[sl]
            scores = self._batch_scores(ctx, item_idx, sub2d, fallback[sl])
            yield sl, scores, ctx.matrix, item_idx, sub2d, fallback[sl], catalog

    def score_items(self, users, candidates=None, *, history=None, history_y=None,
                    on_unknown="fallback", batch_size=None, return_fallback=False,
                    as_frame=False, user_features=None, item_features=None):
        """Scores of every candidate item for each user.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids (known or not).
        candidates : array-like of shape (n_candidates,) or (n_users, n_candidates), \
                default=None
            Item ids to score; None scores the whole catalog (``item_ids_``).
            Each id at most once (per row): an id unseen at fit or repeated
            raises a ``ValueError``.
        history : DataFrame or array-like, default=None
            Extra interactions (an interaction table) of these users, used
            as context; items unseen at fit are ignored.
        history_y : array-like of shape (n_history,), default=None
            Targets of ``history``.
        on_unknown : {"fallback", "error"}, default="fallback"
            Unknown users without usable history get popularity scores
            (``item_popularity_``, not on the model's scale; see
            :meth:`recommend`) or raise.
        batch_size : int, default=None
            Users scored at once (default: bounded to about 4M scores).
        return_fallback : bool, default=False
            Whether to also return which rows hold popularity scores.
        as_frame : bool, default=False
            Return one long :class:`pandas.DataFrame` instead of arrays, like
            :meth:`recommend`'s: columns ``user``, ``item`` and ``score`` in
            original ids, one row per (user, candidate) in the order of
            ``users`` then of the candidates (no ``rank``: nothing is
            sorted), plus a ``fallback`` column with ``return_fallback=True``.
        user_features : DataFrame or array-like, default=None
            Rows in the format of ``X`` whose side-feature columns describe
            users (the item column is ignored; a user's last row counts).
            Models with the ``user_features`` tag (e.g. the CTR family) score
            a user unseen at fit from them, even without history; other
            models ignore them.
        item_features : DataFrame or array-like, default=None
            Rows in the format of ``X`` whose side-feature columns describe
            items unseen at fit (the first row of each; rows of items known
            at fit are ignored, their fitted features are used). These items
            join the catalog for this call (and may appear in
            ``candidates``), scored from their features by models with the
            ``cold_items`` tag (the CTR family, ``ContentBased``); other
            models raise a ``ValueError``.

        Returns
        -------
        scores : ndarray of float64, shape (n_users, n_candidates)
        fallback : ndarray of bool, shape (n_users,)
            Only with ``return_fallback=True``: True for the rows scored by
            popularity.

        Examples
        --------
        >>> from skrec.baselines import Popularity
        >>> from skrec.datasets import make_interactions
        >>> data = make_interactions(n_users=20, n_items=10, random_state=0)
        >>> model = Popularity().fit(data.X)
        >>> model.score_items([0, 1], candidates=[2, 5]).shape
        (2, 2)
        >>> frame = model.score_items([0, 1], candidates=[2, 5], as_frame=True)
        >>> list(frame.columns), len(frame)
        (['user', 'item', 'score'], 4)
        """
        check_is_fitted(self)
        users = check_users(users)
        if len(users) == 0:
            n_c = self.n_items_ if candidates is None else np.shape(candidates)[-1]
            out = np.empty((0, n_c))
            if as_frame:
                return _long_frame(users, np.empty((0, n_c), dtype=self.item_ids_.dtype), out,
                                   np.zeros(0, bool) if return_fallback else None, rank=False)
            return (out, np.zeros(0, dtype=bool)) if return_fallback else out
        parts, flags, ids = [], [], []
        for _, s, _m, item_idx, items_2d, fb, catalog in self._iter_batches(
            users, history, history_y, candidates, on_unknown, batch_size,
            user_features, item_features,
        ):
            parts.append(s.double().cpu().numpy())
            flags.append(fb)
            if as_frame:
                if items_2d is not None:
                    codes = items_2d
                else:
                    row = np.arange(len(catalog)) if item_idx is None else item_idx
                    codes = np.broadcast_to(row, (len(fb), len(row)))
                ids.append(catalog[codes])  # cold items from item_features included
        scores = np.concatenate(parts, axis=0)
        if as_frame:
            return _long_frame(users, np.concatenate(ids, axis=0), scores,
                               np.concatenate(flags) if return_fallback else None, rank=False)
        if return_fallback:
            return scores, np.concatenate(flags)
        return scores

    def recommend(self, users, k=10, *, history=None, history_y=None, exclude_seen=True,
                  candidates=None, on_unknown="fallback", batch_size=None,
                  return_fallback=False, as_frame=False, user_features=None,
                  item_features=None):
        """Top-``k`` items for each user.

        Ids keep their type: ``users`` and ``candidates`` are matched to the
        fitted ids as given (``1`` and ``"1"`` are different ids; a query id
        that matches a fitted id only once converted to the fitted type
        raises a ``UserWarning``).

        **Fallback rows.** A user unseen at fit and without usable history
        (``on_unknown="fallback"``) gets the popularity ranking: items in
        order of ``item_popularity_``, with those popularity counts as
        scores. They are not on the model's scale, so compare scores within
        a row, or across rows that did not fall back;
        ``return_fallback=True`` says which rows fell back.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids; users unseen at fit are folded in from ``history`` by
            models with the ``fold_in`` tag, else ranked by popularity.
        k : int, default=10
            Length of each list (at most the number of candidates).
        history : DataFrame or array-like, default=None
            Extra interactions of these users (an interaction table). H(u) is
            a user's training rows plus these rows; items unseen at fit are
            ignored, as are rows of users not in ``users``.
        history_y : array-like of shape (n_history,), default=None
            Targets of ``history`` (1 when None).
        exclude_seen : bool, default=True
            Whether items in H(u) are excluded (their slots get ``-inf``).
        candidates : array-like of shape (n_candidates,) or (n_users, n_candidates), \
                default=None
            Restrict the ranking to these items. Each id at most once (per
            row): a repeated id raises a ``ValueError`` (it would otherwise
            be ranked twice, and a seen item masked only once), as does an
            id unseen at fit.
        on_unknown : {"fallback", "error"}, default="fallback"
            What to do with an unknown user without usable history.
        batch_size : int, default=None
            Users scored at once (results do not depend on it).
        return_fallback : bool, default=False
            Whether to also return which rows are popularity fallbacks.
        user_features : DataFrame or array-like, default=None
            Rows in the format of ``X`` whose side-feature columns describe
            users (the item column is ignored; a user's last row counts).
            Models with the ``user_features`` tag (e.g. the CTR family) score
            a user unseen at fit from them, even without history; other
            models ignore them.
        item_features : DataFrame or array-like, default=None
            Rows in the format of ``X`` whose side-feature columns describe
            items unseen at fit (the first row of each; rows of items known
            at fit are ignored, their fitted features are used). These items
            join the catalog for this call (and may appear in
            ``candidates``), scored from their features by models with the
            ``cold_items`` tag (the CTR family, ``ContentBased``); other
            models raise a ``ValueError``.
        as_frame : bool, default=False
            Return one long :class:`pandas.DataFrame` instead of arrays, as
            LensKit and RecBole do: columns ``user``, ``rank`` (1 = best),
            ``item`` and ``score`` in original ids, one row per recommended
            item (slots with nothing left to recommend are left out), plus a
            ``fallback`` column with ``return_fallback=True``.

        Returns
        -------
        items : ndarray of shape (n_users, min(k, n_candidates))
            Recommended item ids, best first.
        scores : ndarray of float64, same shape
            Their scores; ``-inf`` marks a slot with nothing left to
            recommend (all remaining candidates excluded), whose item id is
            then meaningless. Fallback rows hold popularity counts.
        fallback : ndarray of bool, shape (n_users,)
            Only with ``return_fallback=True``: True for the users ranked by
            popularity (unknown, without usable history).
        """
        check_is_fitted(self)
        k = check_k(k)
        users = check_users(users)
        if len(users) == 0:
            n_c = self.n_items_ if candidates is None else np.shape(candidates)[-1]
            kk = min(k, n_c)
            out = np.empty((0, kk), dtype=self.item_ids_.dtype), np.empty((0, kk))
            if as_frame:
                return _long_frame(users, *out, np.zeros(0, bool) if return_fallback else None)
            return (*out, np.zeros(0, dtype=bool)) if return_fallback else out
        items_out, scores_out, flags = [], [], []
        for _sl, scores, ctx, item_idx, items_2d, fb, catalog in self._iter_batches(
            users, history, history_y, candidates, on_unknown, batch_size,
            user_features, item_features,
        ):
            flags.append(fb)
            if exclude_seen and ctx.nnz:
                rows, cols = _seen_positions(ctx, item_idx, items_2d, len(catalog))
                scores = mask_entries(scores.clone(), rows, cols)
            vals, idx = topk(scores, k)
            if items_2d is not None:
                codes = np.take_along_axis(items_2d, idx, axis=1)
            elif item_idx is not None:
                codes = item_idx[idx]
            else:
                codes = idx
            items_out.append(catalog[codes])
            scores_out.append(vals)
        items, scores = np.concatenate(items_out, axis=0), np.concatenate(scores_out, axis=0)
        fallback = np.concatenate(flags)
        if as_frame:
            return _long_frame(users, items, scores, fallback if return_fallback else None)
        if return_fallback:
            return items, scores, fallback
        return items, scores


def _long_frame(users, items, scores, fallback=None, rank=True):
    """Long table (user[, rank], item, score[, fallback]) of (n_users, k) arrays.

    With ``rank`` (top-k lists of ``recommend``) the ``-inf`` slots, whose
    item ids are meaningless, are dropped; without it (``score_items``) every
    (user, candidate) pair is kept.
    """
    n, k = items.shape
    columns = {"user": np.repeat(np.asarray(users, dtype=object), k)}
    if rank:
        columns["rank"] = np.tile(np.arange(1, k + 1), n)
    columns["item"] = items.ravel()
    columns["score"] = scores.ravel()
    frame = pd.DataFrame(columns)
    if fallback is not None:
        frame["fallback"] = np.repeat(fallback, k)
    if rank:
        frame = frame[np.isfinite(frame["score"].to_numpy())].reset_index(drop=True)
    return frame


def _is_list_of_rows(values):
    """Whether a (non-ndarray) array-like is a list of rows (2-D candidates)."""
    if isinstance(values, (str, bytes)):
        return False
    try:
        first = next(iter(values), None)
    except TypeError:
        return False
    return isinstance(first, (list, np.ndarray, pd.Series))


def _csr_rows(matrix, codes):
    """Rows ``codes`` of a CSR array, an empty row where a code is -1 (stored zeros kept)."""
    codes = np.asarray(codes, dtype=np.int64)
    known = codes >= 0
    ptr = np.asarray(matrix.indptr, dtype=np.int64)
    lengths = np.where(known, ptr[np.maximum(codes, 0) + 1] - ptr[np.maximum(codes, 0)], 0)
    indptr = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    idx = np.arange(indptr[-1], dtype=np.int64) - np.repeat(
        indptr[:-1] - ptr[np.maximum(codes, 0)], lengths)
    return sp.csr_array((matrix.data[idx], matrix.indices[idx], indptr),
                        shape=(len(codes), matrix.shape[1]))


def _seen_positions(ctx, item_idx, items_2d, n_items):
    """(row, column) positions in the score matrix of the items in ``ctx``."""
    coo = ctx.tocoo()
    rows, items = coo.row.astype(np.int64), coo.col.astype(np.int64)
    if item_idx is None and items_2d is None:
        return rows, items
    if item_idx is not None:
        pos = np.full(n_items, -1, dtype=np.int64)
        pos[item_idx] = np.arange(len(item_idx))
        cols = pos[items]
        keep = cols >= 0
        return rows[keep], cols[keep]
    n_rows, width = items_2d.shape
    cand_keys = (np.arange(n_rows)[:, None] * n_items + items_2d).ravel()
    seen_keys = rows * n_items + items
    hit = np.isin(cand_keys, seen_keys)
    flat = np.flatnonzero(hit)
    return flat // width, flat % width


def _take_rows(table, rows):
    return replace(
        table,
        user=table.user[rows],
        item=table.item[rows],
        timestamp=None if table.timestamp is None else table.timestamp[rows],
        session=None if table.session is None else table.session[rows],
        features=None if table.features is None
        else table.features.iloc[rows].reset_index(drop=True),
    )
