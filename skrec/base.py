"""The recommender contract: tags, the mixin and the template base class.

:class:`BaseRecommender` validates input, encodes ids, builds ``seen_`` and
then calls three hooks that a model implements with its own maths:

``_fit(data)``
    learn from an :class:`~skrec._data.Interactions` object;
``_score_items(user_idx, history, item_idx)``
    scores of ``item_idx`` (or the whole catalog) for a batch of users;
``_predict_pairs(user_idx, item_idx, features=None)``
    one score per (user, item) pair (a default built on ``_score_items``
    exists).
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
    check_interactions,
    check_n_features,
    check_target,
    encode,
    encode_fit,
    to_csr,
)
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
    feedback : {"implicit", "explicit"}
        ``"explicit"`` models require ``y`` (ratings) at fit.
    fold_in : bool
        Whether the model scores users unseen at fit from their ``history``.
    side_features : bool
        Whether the model reads side-feature columns.
    requires_timestamp : bool
        Whether ``X`` must have a ``timestamp`` column.
    requires_session : bool
        Whether ``X`` must have a ``session`` column.
    torch : bool
        Whether the model is trained with torch and honours ``device``.
    """

    feedback: str = "implicit"
    fold_in: bool = False
    side_features: bool = False
    requires_timestamp: bool = False
    requires_session: bool = False
    torch: bool = False


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


