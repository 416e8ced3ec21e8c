"""The neural and dropout-linear autoencoders, and the user-row base they share."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy.stats import spearmanr
from torch import nn

from skrec._torch import UserRowRecommender
from skrec._torch import _rows as rows_mod
from skrec.autoencoders import CDAE, DLAE, EASE, EDLAE, RBM, AutoRec, MultDAE, MultVAE
from skrec.baselines import Popularity
from skrec.datasets import make_checkerboard, make_interactions
from skrec.utils.estimator_checks import _planted_split, check_recommender

FAST = dict(device="cpu", random_state=0)
SMALL = {
    "MultVAE": lambda: MultVAE(hidden_dims=(32,), latent_dim=16, max_iter=60, batch_size=16,
                               lr=1e-2, total_anneal_steps=100, **FAST),
    "MultDAE": lambda: MultDAE(hidden_dims=(32,), latent_dim=16, max_iter=60, batch_size=16,
                               lr=1e-2, **FAST),
    "CDAE": lambda: CDAE(n_factors=16, max_iter=60, batch_size=16, lr=1e-2, **FAST),
    "EDLAE": lambda: EDLAE(p=0.25, reg=10.0, device="cpu"),
    "DLAE": lambda: DLAE(p=0.25, reg=10.0, device="cpu"),
    "U-AutoRec": lambda: AutoRec(kind="user", n_factors=16, max_iter=60, batch_size=8,
                                 lr=1e-2, reg=1.0, **FAST),
    "I-AutoRec": lambda: AutoRec(kind="item", n_factors=16, max_iter=60, batch_size=8,
                                 lr=1e-2, reg=1.0, **FAST),
    "RBM": lambda: RBM(n_factors=32, max_iter=100, batch_size=64, lr=5e-2, **FAST),
}
ENCODERS = ["MultVAE", "MultDAE", "CDAE", "U-AutoRec", "I-AutoRec", "RBM"]


def _in_block_precision(model, data, users, k=5):
    items, scores = model.recommend(users, k=k)
    items = items.astype(np.int64)
    hits = data.item_block[items] == data.user_block[users][:, None]
    return float(hits[np.isfinite(scores)].mean())


@pytest.mark.parametrize("name", list(SMALL))
def test_planted_blocks_beat_popularity(name):
    X, y, data = _planted_split(seed=1)
    model = SMALL[name]()
    explicit = isinstance(model, (AutoRec, RBM))
    model.fit(X, y if explicit else None)
    users = np.arange(36)
    p_model = _in_block_precision(model, data, users)
    p_pop = _in_block_precision(Popularity().fit(X), data, users)
    assert p_model >= p_pop + 0.3, (p_model, p_pop)
    assert p_model >= 0.6  # at most 0.8: 4 unseen in-block items per user


@pytest.mark.parametrize("name", ENCODERS)
def test_fold_in_by_encoding_matches_trained_user(name):
    X, y, data = _planted_split(seed=2)
    model = SMALL[name]()
    explicit = isinstance(model, (AutoRec, RBM))
    model.fit(X, y if explicit else None)
    rhos = []
    for u in (0, 13, 30):
        rows = X[X["user"] == u]
        hist = pd.DataFrame({"user": "__new__", "item": rows["item"].to_numpy()})
        hy = y[X["user"].to_numpy() == u] if explicit else None
        new = model.score_items(["__new__"], history=hist, history_y=hy, on_unknown="error")
        own = model.score_items([u])
        rhos.append(spearmanr(new[0], own[0]).statistic)
    assert min(rhos) > 0.7, rhos


def test_multvae_kl_weight_follows_the_anneal_schedule():
    seen = []

    class Recording(MultVAE):
        def _batch_loss(self, module, batch):
            seen.append((self.global_step_, self._kl_weight(self.global_step_)))
            return super()._batch_loss(module, batch)

    data = make_interactions(n_users=64, n_items=30, random_state=0)
    model = Recording(hidden_dims=(16,), latent_dim=8, max_iter=6, batch_size=16,
                      beta_max=0.2, total_anneal_steps=40, **FAST).fit(data.X)
    steps = [s for s, _ in seen]
    assert steps == list(range(len(steps)))  # one optimizer step per batch, in order
    assert len(steps) == 6 * 4 == model.global_step_
    for step, beta in seen:
        assert beta == pytest.approx(min(0.2, step / 40))
    assert model.beta_ == pytest.approx(min(0.2, 24 / 40))
    assert MultVAE(total_anneal_steps=0, beta_max=0.3)._kl_weight(5) == 0.3


def test_multvae_encodes_mu_at_scoring():
    data = make_interactions(n_users=40, n_items=20, random_state=0)
    model = MultVAE(hidden_dims=(16,), latent_dim=8, max_iter=3, **FAST).fit(data.X)
    users = model.user_ids_[:5]
    np.testing.assert_array_equal(model.score_items(users), model.score_items(users))


@pytest.mark.parametrize("kind", ["item", "user"])
def test_autorec_rmse_below_global_mean(kind):
    data = make_interactions(n_users=150, n_items=60, n_interactions=4000, signal=4.0,
                             random_state=0)
    X = data.X[["user", "item"]].reset_index(drop=True)
    y = np.asarray(data.y, dtype=float)
    rng = np.random.RandomState(0)
    test = rng.rand(len(X)) < 0.15
    model = AutoRec(kind=kind, n_factors=32, max_iter=80, batch_size=16, lr=1e-2, reg=5.0,
                    **FAST).fit(X[~test], y[~test])
    pred = model.predict(X[test])
    rmse = np.sqrt(np.mean((pred - y[test]) ** 2))
    base = np.sqrt(np.mean((y[~test].mean() - y[test]) ** 2))
    assert rmse < 0.9 * base, (rmse, base)
    assert pred.min() >= y[~test].min() and pred.max() <= y[~test].max()


def test_rbm_rmse_below_global_mean_and_rating_values():
    data = make_interactions(n_users=150, n_items=60, n_interactions=4000, signal=4.0,
                             random_state=0)
    X = data.X[["user", "item"]].reset_index(drop=True)
    y = np.asarray(data.y, dtype=float)
    test = np.random.RandomState(0).rand(len(X)) < 0.15
    model = RBM(n_factors=32, max_iter=40, batch_size=16, lr=1e-2, **FAST).fit(X[~test], y[~test])
    np.testing.assert_array_equal(model.rating_values_, np.unique(y[~test]))
    pred = model.predict(X[test])
    rmse = np.sqrt(np.mean((pred - y[test]) ** 2))
    base = np.sqrt(np.mean((y[~test].mean() - y[test]) ** 2))
    assert rmse < 0.9 * base, (rmse, base)
    cont = RBM(n_factors=4, max_iter=2, **FAST).fit(X, np.linspace(0, 5, len(X)))
    assert len(cont.rating_values_) == 20 and cont.rating_values_[0] == 0.0


@pytest.mark.parametrize("make", [
    lambda: RBM(n_factors=8, max_iter=3, early_stopping=True, **FAST),
    lambda: AutoRec(n_factors=8, max_iter=3, early_stopping=True, **FAST),
])
def test_explicit_models_early_stopping_monitors_held_out_ratings(make):
    data = make_interactions(n_users=60, n_items=30, n_interactions=900, random_state=0)
    model = make().fit(data.X[["user", "item"]], data.y)
    vals = [h["val_loss"] for h in model.history_]
    assert all(v is not None and np.isfinite(v) and v >= 0 for v in vals)


def test_autorec_refuses_history_without_ratings():
    data = make_interactions(n_users=30, n_items=20, random_state=0)
    model = AutoRec(n_factors=8, max_iter=2, **FAST).fit(data.X[["user", "item"]], data.y)
    hist = pd.DataFrame({"user": ["__new__"], "item": [model.item_ids_[0]]})
    with pytest.raises(ValueError, match="history_y"):
        model.recommend(["__new__"], history=hist)


# ------------------------------------------------------------ linear (DLAE/EDLAE)
def _gram(model):
    X = model.seen_.toarray()
    return X.T @ X


def test_edlae_with_no_dropout_is_ease():
    data = make_interactions(n_users=60, n_items=25, random_state=0)
    a = EDLAE(p=0.0, reg=7.0, device="cpu", dtype="float64").fit(data.X)
    b = EASE(reg=7.0, device="cpu", dtype="float64").fit(data.X)
    np.testing.assert_allclose(a.B_, b.B_, atol=1e-12)


def test_edlae_closed_form_and_zero_diagonal():
    data = make_interactions(n_users=60, n_items=25, random_state=0)
    model = EDLAE(p=0.3, reg=2.0, device="cpu", dtype="float64").fit(data.X)
    G = _gram(model)
    lam = 0.3 / 0.7 * np.diag(G) + 2.0
    P = np.linalg.inv(G + np.diag(lam))
    # The Lagrangian solution: B = I - P diag(1 / diag(P)) minimizes
    # ||X - XB||^2 + ||Lambda^1/2 B||^2 subject to diag(B) = 0.
    expected = np.eye(len(G)) - P / np.diag(P)
    np.testing.assert_allclose(model.B_, expected, atol=1e-10)
    assert np.all(model.B_.diagonal() == 0)
    # Stationarity off the diagonal: (G + Lambda) B - G is diagonal.
    R = (G + np.diag(lam)) @ model.B_ - G
    np.testing.assert_allclose(R - np.diag(np.diag(R)), 0, atol=1e-8)


def test_dlae_closed_form_and_limits():
    data = make_interactions(n_users=60, n_items=25, random_state=0)
    G = None
    for p, reg in [(0.4, 3.0), (0.0, 3.0)]:
        model = DLAE(p=p, reg=reg, device="cpu", dtype="float64").fit(data.X)
        G = _gram(model)
        lam = p / (1 - p) * np.diag(G) + reg
        np.testing.assert_allclose(model.B_, np.linalg.solve(G + np.diag(lam), G), atol=1e-10)
    # p -> 0, reg -> 0: the unregularized solution, the identity (G has full rank here).
    assert np.linalg.matrix_rank(G) == len(G)
    near = DLAE(p=1e-8, reg=1e-8, device="cpu", dtype="float64").fit(data.X)
    np.testing.assert_allclose(near.B_, np.eye(len(G)), atol=1e-5)
    # Dropout shrinks popular items' rows most: more shrinkage than the ridge alone.
    ridge = DLAE(p=0.0, reg=3.0, device="cpu", dtype="float64").fit(data.X)
    drop = DLAE(p=0.4, reg=3.0, device="cpu", dtype="float64").fit(data.X)
    assert np.trace(drop.B_) < np.trace(ridge.B_)


@pytest.mark.parametrize("cls", [DLAE, EDLAE])
def test_dropout_parameter_is_validated(cls):
    data = make_interactions(n_users=20, n_items=10, random_state=0)
    with pytest.raises(ValueError, match="p"):
        cls(p=1.0, device="cpu").fit(data.X)


@pytest.mark.parametrize("make", [
    lambda: MultVAE(hidden_dims=(0,), device="cpu"),
    lambda: MultDAE(dropout=1.0, device="cpu"),
    lambda: CDAE(n_factors=0, device="cpu"),
    lambda: AutoRec(hidden_activation="softmax", device="cpu"),
])
def test_bad_parameters(make):
    data = make_interactions(n_users=20, n_items=10, random_state=0)
    with pytest.raises(ValueError):
        make().fit(data.X[["user", "item"]], data.y)


# ------------------------------------------------------------------- the base
def test_scoring_encodes_in_bounded_batches(monkeypatch):
    data = make_interactions(n_users=90, n_items=30, random_state=0)
    model = MultDAE(hidden_dims=(16,), latent_dim=8, max_iter=3, **FAST).fit(data.X)
    users = model.user_ids_
    ref = model.score_items(users)
    shapes = []
    forward = type(model.module_).forward

    def spy(self, x, users=None):
        shapes.append(tuple(x.shape))
        return forward(self, x, users)

    monkeypatch.setattr(type(model.module_), "forward", spy)
    monkeypatch.setattr(rows_mod, "_ENTRIES_PER_BATCH", 30 * 7)  # 7 rows at a time
    got = model.score_items(users)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    assert shapes and max(s[0] for s in shapes) <= 7
    assert sum(s[0] for s in shapes) == len(users)
    assert all(s[1] == model.n_items_ for s in shapes)


def test_dense_rows_gathers_csr_rows():
    m = sp.random(12, 9, density=0.3, random_state=0, format="csr")
    csr = rows_mod._CSRTensors(m, torch.device("cpu"))
    rows = torch.tensor([3, 0, 11, 3])
    got = rows_mod.dense_rows(csr, rows).numpy()
    np.testing.assert_allclose(got, m.toarray()[[3, 0, 11, 3]].astype(np.float32))
    pattern = rows_mod.dense_rows(csr, rows, values=False).numpy()
    np.testing.assert_array_equal(pattern, (m.toarray()[[3, 0, 11, 3]] != 0).astype(np.float32))


def test_sparse_rows_gathers_csr_rows():
    m = sp.random(12, 9, density=0.3, random_state=0, format="csr")
    m = sp.csr_matrix(sp.diags((np.arange(12) != 5).astype(float)) @ m)  # row 5 empty
    m.eliminate_zeros()
    csr = rows_mod._CSRTensors(m, torch.device("cpu"))
    rows = torch.tensor([3, 5, 0, 11, 3])
    got = rows_mod.sparse_rows(csr, rows)
    want = m.toarray()[[3, 5, 0, 11, 3]].astype(np.float32)
    assert got.shape == want.shape and len(got) == 5
    np.testing.assert_allclose(got.to_dense().numpy(), want)
    lengths = (want != 0).sum(1)
    np.testing.assert_array_equal(got.offsets.numpy(), np.r_[0, np.cumsum(lengths)[:-1]])
    np.testing.assert_array_equal(got.owner.numpy(), np.repeat(np.arange(5), lengths))
    norm = got.row_normalized().to_dense().numpy()
    scale = np.linalg.norm(want, axis=1, keepdims=True)
    np.testing.assert_allclose(norm, want / np.maximum(scale, 1e-12), rtol=1e-6)
    assert rows_mod.sparse_rows(csr, rows, torch.float64).values.dtype == torch.float64


class _DenseInput:
    _sparse_input = False


@pytest.mark.parametrize("cls", [MultVAE, MultDAE])
def test_mult_sparse_input_equals_dense_input(cls):
    """The stored-entries path gives the dense path's forward, loss and gradients."""
    data = make_interactions(n_users=40, n_items=25, random_state=0)
    model = cls(hidden_dims=(16,), latent_dim=8, dropout=0.0, max_iter=2, **FAST).fit(data.X)
    assert model._sparse_input
    m = sp.csr_array(model.seen_, dtype=np.float32)
    m = sp.vstack([m[:6], sp.csr_array((1, m.shape[1]), dtype=np.float32)]).tocsr()
    m.data[:] = np.arange(1, m.nnz + 1) % 3 + 1.0  # values other than 1 matter too
    csr = rows_mod._CSRTensors(m, torch.device("cpu"))
    rows = torch.arange(m.shape[0])
    sparse, dense = rows_mod.sparse_rows(csr, rows), rows_mod.dense_rows(csr, rows)
    module = model.module_
    outputs = {}
    for name, x in (("sparse", sparse), ("dense", dense)):
        module.train()  # dropout=0; the VAE's noise is drawn from the same seed
        module.zero_grad()
        torch.manual_seed(3)
        loss = model._batch_loss(module, {"row": rows, "x": x, "target": x})
        loss.backward()
        module.eval()
        with torch.no_grad():
            scores = module(x)[0]
        grads = [p.grad.clone() for p in module.parameters()]
        outputs[name] = (loss.detach(), scores, grads)
    (ls, ss, gs), (ld, sd, gd) = outputs["sparse"], outputs["dense"]
    torch.testing.assert_close(ls, ld, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ss, sd, rtol=1e-5, atol=1e-6)
    for a, b in zip(gs, gd):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    # The estimator scores through the sparse path: the same as a dense-input twin.
    twin = type("DenseTwin", (_DenseInput, cls), {})(**model.get_params())
    twin.__dict__.update(model.__dict__)  # the same fitted state
    np.testing.assert_allclose(model.score_items(model.user_ids_[:10]),
                               twin.score_items(model.user_ids_[:10]), rtol=1e-5, atol=1e-6)


