"""Ranking scorers: ``(estimator, X_test, y_test)`` callables for model selection.

A scorer turns a held-out interaction table into ground truth per user,
asks the estimator for one ``recommend`` pass at the largest ``k`` needed
and reduces the recommended lists to hits, which the kernels of
:mod:`skrec.metrics._kernels` turn into metrics (the same formulas as the
metric functions).
"""

from __future__ import annotations

import numbers
import re
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._constants import TIME
from .._data import check_interactions, check_target
from ..utils.validation import check_int, check_k
from . import _kernels as K

#: Metrics computed from top-k lists (they take a ``@K``).
TOPK_METRICS = ("ndcg", "recall", "truncated_recall", "precision", "map", "mrr", "hit_rate")
#: Beyond-accuracy metrics of the top-k lists.
LIST_METRICS = ("coverage", "novelty")
#: Every name a ranking scorer understands.
METRIC_NAMES = TOPK_METRICS + LIST_METRICS + ("auc",)
_COLD_USERS = ("fold_in", "skip", "fallback")
_COLD_ITEMS = ("rank", "only", "miss")
_SCORES_PER_BATCH = 2**22
#: Share of ground-truth interactions with items unseen at fit from which a
#: model that cannot rank them gets a warning: a random split leaves a few
#: such rows in most folds (a warning there would fire on every fold of every
#: search candidate), a cold-item split leaves only such rows.
_UNSEEN_WARN_SHARE = 0.01


def _valid_names():
    return [f"{m}@K" for m in TOPK_METRICS + LIST_METRICS] + ["auc"]


def _parse_metric(spec, default_k):
    """(key, name, k) of one metric spec such as ``"ndcg@10"`` or ``"map"``."""
    if not isinstance(spec, str):
        raise TypeError(
            f"metric names must be strings like 'ndcg@10', got {spec!r} "
            f"({type(spec).__name__})."
        )
    match = re.fullmatch(r"([a-z_]+)(?:@(-?\d+))?", spec.strip().lower())
    name = match.group(1) if match else None
    if name not in METRIC_NAMES:
        raise ValueError(
            f"Unknown ranking metric {spec!r}. Valid names: {', '.join(_valid_names())} "
            "(K a positive integer; without @K the scorer's k is used). For rating "
            "prediction use scikit-learn's scorers, e.g. 'neg_root_mean_squared_error'."
        )
    if name == "auc":
        if match.group(2) is not None:
            raise ValueError(f"auc ranks the whole catalog and takes no @K; got {spec!r}.")
        return "auc", "auc", None
    k = default_k if match.group(2) is None else int(match.group(2))
    k = check_k(k, name=f"k of {spec!r}")
    return f"{name}@{k}", name, k


def _check_choice(value, options, name):
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}.")


def _check_optional_positive_int(value, name):
    if value is None:
        return None
    return check_int(value, name, 1)


class _GroundTruth:
    """Everything a scorer derives from X_test before asking the model."""

    def __init__(self, users, pos, item_code, n_items, history, history_y, context,
                 new_ids=None, item_features=None):
        self.users = users  # original ids of the evaluated users
        self.pos = pos  # ground-truth pair -> position in users
        self.item_code = item_code  # ground-truth pair -> item code (-1: unknown item)
        self.n_relevant = np.bincount(pos, minlength=len(users)).astype(np.int64)
        self.n_items = n_items
        self.history = history
        self.history_y = history_y
        self.context = context  # callable: rows -> CSR of H(u) for those users
        # Items unseen at fit that join the catalog (codes n_items_ + position),
        # and their first X_test rows (passed to recommend as item_features).
        self.new_ids = new_ids
        self.item_features = item_features

    def known_keys(self):
        known = self.item_code >= 0
        return np.sort(self.pos[known] * self.n_items + self.item_code[known])


