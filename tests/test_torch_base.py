"""The torch training engine: loop, seeding, early stopping, pickling, hooks."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from skrec._torch import FunctionalModule, NegativeSampler, TorchRecommender, user_holdout_mask
from skrec.base import RecommenderTags
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import MF

CUDA = torch.cuda.is_available()


@pytest.fixture(scope="module")
def ratings():
    data = make_interactions(n_users=40, n_items=25, n_interactions=400, random_state=0)
    return data.X[["user", "item"]], data.y


def _mf(**kw):
    params = dict(n_factors=8, max_iter=8, batch_size=64, lr=0.05, device="cpu", random_state=0)
    params.update(kw)
    return MF(**params)


# ------------------------------------------------------------ the loop
def test_history_and_n_iter(ratings):
    X, y = ratings
    est = _mf(max_iter=6, tol=0.0, n_iter_no_change=100).fit(X, y)
    assert est.n_iter_ == 6 == len(est.history_)
    assert [h["epoch"] for h in est.history_] == list(range(1, 7))
    assert set(est.history_[0]) == {"epoch", "train_loss", "val_loss", "time"}
    assert est.history_[0]["val_loss"] is None
    losses = [h["train_loss"] for h in est.history_]
    assert losses[-1] < losses[0]
    assert est.best_epoch_ == 6


def test_stops_on_training_plateau(ratings):
    X, y = ratings
    # A huge tol makes every epoch a "no improvement" epoch after the first.
    est = _mf(max_iter=50, tol=1e6, n_iter_no_change=2, lr_schedule="constant").fit(X, y)
    assert est.n_iter_ == 3


def test_early_stopping_restores_best_weights(ratings):
    X, y = ratings
    # No penalty, many factors and a high rate: the holdout loss rises after a while.
    est = _mf(n_factors=32, reg=0.0, lr=0.1, max_iter=60, lr_schedule="constant",
              early_stopping=True, validation_fraction=0.2, n_iter_no_change=4, random_state=3)
    est.fit(X, y)
    vals = np.array([h["val_loss"] for h in est.history_])
    assert np.isfinite(vals).all()
    assert est.n_iter_ < 60, "the validation loss should have stopped improving"
    assert est.best_epoch_ == int(np.argmin(vals)) + 1
    assert vals[-1] > vals.min()
    # Recompute the loss on the same holdout: it equals the best epoch's, not the last.
    user = est._user_index.get_indexer(X["user"])
    item = est._item_index.get_indexer(X["item"])
    mask = user_holdout_mask(user, 0.2, np.random.RandomState(3))
    batch = {
        "user": torch.as_tensor(user[mask]),
        "item": torch.as_tensor(item[mask]),
        "y": torch.as_tensor(y[mask], dtype=torch.float32),
    }
    with torch.no_grad():
        loss = float(est._batch_loss(est.module_, batch))
    assert loss == pytest.approx(vals.min(), rel=1e-4)
    assert loss < vals[-1]


def test_early_stopping_without_holdout_rows():
    X = pd.DataFrame({"user": [0, 1, 2], "item": [0, 1, 2]})
    with pytest.raises(ValueError, match="validation_fraction"):
        _mf(early_stopping=True).fit(X, np.array([1.0, 2.0, 3.0]))


def test_warm_start_continues(ratings):
    X, y = ratings
    kw = dict(max_iter=3, tol=0.0, lr_schedule="constant")
    est = _mf(warm_start=True, **kw).fit(X, y)
    first = est.module_.user_factors.weight.detach().clone()
    loss_3 = est.history_[-1]["train_loss"]
    est.fit(X, y)
    assert est.n_iter_ == 6 and len(est.history_) == 6
    assert est.history_[-1]["train_loss"] < loss_3
    assert not torch.equal(first, est.module_.user_factors.weight)
    cold = _mf(**kw).fit(X, y)
    cold.fit(X, y)  # without warm_start a refit starts over
    assert cold.n_iter_ == 3


def test_warm_start_with_other_ids_starts_over(ratings):
    X, y = ratings
    est = _mf(warm_start=True, max_iter=2, tol=0.0).fit(X, y)
    X2 = X.assign(user=X["user"].astype(str) + "x")
    with pytest.warns(UserWarning, match="warm_start"):
        est.fit(X2, y)
    assert est.n_iter_ == 2


def test_diverging_fit_raises(ratings):
    X, y = ratings
    est = _mf(optimizer="sgd", lr=1e8, reg=0.0, max_iter=5)
    with pytest.raises(FloatingPointError, match="lower learning rate"):
        est.fit(X, y)
    assert not hasattr(est, "module_"), "no NaN model may be left behind"


def test_diverging_warm_start_keeps_previous_weights(ratings):
    X, y = ratings
    est = _mf(warm_start=True, max_iter=2).fit(X, y)
    before = est.predict(X)
    est.set_params(optimizer="sgd", lr=1e8, reg=0.0)
    with pytest.raises(FloatingPointError):
        est.fit(X, y)
    np.testing.assert_allclose(est.predict(X), before)


def test_seed_determinism_and_global_rng_untouched(ratings):
    X, y = ratings
    torch.manual_seed(123)
    np.random.seed(5)  # noqa: NPY002 - the legacy global state is what must stay untouched
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()  # noqa: NPY002
    a = _mf(loss="bce", random_state=11).fit(X)
    b = _mf(loss="bce", random_state=11).fit(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)  # noqa: NPY002
    for name, value in a.module_.state_dict().items():
        assert torch.equal(value, b.module_.state_dict()[name]), name
    c = _mf(loss="bce", random_state=12).fit(X)
    assert not torch.equal(a.module_.user_factors.weight, c.module_.user_factors.weight)


@pytest.mark.skipif(CUDA, reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error(ratings):
    X, y = ratings
    with pytest.raises(ValueError, match="device"):
        _mf(device="cuda").fit(X, y)


def test_bad_device_values(ratings):
    X, y = ratings
    with pytest.raises(ValueError, match="device"):
        _mf(device="tpu").fit(X, y)
    with pytest.raises(TypeError):
        _mf(device=3).fit(X, y)


def test_verbose_progress_bar(ratings, capsys):
    X, y = ratings
    _mf(verbose=1, max_iter=2).fit(X, y)
    err = capsys.readouterr().err
    assert "MF" in err and "epoch" in err


# ------------------------------------------------------------ pickling
def test_pickle_stores_cpu_copy(ratings):
    X, y = ratings
    est = _mf().fit(X, y)
    state = est.__getstate__()
    stored = state["module_"]
    assert stored is not est.module_
    assert all(p.device.type == "cpu" for p in stored.parameters())
    assert stored.user_factors.weight.data_ptr() != est.module_.user_factors.weight.data_ptr()
    implicit = _mf(loss="bce").fit(X)
    assert implicit.__getstate__()["_sampler"].probs.device.type == "cpu"
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))


def test_cuda_trained_model_loads_on_cpu_with_warning(ratings, monkeypatch):
    X, y = ratings
    est = _mf().fit(X, y)
    state = est.__getstate__()
    state["device_"] = torch.device("cuda", 0)  # as if trained on a GPU
    monkeypatch.setattr("skrec.utils._torch.cuda_available", lambda: False)
    loaded = MF.__new__(MF)
    with pytest.warns(UserWarning, match="not available here"):
        loaded.__setstate__(state)
    assert loaded.device_ == torch.device("cpu")
    np.testing.assert_allclose(loaded.predict(X), est.predict(X))


def test_cpu_model_loads_without_warning(ratings):
    X, y = ratings
    blob = pickle.dumps(_mf().fit(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(blob)


@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_cuda_fit_scores_and_pickle(ratings):  # pragma: no cover - GPU only
    X, y = ratings
    est = _mf(device="cuda").fit(X, y)
    assert est.device_.type == "cuda"
    assert est.module_.user_factors.weight.is_cuda
    assert est.__sklearn_tags__().non_deterministic
    back = pickle.loads(pickle.dumps(est))
    assert back.module_.user_factors.weight.is_cuda
    np.testing.assert_allclose(back.predict(X), est.predict(X), rtol=1e-6)


# ------------------------------------------------------------ samplers
def test_negative_samplers():
    counts = np.array([0, 1, 16, 81])
    sampler = NegativeSampler(4, "popularity", counts=counts)
    expected = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(sampler.probs.numpy(), expected, rtol=1e-6)
    g = torch.Generator().manual_seed(0)
    draws = sampler.sample((200_000,), g).numpy()
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, expected, atol=0.005)
    assert freq[0] == 0
    uni = NegativeSampler(7, "uniform")
    d1 = uni.sample((5, 3), torch.Generator().manual_seed(1))
    d2 = uni.sample((5, 3), torch.Generator().manual_seed(1))
    assert d1.shape == (5, 3) and torch.equal(d1, d2)
    assert int(d1.min()) >= 0 and int(d1.max()) < 7
    with pytest.raises(ValueError, match="sampler"):
        NegativeSampler(3, "zipf")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=80),
    st.floats(0.05, 0.95),
    st.integers(0, 2**31 - 1),
)
def test_user_holdout_mask_properties(users, fraction, seed):
    user = np.array(users)
    mask = user_holdout_mask(user, fraction, np.random.RandomState(seed))
    for u in np.unique(user):
        rows = user == u
        n_out = int(mask[rows].sum())
        assert n_out <= rows.sum() - 1  # every user keeps a training row
        lo = int(np.floor(fraction * rows.sum()))
        assert n_out in (min(lo, rows.sum() - 1), min(lo + 1, rows.sum() - 1))


# ----------------------------------------------- MAML-readiness (hooks)
def test_functional_inner_step_on_mf_loss(ratings):
    """One MAML-style inner step: torch.func.grad on the user's parameters only."""
    X, y = ratings
    est = _mf(max_iter=3).fit(X, y)
    module = est.module_
    user = 0
    rows = np.flatnonzero(est._user_index.get_indexer(X["user"]) == user)
    items = est._item_index.get_indexer(X["item"])[rows]
    half = len(rows) // 2
    batch = lambda sl: {  # noqa: E731
        "user": torch.zeros(len(items[sl]), dtype=torch.long),
        "item": torch.as_tensor(items[sl]),
        "y": torch.as_tensor(y[rows][sl], dtype=torch.float32),
    }
    support, query = batch(slice(0, half)), batch(slice(half, None))
    params = dict(module.named_parameters())
    # Task parameters: this user's rows of the user-specific parameters.
    theta = {n: params[n][[user]].detach() for n in est._user_param_names}
    # A poor starting point, so one step has something to fix.
    theta = {n: torch.zeros_like(v) for n, v in theta.items()}

    def loss(p, b):
        return est._batch_loss(FunctionalModule(module, p), b)

    def value(p, b):
        return float(loss(p, b).detach())

    grads = torch.func.grad(loss)(theta, support)
    assert set(grads) == set(est._user_param_names)
    phi = {n: theta[n] - 0.5 * grads[n] for n in theta}
    assert value(phi, query) < value(theta, query)
    assert value(phi, support) < value(theta, support)
    # Second order: the meta-gradient flows through the inner step.
    item_w = params["item_factors.weight"]

    def outer(q_w):
        p = {**theta, "item_factors.weight": q_w}
        g = torch.func.grad(lambda t: loss({**t, "item_factors.weight": q_w}, support))(theta)
        adapted = {**{n: p[n] - 0.5 * g[n] for n in theta}, "item_factors.weight": q_w}
        return loss(adapted, query)

    meta = torch.func.grad(outer)(item_w.detach())
    assert meta.shape == item_w.shape and torch.isfinite(meta).all()
    assert float(meta.detach().abs().sum()) > 0


