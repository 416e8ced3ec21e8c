"""EASE fit time on the ML-1M shape: skrec (torch float32) against numpy float64.

Data: make_interactions(6040, 3706, 1000209, random_state=0), every
interaction a positive, lambda = 500. The numpy peer is the plain closed
form of Steck (2019): dense float64 X^T X, ``np.linalg.inv``, then
``B = I - P / diag(P)``. Both runs are interleaved; medians of ``--repeat``.

Usage: python benchmarks/bench_ease.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from _common import emit, median, peak_rss_mb

from skrec.autoencoders import EASE
from skrec.datasets import make_interactions


def numpy_ease(X, reg):
    Xd = X.toarray()
    G = Xd.T @ Xd
    G[np.diag_indices_from(G)] += reg
    P = np.linalg.inv(G)
    B = P / (-np.diag(P))
    np.fill_diagonal(B, 0.0)
    return B


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reg", type=float, default=500.0)
    args = parser.parse_args()
    data = make_interactions(6040, 3706, 1_000_209, random_state=0)
    df = data.X[["user", "item"]]
    X = sp.csr_matrix(
        (np.ones(len(df)), (df["user"].to_numpy(), df["item"].to_numpy())), shape=(6040, 3706)
    )
    t_ours, t_np = [], []
    model = EASE(args.reg, device="cpu")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model.fit(df)
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        B_np = numpy_ease(X, args.reg)
        t_np.append(time.perf_counter() - t0)
    # Same matrix up to float32 rounding (skrec's item order is first appearance).
    B_ours = np.empty_like(B_np)
    ids = model.item_ids_.astype(np.int64)
    B_ours[np.ix_(ids, ids)] = model.B_
    t_top = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        model.recommend(model.user_ids_, k=10)
        t_top.append(time.perf_counter() - t0)
    common = dict(benchmark="ease_ml1m_shape", reg=args.reg, n_interactions=len(df))
    emit(**common, model="skrec.EASE float32", fit_s=median(t_ours), fit_runs=t_ours,
         top10_all_users_s=median(t_top), max_abs_diff_vs_numpy=float(np.abs(B_ours - B_np).max()),
         peak_rss_mb=peak_rss_mb())
    emit(**common, model="numpy float64 closed form", fit_s=median(t_np), fit_runs=t_np)
    emit(**common, model="ratio skrec/numpy", fit_ratio=median(t_ours) / median(t_np))


if __name__ == "__main__":
    main()
