"""skrec ALS against implicit's AlternatingLeastSquares on the ML-1M shape.

Generated data: make_interactions(6040, 3706, 1000209, random_state=0), a
per-user random 80/20 holdout, every interaction a positive. Both models: 64
factors, 15 iterations, the same regularization and the same confidence
(implicit's ``alpha`` scales r, c = alpha * r; skrec's c = 1 + alpha * r, so
implicit gets alpha + 1 on this binary data), CG with 3 steps, 2 threads.

implicit is timed with BLAS limited to one thread, as implicit itself
recommends (its per-user BLAS calls slow down badly with OpenBLAS's thread
pool); ``--peer-default-blas`` adds a run with the default pool as well.

Prints JSON lines: fit times (median of ``--repeat`` runs each, interleaved),
NDCG@10 of both, and the time of top-10 for all users.

Usage: python benchmarks/bench_als_ml1m_shape.py [--repeat 5] [--solver cg] [--peer-default-blas]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import emit, median, peak_rss_mb
from _ranking import binary_csr, ranking_metrics, user_holdout
from threadpoolctl import threadpool_limits

from skrec.datasets import make_interactions
from skrec.factorization import ALS


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--solver", default="cg")
    parser.add_argument("--factors", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=15)
    parser.add_argument("--reg", type=float, default=0.01)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--peer-default-blas", action="store_true",
                        help="also time implicit with OpenBLAS's default thread pool")
    args = parser.parse_args()

    data = make_interactions(6040, 3706, 1_000_209, random_state=0)
    user = data.X["user"].to_numpy()
    item = data.X["item"].to_numpy()
    n_users, n_items = 6040, 3706
    test = user_holdout(user, item, 0.2, seed=0)
    train_df = pd.DataFrame({"user": user[~test], "item": item[~test]})
    train = binary_csr(user[~test], item[~test], (n_users, n_items))
    common = dict(benchmark="als_ml1m_shape", factors=args.factors,
                  iterations=args.iterations, reg=args.reg, n_train=int(train.nnz),
                  n_test=int(test.sum()))

    ours = ALS(args.factors, reg=args.reg, alpha=args.alpha, max_iter=args.iterations,
               solver=args.solver, cg_steps=3, device="cpu", random_state=0)
    peer = None
    if not args.no_peer:
        from implicit.cpu.als import AlternatingLeastSquares

        peer = AlternatingLeastSquares(
            factors=args.factors, regularization=args.reg, alpha=args.alpha + 1.0,
            iterations=args.iterations, use_cg=True, num_threads=2,
            calculate_training_loss=False, random_state=0,
        )
        peer.cg_steps = 3  # implicit's default, set explicitly (not an __init__ argument)
    t_ours, t_peer, t_peer_default = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ours.fit(train_df)
        t_ours.append(time.perf_counter() - t0)
        if peer is not None:
            peer.user_factors = peer.item_factors = None  # a fresh fit, not a warm start
            with threadpool_limits(1, "blas"):  # as implicit recommends
                t0 = time.perf_counter()
                peer.fit(train, show_progress=False)
                t_peer.append(time.perf_counter() - t0)
            if args.peer_default_blas:
                peer.user_factors = peer.item_factors = None
                t0 = time.perf_counter()
                peer.fit(train, show_progress=False)
                t_peer_default.append(time.perf_counter() - t0)

    users = np.arange(n_users)
    t_top = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        rec_ids, _ = ours.recommend(users, k=10)
        t_top.append(time.perf_counter() - t0)
    recs = rec_ids.astype(np.int64)  # ids are the generated integer item ids
    m_ours = ranking_metrics(recs, user[test], item[test], n_items, ks=(10,))
    emit(**common, model="skrec.ALS", solver=args.solver, fit_s=median(t_ours),
         fit_runs=t_ours, s_per_iter=median(t_ours) / args.iterations,
         top10_all_users_s=median(t_top), top10_runs=t_top, **m_ours,
         peak_rss_mb=peak_rss_mb())
    if peer is None:
        return
    t_ptop = []
    for _ in range(args.repeat):
        with threadpool_limits(1, "blas"):
            t0 = time.perf_counter()
            p_ids, _ = peer.recommend(users, train[users], N=10,
                                      filter_already_liked_items=True)
            t_ptop.append(time.perf_counter() - t0)
    m_peer = ranking_metrics(p_ids.astype(np.int64), user[test], item[test], n_items, ks=(10,))
    emit(**common, model="implicit.ALS", solver="cg", fit_s=median(t_peer), fit_runs=t_peer,
         s_per_iter=median(t_peer) / args.iterations, top10_all_users_s=median(t_ptop),
         top10_runs=t_ptop, **m_peer)
    if t_peer_default:
        emit(**common, model="implicit.ALS, OpenBLAS default threads",
             fit_s=median(t_peer_default), fit_runs=t_peer_default,
             fit_ratio_skrec_over_this=median(t_ours) / median(t_peer_default))
    emit(**common, model="ratio skrec/implicit", fit_ratio=median(t_ours) / median(t_peer),
         top10_ratio=median(t_top) / median(t_ptop),
         ndcg_rel_diff=(m_ours["ndcg@10"] - m_peer["ndcg@10"]) / m_peer["ndcg@10"])


if __name__ == "__main__":
    main()
