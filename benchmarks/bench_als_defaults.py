"""The grid that chose ALS's defaults, on ML-100k and on the real ML-1M LCF split.

Protocols: ML-100k, every rating a positive, per-user random 80/20 (seed 0),
NDCG@10 over the full catalog with training items excluded
(``_ranking.py``); ML-1M LCF, the given split, Recall@20 and NDCG@20
(``_lcf.py``). Each grid point is scored on both; the default must be within
3% of the best NDCG@10 on ML-100k and of EASE's Recall@20 (.2759) on LCF,
so one setting serves small and mid-size data.

Usage: python benchmarks/bench_als_defaults.py [--full]
"""

from __future__ import annotations

import itertools
import sys
import time

import numpy as np
import pandas as pd
from _common import emit, require_shared
from _lcf import lcf_metrics, lcf_split
from _ranking import ranking_metrics, user_holdout

from skrec.factorization import ALS

GRID = {
    "n_factors": [64, 128, 256],
    "reg": [1.0, 10.0, 50.0, 200.0],
    "alpha": [1.0, 5.0, 20.0],
}
#: The points run by default (``--full`` runs the whole GRID): the ML-100k
#: optimum of ``bench_ranking_ml100k.py`` (64, 50, 6) and its neighbours with
#: more factors, which larger data wants.
POINTS = [(64, 50.0, 6.0), (128, 50.0, 6.0), (128, 20.0, 5.0), (256, 50.0, 6.0),
          (256, 100.0, 10.0), (128, 100.0, 10.0)]


def ml100k():
    raw = pd.read_csv(require_shared("ml-100k") / "u.data", sep="\t",
                      names=["user", "item", "rating", "ts"])
    user = pd.factorize(raw["user"])[0]
    item = pd.factorize(raw["item"])[0]
    test = user_holdout(user, item, 0.2, seed=0)
    train = pd.DataFrame({"user": user[~test], "item": item[~test]})
    n_users, n_items = user.max() + 1, item.max() + 1

    def score(model):
        items, _ = model.recommend(np.arange(n_users), k=10)
        return ranking_metrics(np.asarray(items, dtype=np.int64), user[test], item[test],
                               n_items, ks=(10,))["ndcg@10"]

    return train, score


def main():
    train_100k, score_100k = ml100k()
    train_lcf, test_lcf = lcf_split()
    points = itertools.product(*GRID.values()) if "--full" in sys.argv else POINTS
    for n_factors, reg, alpha in points:
        params = dict(n_factors=n_factors, reg=reg, alpha=alpha)
        m = ALS(device="cpu", random_state=0, **params).fit(train_100k)
        ndcg = score_100k(m)
        t0 = time.perf_counter()
        m = ALS(device="cpu", random_state=0, **params).fit(train_lcf)
        fit = time.perf_counter() - t0
        emit(benchmark="als_defaults", params=params, ml100k_ndcg10=ndcg, lcf_fit_s=fit,
             **{f"lcf_{k}": v for k, v in lcf_metrics(m, test_lcf).items()})
    for name, m in [("defaults", ALS(device="cpu", random_state=0))]:
        emit(benchmark="als_defaults", model=name, params={k: m.get_params()[k] for k in GRID},
             ml100k_ndcg10=score_100k(m.fit(train_100k)),
             **{f"lcf_{k}": v for k, v in lcf_metrics(m.fit(train_lcf), test_lcf).items()})


if __name__ == "__main__":
    main()
