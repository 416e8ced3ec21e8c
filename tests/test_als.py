"""Tests of ALS: solvers against reference normal equations, fold-in, quality, errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import ALS
from skrec.factorization._als import _conjugate_gradient, _exact_solve, _Side, _weights


# ----------------------------------------------------------------- helpers
def reference_solve(R, Y, reg, alpha, feedback="implicit"):
    """Row-by-row numpy solution of the exact per-row normal equations."""
    R = sp.csr_array(R)
    k = Y.shape[1]
    out = np.zeros((R.shape[0], k))
    for u in range(R.shape[0]):
        cols = R.indices[R.indptr[u] : R.indptr[u + 1]]
        r = R.data[R.indptr[u] : R.indptr[u + 1]]
        Yu = Y[cols]
        if feedback == "implicit":
            c = 1.0 + alpha * r
            p = (r > 0).astype(float)
            A = Y.T @ Y + Yu.T @ np.diag(c - 1.0) @ Yu + reg * np.eye(k)
            b = Yu.T @ (c * p)
        else:
            A = Yu.T @ Yu + reg * np.eye(k)
            b = Yu.T @ r
        out[u] = np.linalg.solve(A, b)
    return out


def ndcg_at_10(model, train, test):
    """Mean NDCG@10 (binary gains) of model.recommend against held-out rows."""
    users = np.unique(test["user"])
    items, _ = model.recommend(users, k=10)
    truth = test.groupby("user")["item"].apply(set)
    disc = 1.0 / np.log2(np.arange(2, 12))
    scores = []
    for u, row in zip(users, items, strict=True):
        rel = truth[u]
        gains = np.array([it in rel for it in row], dtype=float)
        scores.append((gains * disc).sum() / disc[: min(10, len(rel))].sum())
    return float(np.mean(scores))


def holdout(X, seed=0, frac=0.2):
    rng = np.random.RandomState(seed)
    test = np.zeros(len(X), dtype=bool)
    for _, rows in X.groupby("user").indices.items():
        n = int(np.floor(frac * len(rows)))
        test[rng.permutation(rows)[:n]] = True
    return X[~test].reset_index(drop=True), X[test].reset_index(drop=True)


@pytest.fixture(scope="module")
def tiny():
    R = sp.csr_array(
        np.array(
            [
                [2.0, 0.0, 1.0, 0.0, 0.0],
                [0.0, 3.0, 0.0, 1.0, 0.5],
                [1.0, 1.0, 1.0, 0.0, 0.0],
                [0.0, 0.0, 0.0, 0.0, 4.0],
            ]
        )
    )
    Y = np.random.RandomState(0).normal(size=(5, 3))
    return R, Y


# ----------------------------------------------------------------- solvers
def test_hand_derived_one_factor():
    # One user, items y = (1, 2), r = (1, 0): c = (2, 1), p = (1, 0).
    # A = y^T y + (c - 1) y^2 + reg = 5 + 1 + 0.5 = 6.5 ; b = c p y = 2  ->  x = 2 / 6.5.
    R = sp.csr_array(np.array([[1.0, 0.0]]))
    R.eliminate_zeros()
    Y = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    w, b = _weights(R.data, "implicit", 1.0)
    gram0 = Y.T @ Y + 0.5 * torch.eye(1, dtype=torch.float64)
    x = _exact_solve(
        R.indptr.astype(np.int64), R.indices.astype(np.int64),
        torch.from_numpy(w), torch.from_numpy(b), Y, gram0,
    )
    assert x.item() == pytest.approx(2 / 6.5, rel=1e-12)


@pytest.mark.parametrize("feedback", ["implicit", "explicit"])
def test_solvers_match_reference(tiny, feedback):
    R, Y = tiny
    reg, alpha = 0.3, 2.0
    expected = reference_solve(R, Y, reg, alpha, feedback)
    w, b = _weights(R.data, feedback, alpha)
    Yt = torch.from_numpy(Y)
    eye = reg * torch.eye(3, dtype=torch.float64)
    gram0 = Yt.T @ Yt + eye if feedback == "implicit" else eye
    exact = _exact_solve(
        R.indptr.astype(np.int64), R.indices.astype(np.int64),
        torch.from_numpy(w), torch.from_numpy(b), Yt, gram0,
    )
    np.testing.assert_allclose(exact.numpy(), expected, rtol=1e-10, atol=1e-12)
    # CG on a k x k system converges in k steps in exact arithmetic.
    side = _Side(R, w, b, torch.float64, torch.device("cpu"))
    x0 = torch.zeros((4, 3), dtype=torch.float64)
    cg = _conjugate_gradient(side, x0, Yt, gram0, steps=6)
    np.testing.assert_allclose(cg.numpy(), expected, rtol=1e-7, atol=1e-9)
    # A few steps from a warm start move towards the solution.
    few = _conjugate_gradient(side, x0, Yt, gram0, steps=1)
    assert np.linalg.norm(few.numpy() - expected) < np.linalg.norm(expected)


def test_exact_solver_blocks(tiny, monkeypatch):
    """Blocking of rows (longest first) does not change the solution."""
    import skrec.factorization._als as als

    R, Y = tiny
    w, b = _weights(R.data, "implicit", 1.0)
    Yt = torch.from_numpy(Y)
    gram0 = Yt.T @ Yt + 0.1 * torch.eye(3, dtype=torch.float64)
    args = (R.indptr.astype(np.int64), R.indices.astype(np.int64),
            torch.from_numpy(w), torch.from_numpy(b), Yt, gram0)
    whole = _exact_solve(*args)
    monkeypatch.setattr(als, "_BLOCK_ELEMENTS", 1)
    np.testing.assert_allclose(_exact_solve(*args).numpy(), whole.numpy(), rtol=1e-12)
    part = _exact_solve(*args, rows=np.array([3, 1]))
    np.testing.assert_allclose(part.numpy(), whole.numpy()[[3, 1]], rtol=1e-12)


def _table(R):
    coo = sp.coo_array(R)
    order = np.lexsort((coo.col, coo.row))
    return pd.DataFrame({"user": coo.row[order], "item": coo.col[order]}), coo.data[order]


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_fit_last_half_step_solves_normal_equations(tiny, solver):
    R, _ = tiny
    X, y = _table(R)
    kw = {"cg_steps": 10} if solver == "cg" else {}
    model = ALS(3, reg=0.2, alpha=1.5, solver=solver, max_iter=4, dtype="float64",
                device="cpu", random_state=0, **kw).fit(X, y)
    # Internal indices follow first appearance: reorder R's columns to match.
    assert list(model.user_ids_) == [0, 1, 2, 3]
    Rp = sp.csr_array(R[:, model.item_ids_])
    expected = reference_solve(Rp.T.tocsr(), model.user_factors_, 0.2, 1.5)
    np.testing.assert_allclose(model.item_factors_, expected, rtol=1e-6, atol=1e-9)


def test_fold_in_is_one_more_solve(tiny):
    R, _ = tiny
    X, y = _table(R)
    model = ALS(3, reg=0.2, alpha=1.5, solver="cholesky", max_iter=30, dtype="float64",
                device="cpu", random_state=0).fit(X, y)
    u = 1
    hist = pd.DataFrame({"user": "new", "item": X["item"][X["user"] == u].to_numpy()})
    hy = y[X["user"].to_numpy() == u]
    got = model.score_items(["new"], history=hist, history_y=hy)[0]
    Rp = sp.csr_array(R[:, model.item_ids_])  # columns in internal order
    x = reference_solve(Rp[[u]], model.item_factors_, 0.2, 1.5)[0]
    np.testing.assert_allclose(got, model.item_factors_ @ x, rtol=1e-9, atol=1e-12)
    # After convergence it is close to the trained user's own scores.
    trained = model.score_items([u])[0]
    np.testing.assert_allclose(got, trained, atol=1e-2 * np.abs(trained).max())
    # Extra history for a known user is folded in too (scores change).
    extra = pd.DataFrame({"user": [u], "item": [0]})
    moved = model.score_items([u], history=extra)[0]
    j = int(np.flatnonzero(model.item_ids_ == 0)[0])
    both = sp.csr_array(Rp[[u]].toarray() + np.eye(1, 5, j))
    x2 = reference_solve(both, model.item_factors_, 0.2, 1.5)[0]
    np.testing.assert_allclose(moved, model.item_factors_ @ x2, rtol=1e-9, atol=1e-12)


def test_fold_in_cg_model_close_to_trained():
    data = make_interactions(60, 40, 900, random_state=1)
    model = ALS(8, reg=0.1, max_iter=15, device="cpu", random_state=0).fit(data.X)
    u = model.user_ids_[3]
    own = model.item_ids_[model.seen_[[3]].indices]
    hist = pd.DataFrame({"user": "new", "item": own})
    new = model.score_items(["new"], history=hist)[0]
    trained = model.score_items([u])[0]
    assert np.corrcoef(new, trained)[0, 1] > 0.99


# ----------------------------------------------------------------- quality
def test_explicit_recovers_planted_low_rank():
    rng = np.random.RandomState(0)
    P, Q = rng.normal(size=(40, 3)), rng.normal(size=(30, 3))
    M = P @ Q.T
    mask = rng.random_sample(M.shape) < 0.6
    u, i = np.nonzero(mask)
    X = pd.DataFrame({"user": u, "item": i})
    model = ALS(3, reg=1e-4, feedback="explicit", solver="cholesky", max_iter=60,
                dtype="float64", device="cpu", random_state=0).fit(X, M[u, i])
    tu, ti = np.nonzero(~mask)
    known = np.isin(tu, u) & np.isin(ti, i)
    pred = model.predict(pd.DataFrame({"user": tu[known], "item": ti[known]}))
    rmse = np.sqrt(np.mean((pred - M[tu[known], ti[known]]) ** 2))
    assert rmse < 0.05 * M.std()
    assert model.__sklearn_tags__().target_tags.required


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_implicit_beats_popularity(solver):
    data = make_interactions(300, 120, 6000, random_state=0)
    train, test = holdout(data.X[["user", "item"]])
    model = ALS(8, reg=0.1, alpha=2.0, solver=solver, max_iter=10, device="cpu",
                random_state=0).fit(train)
    pop = Popularity().fit(train)
    ours, base = ndcg_at_10(model, train, test), ndcg_at_10(pop, train, test)
    assert ours > base + 0.05, (ours, base)


# ------------------------------------------------------------- options
def test_dtype_option(tiny):
    X, y = _table(tiny[0])
    m32 = ALS(2, max_iter=2, device="cpu", random_state=0).fit(X, y)
    m64 = ALS(2, max_iter=2, dtype="float64", device="cpu", random_state=0).fit(X, y)
    assert m32.user_factors_.dtype == np.float32 and m64.item_factors_.dtype == np.float64
    np.testing.assert_allclose(m32.user_factors_, m64.user_factors_, rtol=1e-3, atol=1e-6)


def test_pickle_drops_device_copy(tiny):
    X, y = _table(tiny[0])
    model = ALS(2, max_iter=2, device="cpu", random_state=0).fit(X, y)
    before = model.score_items([0, 1])
    blob = pickle.dumps(model)
    assert "_device_factors" not in model.__getstate__()
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again.score_items([0, 1]), before)


def test_seed_does_not_touch_global_rng(tiny):
    X, y = _table(tiny[0])
    state = torch.random.get_rng_state()
    ALS(2, max_iter=1, device="cpu", random_state=3).fit(X, y)
    assert torch.equal(torch.random.get_rng_state(), state)


# -------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_factors": 0}, "n_factors"),
        ({"n_factors": -3}, "n_factors"),
        ({"reg": -0.1}, "reg"),
        ({"alpha": -1.0}, "alpha"),
        ({"solver": "lu"}, "solver"),
        ({"feedback": "ratings"}, "feedback"),
        ({"dtype": "float16"}, "dtype"),
        ({"max_iter": 0}, "max_iter"),
    ],
)
def test_bad_parameters(tiny, params, match):
    X, y = _table(tiny[0])
    with pytest.raises(ValueError, match=match):
        ALS(device="cpu", **params).fit(X, y)


def test_negative_confidence_and_missing_ratings(tiny):
    X, y = _table(tiny[0])
    with pytest.raises(ValueError, match="non-negative"):
        ALS(2, device="cpu").fit(X, -y)
    with pytest.raises(ValueError, match="y"):
        ALS(2, feedback="explicit", device="cpu").fit(X)
    # Explicit ratings may be negative.
    ALS(2, feedback="explicit", max_iter=1, device="cpu").fit(X, -y)


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_divergence_raises(tiny, solver):
    X, y = _table(tiny[0])
    with pytest.raises(FloatingPointError, match="ALS"):
        ALS(2, alpha=1e30, solver=solver, max_iter=3, device="cpu", random_state=0).fit(
            X, y * 1e8
        )


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda(tiny):
    X, y = _table(tiny[0])
    with pytest.raises(ValueError, match="CUDA"):
        ALS(2, device="cuda").fit(X, y)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_cuda_matches_cpu(tiny, solver):
    X, y = _table(tiny[0])
    kw = dict(n_factors=3, max_iter=5, solver=solver, dtype="float64", random_state=0)
    cpu = ALS(device="cpu", **kw).fit(X, y)
    gpu = ALS(device="cuda", **kw).fit(X, y)
    assert gpu.device_.type == "cuda"
    np.testing.assert_allclose(gpu.user_factors_, cpu.user_factors_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(gpu.score_items([0, 1]), cpu.score_items([0, 1]), rtol=1e-6)
    again = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_allclose(again.score_items([0, 1]), cpu.score_items([0, 1]), rtol=1e-6)


def test_explicit_sample_weight_scales_the_loss(tiny):
    # sum w (r - x.y)^2 + reg |x|^2 with w = 2 is the unweighted problem with reg / 2.
    X, y = _table(tiny[0])
    kw = dict(feedback="explicit", solver="cholesky", max_iter=5, dtype="float64",
              device="cpu", random_state=0)
    a = ALS(2, reg=0.4, **kw).fit(X, y, sample_weight=np.full(len(y), 2.0))
    b = ALS(2, reg=0.2, **kw).fit(X, y)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=1e-9, atol=1e-12)


def test_transposed_item_side_matches(tiny, monkeypatch):
    """The in-place (transposed) item side of CG gives the same model."""
    import skrec.factorization._als as als

    X, y = _table(tiny[0])
    kw = dict(n_factors=3, max_iter=4, dtype="float64", device="cpu", random_state=0)
    ref = ALS(**kw).fit(X, y)
    monkeypatch.setattr(als, "_CACHE_BYTES", 0)
    got = ALS(**kw).fit(X, y)
    np.testing.assert_allclose(got.item_factors_, ref.item_factors_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.user_factors_, ref.user_factors_, rtol=1e-10, atol=1e-12)


def test_negative_history_confidence(tiny):
    X, y = _table(tiny[0])
    model = ALS(2, max_iter=2, device="cpu", random_state=0).fit(X, y)
    hist = pd.DataFrame({"user": ["new"], "item": [0]})
    with pytest.raises(ValueError, match="history_y"):
        model.score_items(["new"], history=hist, history_y=[-1.0])


@pytest.mark.parametrize("chunk", [1, 3, 5])
def test_chunked_sddmm_matches(tiny, monkeypatch, chunk):
    import skrec.factorization._als as als

    X, y = _table(tiny[0])
    kw = dict(n_factors=3, max_iter=3, dtype="float64", device="cpu", random_state=0)
    ref = ALS(**kw).fit(X, y)
    monkeypatch.setattr(als, "_SDDMM_CHUNK", chunk)
    monkeypatch.setattr(als, "_CACHE_BYTES", 0)
    got = ALS(**kw).fit(X, y)
    np.testing.assert_allclose(got.user_factors_, ref.user_factors_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got.item_factors_, ref.item_factors_, rtol=1e-10, atol=1e-12)
