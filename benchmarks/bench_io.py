"""skrec.io against pickle: save/load time and file size on the ML-1M shape.

Data: make_interactions(6040, 3706, 1_000_000, random_state=0). Models: ALS
(64 factors, one iteration), EASE (reg 500) and MF (64 factors, one epoch,
explicit: fitted on the ratings);
fitting is not measured. Each model is saved and loaded ``--repeat`` times
with ``skrec.io`` and with ``pickle`` (highest protocol) into a temporary
folder; medians are printed as JSON lines. The pickle file is our own,
written just before: reading it back is only safe because of that.

Usage: python benchmarks/bench_io.py [--repeat 3] [--models ALS,EASE,MF]
"""

from __future__ import annotations

import argparse
import os
import pickle
import tempfile
import time

from _common import emit, median, peak_rss_mb

import skrec.io
from skrec.autoencoders import EASE
from skrec.datasets import make_interactions
from skrec.factorization import ALS, MF
from skrec.utils import get_recommender_tags

MODELS = {
    "ALS": lambda: ALS(n_factors=64, max_iter=1, device="cpu", random_state=0),
    "EASE": lambda: EASE(reg=500.0, device="cpu"),
    "MF": lambda: MF(n_factors=64, max_iter=1, batch_size=8192, device="cpu", random_state=0),
}


def _pickle_dump(est, path):
    with open(path, "wb") as f:
        pickle.dump(est, f, protocol=pickle.HIGHEST_PROTOCOL)


def _pickle_read(path):  # trusted: the file was written by this script
    with open(path, "rb") as f:
        return pickle.load(f)  # noqa: S301


def _time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    data = make_interactions(6040, 3706, 1_000_000, random_state=0)
    X = data.X[["user", "item"]]
    for name in args.models.split(","):
        t0 = time.perf_counter()
        est = MODELS[name]()
        explicit = get_recommender_tags(est).feedback == "explicit"
        est.fit(X, data.y if explicit else None)
        fit_s = time.perf_counter() - t0
        users = est.user_ids_[:50]
        expected = est.recommend(users, k=10)[0]
        with tempfile.TemporaryDirectory() as tmp:
            for method, save, read in (
                ("skrec.io", skrec.io.dump, skrec.io.load),
                ("pickle", _pickle_dump, _pickle_read),
            ):
                path = os.path.join(tmp, f"{name}.{method}")
                dump_times = _time(lambda: save(est, path), args.repeat)  # noqa: B023
                size = os.path.getsize(path)
                load_times = _time(lambda: read(path), args.repeat)  # noqa: B023
                same = bool((read(path).recommend(users, k=10)[0] == expected).all())
                emit(bench="io", model=name, method=method, dump_s=median(dump_times),
                     load_s=median(load_times), size_mb=size / 2**20, same_recommendations=same,
                     fit_s_not_measured=fit_s, repeat=args.repeat,
                     omp_threads=os.environ.get("OMP_NUM_THREADS"), peak_rss_mb=peak_rss_mb())


if __name__ == "__main__":
    main()