class _RankingScorer:
    """Callable ``(estimator, X_test, y_test=None)`` built by :func:`make_ranking_scorer`."""

    def __init__(self, metrics, single, *, relevance_threshold, exclude_seen, cold_users,
                 n_support, support_order, negatives, batch_size, random_state,
                 cold_items="rank"):
        self.metrics = metrics
        self.single = single
        self.relevance_threshold = relevance_threshold
        self.exclude_seen = exclude_seen
        self.cold_users = cold_users
        self.n_support = n_support
        self.support_order = support_order
        self.negatives = negatives
        self.batch_size = batch_size
        self.random_state = random_state
        self.cold_items = cold_items

    def __repr__(self):
        names = [key for key, _, _ in self.metrics]
        spec = names[0] if self.single else names
        return (
            f"make_ranking_scorer({spec!r}, relevance_threshold={self.relevance_threshold!r}, "
            f"exclude_seen={self.exclude_seen!r}, cold_users={self.cold_users!r}, "
            f"cold_items={self.cold_items!r}, negatives={self.negatives!r})"
        )

    # ----------------------------------------------------------- truth
    def _ground_truth(self, inner, X, y, can_rank_new=False):
        table = check_interactions(X, name="X_test")
        n = len(table)
        y = check_target(y, n, name="y_test")
        if self.relevance_threshold is not None and y is None:
            raise ValueError(
                "relevance_threshold needs y_test (one rating per row of X_test); got None. "
                "Pass y to the scorer (GridSearchCV does when fit is given y), or drop "
                "relevance_threshold."
            )
        ucode = inner.encode_users(table.user)
        icode = inner.encode_items(table.item)
        item_key, _ = pd.factorize(table.item)  # identity of every item, known or not
        new_rows = new_ids = None
        if can_rank_new and (icode < 0).any():
            # Items unseen at fit join the catalog, described by their first X_test row.
            unseen = np.flatnonzero(icode < 0)
            new_code, new_ids = pd.factorize(pd.Index(table.item[unseen], dtype=object))
            icode = icode.copy()
            icode[unseen] = inner.n_items_ + new_code
            new_rows = unseen[np.unique(new_code, return_index=True)[1]]
        cold = ucode < 0
        is_query = np.ones(n, dtype=bool)
        if self.cold_items == "only":  # the cold-start item protocol: new items only
            is_query &= icode >= inner.n_items_
        support = np.empty(0, dtype=np.int64)
        if cold.any() and self.cold_users == "skip":
            is_query &= ~cold
        elif cold.any() and self.cold_users == "fold_in":
            from ..model_selection._support import support_query_split

            cold_rows = np.flatnonzero(cold)
            if self.support_order == "time" and table.timestamp is None:
                raise ValueError(
                    f"X_test has users unseen at fit and cold_users='fold_in' with "
                    f"support_order='time' needs a {TIME!r} column to pick their earliest "
                    "rows as support. Pass a DataFrame with skrec.TIME, or "
                    "support_order='random'."
                )
            sub = _take(X, cold_rows)
            s_idx, _ = support_query_split(
                sub, n_support=self.n_support, order=self.support_order,
                random_state=self.random_state,
            )
            support = cold_rows[s_idx]
            is_query[support] = False
        relevant = is_query.copy()
        if self.relevance_threshold is not None:
            relevant &= y >= self.relevance_threshold
        user_key, user_uniques = pd.factorize(table.user)
        rows = np.flatnonzero(relevant)
        if self.exclude_seen and len(rows):
            # Ground truth is the test rows minus H(u): training items of known users,
            # support items of folded-in users.
            seen = np.zeros(len(rows), dtype=bool)
            known_rows = ucode[rows] >= 0
            kr = rows[known_rows]
            kr_items = icode[kr]
            ok = (kr_items >= 0) & (kr_items < inner.n_items_)  # new items are never seen
            if ok.any():
                sv = inner.seen_  # structural membership: a rating of 0 is still seen
                pattern = sp.csr_array((np.ones(len(sv.indices)), sv.indices, sv.indptr),
                                       shape=sv.shape)
                vals = np.asarray(pattern[ucode[kr[ok]], kr_items[ok]]).ravel()
                tmp = np.zeros(len(kr), dtype=bool)
                tmp[ok] = vals != 0
                seen[known_rows] = tmp
            if len(support):
                n_keys = int(item_key.max()) + 1
                sup_keys = np.unique(user_key[support] * n_keys + item_key[support])
                seen |= _member(user_key[rows] * n_keys + item_key[rows], sup_keys)
            rows = rows[~seen]
        # Distinct (user, item) pairs of the ground truth.
        n_keys = int(item_key.max()) + 1 if n else 1
        pair = user_key[rows] * n_keys + item_key[rows]
        _, first = np.unique(pair, return_index=True)
        rows = rows[np.sort(first)]
        present = np.bincount(user_key[rows], minlength=len(user_uniques)) > 0
        eval_keys = np.flatnonzero(present)
        pos = (np.cumsum(present) - 1)[user_key[rows]]
        users = np.asarray(user_uniques)[eval_keys]
        history = history_y = None
        if len(support):
            sup_keep = present[user_key[support]]
            support = support[sup_keep]
            if len(support):
                history = _take(X, support)
                history_y = None if y is None else y[support]
        n_catalog = inner.n_items_ + (0 if new_ids is None else len(new_ids))
        truth = _GroundTruth(users, pos.astype(np.int64), icode[rows], n_catalog, history,
                             history_y, None, new_ids=new_ids,
                             item_features=None if new_rows is None else _take(X, new_rows))
        # Coverage and novelty describe the lists served to every user of X_test that
        # can be scored (known, or folded in), relevant items or not: they are defined
        # on training rows too (validation_curve, learning_curve).
        scorable = np.zeros(len(user_uniques), dtype=bool)
        scorable[user_key[ucode >= 0]] = True
        scorable[eval_keys] = True
        truth.list_users = np.asarray(user_uniques)[scorable]

        def context(sl):  # H(u) of the evaluated users, built by the estimator itself
            hist, hist_y = _history_for(truth, users[sl])
            ctx = inner.user_context(users[sl], history=hist, history_y=hist_y).matrix
            return sp.csr_array((np.ones(len(ctx.indices)), ctx.indices, ctx.indptr),
                                shape=ctx.shape)  # membership: a rating of 0 is still seen

        truth.context = context
        return truth

    # ---------------------------------------------------------- scoring
    def __call__(self, estimator, X, y=None):
        from ..utils._tags import unwrap_estimator

        inner, _ = unwrap_estimator(estimator, fitted=True)
        check_is_fitted(inner)
        can_rank_new = self._can_rank_new(inner)
        truth = self._ground_truth(inner, X, y, can_rank_new)
        self._check_unseen_items(inner, truth, can_rank_new)
        if len(truth.users) == 0:
            values = {key: K.mean_over_users([], key) for key, name, _ in self.metrics
                      if name not in LIST_METRICS or self.negatives is not None}
        elif self.negatives is not None:
            values = self._score_sampled(estimator, inner, truth)
        else:
            values = self._score_full(estimator, inner, truth)
        if self.negatives is None:
            values.update(self._list_values(estimator, inner, truth))
        if self.single:
            return values[self.metrics[0][0]]
        return values

    def _can_rank_new(self, inner):
        """Whether items unseen at fit are ranked (full-catalog protocol, able model)."""
        tags = inner.__skrec_tags__()
        able = tags.cold_items and self.negatives is None
        if self.cold_items == "only" and not able:
            why = ("sampled negatives rank fitted items only" if self.negatives is not None
                   else f"{type(inner).__name__} cannot score items unseen at fit")
            raise ValueError(
                f"cold_items='only' ranks the items of X_test unseen at fit, but {why}. Use a "
                "feature-aware model (skrec.ctr.FM, skrec.baselines.ContentBased, ...) with "
                "negatives=None, or cold_items='miss'."
            )
        return able and self.cold_items != "miss"

    def _check_unseen_items(self, inner, truth, can_rank_new):
        """Warn when ground-truth items unseen at fit can only be misses."""
        if can_rank_new or self.cold_items == "miss" or len(truth.item_code) == 0:
            return
        unseen = int((truth.item_code < 0).sum())
        total = len(truth.item_code)
        if unseen and unseen >= _UNSEEN_WARN_SHARE * total:
            warnings.warn(
                f"{unseen} of {total} ground-truth interactions ({unseen / total:.0%}) are "
                f"with items unseen at fit, which {type(inner).__name__} cannot score: they "
                "count as misses (a split such as ColdStartItemSplit then scores 0). Rank them "
                "with a feature-aware model (skrec.ctr.FM, ContentBased, ...), or pass "
                "cold_items='miss' to the scorer to silence this warning.",
                UserWarning, stacklevel=3,
            )

    def _batch(self, inner):
        if self.batch_size is not None:
            return self.batch_size
        return max(1, _SCORES_PER_BATCH // max(inner.n_items_, 1))

    def _score_full(self, estimator, inner, truth):
        from .._api import recommend

        values = {}
        top = [(key, name, k) for key, name, k in self.metrics
               if name != "auc" and name not in LIST_METRICS]
        if top:
            k_max = max(k for _, _, k in top)
            extra = {}
            if truth.item_features is not None:
                extra["item_features"] = truth.item_features
                if self.cold_items == "only":
                    extra["candidates"] = np.asarray(truth.new_ids, dtype=object)
            items, scores = recommend(
                estimator, truth.users, k_max, history=truth.history,
                history_y=truth.history_y, exclude_seen=self.exclude_seen,
                batch_size=self._batch(inner), **extra,
            )
            codes = inner.encode_items(items.ravel()).reshape(items.shape)
            if truth.new_ids is not None and (codes < 0).any():
                miss = codes < 0
                new = pd.Index(truth.new_ids, dtype=object).get_indexer(
                    np.asarray(items, dtype=object)[miss])
                codes[miss] = np.where(new >= 0, inner.n_items_ + new, -1)
            valid = np.isfinite(scores) & (codes >= 0)
            rec_keys = np.arange(len(codes))[:, None] * truth.n_items + np.maximum(codes, 0)
            hits = (_member(rec_keys, truth.known_keys()) & valid).astype(np.float64)
            for key, name, k in top:
                per_user = K.KERNELS[name](hits[:, :k], truth.n_relevant, k)
                values[key] = K.mean_over_users(per_user, key)
        if any(name == "auc" for _, name, _ in self.metrics):
            values["auc"] = self._auc_full(estimator, inner, truth)
        return values

    def _list_values(self, estimator, inner, truth):
        """Coverage and novelty of the lists of every scorable user of X_test."""
        from .._api import recommend

        specs = [(key, name, k) for key, name, k in self.metrics if name in LIST_METRICS]
        if not specs:
            return {}
        users = truth.list_users
        if len(users) == 0:
            return {key: K.mean_over_users([], key) for key, _, _ in specs}
        items, scores = recommend(
            estimator, users, max(k for _, _, k in specs), history=truth.history,
            history_y=truth.history_y, exclude_seen=self.exclude_seen,
            batch_size=self._batch(inner),
        )
        codes = inner.encode_items(items.ravel()).reshape(items.shape)
        valid = np.isfinite(scores) & (codes >= 0)
        values = {}
        for key, name, k in specs:
            if name == "coverage":
                values[key] = K.coverage_kernel(codes[:, :k], valid[:, :k], inner.n_items_)
            else:
                info = K.self_information(inner.item_popularity_, inner.n_users_)
                values[key] = K.mean_over_users(
                    K.novelty_kernel(codes[:, :k], valid[:, :k], info), key)
        return values

    def _auc_full(self, estimator, inner, truth):
        from .._api import score_items
        from ._ranking import _auc_rows

        step = self._batch(inner)
        n = len(truth.users)
        known = (truth.item_code >= 0) & (truth.item_code < inner.n_items_)
        rel = sp.csr_array(
            (np.ones(int(known.sum())), (truth.pos[known], truth.item_code[known])),
            shape=(n, inner.n_items_),
        )
        out = []
        for start in range(0, n, step):
            sl = slice(start, min(n, start + step))
            hist, hist_y = _history_for(truth, truth.users[sl])
            s = np.array(score_items(estimator, truth.users[sl], history=hist, history_y=hist_y,
                                     batch_size=step), dtype=np.float64)
            if self.exclude_seen:
                ctx = truth.context(sl).tocoo()
                s[ctx.row, ctx.col] = -np.inf
            out.append(_auc_rows(rel[sl].toarray() > 0, s))
        return K.mean_over_users(np.concatenate(out), "auc")

    def _score_sampled(self, estimator, inner, truth):
        """Rank each positive among ``negatives`` sampled unseen items of its user."""
        from .._api import score_items

        n_neg = self.negatives
        n_users, n_items = len(truth.users), inner.n_items_
        seeds = check_random_state(self.random_state).randint(0, 2**31 - 1, size=2)
        neg_rng, tie_rng = np.random.RandomState(seeds[0]), np.random.RandomState(seeds[1])
        order = np.argsort(truth.pos, kind="stable")
        pair_pos, pair_item = truth.pos[order], truth.item_code[order]
        bounds = np.searchsorted(pair_pos, np.arange(n_users + 1))
        step = self._batch(inner)
        known = truth.item_code >= 0
        gt = sp.csr_array(
            (np.ones(int(known.sum())), (truth.pos[known], truth.item_code[known])),
            shape=(n_users, n_items),
        )
        ranks, aucs = [], []
        for start in range(0, n_users, step):
            sl = slice(start, min(n_users, start + step))
            b = sl.stop - sl.start
            # N distinct negatives per user: largest random keys among items outside
            # H(u) and the user's ground truth (a stream independent of batch_size).
            keys = neg_rng.random_sample((b, n_items))
            banned = (truth.context(sl) + gt[sl]).tocoo()
            keys[banned.row, banned.col] = -1.0
            take = min(n_neg, n_items)
            neg = np.argpartition(-keys, take - 1, axis=1)[:, :take] if take < n_items \
                else np.broadcast_to(np.arange(n_items), (b, n_items)).copy()
            neg_ok = np.take_along_axis(keys, neg, axis=1) >= 0
            p_lo, p_hi = bounds[sl.start], bounds[sl.stop]
            local = pair_pos[p_lo:p_hi] - sl.start
            pos_item = pair_item[p_lo:p_hi]
            hist, hist_y = _history_for(truth, truth.users[sl])
            full = np.array(score_items(estimator, truth.users[sl], history=hist,
                                        history_y=hist_y, batch_size=step), dtype=np.float64)
            pos_s = full[local, np.maximum(pos_item, 0)][:, None]
            neg_s = np.take_along_axis(full, neg, axis=1)[local]
            ok = neg_ok[local]
            greater = ((neg_s > pos_s) & ok).sum(axis=1)
            tied = ((neg_s == pos_s) & ok).sum(axis=1)
            n_valid = ok.sum(axis=1)
            u = tie_rng.random_sample(len(local))
            rank = greater + np.floor(u * (tied + 1)).astype(np.int64)
            auc = K._safe_divide(n_valid - greater - 0.5 * tied, n_valid)
            unknown = pos_item < 0  # an item unseen at fit cannot be scored: a miss
            rank = np.where(unknown, n_valid, rank)
            auc = np.where(unknown, 0.0, auc)
            ranks.append(rank)
            aucs.append(auc)
        rank = np.concatenate(ranks)
        values = {}
        one = np.ones(len(rank), dtype=np.int64)
        for key, name, k in self.metrics:
            if name == "auc":
                per_pair = np.concatenate(aucs)
            else:
                width = min(k, n_neg + 1)
                hits = (np.arange(width)[None, :] == rank[:, None]).astype(np.float64)
                per_pair = K.KERNELS[name](hits, one, k)
            per_user = _group_mean(per_pair, pair_pos, n_users)
            values[key] = K.mean_over_users(per_user, key)
        return values


def _member(values, sorted_keys):
    """``np.isin(values, sorted_keys)`` for sorted keys, by binary search."""
    if len(sorted_keys) == 0:
        return np.zeros(np.shape(values), dtype=bool)
    idx = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[idx] == values


def _group_mean(values, groups, n_groups):
    ok = ~np.isnan(values)
    total = np.bincount(groups[ok], weights=values[ok], minlength=n_groups)
    count = np.bincount(groups[ok], minlength=n_groups)
    return K._safe_divide(total, count)


def _history_for(truth, users):
    """The folded-in users' support rows restricted to ``users`` (None when empty)."""
    if truth.history is None:
        return None, None
    hist_users = check_interactions(truth.history, name="history").user
    keep = np.flatnonzero(pd.Index(pd.unique(np.asarray(users, dtype=object))).get_indexer(
        hist_users) >= 0)
    if len(keep) == 0:
        return None, None
    return _take(truth.history, keep), None if truth.history_y is None else truth.history_y[keep]


def _take(X, rows):
    """Rows of an interaction table in its own format (DataFrame or array)."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[rows]
    return np.asarray(X)[rows]


def make_ranking_scorer(metric="ndcg", k=10, *, relevance_threshold=None, exclude_seen=True,
                        cold_users="fold_in", n_support=5, support_order="time",
                        negatives=None, batch_size=None, random_state=0, cold_items="rank"):
    """Make a scorer ``(estimator, X_test, y_test=None)`` from ranking metrics.

    The scorer plugs into ``GridSearchCV``, ``RandomizedSearchCV`` and
    ``cross_validate`` as ``scoring=``. For each user of ``X_test`` it asks
    for one list of the top items (a single :func:`skrec.recommend` pass at
    the largest ``k`` requested, in user batches) and compares it with the
    user's held-out items.

    Parameters
    ----------
    metric : str or list of str, default="ndcg"
        ``"ndcg"``, ``"recall"``, ``"truncated_recall"`` (recall over
        ``min(k, |relevant|)``), ``"precision"``, ``"map"``, ``"mrr"``,
        ``"hit_rate"``, ``"coverage"`` (catalog coverage of the lists of the
        evaluated users), ``"novelty"`` (mean self-information, from the
        model's ``item_popularity_``), each optionally with ``@K`` (e.g.
        ``"recall@20"``), and ``"auc"`` (per-user AUC over the whole
        catalog). A list computes all of them from one ``recommend`` pass
        and the scorer returns a dict keyed ``"ndcg@10"``, ``"recall@20"``,
        ... (use one key as ``refit=`` in a search).
    k : int, default=10
        List length for names without ``@K``.
    relevance_threshold : float, default=None
        Only test rows with ``y_test >= relevance_threshold`` are relevant
        (e.g. 4 for ratings 1..5). Requires ``y_test``.
    exclude_seen : bool, default=True
        Whether H(u) is excluded from the lists and from the ground truth.
        On the training rows (the train scores of ``validation_curve`` or
        ``learning_curve``) every item is in H(u), so accuracy metrics are
        undefined (NaN, with a warning): pass ``exclude_seen=False`` for a
        train score (how well the model reproduces its training data).
        ``coverage@K`` and ``novelty@K`` need no relevant item and are
        computed over every scorable user of ``X_test`` on any split.
    cold_users : {"fold_in", "skip", "fallback"}, default="fold_in"
        Users of ``X_test`` unseen at fit. ``"fold_in"``: their rows are
        split with :func:`skrec.model_selection.support_query_split`; the
        support rows are passed as ``history=`` and the query rows are the
        ground truth (models without the ``fold_in`` tag fall back to
        popularity). ``"skip"``: they are ignored. ``"fallback"``: they are
        ranked without history (popularity) against all their rows.
    n_support : int, default=5
        Support rows per cold user (see ``support_query_split``).
    support_order : {"time", "random"}, default="time"
        Which rows are support: the earliest (needs a ``timestamp``
        column) or a random draw from ``random_state``.
    negatives : int, default=None
        None ranks the whole catalog (the honest protocol). An int N is the
        sampled protocol of NCF: each relevant item is ranked among N items
        drawn uniformly, once per user, from the items outside H(u) and the
        user's ground truth; ties are broken at random. Sampled metrics are
        optimistic and can even reorder models compared with full ranking
        (Krichene and Rendle, 2020): use them only to reproduce papers.
        ``coverage`` and ``novelty`` are not defined with it.
    batch_size : int, default=None
        Users scored at once (memory about ``batch_size * n_items`` scores;
        default: about 4M scores). Results do not depend on it.
    random_state : int, RandomState instance or None, default=0
        Seed of ``support_order="random"`` and of the sampled negatives; an
        int makes every call (every grid candidate) use the same draw.
    cold_items : {"rank", "only", "miss"}, default="rank"
        Items of ``X_test`` unseen at fit (all of them with
        :class:`~skrec.model_selection.ColdStartItemSplit`). ``"rank"``:
        a model with the ``cold_items`` tag (the CTR family,
        ``ContentBased``) ranks them from the feature columns of their
        first ``X_test`` row (passed as ``item_features=``) among the whole
        catalog; for any other model they count as misses, with a
        ``UserWarning`` when they are at least 1% of the ground-truth
        interactions (a random split leaves a few in most folds).
        ``"only"``: the cold-start item protocol: only the
        items unseen at fit are candidates and ground truth (a
        ``ValueError`` for a model that cannot score them). ``"miss"``: they
        count as misses, silently.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X_test, y_test=None)`` returns a float (one
        metric) or a dict of floats (a list of metrics). The estimator may
        be a recommender, a Pipeline ending in one, a fitted search object
        or a FrozenEstimator.

    See Also
    --------
    get_scorer : A scorer by name, e.g. ``"ndcg@10"``.
    make_next_item_scorer : Next-item evaluation of session data.
    skrec.model_selection.support_query_split : The cold-start split.

    Notes
    -----
    The protocol:

    - Ground truth of a user known at fit: their distinct ``X_test`` items
      minus H(u), the items they interacted with in training (with
      ``exclude_seen=False``: all their ``X_test`` items, the repeat
      consumption protocol). With ``relevance_threshold=t`` only rows with
      ``y_test >= t`` count.
    - Test items unseen at fit stay in the ground truth and follow
      ``cold_items``: ranked from their features by models that can, else
      misses (with a warning from 1% of the ground truth on). ``auc`` and
      sampled negatives leave them out or count them as misses.
    - Users unseen at fit (cold start) follow ``cold_users``.
    - Metrics are averaged over users with at least one relevant item.
      When none has one (e.g. ``relevance_threshold`` above every rating),
      the score is NaN and an :class:`~sklearn.exceptions.UndefinedMetricWarning`
      is raised; a search then ranks that candidate last.

    References
    ----------
    W. Krichene and S. Rendle, "On sampled metrics for item recommendation",
    KDD 2020.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate, KFold
    >>> from skrec.datasets import make_interactions
    >>> from skrec.metrics import make_ranking_scorer
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=40, n_items=30, random_state=0)
    >>> scorer = make_ranking_scorer(["ndcg@10", "recall@20"])
    >>> model = Popularity().fit(data.X.iloc[:300])
    >>> sorted(scorer(model, data.X.iloc[300:]))
    ['ndcg@10', 'recall@20']
    >>> cv = cross_validate(Popularity(), data.X, cv=KFold(3), scoring=scorer)
    >>> cv["test_ndcg@10"].shape
    (3,)
    """
    k = check_k(k)
    single = isinstance(metric, str)
    specs = [metric] if single else list(metric)
    if not specs:
        raise ValueError("metric is an empty list; name at least one metric, e.g. 'ndcg@10'.")
    parsed = [_parse_metric(s, k) for s in specs]
    keys = [p[0] for p in parsed]
    if len(set(keys)) != len(keys):
        raise ValueError(f"metric lists {keys}, which repeats a metric.")
    if relevance_threshold is not None:
        if isinstance(relevance_threshold, bool) or not isinstance(
            relevance_threshold, numbers.Real
        ) or not np.isfinite(relevance_threshold):
            raise ValueError(
                f"relevance_threshold must be a finite number or None, got "
                f"{relevance_threshold!r}."
            )
    if not isinstance(exclude_seen, (bool, np.bool_)):
        raise TypeError(f"exclude_seen must be a bool, got {exclude_seen!r}.")
    _check_choice(cold_users, _COLD_USERS, "cold_users")
    _check_choice(cold_items, _COLD_ITEMS, "cold_items")
    _check_choice(support_order, ("time", "random"), "support_order")
    n_support = check_int(n_support, "n_support", 0)
    negatives = _check_optional_positive_int(negatives, "negatives")
    batch_size = _check_optional_positive_int(batch_size, "batch_size")
    if negatives is not None:
        bad = [key for key, name, _ in parsed if name in LIST_METRICS]
        if bad:
            raise ValueError(
                f"{bad} describe full recommendation lists and are undefined with sampled "
                "negatives; drop them or use negatives=None."
            )
    return _RankingScorer(
        tuple(parsed), single, relevance_threshold=relevance_threshold,
        exclude_seen=bool(exclude_seen), cold_users=cold_users, n_support=int(n_support),
        support_order=support_order, negatives=negatives, batch_size=batch_size,
        random_state=random_state, cold_items=cold_items,
    )


def get_scorer(scoring):
    """A scorer by name: ``"ndcg@10"``, ``"recall@20"``, ``"auc"``, ...

    Ranking names give a :func:`make_ranking_scorer` with default options.
    Other names are looked up in :func:`sklearn.metrics.get_scorer` (for
    rating prediction, e.g. ``"neg_root_mean_squared_error"``); a callable
    is returned unchanged.

    Parameters
    ----------
    scoring : str or callable
        ``"<metric>@K"`` with metric in ndcg, recall, truncated_recall,
        precision, map, mrr, hit_rate, coverage, novelty; or ``"auc"``.

    Returns
    -------
    scorer : callable ``(estimator, X, y=None) -> float``

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.metrics import get_scorer
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=40, n_items=30, random_state=0)
    >>> model = Popularity().fit(data.X.iloc[:300])
    >>> 0.0 <= get_scorer("ndcg@10")(model, data.X.iloc[300:]) <= 1.0
    True
    """
    if callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(f"scoring must be a str or a callable, got {type(scoring).__name__}.")
    name = scoring.strip().lower().split("@")[0]
    if name in METRIC_NAMES:
        return make_ranking_scorer(scoring)
    from sklearn.metrics import get_scorer as sk_get_scorer
    from sklearn.metrics import get_scorer_names

    if scoring in get_scorer_names():
        return sk_get_scorer(scoring)
    raise ValueError(
        f"Unknown scorer {scoring!r}. Ranking scorers: {', '.join(_valid_names())} (K a "
        "positive integer, e.g. 'ndcg@10'); any name of sklearn.metrics.get_scorer_names() "
        "(e.g. 'neg_root_mean_squared_error') is also accepted."
    )
