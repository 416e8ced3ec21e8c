"""The factorization family: MF (explicit, implicit, side features, temporal), BPRMF,
MixtureOfTastesMF and VariationalMF."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import spearmanr

from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import BPRMF, MF, MixtureOfTastesMF, VariationalMF

FAST = dict(device="cpu", random_state=0)


@pytest.fixture(scope="module")
def planted():
    """Low-rank implicit data with 3 held-out items per user."""
    data = make_interactions(n_users=120, n_items=60, n_interactions=2400, signal=6.0,
                             popularity_exponent=0.5, random_state=1)
    X = data.X[["user", "item"]].reset_index(drop=True)
    rng = np.random.RandomState(0)
    counts = X.groupby("user")["item"].transform("size").to_numpy()
    # Rank rows at random within each user; hold out 3 rows of users with more than 6.
    key = rng.rand(len(X))
    rank = pd.Series(key).groupby(X["user"].to_numpy()).rank().to_numpy()
    held = (counts > 6) & (rank <= 3)
    return X[~held], data.y[~held], X[held]


def _recall(model, test, k=10):
    users = test["user"].unique()
    items, _ = model.recommend(users, k=k)
    truth = test.groupby("user")["item"].apply(set)
    return float(np.mean([len(truth[u] & set(row)) / len(truth[u]) for u, row in
                          zip(users, items, strict=True)]))


@pytest.mark.parametrize(
    "model",
    [
        MF(n_factors=8, loss="bce", reg=1e-3, max_iter=40, lr=0.02, batch_size=256,
           lr_schedule="constant", **FAST),
        BPRMF(n_factors=8, max_iter=40, lr=0.02, batch_size=256, **FAST),
        BPRMF(n_factors=8, max_iter=40, lr=0.02, batch_size=256, optimizer="sparse_adam",
              **FAST),
        MixtureOfTastesMF(n_factors=8, n_tastes=2, max_iter=40, lr=0.02, batch_size=256, **FAST),
        VariationalMF(n_factors=8, loss="bce", kl_weight=1e-3, max_iter=40, lr=0.02,
                      batch_size=256, **FAST),
    ],
    ids=lambda m: type(m).__name__,
)
def test_implicit_models_beat_popularity(planted, model):
    X, _, test = planted
    pop = _recall(Popularity().fit(X), test)
    got = _recall(model.fit(X), test)
    assert got > pop + 0.1, (got, pop)


@pytest.mark.parametrize(
    "model",
    [MF(n_factors=8, max_iter=30, batch_size=256, lr=0.03, reg=0.05, **FAST),
     VariationalMF(n_factors=8, max_iter=30, batch_size=256, lr=0.03, **FAST)],
    ids=lambda m: type(m).__name__,
)
def test_explicit_models_beat_baselines_on_ratings(model):
    data = make_interactions(n_users=150, n_items=60, n_interactions=3000, rating_noise=0.3,
                             random_state=2)
    X = data.X[["user", "item"]]
    rng = np.random.RandomState(0)
    test = rng.rand(len(X)) < 0.2
    model.fit(X[~test], data.y[~test])
    pred = model.predict(X[test])
    rmse = np.sqrt(np.mean((pred - data.y[test]) ** 2))
    rmse_mean = np.sqrt(np.mean((data.y[~test].mean() - data.y[test]) ** 2))
    assert rmse < 0.85 * rmse_mean
    assert pred.min() >= data.y.min() and pred.max() <= data.y.max()  # clipped to the scale


# ----------------------------------------------------------------- fold-in
def test_explicit_fold_in_recovers_the_trained_user():
    data = make_interactions(n_users=80, n_items=40, n_interactions=1600, random_state=3)
    X = data.X[["user", "item"]]
    # Full-batch training, so that the factors reach the minimiser.
    est = MF(n_factors=8, max_iter=300, batch_size=2000, lr=0.05, tol=0.0, **FAST)
    est.fit(X, data.y)
    for u in est.user_ids_[:5]:
        rows = (X["user"] == u).to_numpy()
        hist = pd.DataFrame({"user": "__new__", "item": X["item"][rows].to_numpy()})
        users = np.array(["__new__", u], dtype=object)
        both = est.score_items(users, history=hist, history_y=data.y[rows])
        # The ridge solution is the exact minimiser the training approached.
        np.testing.assert_allclose(both[0], both[1], atol=0.02)


def test_explicit_fold_in_is_the_ridge_solution():
    data = make_interactions(n_users=30, n_items=20, random_state=4)
    X = data.X[["user", "item"]]
    est = MF(n_factors=4, max_iter=5, reg=0.2, biases=False, **FAST).fit(X, data.y)
    hist = pd.DataFrame({"user": ["n"] * 3, "item": est.item_ids_[:3]})
    r = np.array([5.0, 1.0, 4.0])
    scores = est.score_items(["n"], history=hist, history_y=r)[0]
    Q = est.item_factors_[:3].astype(np.float64)
    p = np.linalg.solve(Q.T @ Q + 0.2 * 3 * np.eye(4), Q.T @ (r - est.global_mean_))
    np.testing.assert_allclose(scores, est.global_mean_ + est.item_factors_ @ p, atol=1e-4)


@pytest.mark.parametrize(
    "model",
    [MF(n_factors=8, loss="bce", reg=1e-3, max_iter=30, lr=0.02, batch_size=256, **FAST),
     BPRMF(n_factors=8, max_iter=30, lr=0.02, batch_size=256, **FAST),
     MixtureOfTastesMF(n_factors=8, n_tastes=2, max_iter=30, lr=0.02, batch_size=256, **FAST)],
    ids=lambda m: type(m).__name__,
)
def test_implicit_fold_in_ranks_like_the_trained_user(planted, model):
    X, _, test = planted
    model.fit(X)
    corr = []
    for u in model.user_ids_[:6]:
        hist = pd.DataFrame({"user": "__new__", "item": X["item"][X["user"] == u].to_numpy()})
        s = model.score_items(np.array(["__new__", u], dtype=object), history=hist)
        corr.append(spearmanr(s[0], s[1])[0])
    assert np.mean(corr) > 0.7, corr
    # Folding a user in does not move the trained model.
    before = model.score_items(model.user_ids_[:3])
    one = pd.DataFrame({"user": ["__x__"], "item": [X["item"].iloc[0]]})
    model.score_items(["__x__"], history=one)
    np.testing.assert_array_equal(model.score_items(model.user_ids_[:3]), before)


def test_fold_in_is_deterministic(planted):
    X, _, _ = planted
    est = BPRMF(n_factors=8, max_iter=5, **FAST).fit(X)
    hist = pd.DataFrame({"user": "__n__", "item": X["item"].iloc[:5].to_numpy()})
    a = est.score_items(["__n__"], history=hist)
    b = est.score_items(["__n__"], history=hist)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------- side features
def test_side_features_enter_the_factors():
    data = make_interactions(n_users=40, n_items=30, n_interactions=400, random_state=5)
    X = data.X[["user", "item"]].merge(data.item_features[["item", "if0", "if1"]], on="item")
    X = X.merge(data.user_features[["user", "uf0"]], on="user")
    est = MF(n_factors=4, side_features=True, max_iter=10, batch_size=64, lr=0.05, **FAST)
    est.fit(X, data.y[: len(X)])
    m = est.module_
    assert m.item_feature_proj.weight.shape == (4, 2)
    assert m.user_feature_proj.weight.shape == (4, 1)
    assert float(m.item_feature_proj.weight.detach().abs().sum()) > 0
    plain = est.module_.item_factors.weight.detach().numpy()
    assert not np.allclose(est.item_factors_, plain)
    assert np.isfinite(est.predict(X)).all()
    # Unknown users fold in without features, from their ratings.
    hist = pd.DataFrame({"user": ["__n__"], "item": [X.item[0]]})
    s = est.score_items(["__n__"], history=hist, history_y=[4.0])
    assert np.isfinite(s).all()
    # An explicit model never guesses the ratings of a history.
    with pytest.raises(ValueError, match="history_y"):
        est.score_items(["__n__"], history=hist)


def test_side_feature_errors():
    data = make_interactions(n_users=20, n_items=10, random_state=6)
    X = data.X[["user", "item"]]
    with pytest.raises(ValueError, match="side_features"):
        MF(side_features=True, **FAST).fit(X, data.y)
    Xg = X.merge(data.item_features[["item", "genre"]], on="item")
    with pytest.raises(TypeError, match="genre"):
        MF(side_features=True, **FAST).fit(Xg, data.y)
    Xc = X.assign(ctx=np.random.RandomState(0).rand(len(X)))  # varies within users and items
    with pytest.warns(UserWarning, match="ctx"):
        MF(side_features=True, max_iter=1, **FAST).fit(Xc, data.y)


# --------------------------------------------------------------- temporal
def test_temporal_terms_use_the_timestamp():
    data = make_interactions(n_users=40, n_items=20, n_interactions=400, random_state=7)
    X = data.X[["user", "item", "timestamp"]]
    est = MF(n_factors=4, temporal=4, max_iter=20, batch_size=64, lr=0.05, **FAST)
    est.fit(X, data.y)
    assert est.__skrec_tags__().requires_timestamp
    assert est.module_.item_time_bias.weight.shape == (20 * 4, 1)
    early = X.head(10).assign(timestamp=X["timestamp"].min())
    late = X.head(10).assign(timestamp=X["timestamp"].max())
    assert not np.allclose(est.predict(early), est.predict(late))
    with pytest.raises(ValueError, match="timestamp"):
        est.predict(X[["user", "item"]])
    with pytest.raises(ValueError, match="timestamp"):
        MF(temporal=True, **FAST).fit(X[["user", "item"]], data.y)
    assert MF(temporal=True)._n_time_bins() == 30
    items, scores = est.recommend(est.user_ids_[:3], k=4)  # ranks at the latest bin
    assert np.isfinite(scores).all()


# ------------------------------------------------------------- variants
def test_variational_posteriors():
    data = make_interactions(n_users=40, n_items=20, n_interactions=400, random_state=8)
    est = VariationalMF(n_factors=4, max_iter=10, batch_size=64, **FAST)
    est.fit(data.X[["user", "item"]], data.y)
    assert (est.user_factor_std_ > 0).all() and (est.item_factor_std_ > 0).all()
    assert est.user_factors_.shape == (40, 4)


def test_mixture_with_one_taste_is_a_dot_product():
    data = make_interactions(n_users=30, n_items=20, random_state=9)
    est = MixtureOfTastesMF(n_factors=4, n_tastes=1, max_iter=3, **FAST).fit(data.X)
    m = est.module_
    scores = est.score_items(est.user_ids_[:2])
    U = m.user_tastes.weight.detach().numpy()[:2]
    Q = m.item_factors.weight.detach().numpy()
    b = m.item_bias.weight.detach().numpy()[:, 0]
    np.testing.assert_allclose(scores, U @ Q.T + b, rtol=1e-5, atol=1e-5)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [MF, BPRMF, MixtureOfTastesMF, VariationalMF])
def test_bad_parameters(cls):
    data = make_interactions(n_users=20, n_items=10, random_state=10)
    X, y = data.X[["user", "item"]], data.y
    with pytest.raises(ValueError, match="n_factors"):
        cls(n_factors=0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="lr"):
        cls(lr=-1.0, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="batch_size"):
        cls(batch_size=0, **FAST).fit(X, y)


def test_mf_specific_errors():
    data = make_interactions(n_users=20, n_items=10, random_state=10)
    X, y = data.X[["user", "item"]], data.y
    with pytest.raises(ValueError, match="reg"):
        MF(reg=-0.1, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="y"):
        MF(**FAST).fit(X)
    with pytest.raises(ValueError, match="loss"):
        MF(loss="hinge", **FAST).fit(X, y)
    assert MF(loss="bce").__skrec_tags__().feedback == "implicit"
    assert MF().__skrec_tags__().feedback == "explicit"
    with pytest.raises(ValueError, match="y"):
        VariationalMF(**FAST).fit(X)


def test_explicit_duplicates_policy():
    X = pd.DataFrame({"user": [0, 0, 1], "item": [0, 0, 1]})
    y = np.array([1.0, 5.0, 3.0])
    est = MF(n_factors=2, max_iter=1, **FAST).fit(X, y)
    assert est.seen_[0, 0] == 3.0  # mean of the two ratings
    with pytest.raises(ValueError, match="duplicates"):
        MF(duplicates="error", **FAST).fit(X, y)


# ------------------------------------------------------------ real data
@pytest.mark.slow
def test_biased_mf_ml100k_rmse(shared_data):
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(shared_data / "ml-100k" / "u.data", sep="\t",
                     names=["user", "item", "rating", "timestamp"])
    train, test = train_test_split(df, test_size=0.1, random_state=0)
    est = MF(device="cpu", random_state=0).fit(train[["user", "item"]], train["rating"])
    pred = est.predict(test[["user", "item"]])
    rmse = float(np.sqrt(np.mean((pred - test["rating"].to_numpy()) ** 2)))
    assert rmse <= 0.910


def test_new_users_features_change_their_lists():
    """Two new users with the same history but different features get different scores."""
    data = make_interactions(n_users=60, n_items=30, n_interactions=900, random_state=8)
    X = data.X[["user", "item"]].merge(data.user_features[["user", "uf0"]], on="user")
    X = X.rename(columns={"uf0": "user__uf0"})
    y = data.y[: len(X)]
    est = MF(n_factors=4, side_features=True, max_iter=20, batch_size=64, lr=0.05, **FAST)
    est.fit(X, y)
    lo, hi = X["user__uf0"].min(), X["user__uf0"].max()
    items = X["item"].iloc[:3].to_numpy()
    hist = pd.DataFrame({"user": ["a"] * 3 + ["b"] * 3, "item": np.r_[items, items],
                         "user__uf0": [lo] * 3 + [hi] * 3})
    s = est.score_items(["a", "b"], history=hist, history_y=np.full(6, 4.0))
    assert np.abs(s[0] - s[1]).max() > 1e-3
    # The fold-in holds the feature term fixed: with the features' effect
    # removed (W = 0), the two users are the same.
    est.module_.user_feature_proj.weight.data.zero_()
    s = est.score_items(["a", "b"], history=hist, history_y=np.full(6, 4.0))
    np.testing.assert_allclose(s[0], s[1], rtol=1e-5)


def test_known_user_history_reaches_bprmf(planted):
    """A known user's extra history rows change their scores (they are folded in)."""
    X, _, _ = planted
    est = BPRMF(n_factors=8, max_iter=5, batch_size=256, **FAST).fit(X)
    u = est.user_ids_[0]
    unseen = np.setdiff1d(est.item_ids_, X["item"][X["user"] == u])[:4]
    base = est.score_items([u])
    extra = est.score_items([u], history=pd.DataFrame({"user": u, "item": unseen}))
    assert np.abs(base - extra).max() > 1e-4
    items, _ = est.recommend([u], k=10, history=pd.DataFrame({"user": u, "item": unseen}))
    assert not set(items[0]) & set(unseen)