def test_mult_sparse_dropout_drops_stored_entries_only():
    data = make_interactions(n_users=60, n_items=40, random_state=0)
    model = MultDAE(hidden_dims=(8,), latent_dim=4, dropout=0.4, max_iter=1, **FAST).fit(data.X)
    csr = rows_mod._CSRTensors(model.seen_, torch.device("cpu"))
    x = rows_mod.sparse_rows(csr, torch.arange(60))
    seen = []
    first = model.module_.encoder[0]
    handle = first.register_forward_pre_hook(lambda mod, args: seen.append(args[0]))
    module = model.module_.train()
    torch.manual_seed(0)
    module(x)
    handle.remove()
    (h,) = seen
    assert isinstance(h, rows_mod.SparseRows)
    torch.testing.assert_close(h.indices, x.indices)  # zeros stay zero, entries stay put
    kept = h.values != 0
    torch.testing.assert_close(h.values[kept], x.row_normalized().values[kept] / 0.6)
    assert 0.5 < float(kept.float().mean()) < 0.7  # each kept with probability 0.6


def test_mult_dense_input_path_still_fits():
    X, _, data = _planted_split(seed=1)
    dense = type("DenseMultDAE", (_DenseInput, MultDAE), {})(
        hidden_dims=(32,), latent_dim=16, max_iter=60, batch_size=16, lr=1e-2, **FAST).fit(X)
    assert not dense._sparse_input
    assert _in_block_precision(dense, data, np.arange(36)) >= 0.6