class BaseRecommender(RecommenderMixin, BaseEstimator):
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

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            One row per interaction: columns ``user`` and ``item`` (by name in
            a DataFrame, columns 0 and 1 of an array), optional ``timestamp``
            and ``session``, then side features. A user x item sparse matrix
            is refused: convert it with :func:`skrec.utils.from_csr`.
        y : array-like of shape (n_interactions,), default=None
            Rating per interaction (explicit models, required) or confidence
            (implicit models; 1 when None).
        sample_weight : array-like of shape (n_interactions,), default=None
            Non-negative weight per interaction.

        Returns
        -------
        self : object
            The fitted recommender.
        """
        tags = self.__skrec_tags__()
        table = check_interactions(
            X, require_time=tags.requires_timestamp, require_session=tags.requires_session
        )
        check_n_features(self, X, reset=True)
        n = len(table)
        explicit = tags.feedback == "explicit"
        y = check_target(y, n, required=explicit)
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

        if explicit:
            counts = to_csr(user, item, None, shape)
            matrix = to_csr(user, item, y, shape)
            matrix.data /= counts.data  # mean rating of any pairs kept twice
        else:
            values = y
            if sample_weight is not None:
                values = sample_weight if y is None else y * sample_weight
            matrix = to_csr(user, item, values, shape)

        self.user_ids_ = user_index.to_numpy()
        self.item_ids_ = item_index.to_numpy()
        self._user_index = user_index
        self._item_index = item_index
        self.n_users_, self.n_items_ = shape
        self.seen_ = matrix
        self.item_popularity_ = np.bincount(
            item, weights=sample_weight, minlength=shape[1]
        ).astype(np.float64)
        if explicit:
            self.global_mean_ = float(np.average(y, weights=sample_weight))
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
        return self

    def _fit(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------- hooks
    def _score_items(self, user_idx, history, item_idx):  # pragma: no cover - abstract
        """Scores for a batch of users.

        Parameters
        ----------
        user_idx : ndarray of int64, shape (n_batch,)
            Internal user index, or -1 for a user unseen at fit (only passed
            to models with the ``fold_in`` tag, and only with history).
        history : scipy.sparse.csr_array of shape (n_batch, n_items_)
            H(u): training interactions of known users plus their rows in
            ``history``.
        item_idx : ndarray of int64 of shape (n_candidates,) or None
            Items to score; None for the whole catalog.

        Returns
        -------
        ndarray or torch.Tensor of shape (n_batch, n_candidates)
        """
        raise NotImplementedError

    def _predict_pairs(self, user_idx, item_idx, features=None):
        """One score per (known user, known item) pair.

        The default scores each distinct user's catalog in batches through
        ``_score_items`` and gathers the pairs; models override it with a
        direct formula.
        """
        out = np.empty(len(user_idx), dtype=np.float64)
        uniq, inverse = np.unique(user_idx, return_inverse=True)
        step = max(1, _SCORES_PER_BATCH // max(self.n_items_, 1))
        for start in range(0, len(uniq), step):
            batch = uniq[start : start + step]
            scores = as_tensor(self._score_items(batch, self.seen_[batch], None))
            rows = np.flatnonzero((inverse >= start) & (inverse < start + len(batch)))
            r = inverse[rows] - start
            vals = scores[as_tensor(r).long().to(scores.device), as_tensor(item_idx[rows]).long()
                          .to(scores.device)]
            out[rows] = vals.double().cpu().numpy()
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

    # ---------------------------------------------------------- ranking
    def _user_context(self, users, codes, history, history_y):
        """H(u) for each requested user as a CSR array (n_users, n_items_)."""
        n = len(codes)
        known = codes >= 0
        ctx = self.seen_[np.where(known, codes, 0)]
        if not known.all():
            ctx = sp.csr_array(sp.diags_array(known.astype(np.float64)) @ ctx)
            ctx.eliminate_zeros()
        if history is None:
            if history_y is not None:
                raise ValueError("history_y was given without history.")
            return ctx
        table = check_interactions(history, name="history", allow_empty=True)
        hy = check_target(history_y, len(table), name="history_y")
        item = encode(table.item, self._item_index)
        uniq = pd.Index(pd.unique(np.asarray(users, dtype=object)))
        pos = encode(table.user, uniq)
        keep = (item >= 0) & (pos >= 0)  # unknown items and other users' rows are ignored
        values = np.ones(int(keep.sum())) if hy is None else hy[keep]
        hist = to_csr(pos[keep], item[keep], values, (len(uniq), self.n_items_))
        hist = hist[encode(np.asarray(users, dtype=object), uniq)]
        if hist.shape[0] != n:  # pragma: no cover - defensive
            raise AssertionError
        return sp.csr_array(ctx + hist)

    def _candidate_codes(self, candidates, n_users):
        """Internal codes of ``candidates``: (1-D codes or None, 2-D codes or None)."""
        if candidates is None:
            return None, None
        arr = np.asarray(candidates, dtype=object) if not isinstance(
            candidates, np.ndarray
        ) else candidates
        if arr.ndim not in (1, 2):
            raise ValueError(
                f"candidates must be 1-D (shared by all users) or 2-D (one row per user), got "
                f"shape {arr.shape}."
            )
        if arr.ndim == 2 and arr.shape[0] != n_users:
            raise ValueError(
                f"2-D candidates need one row per user: got {arr.shape[0]} rows for "
                f"{n_users} users."
            )
        if arr.size == 0:
            raise ValueError("candidates is empty; pass at least one item id.")
        codes = encode(arr.ravel(), self._item_index)
        if (codes < 0).any():
            unknown = arr.ravel()[codes < 0]
            raise ValueError(
                f"candidates holds {len(unknown)} item id(s) unseen at fit, e.g. "
                f"{list(unknown[:5])}; only items in item_ids_ can be ranked."
            )
        if arr.ndim == 1:
            return codes, None
        return None, codes.reshape(arr.shape)

    def _fallback_mask(self, users, codes, context, on_unknown):
        if on_unknown not in _ON_UNKNOWN:
            raise ValueError(f"on_unknown must be one of {_ON_UNKNOWN}, got {on_unknown!r}.")
        unknown = codes < 0
        if self.__skrec_tags__().fold_in:
            unknown &= np.diff(context.indptr) == 0
        if on_unknown == "error" and unknown.any():
            raise ValueError(
                f"{int(unknown.sum())} user(s) unseen at fit and without usable history, e.g. "
                f"{list(np.asarray(users, dtype=object)[unknown][:5])}. Pass their interactions "
                "as history=, or on_unknown='fallback' to rank them by popularity."
            )
        return unknown

    def _batch_scores(self, codes, context, item_idx, items_2d, fallback):
        """Scores tensor (n_batch, n_candidates) mixing model and fallback rows."""
        import torch

        full = items_2d is not None
        cols = None if full else item_idx
        model_rows = np.flatnonzero(~fallback)
        pop = self.item_popularity_ if cols is None else self.item_popularity_[cols]
        if len(model_rows) == len(codes):
            scores = as_tensor(self._score_items(codes, context, cols))
        else:
            scores = as_tensor(np.tile(pop, (len(codes), 1)))
            if len(model_rows):
                part = as_tensor(self._score_items(codes[model_rows], context[model_rows], cols))
                scores = scores.to(device=part.device, dtype=part.dtype)
                scores[torch.as_tensor(model_rows, device=part.device)] = part
        if full:
            idx = torch.as_tensor(items_2d, dtype=torch.long, device=scores.device)
            scores = torch.gather(scores, 1, idx)
        return scores

    def _iter_batches(self, users, history, history_y, candidates, on_unknown, batch_size):
        check_is_fitted(self)
        users = check_users(users)
        codes = encode(users, self._user_index)
        context = self._user_context(users, codes, history, history_y)
        item_idx, items_2d = self._candidate_codes(candidates, len(users))
        fallback = self._fallback_mask(users, codes, context, on_unknown)
        if batch_size is None:
            batch_size = max(1, _SCORES_PER_BATCH // max(self.n_items_, 1))
        elif not isinstance(batch_size, numbers.Integral) or batch_size <= 0:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        for start in range(0, len(users), batch_size):
            sl = slice(start, start + batch_size)
            sub2d = None if items_2d is None else items_2d[sl]
            scores = self._batch_scores(codes[sl], context[sl], item_idx, sub2d, fallback[sl])
            yield sl, scores, context[sl], item_idx, sub2d

    def score_items(self, users, candidates=None, *, history=None, history_y=None,
                    on_unknown="fallback", batch_size=None):
        """Scores of every candidate item for each user.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids (known or not).
        candidates : array-like of shape (n_candidates,) or (n_users, n_candidates), \
                default=None
            Item ids to score; None scores the whole catalog (``item_ids_``).
        history : DataFrame or array-like, default=None
            Extra interactions (an interaction table) of these users, used
            as context; items unseen at fit are ignored.
        history_y : array-like of shape (n_history,), default=None
            Targets of ``history``.
        on_unknown : {"fallback", "error"}, default="fallback"
            Unknown users without usable history get popularity scores or raise.
        batch_size : int, default=None
            Users scored at once (default: bounded to about 4M scores).

        Returns
        -------
        scores : ndarray of float64, shape (n_users, n_candidates)
        """
        users = check_users(users)
        if len(users) == 0:
            n_c = self.n_items_ if candidates is None else np.shape(candidates)[-1]
            return np.empty((0, n_c))
        parts = [
            s.double().cpu().numpy()
            for _, s, *_ in self._iter_batches(
                users, history, history_y, candidates, on_unknown, batch_size
            )
        ]
        return np.concatenate(parts, axis=0)

    def recommend(self, users, k=10, *, history=None, history_y=None, exclude_seen=True,
                  candidates=None, on_unknown="fallback", batch_size=None):
        """Top-``k`` items for each user.

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
            Restrict the ranking to these items.
        on_unknown : {"fallback", "error"}, default="fallback"
            What to do with an unknown user without usable history.
        batch_size : int, default=None
            Users scored at once (results do not depend on it).

        Returns
        -------
        items : ndarray of shape (n_users, min(k, n_candidates))
            Recommended item ids, best first.
        scores : ndarray of float64, same shape
            Their scores; ``-inf`` marks a slot with nothing left to
            recommend (all remaining candidates excluded), whose item id is
            then meaningless.
        """
        k = check_k(k)
        users = check_users(users)
        if len(users) == 0:
            check_is_fitted(self)
            n_c = self.n_items_ if candidates is None else np.shape(candidates)[-1]
            kk = min(k, n_c)
            return np.empty((0, kk), dtype=self.item_ids_.dtype), np.empty((0, kk))
        items_out, scores_out = [], []
        for _sl, scores, ctx, item_idx, items_2d in self._iter_batches(
            users, history, history_y, candidates, on_unknown, batch_size
        ):
            if exclude_seen and ctx.nnz:
                rows, cols = _seen_positions(ctx, item_idx, items_2d, self.n_items_)
                scores = mask_entries(scores.clone(), rows, cols)
            vals, idx = topk(scores, k)
            if items_2d is not None:
                codes = np.take_along_axis(items_2d, idx, axis=1)
            elif item_idx is not None:
                codes = item_idx[idx]
            else:
                codes = idx
            items_out.append(self.item_ids_[codes])
            scores_out.append(vals)
        return np.concatenate(items_out, axis=0), np.concatenate(scores_out, axis=0)


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
