"""A small pairwise model built on the engine, as a new model author would write it.

``FeatureDot`` scores ``(p_u + W x_u) . q_i`` where ``x_u`` are the user's
side features (``user__*`` columns). It is ~60 lines: the pairwise base
supplies the loop, negatives, catalog scoring, fold-in and pickling. The
tests show it trains, ranks a new user described by features and history,
passes the common checks and works in a grid search with a ranking scorer.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from torch import nn

from skrec._torch import PairwiseRecommender
from skrec.base import RecommenderTags
from skrec.baselines import Popularity
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import UserHoldoutSplit
from skrec.utils.estimator_checks import check_recommender


class _FeatureDotModule(nn.Module):
    scores_catalog = True

    def __init__(self, n_users, n_items, n_features, k):
        super().__init__()
        self.P = nn.Embedding(n_users, k)
        self.Q = nn.Embedding(n_items, k)
        self.W = nn.Linear(n_features, k, bias=False)
        for w in (self.P.weight, self.Q.weight, self.W.weight):
            nn.init.normal_(w, 0.0, 0.1)

    def forward(self, user, item=None, user_x=None):
        p = self.P(user) + self.W(user_x)
        if item is None:
            return p @ self.Q.weight.T, None
        q = self.Q(item)
        scores = (p * q).sum(-1) if item.dim() == 1 else (p.unsqueeze(1) * q).sum(-1)
        return scores, (p * p).sum(-1) + (q * q).sum(tuple(range(1, q.dim())))


class FeatureDot(PairwiseRecommender):
    """Test-only pairwise model reading user side features."""

    loss, sampler, n_negatives, reg = "bce", "uniform", 4, 1e-4
    weight_decay, optimizer, lr_schedule = 0.0, "adam", "constant"
    early_stopping, validation_fraction, n_iter_no_change, tol = False, 0.1, 5, 0.0
    warm_start, verbose = False, 0
    _module_inputs = ("user_x",)
    _user_param_names = ("P.weight",)
    # A new user starts from the mean P row and takes a few gradient steps on
    # their history, so their features carry most of the signal.
    _fold_in_steps = 10

    def __init__(self, n_factors=8, *, max_iter=30, lr=0.05, batch_size=256, device="cpu",
                 random_state=None):
        self.n_factors = n_factors
        self.max_iter = max_iter
        self.lr = lr
        self.batch_size = batch_size
        self.device = device
        self.random_state = random_state

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, side_features=True, torch=True)

    @staticmethod
    def _user_columns(features):
        if features is None:
            return []
        return [c for c in features.columns if str(c).startswith("user__")]

    def _prepare_fit(self, data):
        super()._prepare_fit(data)
        cols = self._user_columns(data.features)
        self._cols = cols
        table = np.zeros((data.n_users, len(cols)))
        if cols:
            table[data.user] = data.features[cols].to_numpy(dtype=float)
        self._user_x = table

    def _build_module(self, data):
        return _FeatureDotModule(data.n_users, data.n_items, len(self._cols), self.n_factors)

    def _training_rows(self, data):
        return {**super()._training_rows(data), "user_x": self._user_x[data.user]}

    def _context_features(self, context):
        """x_u of each user: from training, or the last history row with user__ columns."""
        x = np.zeros((len(context), len(self._cols)))
        x[context.known] = self._user_x[context.codes[context.known]]
        rows = context.rows
        if self._cols and rows.features is not None and set(self._cols) <= set(
                rows.features.columns):
            last = rows.indptr[1:] - 1
            has = (rows.lengths() > 0) & ~context.known
            values = rows.features[self._cols].to_numpy(dtype=float)
            x[has] = values[last[has]]
        return x

    def _forward_extras(self, context):
        return {"user_x": torch.as_tensor(self._context_features(context), dtype=torch.float32)}

    def _history_rows(self, context):
        rows = super()._history_rows(context)
        rows["user_x"] = self._context_features(context)[rows["user"]]
        return rows

    def _pair_extras(self, user_idx, item_idx, features, timestamp, offset):
        return {"user_x": torch.as_tensor(self._user_x[user_idx], dtype=torch.float32)}


def _grouped(seed=0, n_users=60, n_items=20):
    """Users of two groups (feature user__g = +-1) each liking one half of the items."""
    rng = np.random.RandomState(seed)
    group = rng.randint(0, 2, n_users)
    rows = []
    for u in range(n_users):
        half = np.arange(n_items // 2) + group[u] * (n_items // 2)
        for i in rng.choice(half, 6, replace=False):
            rows.append((u, int(i), 2.0 * group[u] - 1.0))
    return pd.DataFrame(rows, columns=["user", "item", "user__g"]), group


def test_new_user_ranked_from_features_and_history():
    X, _ = _grouped()
    est = FeatureDot(random_state=0).fit(X)
    # Two new users with the same history (one item of each half), different features.
    hist = pd.DataFrame({"user": ["a", "a", "b", "b"], "item": [0, 10, 0, 10],
                         "user__g": [-1.0, -1.0, 1.0, 1.0]})
    items, _ = est.recommend(["a", "b"], k=5, history=hist)
    assert (items[0] < 10).mean() >= 0.8, items[0]  # group -1 likes items 0..9
    assert (items[1] >= 10).mean() >= 0.8, items[1]
    # Without features the two users are the same.
    same = est.score_items(["a", "b"], history=hist.drop(columns="user__g"))
    np.testing.assert_allclose(same[0], same[1], rtol=1e-5)


def test_pairwise_toy_beats_popularity_and_pickles():
    X, group = _grouped(seed=1)
    est = FeatureDot(random_state=0).fit(X)
    users = np.arange(60)
    items, _ = est.recommend(users, k=5)
    hit = ((items >= 10) == group[:, None].astype(bool)).mean()
    pop_items, _ = Popularity().fit(X).recommend(users, k=5)
    pop_hit = ((pop_items >= 10) == group[:, None].astype(bool)).mean()
    assert hit > pop_hit + 0.2
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.recommend(users, k=5)[0], items)


def test_pairwise_toy_passes_common_checks():
    check_recommender(FeatureDot(max_iter=20, lr=0.05, batch_size=64, random_state=0))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_pairwise_toy_grid_search_with_ranking_scorer():
    X, _ = _grouped(seed=2)
    search = GridSearchCV(
        FeatureDot(random_state=0), {"n_factors": [2, 8]},
        scoring=make_ranking_scorer(["ndcg@5", "recall@5"]), refit="ndcg@5",
        cv=UserHoldoutSplit(n_splits=2, test_size=0.3, random_state=0),
    ).fit(X)
    assert set(search.cv_results_["param_n_factors"]) == {2, 8}
    assert np.isfinite(search.cv_results_["mean_test_ndcg@5"]).all()
    assert search.best_estimator_.n_factors in (2, 8)