# ------------------------------------------------------------ sparse_adam
def _two_steps(optimizer):
    """User rows after a step on users 0, 1 and a step on users 2, 3 only."""
    from skrec.factorization._modules import MFModule

    torch.manual_seed(0)
    module = MFModule(6, 5, 3, biases=False, user_bias=False)
    est = BPRMF(optimizer=optimizer, lr=0.1)
    opt = est._make_optimizer(module)
    seen = []
    for users in ([0, 1], [2, 3]):
        user = torch.tensor(users)
        scores, pen = module(user, torch.tensor([[0, 1], [2, 3]]))
        loss = torch.nn.functional.softplus(-(scores[:, 0] - scores[:, 1])).mean() + pen
        opt.zero_grad()
        loss.backward()
        opt.step()
        seen.append(module.user_factors.weight.detach().clone())
    return seen


def test_sparse_adam_updates_only_the_rows_a_batch_uses():
    after_first, after_second = _two_steps("sparse_adam")
    # Users 0 and 1 are not in the second batch: their rows do not move (lazy
    # Adam); users 4 and 5 are in no batch.
    assert torch.equal(after_first[:2], after_second[:2])
    assert not torch.equal(after_first[2:4], after_second[2:4])
    dense_first, dense_second = _two_steps("adam")
    # Dense Adam keeps moving rows 0 and 1 on their momentum: the difference.
    assert not torch.equal(dense_first[:2], dense_second[:2])


def test_sparse_adam_refuses_weight_decay_and_dense_parameters(planted):
    X, _, _ = planted
    with pytest.raises(ValueError, match="sparse_adam.*weight_decay"):
        BPRMF(optimizer="sparse_adam", weight_decay=1e-4, max_iter=1, **FAST).fit(X)
    from skrec.ncf import NCF

    with pytest.raises(ValueError, match="sparse_adam.*dense parameters"):
        NCF(optimizer="sparse_adam", max_iter=1, **FAST).fit(X)


def test_warm_start_switches_between_sparse_and_dense_adam(planted):
    X, _, _ = planted
    model = BPRMF(n_factors=4, max_iter=2, optimizer="sparse_adam", warm_start=True, **FAST)
    model.fit(X)
    assert model.module_.item_factors.sparse
    model.set_params(optimizer="adam").fit(X)  # dense Adam needs dense gradients again
    assert not model.module_.item_factors.sparse
    assert model.n_iter_ == 4
