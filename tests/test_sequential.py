"""Tests of the sequence base and the sequential family."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from skrec._torch import SequenceRecommender
from skrec._torch._sequences import ScoreHead
from skrec.baselines import Popularity
from skrec.metrics import make_next_item_scorer
from skrec.model_selection import SessionSplit
from skrec.sequential import HRNN, SVAE, Caser, GRU4Rec, SASRec, SessionKNN, SPop
from skrec.sequential._base import context_prefixes, ordered_sequences, pad_left
from skrec.utils.estimator_checks import check_recommender

N_ITEMS = 12


def cycle_sessions(n_sessions=150, n_items=N_ITEMS, seed=0, first_session=0, t0=0):
    """Sessions walking the cycle i -> i + 1 (mod n_items), 3 to 6 events each."""
    rng = np.random.RandomState(seed)
    rows = []
    t = t0
    for s in range(first_session, first_session + n_sessions):
        start = rng.randint(n_items)
        for j in range(rng.randint(3, 7)):
            rows.append((s, (start + j) % n_items, t, s))
            t += 1
    return pd.DataFrame(rows, columns=["user", "item", "timestamp", "session"])


FAST = {
    GRU4Rec: dict(hidden_size=24, n_sample=8, batch_size=16, max_iter=15, lr=0.1,
                  device="cpu", random_state=0),
    SASRec: dict(hidden_size=24, max_len=8, batch_size=32, max_iter=30, lr=0.01, dropout=0.0,
                 device="cpu", random_state=0),
    Caser: dict(hidden_size=24, L=3, T=1, max_len=8, batch_size=32, max_iter=30, lr=0.01,
                dropout=0.0, device="cpu", random_state=0),
    SVAE: dict(embedding_dim=24, hidden_size=24, mlp_size=24, latent_dim=16, n_next=1,
               max_len=8, batch_size=32, max_iter=30, lr=0.01, total_anneal_steps=200, device="cpu",
               random_state=0),
}


@pytest.fixture(scope="module")
def cycle():
    return cycle_sessions(), cycle_sessions(40, seed=1, first_session=10_000, t0=10**6)


@pytest.fixture(scope="module")
def fitted(cycle):
    train, _ = cycle
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {cls: cls(**params).fit(train) for cls, params in FAST.items()}


# ----------------------------------------------------------- helpers
def test_ordered_sequences_sorts_and_skips_one_event_sessions():
    user = np.array([0, 0, 0, 1, 1, 1])
    item = np.array([5, 6, 7, 8, 9, 4])
    ts = np.array([3, 1, 2, 0, 9, 5])
    session = np.array([0, 0, 0, 1, 2, 1])
    ptr, items = ordered_sequences(user, item, ts, session)
    assert ptr.tolist() == [0, 3, 5]
    assert items.tolist() == [6, 7, 5, 8, 4]  # session 2 (one event) skipped
    ptr, items = ordered_sequences(user, item, ts, session, min_len=1)
    assert len(ptr) == 4


def test_pad_left():
    out = pad_left(np.array([0, 3, 3, 4]), np.array([1, 2, 3, 4]), 2, 9)
    assert out.tolist() == [[2, 3], [9, 9], [9, 4]]


def test_context_prefix_is_last_session(fitted, cycle):
    model = fitted[GRU4Rec]
    train, _ = cycle
    user = train["user"].iloc[0]
    hist = pd.DataFrame({"user": [user, user], "item": [3, 4], "session": [-5, -5],
                         "timestamp": [10**7, 10**7 + 1]})
    ctx = model.user_context([user], history=hist)
    ptr, items = context_prefixes(ctx)
    assert items.tolist() == [3, 4]
    # the known user continuing a new session scores like a new user with that session
    a = model.score_items([user], history=hist)
    b = model.score_items(["new"], history=hist.assign(user="new"))
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------- known answers
@pytest.mark.parametrize("cls", [GRU4Rec, SASRec, Caser, SVAE])
def test_planted_cycle_next_item(cls, fitted, cycle):
    _, test = cycle
    scorer = make_next_item_scorer(["recall@3", "mrr@3"])
    got = scorer(fitted[cls], test)
    baselines = [scorer(Popularity().fit(cycle[0]), test), scorer(SPop().fit(cycle[0]), test)]
    assert got["recall@3"] > 0.9, got
    for base in baselines:
        assert got["recall@3"] > base["recall@3"] + 0.4
        assert got["mrr@3"] > base["mrr@3"] + 0.4


def test_session_knn_planted_cycle(cycle):
    train, test = cycle
    scorer = make_next_item_scorer("recall@3")
    knn = scorer(SessionKNN().fit(train), test)
    assert knn > 0.9
    assert knn > scorer(SPop().fit(train), test) + 0.4
    assert knn > scorer(Popularity().fit(train), test) + 0.4


@pytest.mark.parametrize("cls", [GRU4Rec, SASRec, Caser, SVAE])
def test_order_matters(cls, fitted):
    model = fitted[cls]
    fwd = pd.DataFrame({"user": "s", "item": [3, 4, 5], "session": 1, "timestamp": [1, 2, 3]})
    rev = fwd.assign(timestamp=[3, 2, 1])
    a = model.score_items(["s"], history=fwd)
    b = model.score_items(["s"], history=rev)
    assert not np.allclose(a, b)
    items_a, _ = model.recommend(["s"], k=1, history=fwd, exclude_seen=False)
    items_b, _ = model.recommend(["s"], k=1, history=rev, exclude_seen=False)
    assert items_a[0, 0] == 6 and items_b[0, 0] == 4


@pytest.mark.parametrize("cls", [GRU4Rec, SASRec, Caser, SVAE, HRNN, SessionKNN, SPop])
def test_prefix_handling(cls, fitted):
    model = fitted.get(cls) or cls().fit(cycle_sessions())
    prefix = pd.DataFrame({"user": "s", "item": [3, 4, 5], "session": 1,
                           "timestamp": [1, 2, 3]})
    ref = model.score_items(["s"], history=prefix)
    # unsorted timestamps are sorted
    shuffled = prefix.iloc[[2, 0, 1]]
    np.testing.assert_allclose(model.score_items(["s"], history=shuffled), ref, rtol=1e-6)
    # unknown items are dropped from the prefix
    noisy = pd.concat([prefix, pd.DataFrame({"user": ["s"], "item": ["??"], "session": [1],
                                             "timestamp": [2.5]})])
    np.testing.assert_allclose(model.score_items(["s"], history=noisy), ref, rtol=1e-6)


# ------------------------------------------- several targets per position
def test_future_targets_rows():
    """With T targets a position learns the next T items of its sequence (padded at its end)."""
    X = pd.DataFrame({"user": 0, "item": [10, 11, 12, 13, 14], "timestamp": range(5)})
    model = Caser(**{**FAST[Caser], "T": 3, "max_iter": 1}).fit(X)
    rows = model._training_rows(_data(model, X.assign(session=0)))
    code = dict(zip([10, 11, 12, 13, 14], model.encode_items([10, 11, 12, 13, 14])))
    pad = model.n_items_
    future = rows["future"][0, -4:]  # the four positions, right-aligned in the window
    expected = [[code[11], code[12], code[13]], [code[12], code[13], code[14]],
                [code[13], code[14], pad], [code[14], pad, pad]]
    assert future.tolist() == expected
    assert (rows["future_weight"][0, -4:] > 0).tolist() == [[True] * 3, [True] * 3,
                                                            [True, True, False],
                                                            [True, False, False]]
    # early stopping holds out the last item from every position that targets it
    tr, val = model._split_holdout(rows, np.random.RandomState(0))
    assert code[14] not in tr["future"][0][tr["future_weight"][0] > 0].tolist()
    assert val["future"][0][val["future_weight"][0] > 0].tolist() == [code[14]]


def _share_of_next_three(model):
    """Mean share of the next three cycle items in the top 3 after a two-item prefix."""
    users = [f"u{i}" for i in range(N_ITEMS)]
    hist = pd.DataFrame({"user": np.repeat(users, 2), "session": np.repeat(range(N_ITEMS), 2),
                         "item": [(i + j) % N_ITEMS for i in range(N_ITEMS) for j in range(2)],
                         "timestamp": np.tile([0, 1], N_ITEMS)})
    items, _ = model.recommend(users, k=3, history=hist, exclude_seen=False)
    want = [{(i + 1 + j) % N_ITEMS for j in (1, 2, 3)} for i in range(N_ITEMS)]
    return np.mean([len(set(items[i]) & want[i]) / 3 for i in range(N_ITEMS)])


@pytest.mark.parametrize("cls, param", [(Caser, "T"), (SVAE, "n_next")])
def test_several_targets_learn_the_items_ahead(cls, param, cycle):
    """On the cycle, item i is followed by i + 1, i + 2, i + 3: with three targets per
    position the top 3 after a prefix are those items; with one, only i + 1 is learnt."""
    train, _ = cycle
    three = cls(**{**FAST[cls], param: 3}).fit(train)
    one = cls(**{**FAST[cls], param: 1}).fit(train)
    assert _share_of_next_three(three) > 0.9
    assert _share_of_next_three(one) < 0.75


def test_svae_kl_annealing(cycle):
    train, _ = cycle
    model = SVAE(**{**FAST[SVAE], "max_iter": 3, "total_anneal_steps": 10,
                    "beta_max": 0.3}).fit(train)
    assert model.global_step_ > 10
    assert model.beta_ == pytest.approx(0.3)
    model = SVAE(**{**FAST[SVAE], "max_iter": 1, "total_anneal_steps": 10**6}).fit(train)
    assert 0 < model.beta_ < 1e-3


def test_svae_user_histories_without_sessions(cycle):
    """Without a session column the sequence is the user's whole history (the paper's setting)."""
    train, test = cycle
    users = train.drop(columns="session")
    model = SVAE(**FAST[SVAE]).fit(users)
    got = make_next_item_scorer("recall@3")(model, test)
    assert got > 0.9
    assert got > make_next_item_scorer("recall@3")(Popularity().fit(users), test) + 0.4


@pytest.mark.parametrize("loss", ["top1", "bpr", "cross-entropy", "top1-max", "bpr-max"])
def test_gru4rec_losses(loss, cycle):
    train, test = cycle
    params = {**FAST[GRU4Rec], "loss": loss, "max_iter": 10}
    model = GRU4Rec(**params).fit(train)
    assert all(np.isfinite(h["train_loss"]) for h in model.history_)
    assert model.history_[-1]["train_loss"] < model.history_[0]["train_loss"]
    assert make_next_item_scorer("recall@3")(model, test) > 0.6


def test_sasrec_bce_loss(cycle):
    train, test = cycle
    model = SASRec(**{**FAST[SASRec], "loss": "bce", "max_iter": 40}).fit(train)
    assert make_next_item_scorer("recall@3")(model, test) > 0.6


@pytest.mark.parametrize("cls", [GRU4Rec, SASRec, Caser, SVAE])
def test_early_stopping_holds_out_last_items(cls, cycle):
    train, _ = cycle
    model = cls(**{**FAST[cls], "max_iter": 4, "early_stopping": True}).fit(train)
    assert all(h["val_loss"] is not None and np.isfinite(h["val_loss"])
               for h in model.history_)
    rows = model._training_rows(_data(model, train))
    tr, val = model._split_holdout(rows, np.random.RandomState(0))
    n_seq = train["session"].nunique()
    assert len(np.unique(val["seq"])) == round(0.1 * n_seq)


def _data(model, X):
    from skrec._data import Interactions

    codes_u = model.encode_users(X["user"].to_numpy())
    codes_i = model.encode_items(X["item"].to_numpy())
    return Interactions(user=codes_u, item=codes_i, y=None, sample_weight=None,
                        matrix=model.seen_, n_users=model.n_users_, n_items=model.n_items_,
                        timestamp=X["timestamp"].to_numpy(), session=X["session"].to_numpy())


def test_one_event_sessions_skipped(cycle):
    train, _ = cycle
    singles = pd.DataFrame({"user": [-1, -2], "item": [0, 1], "timestamp": [0, 1],
                            "session": [-1, -2]})
    model = SASRec(**FAST[SASRec])
    model.fit(pd.concat([train, singles]))
    rows = model._training_rows(_data(model, pd.concat([train, singles])))
    n_targets = int((rows["target"] != model.n_items_).sum())
    assert n_targets == len(train) - train["session"].nunique()
    with pytest.warns(UserWarning, match="single event"):
        GRU4Rec(**FAST[GRU4Rec]).fit(singles)


def test_gru4rec_session_parallel_batches(cycle):
    train, _ = cycle
    model = GRU4Rec(**{**FAST[GRU4Rec], "max_iter": 1}).fit(train)
    rows = model._training_rows(_data(model, train))
    from skrec._torch._engine import _to_tensors

    t = _to_tensors(rows, torch.device("cpu"))
    batches = list(model._make_batches(t, torch.Generator().manual_seed(0)))
    assert sum(len(b["item"]) for b in batches) == len(rows["item"])  # every event once
    assert max(len(b["item"]) for b in batches) == model.batch_size
    # a lane's reset flag is set exactly when it starts a new session
    n_resets = sum(int(b["reset"].sum()) for b in batches)
    assert n_resets == len(np.unique(rows["seq"]))


def test_sample_weight_zero_targets(cycle):
    train, _ = cycle
    model = SASRec(**FAST[SASRec])
    w = np.ones(len(train))
    model.fit(train, sample_weight=w)
    rows = model._training_rows(_data(model, train))
    assert rows["weight"].sum() == len(train) - train["session"].nunique()


def test_spop_and_knn_scores():
    X = pd.DataFrame({"user": [0, 0, 1, 1, 2, 2], "item": [1, 2, 1, 2, 3, 4],
                      "session": [0, 0, 1, 1, 2, 2]})
    knn = SessionKNN(shrink=0.0).fit(X)
    sim = knn.similarity_.toarray()
    i1, i2, i3, i4 = knn.encode_items([1, 2, 3, 4])
    assert sim[i1, i2] == pytest.approx(1.0) and sim[i1, i3] == 0 and sim[i1, i1] == 0
    spop = SPop().fit(X)
    prefix = pd.DataFrame({"user": "s", "item": [3, 2, 3], "session": 9})
    s = spop.score_items(["s"], [3, 2, 1, 4], history=prefix)[0]
    assert s[0] > s[1] > s[2] > s[3] - 1e-12


def test_hrnn_carries_the_user_across_sessions():
    """Half the users walk the cycle up, half down: one item of a new session
    tells the direction only through the user's earlier sessions."""
    rng = np.random.RandomState(0)
    rows, t, sid = [], 0, 0
    for u in range(40):
        step = 1 if u % 2 == 0 else -1
        for _ in range(6):
            s = rng.randint(N_ITEMS)
            for j in range(4):
                rows.append((u, (s + step * j) % N_ITEMS, t, sid))
                t += 1
            sid += 1
    X = pd.DataFrame(rows, columns=["user", "item", "timestamp", "session"])
    users = np.arange(40)
    x0 = np.random.RandomState(1).randint(N_ITEMS, size=40)
    hist = pd.DataFrame({"user": users, "item": x0, "session": 10**6 + users,
                         "timestamp": 10**7})
    want = (x0 + np.where(users % 2 == 0, 1, -1)) % N_ITEMS
    model = HRNN(hidden_size=24, loss="bpr-max", n_sample=8, batch_size=8, max_iter=20,
                 lr=0.1, device="cpu", random_state=0).fit(X)
    items, _ = model.recommend(users, k=1, history=hist, exclude_seen=False)
    assert (items[:, 0] == want).mean() > 0.65  # a session-only model is at 0.5


