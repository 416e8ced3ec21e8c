"""ALS at the MovieLens-20M shape: time per iteration and peak memory.

Data: a random 138,000 x 27,000 CSR with 16.9M distinct interactions (21.2M draws),
log-normal interactions per user and Zipf(0.9)-distributed items (generated
inline: make_interactions is slow at this size). skrec's ALS and implicit's
AlternatingLeastSquares (64 factors, CG with 3 steps, reg 0.01, the same
confidence) run in separate subprocesses so that each reports its own peak
resident memory. Time per iteration is measured directly: the median over
iterations 2..N of each iteration's wall time (implicit's fit callback; a timed subclass for
skrec), which leaves out the set-up cost.

Modes of the skrec run:
  ``core``: the estimator's ``_fit`` on the CSR (the algorithm's own memory);
  ``api``: ``ALS.fit`` on a 20M-row DataFrame (includes id encoding);
  ``popularity-api``: ``Popularity.fit`` on that DataFrame, the memory of the
  shared fit template (validation, id encoding, CSR) alone.

Usage: python benchmarks/bench_als_20m_shape.py [--iterations 4] [--which all]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from _common import emit, peak_rss_mb

N_USERS, N_ITEMS, NNZ = 138_000, 27_000, 20_000_000


def make_csr(seed=0, n_users=N_USERS, n_items=N_ITEMS, nnz=NNZ):
    """The generated table (numpy and scipy only: peers' interpreters run it too)."""
    rng = np.random.default_rng(seed)
    counts = rng.lognormal(0.0, 1.0, n_users)
    counts = np.maximum(1, np.round(counts / counts.sum() * nnz * 1.06)).astype(np.int64)
    counts = np.minimum(counts, n_items // 2)
    p = 1.0 / np.arange(1, n_items + 1) ** 0.9
    p /= p.sum()
    items = rng.choice(n_items, size=int(counts.sum()), p=p).astype(np.int32)
    indptr = np.r_[0, np.cumsum(counts)]
    m = sp.csr_matrix((np.ones(len(items), dtype=np.float32), items, indptr),
                      shape=(n_users, n_items))
    m.sum_duplicates()  # repeated picks collapse
    m.data[:] = 1.0
    keep = np.asarray(m.getnnz(axis=0)) > 0
    return sp.csr_matrix(m[:, keep])


def run_child(which, iterations):
    X = make_csr()
    base = peak_rss_mb()
    per_iter = []
    t0 = time.perf_counter()
    if which == "implicit":
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        model = AlternatingLeastSquares(factors=64, regularization=0.01, alpha=2.0,
                                        iterations=iterations, num_threads=2, random_state=0)
        with threadpool_limits(1, "blas"):  # as implicit recommends
            model.fit(X, show_progress=False,
                      callback=lambda it, elapsed, loss: per_iter.append(elapsed))
    elif which == "popularity-api":
        import pandas as pd

        from skrec.baselines import Popularity

        coo = X.tocoo()
        df = pd.DataFrame({"user": coo.row.astype(np.int32), "item": coo.col.astype(np.int32)})
        del coo
        Popularity().fit(df)
    else:
        from skrec._data import Interactions
        from skrec.factorization import ALS
        from skrec.factorization._als import ALS as _ALS

        class TimedALS(_ALS):
            """Records the wall time of each iteration (a user and an item half-step)."""

            _calls = 0

            def _half_step(self, side, X, Y, eye):
                if self._calls % 2 == 0:
                    self._start = time.perf_counter()
                out = super()._half_step(side, X, Y, eye)
                if self._calls % 2 == 1:
                    per_iter.append(time.perf_counter() - self._start)
                self._calls += 1
                return out

        model = TimedALS(64, reg=0.01, alpha=1.0, max_iter=iterations, device="cpu",
                         random_state=0)
        if which == "skrec-core":
            R = sp.csr_array(X, dtype=np.float64)
            data = Interactions(user=None, item=None, y=None, sample_weight=None, matrix=R,
                                n_users=R.shape[0], n_items=R.shape[1])
            t0 = time.perf_counter()
            model._fit(data)
        else:
            import pandas as pd

            coo = X.tocoo()
            df = pd.DataFrame({"user": coo.row.astype(np.int32),
                               "item": coo.col.astype(np.int32)})
            del coo
            t0 = time.perf_counter()
            model.fit(df)
        assert isinstance(model, ALS)
    total = time.perf_counter() - t0
    steady = per_iter[1:] if len(per_iter) > 1 else per_iter
    print(json.dumps(dict(model=which, nnz=int(X.nnz), shape=list(X.shape),
                          fit_s=total, iterations=iterations, iter_s=per_iter,
                          s_per_iter=float(np.median(steady)) if steady else None,
                          data_rss_mb=base, peak_rss_mb=peak_rss_mb())), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--which", default="all")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    if args.child:
        run_child(args.which, args.iterations)
        return
    which = (["skrec-core", "implicit", "skrec-api", "popularity-api"] if args.which == "all"
             else [args.which])
    results = {}
    for w in which:
        try:
            out = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--child", "--which", w,
                 "--iterations", str(args.iterations)],
                capture_output=True, text=True, timeout=args.timeout, check=True,
            ).stdout
        except subprocess.TimeoutExpired:
            emit(benchmark="als_20m_shape", model=w, error=f"timed out after {args.timeout} s")
            continue
        except subprocess.CalledProcessError as exc:
            emit(benchmark="als_20m_shape", model=w, error=exc.stderr[-2000:])
            continue
        rec = json.loads(out.strip().splitlines()[-1])
        results[w] = rec
        emit(benchmark="als_20m_shape", **rec)
    if "implicit" in results:
        for w in ("skrec-core", "skrec-api"):
            if w in results and results[w]["s_per_iter"] is None:
                continue
            if w in results:
                emit(benchmark="als_20m_shape", model=f"ratio {w}/implicit",
                     per_iter_ratio=results[w]["s_per_iter"] / results["implicit"]["s_per_iter"])


if __name__ == "__main__":
    main()
