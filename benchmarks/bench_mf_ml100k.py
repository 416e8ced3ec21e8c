"""Biased MF against Surprise's SVD on MovieLens 100K (random 90/10 split, seed 0).

Prints one JSON line per model: RMSE, MAE and the median fit time of 3 fits,
all measured in the same run. Surprise is optional (``pip install
scikit-surprise``); without it only skrec's figures are printed.

torch runs with one thread here (``--threads``, default 1), like Surprise's
single-threaded Cython loop: on the shared 2-core machines, two torch
threads competing with other processes are several times slower than one.

Usage: python benchmarks/bench_mf_ml100k.py [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, median, peak_rss_mb, require_shared, timed  # noqa: E402


def _scores(pred, truth):
    err = pred - truth
    return float(np.sqrt(np.mean(err**2))), float(np.mean(np.abs(err)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from skrec.factorization import MF

    torch.set_num_threads(args.threads)
    path = require_shared("ml-100k")
    df = pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])
    train, test = train_test_split(df, test_size=0.1, random_state=0)
    truth = test["rating"].to_numpy()
    common = dict(benchmark="mf_ml100k", split="random 90/10 seed 0", n_train=len(train),
                  n_test=len(test), repeat=args.repeat, torch_threads=args.threads)

    def fit_mf():
        return MF(device="cpu", random_state=0).fit(train[["user", "item"]], train["rating"])

    model, times = timed(fit_mf, repeat=args.repeat)
    rmse, mae = _scores(model.predict(test[["user", "item"]]), truth)
    mf_time = median(times)
    emit(model="skrec.MF (biased, defaults)", rmse=round(rmse, 4), mae=round(mae, 4),
         fit_s=round(mf_time, 3), fit_times=[round(t, 3) for t in times],
         params={k: v for k, v in model.get_params().items() if k in (
             "n_factors", "reg", "lr", "max_iter", "batch_size", "lr_schedule")},
         peak_rss_mb=round(peak_rss_mb(), 1), **common)

    try:
        from surprise import SVD, Dataset, Reader
    except ImportError:
        emit(model="surprise.SVD", skipped="scikit-surprise is not installed", **common)
        return
    trainset = Dataset.load_from_df(
        train[["user", "item", "rating"]], Reader(rating_scale=(1, 5))
    ).build_full_trainset()

    def fit_svd():
        algo = SVD(random_state=0)
        algo.fit(trainset)
        return algo

    algo, times = timed(fit_svd, repeat=args.repeat)
    pairs = zip(test["user"], test["item"], strict=True)
    pred = np.array([algo.predict(u, i).est for u, i in pairs])
    s_rmse, s_mae = _scores(pred, truth)
    s_time = median(times)
    emit(model="surprise.SVD (defaults)", rmse=round(s_rmse, 4), mae=round(s_mae, 4),
         fit_s=round(s_time, 3), fit_times=[round(t, 3) for t in times], **common)
    emit(model="ratio skrec.MF / surprise.SVD", rmse_ratio=round(rmse / s_rmse, 4),
         fit_time_ratio=round(mf_time / s_time, 3), **common)


if __name__ == "__main__":
    main()
