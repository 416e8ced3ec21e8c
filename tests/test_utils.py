"""Utilities: devices, seeds, top-k, conversion, validation."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given
from hypothesis import strategies as st

from skrec.utils import check_k, check_users, from_csr
from skrec.utils._topk import mask_entries, topk
from skrec.utils._torch import resolve_device, seed_from_random_state


def test_resolve_device_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")).type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_resolve_device_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


@pytest.mark.parametrize("bad, exc", [("tpu", ValueError), ("mps", ValueError), (3, TypeError)])
def test_resolve_device_bad_values(bad, exc):
    with pytest.raises(exc, match="device"):
        resolve_device(bad)


def test_seed_from_random_state():
    assert seed_from_random_state(5) == 5
    a = seed_from_random_state(np.random.RandomState(1))
    b = seed_from_random_state(np.random.RandomState(1))
    assert a == b and 0 <= a < 2**63


@given(st.lists(st.lists(st.integers(-3, 3), min_size=4, max_size=4), min_size=1, max_size=5),
       st.integers(1, 6))
def test_topk_matches_a_stable_sort(rows, k):
    scores = torch.tensor(rows, dtype=torch.float64)
    vals, idx = topk(scores, k)
    ref = np.sort(np.asarray(rows, dtype=float), axis=1)[:, ::-1][:, : min(k, 4)]
    np.testing.assert_array_equal(vals, ref)
    np.testing.assert_array_equal(np.take_along_axis(np.asarray(rows), idx, 1), ref)
    # ties, also at the boundary of the list, go to the lower column index
    stable = np.argsort(-np.asarray(rows, dtype=float), axis=1, kind="stable")[:, : min(k, 4)]
    np.testing.assert_array_equal(idx, stable)


def test_mask_entries():
    s = mask_entries(torch.zeros(2, 3), np.array([0, 1]), np.array([2, 0]))
    assert torch.isinf(s[0, 2]) and torch.isinf(s[1, 0]) and s.isinf().sum() == 2


def test_from_csr_round_trip():
    m = sp.random(6, 5, density=0.4, format="csr", random_state=0)
    X, y = from_csr(m, user_ids=list("abcdef"))
    back = sp.csr_array((y, (X["user"].map("abcdef".index), X["item"])), shape=m.shape)
    np.testing.assert_allclose(back.toarray(), m.toarray())
    with pytest.raises(TypeError, match="sparse"):
        from_csr(np.eye(2))
    with pytest.raises(ValueError, match="user_ids"):
        from_csr(m, user_ids=[1])


def test_check_k_and_users():
    assert check_k(np.int64(3)) == 3
    with pytest.raises(TypeError):
        check_k(1.0)
    with pytest.raises(ValueError):
        check_k(0)
    assert check_users((1, 2)).tolist() == [1, 2]
    with pytest.raises(ValueError, match="1-D"):
        check_users(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="sparse"):
        check_users(sp.csr_array(np.eye(2)))


@pytest.mark.parametrize(
    "value, exc, match",
    [(0, ValueError, "k must be a positive integer, got 0"), (2.5, TypeError, "int"),
     (True, TypeError, "bool"), ("3", TypeError, "k must be a positive integer")],
)
def test_check_k_uses_check_scalar_and_names_the_argument(value, exc, match):
    with pytest.raises(exc, match=match):
        check_k(value)
    assert check_k(np.int64(3)) == 3 and type(check_k(np.int64(3))) is int
