"""NCF (NeuMF, GMF, MLP) against a tuned dot product on MovieLens 100K, the NCF protocol.

Protocol of He et al. (2017): every rating is a positive; each user's latest
interaction (by timestamp) is the test item (``LeaveLastOut``); it is
ranked among 99 items sampled from those the user never rated, and
HR@10 / NDCG@10 are averaged over users
(``make_ranking_scorer(..., negatives=99)``). The same models are also
scored on full-catalog ranking (training items excluded): those are the
honest figures; the sampled ones are optimistic and can reorder models
(Krichene and Rendle, 2020).

Hyper-parameters of every family (NCF gmf/mlp/neumf, BPRMF, ALS) are chosen
on a validation split (each user's second-latest interaction, again by
``LeaveLastOut`` on the training part) by sampled HR@10, then refitted on
the whole training part and scored once on the test items. One JSON line
per validation candidate (``stage="val"``) and per family (``stage="test"``).

A second part (``--epoch``) times one NeuMF epoch on an ML-1M-shaped
generated table (6,040 users, 3,706 items, 1M interactions, 4 negatives).

With ``--seeds N`` the chosen settings of each family are refitted with
seeds 0..N-1 and the test figures are their means (per-seed lists too).

Usage: python benchmarks/bench_ncf_ml100k.py [--threads 1] [--quick] [--seeds 3]
       [--only NCF-neumf,ALS] [--no-epoch] [--no-ranking] [--batch-sizes 1024,4096]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, require_shared  # noqa: E402

METRICS = ["hit_rate@10", "ndcg@10"]


def _grids(quick):
    from skrec.factorization import ALS, BPRMF
    from skrec.ncf import NCF

    def ncf(model, **kw):
        return lambda rs=0: NCF(model, device="cpu", random_state=rs, **kw)

    grids = {}
    for model in ("gmf", "mlp", "neumf"):
        cands = {}
        for lr in ((0.003,) if quick else (0.003, 0.01)):
            for init_std in ((0.1,) if quick else (0.01, 0.1)):
                kw = dict(lr=lr, init_std=init_std, n_factors=16, layers=(64, 32, 16, 8),
                          max_iter=20)
                cands[" ".join(f"{k}={v}" for k, v in kw.items())] = ncf(model, **kw)
        if not quick:  # wider: 32 predictive factors
            kw = dict(lr=0.003, init_std=0.1, n_factors=32, layers=(128, 64, 32), max_iter=20)
            cands[" ".join(f"{k}={v}" for k, v in kw.items())] = ncf(model, **kw)
        grids[f"NCF-{model}"] = cands
    grids["NCF-neumf-pretrain"] = {
        "lr=0.003 init_std=0.1 n_factors=16 max_iter=10 pretrain_iter=10": ncf(
            "neumf", lr=0.003, init_std=0.1, n_factors=16, max_iter=10, pretrain=True,
            pretrain_iter=10),
    }
    grids["NCF-neumf-batch"] = {  # larger batches: faster epochs, same epochs
        f"batch_size={bs} lr={lr}": ncf("neumf", batch_size=bs, lr=lr)
        for bs, lr in ((1024, 0.003), (2048, 0.003), (2048, 0.006), (4096, 0.01))
    }
    grids["NCF-defaults"] = {"NCF() with the library defaults": ncf("neumf")}
    grids["BPRMF"] = {
        f"n_factors=64 reg={reg} max_iter={it}": (
            lambda rs=0, reg=reg, it=it: BPRMF(64, reg=reg, max_iter=it, device="cpu",
                                               random_state=rs))
        for reg in (1e-3, 1e-2) for it in ((20,) if quick else (20, 50))
    }
    grids["ALS"] = {
        f"n_factors={k} reg={reg} alpha={a}": (
            lambda rs=0, k=k, reg=reg, a=a: ALS(k, reg=reg, alpha=a, random_state=rs))
        for k in (32, 64) for reg in (10.0, 50.0) for a in ((6.0,) if quick else (2.0, 6.0))
    }
    return grids


def _ranking(X, quick, threads, only=None, seeds=1):
    from skrec.metrics import make_ranking_scorer
    from skrec.model_selection import LeaveLastOut

    sampled = make_ranking_scorer(METRICS, negatives=99, random_state=0)
    full = make_ranking_scorer(METRICS)
    train_idx, test_idx = next(LeaveLastOut().split(X))
    train, test = X.iloc[train_idx], X.iloc[test_idx]
    fit_idx, val_idx = next(LeaveLastOut().split(train))
    fit, val = train.iloc[fit_idx], train.iloc[val_idx]
    for family, cands in _grids(quick).items():
        if only and family not in only:
            continue
        best, best_hr = None, -1.0
        for name, make in cands.items():
            t0 = time.perf_counter()
            model = make().fit(fit)
            fit_s = time.perf_counter() - t0
            res = sampled(model, val)
            emit(benchmark="ncf_ml100k", stage="val", family=family, params=name,
                 **{f"sampled_{k}": round(v, 4) for k, v in res.items()},
                 fit_s=round(fit_s, 2), threads=threads)
            if res["hit_rate@10"] > best_hr:
                best, best_hr = name, res["hit_rate@10"]
        runs = []
        for seed in range(seeds):  # the chosen settings, refitted with seeds 0..seeds-1
            t0 = time.perf_counter()
            model = cands[best](seed).fit(train)
            fit_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            res = {**{f"sampled_{k}": v for k, v in sampled(model, test).items()},
                   **{f"full_{k}": v for k, v in full(model, test).items()}}
            runs.append((res, fit_s, time.perf_counter() - t1))
        extra = {}
        if seeds > 1:
            extra = {f"{k}_per_seed": [round(r[0][k], 4) for r in runs] for k in runs[0][0]}
        emit(benchmark="ncf_ml100k", stage="test", family=family, params=best,
             protocol="LeaveLastOut by time; sampled = 99 negatives; full = whole catalog",
             seeds=seeds,
             **{k: round(float(np.mean([r[0][k] for r in runs])), 4) for k in runs[0][0]},
             **extra, fit_s=round(float(np.median([r[1] for r in runs])), 2),
             score_s=round(float(np.median([r[2] for r in runs])), 2), threads=threads)


def _epoch_time(threads, batch_sizes):
    from skrec.datasets import make_interactions
    from skrec.ncf import NCF

    data = make_interactions(n_users=6040, n_items=3706, n_interactions=1_000_000,
                             random_state=0)
    X = data.X[["user", "item"]]
    for bs in batch_sizes:
        model = NCF("neumf", n_negatives=4, batch_size=bs, max_iter=1, device="cpu",
                    random_state=0)
        t0 = time.perf_counter()
        model.fit(X)
        total = time.perf_counter() - t0
        emit(benchmark="ncf_ml1m_shape_epoch", model="NeuMF", rows=len(X), n_negatives=4,
             batch_size=bs, epoch_s=round(model.history_[0]["time"], 2),
             fit_s=round(total, 2), threads=threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one candidate per family")
    parser.add_argument("--no-epoch", action="store_true", help="skip the ML-1M epoch timing")
    parser.add_argument("--no-ranking", action="store_true", help="skip the ML-100k ranking")
    parser.add_argument("--batch-sizes", default="1024,2048,4096")
    parser.add_argument("--seeds", type=int, default=1,
                        help="refit each family's chosen settings with this many seeds "
                             "(test figures are means)")
    parser.add_argument("--only", default=None,
                        help="comma-separated families to run (e.g. NCF-defaults,BPRMF)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    if not args.no_ranking:
        from skrec.datasets import fetch_movielens

        path = require_shared("ml-100k")
        X = fetch_movielens("100k", data_home=path).X[["user", "item", "timestamp"]]
        _ranking(X, args.quick, args.threads, args.only and args.only.split(","), args.seeds)
    if not args.no_epoch:
        _epoch_time(args.threads, [int(b) for b in args.batch_sizes.split(",")])


if __name__ == "__main__":
    main()
