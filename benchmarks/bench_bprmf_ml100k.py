"""BPRMF and implicit MF on MovieLens 100K as implicit feedback (every rating a positive).

Protocol of BENCHMARKS.md: per-user random 80/20 split (seed 0), full
catalog ranking with training items excluded, binary NDCG@10 (ideal DCG
over min(10, |test items|)) and Recall@20 (hits / min(20, |test items|)).
Prints one JSON line per model with the median fit time of ``--repeat``
fits. The reference there: implicit's BPR (100 epochs) NDCG@10 .289, fit
4.1 s; implicit's ALS NDCG@10 .361.

Usage: python benchmarks/bench_bprmf_ml100k.py [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, median, require_shared, timed  # noqa: E402


def _split(df, seed=0):
    rng = np.random.RandomState(seed)
    key = pd.Series(rng.rand(len(df)), index=df.index)
    frac = key.groupby(df["user"]).rank(pct=True)
    test = frac > 0.8
    return df[~test], df[test]


def _ranking_metrics(model, test):
    users = test["user"].unique()
    items, _ = model.recommend(users, k=20)
    truth = test.groupby("user")["item"].apply(set)
    disc = 1.0 / np.log2(np.arange(2, 22))
    ndcg, recall = [], []
    for u, row in zip(users, items, strict=True):
        rel = truth[u]
        hits = np.array([it in rel for it in row])
        ideal = disc[: min(10, len(rel))].sum()
        ndcg.append((hits[:10] * disc[:10]).sum() / ideal)
        recall.append(hits.sum() / min(20, len(rel)))
    return float(np.mean(ndcg)), float(np.mean(recall))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from skrec.baselines import Popularity
    from skrec.factorization import BPRMF, MF, MixtureOfTastesMF

    torch.set_num_threads(args.threads)
    path = require_shared("ml-100k")
    df = pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])
    train, test = _split(df[["user", "item"]])
    common = dict(benchmark="bprmf_ml100k", split="per-user random 80/20 seed 0",
                  n_train=len(train), n_test=len(test), torch_threads=args.threads)
    models = {
        "Popularity": lambda: Popularity(),
        "skrec.BPRMF (defaults)": lambda: BPRMF(device="cpu", random_state=0),
        "skrec.MixtureOfTastesMF (defaults)": lambda: MixtureOfTastesMF(device="cpu",
                                                                       random_state=0),
        "skrec.MF loss=bce": lambda: MF(loss="bce", reg=1e-3, n_factors=64, max_iter=20,
                                        batch_size=4096, lr=0.01, device="cpu", random_state=0),
    }
    for name, make in models.items():
        model, times = timed(lambda make=make: make().fit(train), repeat=args.repeat)
        ndcg, recall = _ranking_metrics(model, test)
        emit(model=name, ndcg_at_10=round(ndcg, 4), recall_at_20=round(recall, 4),
             fit_s=round(median(times), 3), fit_times=[round(t, 3) for t in times], **common)


if __name__ == "__main__":
    main()
