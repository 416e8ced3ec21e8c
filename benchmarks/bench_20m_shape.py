"""EASE, MultVAE and BPRMF at the MovieLens-20M shape against Cornac and implicit.

Data: the generated table of ``bench_als_20m_shape.py`` (``--shape 20m``:
138,000 x 27,000, 16.9M distinct interactions, log-normal users, Zipf
items; ``--shape ml1m``: the same generator at 6,040 x 3,706, 1M rows).
Every (model, implementation) runs in its own subprocess, one after the
other, so that each reports its own peak resident memory (``peak_rss_mb``;
``data_rss_mb`` is the process after generating the table, before the
model). A dense users x items float32 matrix would be 14.9 GB at the 20M
shape: a peak far below that is the evidence that none is allocated.

Peers run under another interpreter (``--peer-python``, default
``/work/peers-venv/bin/python`` or ``$SKREC_PEER_PYTHON``): a separate
virtual environment with ``cornac`` and ``implicit`` (and a CPU torch for
Cornac's VAECF), so that the project's environment stays clean; this same
script is its child there, with skrec never imported. See
``benchmarks/README.md`` for the set-up.

Models (``--models``, comma-separated):

``ease``
    skrec ``EASE(reg=500)`` float32 through ``_fit`` on the CSR (the
    algorithm's memory, as ``bench_als_20m_shape.py``'s ``core`` mode);
    Cornac's ``EASE(lamb=500)`` (numpy float64, a dense Gram matrix and
    ``np.linalg.inv``) only at the ML-1M shape unless ``--cornac-ease-20m``:
    at 27k items its float64 sparse Gram (~8.7 GB), dense copy, inverse and
    ``B`` would need about 17 GB (estimated, not run).
``multvae``
    one epoch of Mult-VAE ``[n_items -> 600 -> 200 -> 600 -> n_items]``,
    batch 500, Adam 1e-3: skrec ``MultVAE`` (sparse first layer),
    ``multvae-dense`` (the same with the dense input of before, for the
    before/after) and Cornac ``VAECF(k=200, autoencoder_structure=[600],
    likelihood="mult", beta=0.2)``. skrec's torch models go through ``fit``
    on a (user, item) DataFrame (the id encoding is in their peak memory,
    not in their epoch time). The epoch time is skrec's
    ``history_[0]["time"]`` and Cornac's whole ``fit`` (its set-up is
    negligible).
``bprmf``
    one epoch of BPR with 64 factors: skrec ``BPRMF`` (defaults: 4
    negatives, batch 4,096, Adam), implicit's ``BayesianPersonalizedRanking``
    and Cornac's ``BPR`` (both SGD, one negative per positive).

``--users N`` (default 10,000; 0 for all) trains MultVAE and BPRMF on the
first N users only (all items) to keep the 20M-shape runs short on a loaded
machine: the epoch time is
then also extrapolated to all users (``epoch_s_all_users_extrapolated``:
times ``n_users / N`` for MultVAE, whose cost is per batch of users, and
times ``nnz / nnz(N users)`` for BPRMF, whose cost is per interaction).
``als``
    skrec ``ALS`` against implicit, 3 iterations (``bench_als_20m_shape.py``
    has the full protocol).

Threads: ``--threads`` (default 1) for torch, BLAS and the peers' own
thread pools alike. One run per figure (no repeats at the 20M shape).
``cpu_s`` is the child's CPU time over the model's part (conversion of the
table to the library's input, and the fit): on a machine shared with other
jobs it moves less than the wall times (``fit_s``, ``epoch_s``).

Usage: python benchmarks/bench_20m_shape.py [--shape 20m|ml1m]
       [--models ease,multvae,bprmf] [--threads 1] [--users 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, peak_rss_mb  # noqa: E402
from bench_als_20m_shape import make_csr  # noqa: E402

SHAPES = {"20m": dict(n_users=138_000, n_items=27_000, nnz=20_000_000),
          "ml1m": dict(n_users=6_040, n_items=3_706, nnz=1_000_209)}
RUNS = {
    "ease": ["skrec", "cornac"],
    "multvae": ["skrec", "skrec-dense", "cornac"],
    "bprmf": ["skrec", "skrec-sparse", "implicit", "cornac"],
    "als": ["skrec", "implicit"],
}
PEERS = {"cornac", "implicit"}
DEFAULT_PEER_PYTHON = os.environ.get("SKREC_PEER_PYTHON", "/work/peers-venv/bin/python")
EASE_REG = 500.0


# ------------------------------------------------------------------ skrec
def _interactions(X):
    import scipy.sparse as sp

    from skrec._data import Interactions

    R = sp.csr_array(X, dtype=np.float64)
    return Interactions(user=None, item=None, y=None, sample_weight=None, matrix=R,
                        n_users=R.shape[0], n_items=R.shape[1])


def _skrec(model, impl, X, args):
    import torch

    torch.set_num_threads(args.threads)
    if model == "ease":
        from skrec.autoencoders import EASE

        est = EASE(EASE_REG, device="cpu")
        data = _interactions(X)
        t0 = time.perf_counter()
        est._fit(data)
        return dict(fit_s=time.perf_counter() - t0, dtype="float32")
    if model == "multvae":
        from skrec.autoencoders import MultVAE

        cls = MultVAE
        if impl == "skrec-dense":
            cls = type("DenseInputMultVAE", (MultVAE,), {"_sparse_input": False})
        est = cls(hidden_dims=(600,), latent_dim=200, max_iter=1, batch_size=500,
                  device="cpu", random_state=0)
        t0 = time.perf_counter()
        _fit_rows(est, X)
        return dict(fit_s=time.perf_counter() - t0, epoch_s=est.history_[0]["time"],
                    train_loss=est.history_[0]["train_loss"])
    if model == "bprmf":
        from skrec.factorization import BPRMF

        # skrec-sparse: optimizer="sparse_adam" (only the rows a batch uses are updated)
        opt = "sparse_adam" if impl == "skrec-sparse" else "adam"
        est = BPRMF(64, max_iter=1, optimizer=opt, device="cpu", random_state=0)
        t0 = time.perf_counter()
        _fit_rows(est, X)
        return dict(fit_s=time.perf_counter() - t0, epoch_s=est.history_[0]["time"])
    if model == "als":
        from skrec.factorization import ALS

        est = ALS(64, reg=0.01, alpha=1.0, max_iter=3, device="cpu", random_state=0)
        t0 = time.perf_counter()
        est._fit(_interactions(X))
        fit = time.perf_counter() - t0
        return dict(fit_s=fit, s_per_iter=fit / 3)
    raise ValueError(model)


def _fit_rows(est, X):
    """``est.fit`` on a (user, item) DataFrame of ``X``'s entries (the torch engine
    needs the id encoding of the fit template; its epoch time leaves it out)."""
    import pandas as pd

    coo = X.tocoo()
    df = pd.DataFrame({"user": coo.row.astype(np.int32), "item": coo.col.astype(np.int32)})
    del coo
    est.fit(df)


# ------------------------------------------------------------------ peers
def _cornac_dataset(X):
    from cornac.data import Dataset

    coo = X.tocoo()
    n_u, n_i = X.shape
    return Dataset(n_u, n_i, {u: u for u in range(n_u)}, {i: i for i in range(n_i)},
                   (coo.row.astype(np.int64), coo.col.astype(np.int64),
                    coo.data.astype(np.float64)), seed=0)


def _peer(model, impl, X, args):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(args.threads):
        if impl == "implicit":
            if model == "bprmf":
                from implicit.cpu.bpr import BayesianPersonalizedRanking

                est = BayesianPersonalizedRanking(factors=64, iterations=1,
                                                  num_threads=args.threads, random_state=0)
            else:
                from implicit.cpu.als import AlternatingLeastSquares

                est = AlternatingLeastSquares(factors=64, regularization=0.01, alpha=1.0,
                                              iterations=3, num_threads=args.threads,
                                              random_state=0)
            t0 = time.perf_counter()
            est.fit(X.tocsr(), show_progress=False)
            fit = time.perf_counter() - t0
            return dict(fit_s=fit, **({"epoch_s": fit} if model == "bprmf"
                                      else {"s_per_iter": fit / 3}))
        data = _cornac_dataset(X)
        if model == "ease":
            from cornac.models import EASE

            est = EASE(lamb=EASE_REG, verbose=False)
        elif model == "multvae":
            import torch
            from cornac.models import VAECF

            torch.set_num_threads(args.threads)
            est = VAECF(k=200, autoencoder_structure=[600], act_fn="tanh", likelihood="mult",
                        n_epochs=1, batch_size=500, learning_rate=1e-3, beta=0.2, seed=0)
        else:
            from cornac.models import BPR

            est = BPR(k=64, max_iter=1, learning_rate=0.01, lambda_reg=0.01,
                      num_threads=args.threads, seed=0)
        t0 = time.perf_counter()
        est.fit(data)
        fit = time.perf_counter() - t0
        return dict(fit_s=fit, **({} if model == "ease" else {"epoch_s": fit}))


# ------------------------------------------------------------------ driver
def run_child(args):
    X = make_csr(**SHAPES[args.shape])
    nnz_all = int(X.nnz)
    if args.model in ("multvae", "bprmf") and args.users and args.users < X.shape[0]:
        X = X[: args.users]
    base = peak_rss_mb()
    run = _peer if args.impl in PEERS else _skrec
    cpu0 = time.process_time()
    out = run(args.model, args.impl, X, args)
    out["cpu_s"] = time.process_time() - cpu0
    print(json.dumps(dict(model=args.model, impl=args.impl, shape=list(X.shape),
                          nnz=int(X.nnz), nnz_all=nnz_all, threads=args.threads, data_rss_mb=base,
                          peak_rss_mb=peak_rss_mb(), **out)), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="20m", choices=list(SHAPES))
    parser.add_argument("--models", default="ease,multvae,bprmf")
    parser.add_argument("--impls", default="",
                        help="subset of skrec,skrec-dense,skrec-sparse,cornac,implicit")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--users", type=int, default=10_000,
                        help="train MultVAE and BPRMF on the first N users only (0: all)")
    parser.add_argument("--cornac-ease-20m", action="store_true")
    parser.add_argument("--peer-python", default=DEFAULT_PEER_PYTHON)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--model")
    parser.add_argument("--impl")
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    n_users = SHAPES[args.shape]["n_users"]
    for model in args.models.split(","):
        for impl in RUNS[model]:
            if args.impls and impl not in args.impls.split(","):
                continue
            common = dict(benchmark=f"{args.shape}_shape", model=model, impl=impl)
            if model == "ease" and impl == "cornac" and args.shape == "20m" \
                    and not args.cornac_ease_20m:
                emit(**common, skipped="float64 dense route needs ~17 GB (estimated); "
                     "pass --cornac-ease-20m to run it")
                continue
            python = args.peer_python if impl in PEERS else sys.executable
            if impl in PEERS and not Path(python).exists():
                emit(**common, skipped=f"peer interpreter {python} not found")
                continue
            cmd = [python, str(Path(__file__).resolve()), "--child", "--shape", args.shape,
                   "--model", model, "--impl", impl, "--threads", str(args.threads),
                   "--users", str(args.users)]
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            if impl in PEERS:  # skrec must not be importable by the peers
                env.pop("PYTHONPATH", None)
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                      timeout=args.timeout, check=True)
            except subprocess.TimeoutExpired:
                emit(**common, error=f"timed out after {args.timeout} s")
                continue
            except subprocess.CalledProcessError as exc:
                emit(**common, error=exc.stderr[-2000:])
                continue
            rec = json.loads(proc.stdout.strip().splitlines()[-1])
            if "epoch_s" in rec and rec["shape"][0] < n_users:
                scale = (n_users / rec["shape"][0] if model == "multvae"
                         else rec["nnz_all"] / rec["nnz"])
                rec["epoch_s_all_users_extrapolated"] = rec["epoch_s"] * scale
            emit(benchmark=f"{args.shape}_shape", **rec)


if __name__ == "__main__":
    main()