def test_importing_sequential_baselines_does_not_import_torch():
    code = ("import sys; from skrec.sequential import SPop, SessionKNN; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# -------------------------------------------------------- a toy model
class _ToyModule(torch.nn.Module):
    """Position-weighted mean of the last items' embeddings, scored against the items."""

    def __init__(self, n_items, dim, max_len):
        super().__init__()
        self.n_items = n_items
        self.head = ScoreHead(n_items, dim)
        self.pos = torch.nn.Parameter(torch.zeros(max_len))

    def forward(self, seq, items=None, positions=None):
        real = (seq != self.n_items).float()
        emb = self.head.weight[seq] * real[..., None]
        w = torch.softmax(self.pos[-seq.shape[1]:], 0) * real  # (n, L)
        h = torch.cumsum(emb * w[..., None], 1)  # causal: position t sees items <= t
        h = h[:, -1] if positions is None else h[positions]
        return self.head(h, items)


class ToySequence(SequenceRecommender):
    """A toy next-item model built on the sequence base."""

    _parameter_constraints = {**SequenceRecommender._parameter_constraints}

    def __init__(self, dim=16, max_len=4, loss="cross-entropy", max_iter=20, batch_size=32,
                 lr=0.05, weight_decay=0.0, optimizer="adam", lr_schedule="constant",
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5, tol=1e-4,
                 warm_start=False, device="cpu", random_state=None, verbose=0):
        self.dim = dim
        self.max_len = max_len
        self.loss = loss
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
        return _ToyModule(data.n_items, self.dim, self.max_len)


def test_toy_sequence_model(cycle):
    from sklearn.model_selection import GridSearchCV

    train, test = cycle
    model = ToySequence(random_state=0).fit(train)
    prefix = pd.DataFrame({"user": "s", "item": [3, 4, 5], "session": 1})
    items, _ = model.recommend(["s"], k=3, history=prefix)
    assert 6 in items[0]
    clone_ = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(clone_.score_items(["s"], history=prefix),
                               model.score_items(["s"], history=prefix))
    check_recommender(ToySequence(max_iter=3), expected_failed_checks={
        "check_beats_popularity": "a next-item model on unordered planted blocks"})
    both = pd.concat([train, test], ignore_index=True)
    search = GridSearchCV(ToySequence(max_iter=5, random_state=0),
                          {"lr": [1e-4, 0.05]}, cv=SessionSplit(test_size=0.2),
                          scoring=make_next_item_scorer("recall@3"))
    search.fit(both)
    assert search.best_params_ == {"lr": 0.05}