def test_holdout_is_items_within_users():
    data = make_checkerboard(n_users=30, n_items=20, density=0.8, random_state=0)
    model = MultDAE(hidden_dims=(8,), latent_dim=4, max_iter=4, early_stopping=True,
                    validation_fraction=0.25, **FAST)
    captured = {}
    split = UserRowRecommender._split_holdout

    def spy(self, rows, rng):
        out = split(self, rows, rng)
        captured["keep"] = self._input_csr
        captured["held"] = self._val_csr
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(UserRowRecommender, "_split_holdout", spy)
        model.fit(data.X)
    idx = torch.arange(30)
    keep = rows_mod.dense_rows(captured["keep"], idx).numpy()
    held = rows_mod.dense_rows(captured["held"], idx).numpy()
    full = model.seen_.toarray()
    np.testing.assert_array_equal(keep + held, full)  # a partition of each user's items
    assert not (keep * held).any()
    assert (keep.sum(1) >= 1).all()  # every user keeps an input item
    assert held.sum() > 0.15 * full.sum()
    assert all(h["val_loss"] is not None for h in model.history_)
    assert not hasattr(model, "_input_csr")  # training buffers are not fitted state


# ----------------------------------------------- a toy model through the base
class _ToyModule(nn.Module):
    def __init__(self, n_items, k):
        super().__init__()
        self.enc = nn.Linear(n_items, k, bias=False)
        self.dec = nn.Linear(k, n_items)

    def forward(self, x, users=None):
        return self.dec(self.enc(x)), None


