"""Tests of EASE: the closed form, fold-in, quality, options and errors."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from skrec.autoencoders import EASE
from skrec.baselines import Popularity
from skrec.datasets import make_interactions

from .test_als import holdout, ndcg_at_10


def closed_form(X, reg):
    """Steck (2019), in numpy float64."""
    P = np.linalg.inv(X.T @ X + reg * np.eye(X.shape[1]))
    B = np.eye(X.shape[1]) - P / np.diag(P)
    np.fill_diagonal(B, 0.0)
    return B


def _table(M):
    u, i = np.nonzero(M)
    order = np.lexsort((i, u))
    return pd.DataFrame({"user": u[order], "item": i[order]}), M[u[order], i[order]]


@pytest.fixture(scope="module")
def tiny():
    # Item ids appear in order 0, 1, 2, 3 (user 0 sees them all), so internal
    # indices equal the ids.
    return np.array(
        [
            [1.0, 1.0, 1.0, 1.0],
            [1.0, 0.0, 1.0, 0.0],
            [0.0, 1.0, 1.0, 0.0],
            [0.0, 0.0, 1.0, 1.0],
            [1.0, 1.0, 0.0, 0.0],
        ]
    )


def test_hand_computed_two_items():
    # X^T X = [[2, 1], [1, 2]], reg = 1: G = [[3, 1], [1, 3]],
    # P = [[3, -1], [-1, 3]] / 8, B_01 = -P_01 / P_11 = 1/3, diag 0.
    X = pd.DataFrame({"user": [0, 0, 1, 2], "item": [0, 1, 0, 1]})
    model = EASE(reg=1.0, dtype="float64", device="cpu").fit(X)
    np.testing.assert_allclose(model.B_, [[0.0, 1 / 3], [1 / 3, 0.0]], atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-10), ("float32", 1e-5)])
def test_matches_numpy_closed_form(tiny, dtype, tol):
    X, _ = _table(tiny)
    model = EASE(reg=2.0, dtype=dtype, device="cpu").fit(X)
    assert model.B_.dtype == np.dtype(dtype)
    np.testing.assert_allclose(model.B_, closed_form(tiny, 2.0), atol=tol)
    assert (np.diag(model.B_) == 0).all()
    np.testing.assert_allclose(model.score_items([0, 1, 2, 3, 4]),
                               tiny @ closed_form(tiny, 2.0), atol=10 * tol)


def test_weighted_by_y(tiny):
    X, y = _table(tiny)
    y = y * np.arange(1, len(y) + 1)
    W = sp.csr_array((y, (X["user"], X["item"])), shape=tiny.shape).toarray()
    model = EASE(reg=3.0, dtype="float64", device="cpu").fit(X, y)
    np.testing.assert_allclose(model.B_, closed_form(W, 3.0), atol=1e-10)


def test_sparse_and_dense_gram_agree(monkeypatch):
    import skrec.autoencoders._ease as ease

    rng = np.random.RandomState(0)
    X = sp.random_array((300, 200), density=0.005, random_state=rng, format="csr")
    cpu = torch.device("cpu")
    sparse_path = ease._gram(X, torch.float64, cpu)  # density < 1%: scipy product
    dense = X.toarray()
    np.testing.assert_allclose(sparse_path.numpy(), dense.T @ dense, atol=1e-12)
    Xd = sp.random_array((300, 200), density=0.2, random_state=rng, format="csr")
    monkeypatch.setattr(ease, "_GRAM_BLOCK", 1000)  # several row blocks
    dense_path = ease._gram(Xd, torch.float64, cpu)
    np.testing.assert_allclose(dense_path.numpy(), Xd.toarray().T @ Xd.toarray(), atol=1e-12)


def test_fold_in_equals_history_times_B(tiny):
    X, _ = _table(tiny)
    model = EASE(reg=2.0, dtype="float64", device="cpu").fit(X)
    hist = pd.DataFrame({"user": "new", "item": [0, 2]})
    got = model.score_items(["new"], history=hist)[0]
    np.testing.assert_allclose(got, tiny[1] @ model.B_, atol=1e-12)
    np.testing.assert_allclose(got, model.score_items([1])[0], atol=1e-12)
    items, _ = model.recommend(["new"], k=2, history=hist)
    assert set(items[0]) == {1, 3}


def test_beats_popularity():
    data = make_interactions(300, 120, 6000, random_state=0)
    train, test = holdout(data.X[["user", "item"]])
    model = EASE(reg=50.0, device="cpu").fit(train)
    ours = ndcg_at_10(model, train, test)
    base = ndcg_at_10(Popularity().fit(train), train, test)
    assert ours > base + 0.05, (ours, base)


def test_pickle_drops_device_copy(tiny):
    X, _ = _table(tiny)
    model = EASE(reg=2.0, device="cpu").fit(X)
    before = model.score_items([0, 3])
    assert "_device_B" not in model.__getstate__()
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).score_items([0, 3]), before)


@pytest.mark.parametrize(
    "params, match",
    [({"reg": 0.0}, "reg"), ({"reg": -5.0}, "reg"), ({"dtype": "int8"}, "dtype")],
)
def test_bad_parameters(tiny, params, match):
    X, _ = _table(tiny)
    with pytest.raises(ValueError, match=match):
        EASE(device="cpu", **params).fit(X)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda(tiny):
    X, _ = _table(tiny)
    with pytest.raises(ValueError, match="CUDA"):
        EASE(device="cuda").fit(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(tiny):
    X, _ = _table(tiny)
    gpu = EASE(reg=2.0, dtype="float64", device="cuda").fit(X)
    assert gpu.device_.type == "cuda"
    np.testing.assert_allclose(gpu.B_, closed_form(tiny, 2.0), atol=1e-10)
    again = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_allclose(again.score_items([0]), tiny[:1] @ closed_form(tiny, 2.0),
                               atol=1e-10)


@pytest.mark.parametrize("n", [1, 7, 300])
def test_blocked_triangular_inverse_and_gram(n):
    from skrec.autoencoders._ease import _lower_gram, _tril_inverse

    rng = np.random.RandomState(n)
    A = rng.normal(size=(n + 3, n))
    G = torch.from_numpy(A.T @ A + np.eye(n))
    L = torch.linalg.cholesky(G)
    Linv = _tril_inverse(L, leaf=16)
    np.testing.assert_allclose((Linv @ L).numpy(), np.eye(n), atol=1e-9)
    assert np.allclose(np.triu(Linv.numpy(), 1), 0.0)
    np.testing.assert_allclose(_lower_gram(Linv, leaf=16).numpy(), np.linalg.inv(G.numpy()),
                               rtol=1e-8, atol=1e-10)
