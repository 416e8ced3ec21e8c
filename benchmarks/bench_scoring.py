"""Speed of the multi-metric ranking scorer on an ML-1M-shaped problem.

6,040 users x 3,706 items, 1,000,209 interactions (skrec.datasets.make_interactions),
a random 80/20 row split, and a fitted dense-factor model (64 factors) whose
``_score_items`` is one matrix product. Timed: ``make_ranking_scorer(["ndcg@10",
"recall@20", "map@10"])`` over every test user (one recommend pass at k=20 in
user batches), next to its parts: the bare ``recommend`` for the same users and
the score matrix product alone. Median of 3 runs after one warm-up run; one JSON line per figure.

Run: ``PYTHONPATH=. python benchmarks/bench_scoring.py [--small]``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, median, peak_rss_mb, timed  # noqa: E402

from skrec.base import BaseRecommender, RecommenderTags  # noqa: E402
from skrec.baselines import Popularity  # noqa: E402
from skrec.datasets import make_interactions  # noqa: E402
from skrec.metrics import make_ranking_scorer  # noqa: E402


class DenseFactors(BaseRecommender):
    """Random float32 user and item factors: a model whose scoring costs one matmul."""

    def __init__(self, n_factors=64, random_state=0):
        self.n_factors = n_factors
        self.random_state = random_state

    def __skrec_tags__(self):
        return RecommenderTags()

    def _fit(self, data):
        rng = np.random.default_rng(self.random_state)
        self.user_factors_ = rng.standard_normal((data.n_users, self.n_factors), np.float32)
        self.item_factors_ = rng.standard_normal((data.n_items, self.n_factors), np.float32)
        return self

    def _score_items(self, user_idx, history, item_idx):
        v = self.item_factors_ if item_idx is None else self.item_factors_[item_idx]
        return self.user_factors_[user_idx] @ v.T


def main():
    small = "--small" in sys.argv
    shape = (604, 371, 100_000) if small else (6040, 3706, 1_000_209)
    data = make_interactions(*shape, random_state=0)
    rng = np.random.default_rng(0)
    test_mask = rng.random(len(data.X)) < 0.2
    X_train, X_test = data.X[~test_mask], data.X[test_mask]
    models = {"DenseFactors": DenseFactors().fit(X_train), "Popularity": Popularity().fit(X_train)}
    users = np.unique(X_test["user"])
    scorer = make_ranking_scorer(["ndcg@10", "recall@20", "map@10"])
    base = dict(benchmark="bench_scoring", n_users=shape[0], n_items=shape[1],
                n_interactions=shape[2], n_test_rows=int(test_mask.sum()),
                n_test_users=len(users))
    for name, model in models.items():
        scorer(model, X_test)  # warm-up: imports torch, first-touch allocations
        values, times = timed(scorer, model, X_test, repeat=3)
        emit(**base, model=name, what="scorer ndcg@10+recall@20+map@10",
             seconds=median(times), times=[round(t, 4) for t in times],
             **{k: round(v, 5) for k, v in values.items()})
        _, times = timed(model.recommend, users, 20, repeat=3)
        emit(**base, model=name, what="recommend k=20 (all test users)", seconds=median(times))
    model = models["DenseFactors"]
    _, times = timed(lambda: model.user_factors_ @ model.item_factors_.T, repeat=3)
    emit(**base, model="DenseFactors", what="score matrix product alone", seconds=median(times))
    emit(**base, what="peak_rss_mb", value=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
