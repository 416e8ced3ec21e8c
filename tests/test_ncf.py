"""The NCF family: GMF, MLP and NeuMF (He et al., 2017)."""

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import spearmanr

import skrec._torch._pairs as pairs
from skrec.baselines import Popularity
from skrec.datasets import make_checkerboard, make_interactions
from skrec.ncf import NCF
from skrec.ncf._modules import NCFModule

FAST = dict(device="cpu", random_state=0)
SMALL = dict(n_factors=8, layers=(16, 8), batch_size=64, lr=0.01, init_std=0.1, **FAST)


def _in_block_precision(model, data, k=5):
    users = np.arange(len(data.user_block))
    items, scores = model.recommend(users, k=k)
    hits = data.item_block[items.astype(np.int64)] == data.user_block[users][:, None]
    return float(hits[np.isfinite(scores)].mean())


@pytest.fixture(scope="module")
def checkerboard():
    return make_checkerboard(n_users=45, n_items=60, n_blocks=3, density=0.5, random_state=0)


@pytest.mark.parametrize("model", ["gmf", "mlp", "neumf"])
def test_known_answer_on_checkerboard(checkerboard, model):
    """Each model recommends the unseen items of the user's block; Popularity cannot."""
    data = checkerboard
    est = NCF(model, max_iter=30, **SMALL).fit(data.X)
    got = _in_block_precision(est, data)
    pop = _in_block_precision(Popularity().fit(data.X), data)
    assert got >= 0.9, (got, pop)
    assert got >= pop + 0.3, (got, pop)


def test_pretraining_inside_one_fit(checkerboard):
    data = checkerboard
    est = NCF("neumf", pretrain=True, pretrain_iter=15, max_iter=5, **SMALL).fit(data.X)
    assert set(est.pretrain_history_) == {"gmf", "mlp"}
    assert [len(h) for h in est.pretrain_history_.values()] == [15, 15]
    assert len(est.history_) == 5 and est.n_iter_ == 5
    assert _in_block_precision(est, data) >= 0.9
    again = NCF("neumf", pretrain=True, pretrain_iter=15, max_iter=5, **SMALL).fit(data.X)
    np.testing.assert_array_equal(est.score_items(est.user_ids_[:5]),
                                  again.score_items(est.user_ids_[:5]))
    # Ignored by the other models.
    assert not hasattr(NCF("gmf", pretrain=True, max_iter=2, **SMALL).fit(data.X),
                       "pretrain_history_")


def test_pretrained_neumf_is_the_alpha_mix_of_its_parts():
    """load_pretrained: NeuMF's score is 0.5 GMF + 0.5 MLP (the paper's alpha = 0.5)."""
    torch.manual_seed(0)
    kw = dict(n_factors=4, layers=(8, 6, 4))
    gmf = NCFModule(7, 9, model="gmf", **kw).eval()
    mlp = NCFModule(7, 9, model="mlp", **kw).eval()
    with torch.no_grad():  # non-trivial output layers
        gmf.output.bias.fill_(0.3)
        mlp.output.bias.fill_(-0.7)
        for m in (gmf, mlp):
            for p in m.parameters():
                p.add_(torch.randn_like(p) * 0.5)
    neumf = NCFModule(7, 9, model="neumf", **kw).eval()
    neumf.load_pretrained(gmf, mlp, alpha=0.5)
    u = torch.arange(7)
    i = torch.randint(0, 9, (7, 3))
    with torch.no_grad():
        want = 0.5 * gmf(u, i)[0] + 0.5 * mlp(u, i)[0]
        torch.testing.assert_close(neumf(u, i)[0], want)


def test_pretraining_failure_leaves_the_model_intact(checkerboard):
    X = checkerboard.X
    est = NCF("neumf", max_iter=2, **SMALL).fit(X)
    before = est.score_items(est.user_ids_[:4])
    est.set_params(pretrain=True, optimizer="sgd", lr=1e8)
    with pytest.raises(FloatingPointError):
        est.fit(X)
    assert not hasattr(est, "pretrain_history_")
    np.testing.assert_array_equal(est.score_items(est.user_ids_[:4]), before)


