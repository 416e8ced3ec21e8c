"""verbose progress bars and history_ on the solver models."""

import numpy as np
import pytest

from skrec.autoencoders import EASE
from skrec.datasets import make_interactions
from skrec.factorization import ALS
from skrec.neighbors import ItemKNN


@pytest.fixture(scope="module")
def X():
    return make_interactions(n_users=40, n_items=25, random_state=0).X[["user", "item"]]


@pytest.mark.parametrize("est", [ALS(n_factors=4, max_iter=3, device="cpu", verbose=1),
                                 EASE(reg=10.0, device="cpu", verbose=1),
                                 ItemKNN(verbose=1)], ids=lambda e: type(e).__name__)
def test_verbose_shows_a_bar_and_quiet_by_default(est, X, capsys):
    est.fit(X)
    assert type(est).__name__ in capsys.readouterr().err
    est.set_params(verbose=0).fit(X)
    assert capsys.readouterr().err == ""


def test_als_history_is_the_decreasing_objective(X):
    als = ALS(n_factors=4, max_iter=6, reg=1.0, solver="cholesky", device="cpu",
              random_state=0).fit(X)
    losses = [h["train_loss"] for h in als.history_]
    assert len(losses) == als.n_iter_ == 6
    assert set(als.history_[0]) == {"epoch", "train_loss", "val_loss", "time"}
    # Exact alternating least squares never increases its objective.
    assert np.all(np.diff(losses) <= 1e-6 * np.abs(losses[:-1]))


def test_als_objective_matches_a_direct_computation(X):
    als = ALS(n_factors=3, max_iter=2, reg=0.5, alpha=2.0, device="cpu", random_state=0,
              dtype="float64").fit(X)
    R = als.seen_.toarray()
    S = als.user_factors_ @ als.item_factors_.T
    C = 1 + 2.0 * R
    P = (R > 0).astype(float)
    direct = (C * (P - S) ** 2).sum() + 0.5 * ((als.user_factors_ ** 2).sum()
                                                + (als.item_factors_ ** 2).sum())
    np.testing.assert_allclose(als.history_[-1]["train_loss"], direct / als.seen_.nnz,
                               rtol=1e-6)


def test_als_tol_stops_early(X):
    full = ALS(n_factors=4, max_iter=30, device="cpu", random_state=0).fit(X)
    early = ALS(n_factors=4, max_iter=30, tol=1e-2, device="cpu", random_state=0).fit(X)
    assert early.n_iter_ < full.n_iter_ == 30