# ------------------------------------------------- a toy second model
class _ToyModule(nn.Module):
    """User-row autoencoder: scores = sigmoid(x W1) W2 + b."""

    def __init__(self, n_items, n_hidden):
        super().__init__()
        self.encoder = nn.Linear(n_items, n_hidden)
        self.decoder = nn.Linear(n_hidden, n_items)

    def forward(self, x):
        return self.decoder(torch.sigmoid(self.encoder(x)))


class ToyAutoEncoder(TorchRecommender):
    """A toy model on the engine with user-row batches (like the autoencoders)."""

    def __init__(self, n_hidden=8, *, max_iter=30, batch_size=8, lr=0.05, weight_decay=0.0,
                 optimizer="adam", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, warm_start=False, device="cpu",
                 random_state=None, verbose=0):
        self.n_hidden = n_hidden
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, torch=True)

    def _build_module(self, data):
        return _ToyModule(data.n_items, self.n_hidden)

    def _make_batches(self, rows, generator):
        # Batches of users: each a dense (users x items) 0/1 matrix of their rows.
        users = torch.unique(rows["user"])
        perm = users[torch.randperm(len(users), generator=generator)]
        for start in range(0, len(perm), self.batch_size):
            chosen = perm[start : start + self.batch_size]
            pos = torch.full((self.n_users_,), -1, dtype=torch.long)
            pos[chosen] = torch.arange(len(chosen))
            keep = pos[rows["user"]] >= 0
            x = torch.zeros((len(chosen), self.n_items_))
            x[pos[rows["user"][keep]], rows["item"][keep]] = 1.0
            yield {"x": x}

    def _batch_loss(self, module, batch):
        return nn.functional.binary_cross_entropy_with_logits(module(batch["x"]), batch["x"])

    def _score_items(self, context, item_idx):
        _user_idx, history = context.codes, context.matrix
        x = torch.as_tensor(history.toarray() > 0, dtype=torch.float32)
        with torch.no_grad():
            scores = self.module_(x)
        return scores if item_idx is None else scores[:, torch.as_tensor(item_idx)]