@pytest.mark.parametrize("model", ["gmf", "mlp", "neumf"])
def test_chunked_scoring_equals_unchunked(checkerboard, model, monkeypatch):
    est = NCF(model, max_iter=3, **SMALL).fit(checkerboard.X)
    users = est.user_ids_
    whole = est.score_items(users)
    cands = est.item_ids_[::3]
    whole_cands = est.score_items(users, candidates=cands)
    # A budget of a few pairs per chunk: many chunks of a handful of items.
    monkeypatch.setattr(pairs, "_SCORES_PER_CHUNK", 3 * len(users) * est.module_.hidden_width)
    np.testing.assert_allclose(est.score_items(users), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.score_items(users, candidates=cands), whole_cands,
                               rtol=1e-5, atol=1e-6)
    # The per-pair path (predict) agrees with the broadcast catalog path.
    grid = pd.DataFrame({"user": np.repeat(users[:5], len(est.item_ids_)),
                         "item": np.tile(est.item_ids_, 5)})
    np.testing.assert_allclose(est.predict(grid).reshape(5, -1), whole[:5], rtol=1e-5,
                               atol=1e-6)


def test_chunk_budget_bounds_the_activations(checkerboard, monkeypatch):
    """No module call at scoring time sees more than the budget of pairs x hidden width."""
    est = NCF("neumf", max_iter=1, **SMALL).fit(checkerboard.X)
    budget = 4 * est.module_.hidden_width * 10
    monkeypatch.setattr(pairs, "_SCORES_PER_CHUNK", budget)
    seen = []
    forward = NCFModule.forward

    def spy(self, user, item=None):
        seen.append(item.numel())
        return forward(self, user, item)

    monkeypatch.setattr(NCFModule, "forward", spy)
    est.score_items(est.user_ids_[:10])
    assert len(seen) > 1
    assert max(seen) * est.module_.hidden_width <= budget


def test_explicit_mode_predicts_ratings():
    data = make_interactions(n_users=150, n_items=60, n_interactions=3000, rating_noise=0.3,
                             random_state=2)
    X = data.X[["user", "item"]]
    test = np.random.RandomState(0).rand(len(X)) < 0.2
    est = NCF("neumf", loss="mse", max_iter=30, n_factors=8, layers=(16, 8), batch_size=128,
              lr=0.01, **FAST).fit(X[~test], data.y[~test])
    assert est.__skrec_tags__().feedback == "explicit"
    pred = est.predict(X[test])
    rmse = np.sqrt(np.mean((pred - data.y[test]) ** 2))
    rmse_mean = np.sqrt(np.mean((data.y[~test].mean() - data.y[test]) ** 2))
    assert rmse < 0.9 * rmse_mean, (rmse, rmse_mean)
    assert pred.min() >= data.y.min() and pred.max() <= data.y.max()
    with pytest.raises(ValueError, match="y"):
        NCF(loss="mse", **FAST).fit(X, None)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"layers": (64, 0, 8)}, "layers"),
        ({"layers": (64, -32)}, "layers"),
        ({"layers": ()}, "layers"),
        ({"layers": (16.0, 8)}, "layers"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"n_factors": 0}, "n_factors"),
        ({"model": "deep"}, "model"),
        ({"loss": "hinge"}, "loss"),
        ({"pretrain_iter": 0}, "pretrain_iter"),
        ({"layers": (15, 8)}, "even"),
    ],
)
def test_bad_parameters(checkerboard, params, match):
    with pytest.raises(ValueError, match=match):
        NCF(max_iter=1, **{**SMALL, **params}).fit(checkerboard.X)