class ToyLinearAE(UserRowRecommender):
    """A tiny linear autoencoder with a softmax likelihood, to test the base."""

    def __init__(self, n_factors=8, *, max_iter=40, batch_size=16, lr=0.05, weight_decay=0.0,
                 optimizer="adam", lr_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=50, tol=1e-4, warm_start=False,
                 device="cpu", random_state=None, verbose=0):
        self.n_factors = n_factors
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _build_module(self, data):
        return _ToyModule(data.n_items, self.n_factors)

    def _batch_loss(self, module, batch):
        logits, _ = module(batch["x"])
        return -(torch.log_softmax(logits, 1) * batch["target"]).sum(1).mean()


def test_toy_user_row_model_fits_scores_history_and_pickles():
    data = make_checkerboard(n_users=30, n_items=24, n_blocks=3, density=0.6, random_state=0)
    model = ToyLinearAE(random_state=0).fit(data.X)
    users = np.arange(30)
    assert _in_block_precision(model, data, users, k=3) > 0.8  # 3 unseen in-block items
    hist = pd.DataFrame({"user": "__new__", "item": data.X.loc[data.X.user == 0, "item"]})
    items, _ = model.recommend(["__new__"], k=3, history=hist, on_unknown="error")
    assert set(data.item_block[items[0].astype(int)]) == {data.user_block[0]}
    clone = pickle.loads(pickle.dumps(model))
    a, b = model.recommend(users, k=5), clone.recommend(users, k=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_toy_user_row_model_passes_the_common_checks():
    check_recommender(ToyLinearAE(random_state=0))
