"""MetaRec (MAMLRecommender) on MovieLens 100K: ratings, and cold-start ranking.

Part ``ratings``: a random 75/25 split (seed 0); MAE and MSE on the test
rows of MF without biases, biased MF, VariationalMF and MetaRec-MF
(``MAMLRecommender(MF(loss="mse"))``: every user, known ones included, is
adapted from the learned initialization on their training rows), with fit
times. (MixtureOfTastesMF is implicit only, so it is not in this table.)

Part ``cold``: ``ColdStartUserSplit`` (20% of users unseen at fit, seed 0),
every rating an implicit positive. For each test user the earliest ``s``
rows (s in 1, 3, 5, 10, 20) are the support passed as ``history=``, the
rest the ground truth (skrec's ranking scorer, ``support_order="time"``).
NDCG@10 and Recall@20 of MetaRec around BPRMF (``--cold-base bce``:
around ``MF(loss="bce")``), of the same base model's plain gradient fold-in,
and of Popularity. One JSON line per (model, support
size): the curve data for a later plot.

Timings are wall-clock on the machine that runs it, with ``--threads``
torch threads (default 1).

Usage: python benchmarks/bench_maml_ml100k.py [--part ratings|cold|all] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, require_shared  # noqa: E402

SUPPORT_SIZES = (1, 3, 5, 10, 20)


def _rate(value):
    """An inner learning rate: a float or "learned" (Meta-SGD)."""
    return value if value == "learned" else float(value)


def _load():
    path = require_shared("ml-100k")
    return pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])


def _timed_fit(model, X, y=None):
    t0 = time.perf_counter()
    model.fit(X, y)
    return model, time.perf_counter() - t0


def ratings_part(df, args):
    from skrec.factorization import MF, VariationalMF
    from skrec.meta import MAMLRecommender

    train, test = train_test_split(df, test_size=0.25, random_state=0)
    Xtr, ytr = train[["user", "item"]], train["rating"].to_numpy()
    Xte, yte = test[["user", "item"]], test["rating"].to_numpy()
    common = dict(benchmark="maml_ml100k", part="ratings", split="random 75/25 seed 0",
                  n_train=len(train), n_test=len(test), torch_threads=args.threads)
    kw = dict(device="cpu", random_state=0)
    models = {
        "MF (no biases)": MF(biases=False, **kw),
        "MF (biased, defaults)": MF(**kw),
        "VariationalMF": VariationalMF(**kw),
        "MetaRec-MF": MAMLRecommender(
            MF(n_factors=args.n_factors, reg=args.reg), inner_lr=args.inner_lr,
            inner_steps=args.inner_steps, n_support=args.n_support, n_query=args.n_query,
            meta_batch_size=args.meta_batch_size, meta_lr=args.meta_lr,
            max_iter=args.meta_epochs, **kw),
    }
    for name, model in models.items():
        model, fit_s = _timed_fit(model, Xtr, ytr)
        t0 = time.perf_counter()
        pred = model.predict(Xte)
        pred_s = time.perf_counter() - t0
        err = pred - yte
        params = {k: v for k, v in model.get_params(deep=False).items()
                  if k not in ("device", "random_state", "verbose", "estimator")}
        emit(model=name, mae=round(float(np.mean(np.abs(err))), 4),
             mse=round(float(np.mean(err**2)), 4), fit_s=round(fit_s, 2),
             predict_s=round(pred_s, 2), params=params, **common)


def cold_part(df, args):
    from sklearn.base import clone

    from skrec.baselines import Popularity
    from skrec.factorization import BPRMF, MF
    from skrec.meta import MAMLRecommender
    from skrec.metrics import make_ranking_scorer
    from skrec.model_selection import ColdStartUserSplit

    X = df[["user", "item", "timestamp"]]
    train, test = next(ColdStartUserSplit(n_splits=5, random_state=0).split(X))
    Xtr, Xte = X.iloc[train], X.iloc[test].reset_index(drop=True)
    common = dict(benchmark="maml_ml100k", part="cold", split="ColdStartUserSplit 1/5 seed 0",
                  n_train_users=int(Xtr.user.nunique()), n_test_users=int(Xte.user.nunique()),
                  support_order="time", torch_threads=args.threads)
    kw = dict(device="cpu", random_state=0)
    if args.cold_base == "bce":
        base_name = "MF-bce"
        base = MF(n_factors=args.n_factors, loss="bce", reg=args.bpr_reg,
                  max_iter=args.bpr_epochs, **kw)
    else:
        base_name = "BPRMF"
        base = BPRMF(n_factors=args.n_factors, reg=args.bpr_reg, max_iter=args.bpr_epochs, **kw)
    models = {
        "Popularity": Popularity(),
        f"{base_name} (plain fold-in)": clone(base),
        f"MetaRec-{base_name}": MAMLRecommender(
            base, inner_lr=args.cold_inner_lr, inner_steps=args.inner_steps,
            n_support=args.cold_n_support, n_query=args.cold_n_query,
            meta_batch_size=args.meta_batch_size, meta_lr=args.meta_lr,
            max_iter=args.cold_meta_epochs, **kw),
    }
    fitted = {}
    for name, model in models.items():
        model, fit_s = _timed_fit(model, Xtr[["user", "item"]])
        fitted[name] = (model, fit_s)
    results = {}
    for s in SUPPORT_SIZES:
        scorer = make_ranking_scorer(["ndcg@10", "recall@20"], n_support=s,
                                     support_order="time")
        for name, (model, fit_s) in fitted.items():
            t0 = time.perf_counter()
            out = scorer(model, Xte)
            score_s = time.perf_counter() - t0
            results[(name, s)] = out
            emit(model=name, n_support=s, ndcg_at_10=round(out["ndcg@10"], 4),
                 recall_at_20=round(out["recall@20"], 4), fit_s=round(fit_s, 2),
                 score_s=round(score_s, 2), **common)
    for s in SUPPORT_SIZES:
        meta = results[(f"MetaRec-{base_name}", s)]["ndcg@10"]
        plain = results[(f"{base_name} (plain fold-in)", s)]["ndcg@10"]
        emit(model=f"MetaRec-{base_name} / {base_name} fold-in", n_support=s,
             ndcg_at_10_relative_gain=round(meta / plain - 1.0, 4), **common)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("ratings", "cold", "all"), default="all")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--n-factors", type=int, default=32)
    parser.add_argument("--reg", type=float, default=0.05)
    parser.add_argument("--inner-lr", type=_rate, default=0.5)
    parser.add_argument("--inner-steps", type=int, default=3)
    parser.add_argument("--n-support", type=int, default=20)
    parser.add_argument("--n-query", type=int, default=100)
    parser.add_argument("--meta-batch-size", type=int, default=32)
    parser.add_argument("--meta-lr", type=float, default=0.01)
    parser.add_argument("--meta-epochs", type=int, default=30)
    parser.add_argument("--cold-base", choices=("bprmf", "bce"), default="bprmf")
    parser.add_argument("--bpr-reg", type=float, default=1e-2)
    parser.add_argument("--bpr-epochs", type=int, default=10)
    parser.add_argument("--cold-inner-lr", type=_rate, default="learned")
    parser.add_argument("--cold-n-support", type=int, default=5)
    parser.add_argument("--cold-n-query", type=int, default=100)
    parser.add_argument("--cold-meta-epochs", type=int, default=30)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    df = _load()
    if args.part in ("ratings", "all"):
        ratings_part(df, args)
    if args.part in ("cold", "all"):
        cold_part(df, args)


if __name__ == "__main__":
    main()