def test_divergence_is_reported(checkerboard):
    est = NCF("neumf", optimizer="sgd", lr=1e8, max_iter=5, **FAST)
    with pytest.raises(FloatingPointError, match="learning rate"):
        est.fit(checkerboard.X)
    assert not hasattr(est, "module_")


def test_more_negatives_than_unseen_items():
    """Sampling is with replacement from the whole catalog: nothing fails."""
    X = pd.DataFrame({"user": [0, 0, 0, 1, 1, 2], "item": [0, 1, 2, 0, 3, 3]})
    est = NCF("gmf", n_negatives=50, max_iter=3, **SMALL).fit(X)
    items, scores = est.recommend([0], k=3)
    assert np.isfinite(scores[0, 0]) and items[0, 0] == 3


@pytest.fixture(scope="module")
def planted():
    data = make_interactions(n_users=120, n_items=60, n_interactions=2400, signal=6.0,
                             popularity_exponent=0.5, random_state=1)
    return data.X[["user", "item"]].reset_index(drop=True)


@pytest.mark.parametrize("model", ["gmf", "mlp", "neumf"])
def test_fold_in_ranks_like_the_refitted_user(planted, model):
    """A new user with a trained user's history ranks close to that user."""
    X = planted
    est = NCF(model, max_iter=30, n_factors=8, layers=(16, 8), batch_size=256, lr=0.01,
              **FAST).fit(X)
    assert est._user_param_names == {"gmf": ("gmf_user.weight",),
                                     "mlp": ("mlp_user.weight",),
                                     "neumf": ("gmf_user.weight", "mlp_user.weight")}[model]
    corr = []
    for u in est.user_ids_[:6]:
        hist = pd.DataFrame({"user": "__new__", "item": X["item"][X["user"] == u].to_numpy()})
        s = est.score_items(np.array(["__new__", u], dtype=object), history=hist)
        corr.append(spearmanr(s[0], s[1])[0])
    assert np.mean(corr) > 0.6, corr
    # Folding a user in does not move the trained model.
    before = est.score_items(est.user_ids_[:3])
    one = pd.DataFrame({"user": ["__x__"], "item": [X["item"].iloc[0]]})
    est.score_items(["__x__"], history=one)
    np.testing.assert_array_equal(est.score_items(est.user_ids_[:3]), before)


def test_dropout_only_in_training(checkerboard):
    est = NCF("mlp", dropout=0.5, max_iter=3, **SMALL).fit(checkerboard.X)
    a = est.score_items(est.user_ids_[:3])
    b = est.score_items(est.user_ids_[:3])
    np.testing.assert_array_equal(a, b)
    assert not est.module_.training


def test_reg_shrinks_the_embeddings(checkerboard):
    X = checkerboard.X
    free = NCF("neumf", max_iter=5, **SMALL).fit(X)
    assert free.module_.penalty is False  # reg=0: no norms computed
    tied = NCF("neumf", max_iter=5, reg=0.5, **SMALL).fit(X)
    for name in ("gmf_user", "gmf_item", "mlp_user", "mlp_item"):
        a = getattr(free.module_, name).weight.detach().norm()
        b = getattr(tied.module_, name).weight.detach().norm()
        assert b < a, name


def test_bpr_loss(checkerboard):
    data = checkerboard
    est = NCF("neumf", loss="bpr", max_iter=30, **SMALL).fit(data.X)
    assert est.__skrec_tags__().feedback == "implicit"
    assert _in_block_precision(est, data) >= 0.9


def test_warm_start_after_pretraining_does_not_pretrain_again(checkerboard):
    X = checkerboard.X
    est = NCF("neumf", pretrain=True, pretrain_iter=2, max_iter=2, warm_start=True,
              **SMALL).fit(X)
    first = est.pretrain_history_
    est.fit(X)
    assert est.n_iter_ == 4
    assert est.pretrain_history_ is first
    est.set_params(warm_start=False, pretrain=False).fit(X)
    assert not hasattr(est, "pretrain_history_")
