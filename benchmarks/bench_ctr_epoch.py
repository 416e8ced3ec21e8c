"""Epoch time of each CTR model on 1M generated rows with 10 fields.

Issue 10's speed figure: a generated click table of 1,000,000 rows with ten
fields (user and item ids, six categorical side columns of 2 to 1,000
categories, two numeric columns); labels drawn from a logistic model of a
few fields. Each model is fitted at its defaults except ``max_iter`` and
``early_stopping=False``; ``epoch_s`` is the median of the three epochs'
times in ``history_``, ``prep_s`` the rest of the fit (encoding the table,
building the module).

Prints one JSON line per model. Usage:
python benchmarks/bench_ctr_epoch.py [--rows 1000000] [--threads 2] [--models FM,DeepFM]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, peak_rss_mb  # noqa: E402

MODELS = ("FM", "WideAndDeep", "DeepFM", "XDeepFM", "NFM", "DLRM")
CARDINALITIES = {"c1": 2, "c2": 7, "c3": 24, "c4": 100, "c5": 1000, "c6": 20}


def make_table(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "user": rng.zipf(1.3, n_rows) % 50_000,
        "item": rng.zipf(1.2, n_rows) % 10_000,
    })
    for name, card in CARDINALITIES.items():
        X[name] = pd.Categorical(rng.integers(0, card, n_rows).astype(str))
    X["n1"] = rng.normal(size=n_rows)
    X["n2"] = rng.exponential(size=n_rows)
    logit = (0.8 * (X["c2"].cat.codes.to_numpy() % 2) - 0.5 * X["n1"].to_numpy()
             + 0.3 * np.sin(X["item"].to_numpy()) - 0.4)
    y = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(float)
    return X, y


def fit_seconds(cls, X, y, max_iter):
    model = cls(max_iter=max_iter, early_stopping=False, device="cpu", random_state=0)
    t0 = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - t0, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()

    import torch

    from skrec import ctr

    torch.set_num_threads(args.threads)
    X, y = make_table(args.rows)
    for name in args.models.split(","):
        cls = getattr(ctr, name)
        fit_seconds(cls, X.iloc[:10_000], y[:10_000], 1)  # warm-up: first-call costs
        total, model = fit_seconds(cls, X, y, 3)
        epochs = [h["time"] for h in model.history_]
        emit(benchmark="ctr_epoch", model=name, rows=len(X), fields=X.shape[1],
             epoch_s=round(float(np.median(epochs)), 2),
             epochs_s=[round(t, 2) for t in epochs],
             prep_s=round(total - sum(epochs), 2), batch_size=model.batch_size,
             torch_threads=args.threads, peak_rss_mb=round(peak_rss_mb(), 1))


if __name__ == "__main__":
    main()
