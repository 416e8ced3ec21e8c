"""MetaRec-MLP and MetaRec-AE on MovieLens 100K: the thesis's family tables and cold start.

MetaRec-MLP is ``MAMLRecommender(NCF(model="mlp"))`` (the MLP user
embedding adapted, log loss on sampled negatives); MetaRec-AE is
``MAMLRecommender(CDAE())`` (CDAE's user input node adapted; a task's
support items are the input row, its support and query items the targets).
Every rating is an implicit positive.

Part ``mlp``: random 80/10/10 split of the rows (seed 0; the 10% validation
part is not used: fixed, reduced epochs). Per-user AUC of the test items
against every item the user has not seen (skrec's ``auc`` scorer) for the
CTR models trained as implicit rankers (WideAndDeep, DeepFM, XDeepFM, NFM, on
ids), NCF (MLP) and MetaRec-MLP, with fit times.

Part ``ae``: the same split; Precision, Recall and NDCG@100 of CDAE,
MultVAE, EASE and MetaRec-AE.

Part ``cold``: ``ColdStartUserSplit`` (a fifth of the users unseen at fit,
seed 0), support = each test user's earliest ``s`` ratings (s in 1, 3, 5,
10, 20), NDCG@10 and Recall@20 of MetaRec-MLP and MetaRec-AE, of their base
model's plain fold-in (NCF: gradient steps on a fresh user embedding; CDAE:
encoding H(u) with the mean user node), and of Popularity; the relative
NDCG@10 gain of each MetaRec variant over its base.

Epochs are reduced to keep each part to a few minutes on a loaded 2-core
machine (``--epochs``, ``--meta-epochs``); torch runs with ``--threads``
threads (default 1). One JSON line per (model[, support size]).

Usage: python benchmarks/bench_metarec_families_ml100k.py [--parts mlp,ae,cold]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, require_shared  # noqa: E402

SUPPORT_SIZES = (1, 3, 5, 10, 20)
KW = dict(device="cpu", random_state=0)


def _load():
    path = require_shared("ml-100k")
    return pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])


def _split_80_10_10(df):
    rest, test = train_test_split(df, test_size=0.1, random_state=0)
    train, valid = train_test_split(rest, test_size=1 / 9, random_state=0)
    return train, valid, test


def _ncf(args):
    from skrec.ncf import NCF

    # lr 0.003: NCF's default when the figures of docs/meta.rst were taken
    # (the default is 0.001 since bench_defaults.py); kept for reproducibility.
    return NCF(model="mlp", layers=(64, 32, 16, 8), max_iter=args.epochs, lr=0.003, **KW)


def _metarec_mlp(args):
    from skrec.meta import MAMLRecommender

    return MAMLRecommender(_ncf(args), inner_lr=args.mlp_inner_lr, n_support=args.n_support,
                           n_query=args.n_query, meta_lr=args.meta_lr,
                           max_iter=args.meta_epochs, **KW)


def _cdae(args):
    from skrec.autoencoders import CDAE

    return CDAE(n_factors=200, max_iter=args.epochs, **KW)


def _metarec_ae(args):
    from skrec.meta import MAMLRecommender

    return MAMLRecommender(_cdae(args), inner_lr=args.ae_inner_lr, n_support=args.n_support,
                           n_query=args.n_query, meta_lr=args.ae_meta_lr,
                           max_iter=args.meta_epochs, **KW)


def _timed_fit(model, X):
    t0 = time.perf_counter()
    model.fit(X)
    return model, time.perf_counter() - t0


def _table(models, metrics, df, common):
    from skrec.metrics import make_ranking_scorer

    train, _, test = _split_80_10_10(df)
    Xtr, Xte = train[["user", "item"]], test[["user", "item"]]
    scorer = make_ranking_scorer(metrics)
    for name, make in models.items():
        model, fit_s = _timed_fit(make(), Xtr)
        t0 = time.perf_counter()
        out = scorer(model, Xte)
        emit(model=name, **{k.replace("@", "_at_"): round(v, 4) for k, v in out.items()},
             fit_s=round(fit_s, 2), score_s=round(time.perf_counter() - t0, 2),
             n_train=len(train), n_test=len(test), **common)


def mlp_part(df, args):
    from skrec import ctr

    ep = dict(n_factors=16, max_iter=args.epochs, batch_size=1024, lr=0.005, **KW)
    deep = dict(hidden_layer_sizes=(64, 32))
    models = {
        "WideAndDeep": lambda: ctr.WideAndDeep(loss="bpr", **ep, **deep),
        "DeepFM": lambda: ctr.DeepFM(feedback="implicit", **ep, **deep),
        "XDeepFM": lambda: ctr.XDeepFM(feedback="implicit", cin_layer_sizes=(16, 16), **ep,
                                       **deep),
        "NFM": lambda: ctr.NFM(feedback="implicit", **ep, **deep),
        "NCF (MLP)": lambda: _ncf(args),
        "MetaRec-MLP": lambda: _metarec_mlp(args),
    }
    models = {k: v for k, v in models.items() if args.models == "all" or k in args.models}
    _table(models, ["auc"], df, dict(benchmark="metarec_families_ml100k", part="mlp",
                                  split="random 80/10/10 seed 0 (validation unused)",
                                  torch_threads=args.threads))


def ae_part(df, args):
    from skrec.autoencoders import EASE, MultVAE

    models = {
        "CDAE": lambda: _cdae(args),
        "MultVAE": lambda: MultVAE(max_iter=args.epochs, **KW),
        "EASE": lambda: EASE(device="cpu"),
        "MetaRec-AE": lambda: _metarec_ae(args),
    }
    _table(models, ["precision@100", "recall@100", "ndcg@100"], df,
           dict(benchmark="metarec_families_ml100k", part="ae",
                split="random 80/10/10 seed 0 (validation unused)", torch_threads=args.threads))


def cold_part(df, args):
    from skrec.baselines import Popularity
    from skrec.metrics import make_ranking_scorer
    from skrec.model_selection import ColdStartUserSplit

    X = df[["user", "item", "timestamp"]]
    train, test = next(ColdStartUserSplit(n_splits=5, random_state=0).split(X))
    Xtr, Xte = X.iloc[train], X.iloc[test].reset_index(drop=True)
    common = dict(benchmark="metarec_families_ml100k", part="cold",
                  split="ColdStartUserSplit 1/5 seed 0", support_order="time",
                  n_test_users=int(Xte.user.nunique()), torch_threads=args.threads)
    models = {
        "Popularity": Popularity,
        "NCF (MLP) fold-in": lambda: _ncf(args),
        "MetaRec-MLP": lambda: _metarec_mlp(args),
        "CDAE fold-in": lambda: _cdae(args),
        "MetaRec-AE": lambda: _metarec_ae(args),
    }
    fitted = {}
    for name, make in models.items():
        fitted[name] = _timed_fit(make(), Xtr[["user", "item"]])
        emit(model=name, fit_s=round(fitted[name][1], 2), what="fit", **common)
    ndcg = {}
    for s in SUPPORT_SIZES:
        scorer = make_ranking_scorer(["ndcg@10", "recall@20"], n_support=s,
                                     support_order="time")
        for name, (model, _) in fitted.items():
            out = scorer(model, Xte)
            ndcg[(name, s)] = out["ndcg@10"]
            emit(model=name, n_support=s, ndcg_at_10=round(out["ndcg@10"], 4),
                 recall_at_20=round(out["recall@20"], 4), **common)
    for meta, base in (("MetaRec-MLP", "NCF (MLP) fold-in"), ("MetaRec-AE", "CDAE fold-in")):
        for s in SUPPORT_SIZES:
            emit(model=f"{meta} / {base}", n_support=s,
                 ndcg_at_10_relative_gain=round(ndcg[(meta, s)] / ndcg[(base, s)] - 1.0, 4),
                 **common)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="mlp,ae,cold")
    parser.add_argument("--models", default="all", help="mlp part: comma-separated names")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--meta-epochs", type=int, default=10)
    parser.add_argument("--n-support", type=int, default=10)
    parser.add_argument("--n-query", type=int, default=50)
    parser.add_argument("--meta-lr", type=float, default=0.01)
    parser.add_argument("--mlp-inner-lr", type=float, default=10.0)
    parser.add_argument("--ae-inner-lr", type=float, default=5.0)
    parser.add_argument("--ae-meta-lr", type=float, default=0.01)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    df = _load()
    parts = {"mlp": mlp_part, "ae": ae_part, "cold": cold_part}
    for part in args.parts.split(","):
        parts[part](df, args)


if __name__ == "__main__":
    main()
