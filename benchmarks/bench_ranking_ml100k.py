"""Ranking quality of ALS (tuned) and EASE on MovieLens 100K.

Protocol: every rating is a positive; per-user random 80/20 holdout with
seed 0 (floor(0.2 n_u) test rows per user); full catalog, training items
excluded. NDCG@10 and NDCG@100 (binary gains, ideal DCG over min(k, |test|))
and Recall@20 = hits / min(20, |test|), over users with test items.

ALS is tuned on a validation split carved from the training rows (another
per-user 80/20, seed 1) over a small grid of n_factors, reg and alpha; the
chosen setting is refitted on the whole training set and reported. EASE uses
lambda = 500.

Usage: python benchmarks/bench_ranking_ml100k.py
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import pandas as pd
from _common import emit, require_shared
from _ranking import ranking_metrics, user_holdout

from skrec.autoencoders import EASE
from skrec.factorization import ALS


def main():
    path = require_shared("ml-100k")
    raw = pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "ts"])
    user = pd.factorize(raw["user"])[0]
    item = pd.factorize(raw["item"])[0]
    n_users, n_items = user.max() + 1, item.max() + 1
    test = user_holdout(user, item, 0.2, seed=0)
    tr_u, tr_i = user[~test], item[~test]
    train_df = pd.DataFrame({"user": tr_u, "item": tr_i})
    common = dict(benchmark="ranking_ml100k", n_train=int((~test).sum()), n_test=int(test.sum()))

    # Every user and item of the catalog must be known at fit for the codes to
    # line up; users all have training rows, items missing from train are rare
    # and simply never recommended. Map ids back through item_ids_.
    def run(model, df, tu, ti, ks=(10,), recall_k=()):
        users = np.arange(n_users)
        items, _ = model.recommend(users, k=max(ks + tuple(recall_k)))
        recs = np.asarray(items, dtype=np.int64)
        return ranking_metrics(recs, tu, ti, n_items, ks=ks, recall_k=recall_k)

    # --- tune ALS on a validation split of the training rows
    val = user_holdout(tr_u, tr_i, 0.2, seed=1)
    fit_df = train_df[~val]
    grid = list(itertools.product([64, 128], [25.0, 50.0, 100.0], [3.0, 6.0, 10.0, 20.0]))
    best = None
    for n_factors, reg, alpha in grid:
        m = ALS(n_factors, reg=reg, alpha=alpha, max_iter=15, device="cpu", random_state=0)
        m.fit(fit_df)
        score = run(m, fit_df, tr_u[val], tr_i[val])["ndcg@10"]
        emit(**common, stage="als-grid", n_factors=n_factors, reg=reg, alpha=alpha,
             val_ndcg10=score)
        if best is None or score > best[0]:
            best = (score, n_factors, reg, alpha)
    _, n_factors, reg, alpha = best
    als = ALS(n_factors, reg=reg, alpha=alpha, max_iter=15, device="cpu", random_state=0)
    t0 = time.perf_counter()
    als.fit(train_df)
    fit_s = time.perf_counter() - t0
    emit(**common, model="skrec.ALS (tuned)", n_factors=n_factors, reg=reg, alpha=alpha,
         fit_s=fit_s, **run(als, train_df, user[test], item[test], ks=(10, 100), recall_k=(20,)))
    default = ALS(device="cpu", random_state=0).fit(train_df)
    p = default.get_params()
    emit(**common, model=f"skrec.ALS (defaults: {p['n_factors']} f, reg {p['reg']}, "
         f"alpha {p['alpha']})",
         **run(default, train_df, user[test], item[test], ks=(10, 100), recall_k=(20,)))

    ease = EASE(500.0, device="cpu")
    t0 = time.perf_counter()
    ease.fit(train_df)
    fit_s = time.perf_counter() - t0
    emit(**common, model="skrec.EASE", reg=500.0, fit_s=fit_s,
         **run(ease, train_df, user[test], item[test], ks=(10, 100), recall_k=(20,)))


if __name__ == "__main__":
    main()