def test_toy_model_uses_the_same_loop():
    from skrec.datasets import make_checkerboard

    data = make_checkerboard(n_users=30, n_items=24, n_blocks=3, density=0.6, random_state=0)
    toy = ToyAutoEncoder(random_state=0).fit(data.X)
    assert toy.n_iter_ == len(toy.history_) > 1
    assert toy.history_[-1]["train_loss"] < toy.history_[0]["train_loss"]
    items, _ = toy.recommend(np.arange(30), k=3)
    hits = data.item_block[items.astype(int)] == data.user_block[:, None]
    pop_items, _ = Popularity().fit(data.X).recommend(np.arange(30), k=3)
    pop_hits = data.item_block[pop_items.astype(int)] == data.user_block[:, None]
    assert hits.mean() > pop_hits.mean() + 0.3
    # Same seed, same model; the global RNG is untouched.
    state = torch.get_rng_state()
    again = ToyAutoEncoder(random_state=0).fit(data.X)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(again.module_.encoder.weight, toy.module_.encoder.weight)
    # Early stopping on a per-user holdout works with custom batches too.
    es = ToyAutoEncoder(random_state=0, early_stopping=True, max_iter=200).fit(data.X)
    assert all(h["val_loss"] is not None for h in es.history_)
    # Pickles like the others.
    back = pickle.loads(pickle.dumps(toy))
    np.testing.assert_allclose(back.score_items([0, 1]), toy.score_items([0, 1]))


def test_base_hooks_are_abstract():
    est = TorchRecommender()
    with pytest.raises(NotImplementedError):
        est._build_module(None)
