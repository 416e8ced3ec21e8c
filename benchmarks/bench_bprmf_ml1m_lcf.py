"""BPRMF on the real ML-1M LCF split: seconds per epoch and Recall/NDCG@20.

The pairwise base's speed is measured here, since NCF and the CTR family
inherit it. implicit's BPR is the peer when installed (``pip install
implicit``); it runs in the same process, after skrec.

Usage: ``python benchmarks/bench_bprmf_ml1m_lcf.py [--grid | --sparse]``
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _common import emit
from _lcf import lcf_metrics, lcf_split

from skrec.factorization import BPRMF

GRID = [
    {},
    {"batch_size": 16384, "lr": 0.05},
    {"batch_size": 65536, "lr": 0.1},
    {"max_iter": 20},
    {"optimizer": "sparse_adam"},
    {"optimizer": "sparse_adam", "batch_size": 16384, "lr": 0.05},
]


def run_skrec(train, test, params):
    model = BPRMF(device="cpu", random_state=0, **params)
    t0 = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - t0
    epochs = [h["time"] for h in model.history_]
    emit(benchmark="bprmf_ml1m_lcf", model="skrec.BPRMF", params=params, fit_s=fit,
         epoch_median_s=float(np.median(epochs)), epochs=len(epochs),
         **lcf_metrics(model, test))


def run_implicit(train, test):
    try:
        import implicit
        import scipy.sparse as sp
    except ImportError:
        emit(benchmark="bprmf_ml1m_lcf", model="implicit.BPR", skipped="not installed")
        return
    n_u, n_i = train.user.max() + 1, max(train.item.max(), test.item.max()) + 1
    R = sp.csr_matrix((np.ones(len(train), dtype=np.float32), (train.user, train.item)),
                      shape=(n_u, n_i))
    model = implicit.cpu.bpr.BayesianPersonalizedRanking(factors=64, iterations=100,
                                                           random_state=0)
    t0 = time.perf_counter()
    model.fit(R, show_progress=False)
    fit = time.perf_counter() - t0
    users = np.unique(test.user)
    ids, _ = model.recommend(users, R[users], N=20, filter_already_liked_items=True)
    truth = test.groupby("user")["item"].apply(set)
    disc = 1.0 / np.log2(np.arange(2, 22))
    rec, ndcg = [], []
    for r, u in enumerate(users):
        t = truth[u]
        hits = np.array([i in t for i in ids[r]], dtype=float)
        rec.append(hits.sum() / len(t))
        ndcg.append((hits * disc).sum() / disc[: min(20, len(t))].sum())
    emit(benchmark="bprmf_ml1m_lcf", model="implicit.BPR", params={"factors": 64,
         "iterations": 100}, fit_s=fit, epoch_median_s=fit / 100,
         **{"recall@20": float(np.mean(rec)), "ndcg@20": float(np.mean(ndcg))})


def main():
    train, test = lcf_split()
    grid = GRID if "--grid" in sys.argv else [{}]
    if "--sparse" in sys.argv:  # the defaults against optimizer="sparse_adam"
        grid = [{}] + [p for p in GRID if p.get("optimizer") == "sparse_adam"]
    for params in grid:
        run_skrec(train, test, params)
    if "--sparse" not in sys.argv:
        run_implicit(train, test)


if __name__ == "__main__":
    main()
