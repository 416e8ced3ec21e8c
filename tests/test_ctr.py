"""The CTR family (FM and the deep CTR models) and the ContentBased baseline.

Known answers on planted data with features: each item has a category, each
user a group, and a user clicks an item when its category is the group's.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from skrec.baselines import ContentBased, Popularity
from skrec.ctr import DLRM, FM, NFM, DeepFM, WideAndDeep, XDeepFM
from skrec.ctr._base import _FieldEncoder
from skrec.model_selection import ColdStartItemSplit
from skrec.utils import all_estimators, get_recommender_tags

CTR = (FM, DeepFM, WideAndDeep, NFM, DLRM, XDeepFM)
FAST = dict(n_factors=8, max_iter=15, lr=0.02, batch_size=256, device="cpu", random_state=0)


def _planted(seed=0, n_users=120, n_items=48, n_shown=16, noise=0.05):
    """Binary click logs: user u clicks item i iff category(i) == group(u) (some noise)."""
    group = np.random.RandomState(0).randint(0, 3, n_users)  # the same users in every draw
    rng = np.random.RandomState(seed)
    category = np.arange(n_items) % 3
    rows = []
    for u in range(n_users):
        for i in rng.choice(n_items, n_shown, replace=False):
            click = float(category[i] == group[u])
            if rng.rand() < noise:
                click = 1.0 - click
            rows.append((u, int(i), f"g{group[u]}", f"c{category[i]}", click))
    df = pd.DataFrame(rows, columns=["user", "item", "user__group", "category", "y"])
    return df.drop(columns="y"), df["y"].to_numpy(), group, category


# ------------------------------------------------------------------ encoder
def test_field_encoder_kinds_owners_and_unknown_category():
    X = pd.DataFrame({
        "user": [0, 0, 1, 1], "item": [0, 1, 0, 2],
        "cat": ["a", "b", "a", "c"],          # item-constant categorical
        "age": [20.0, 20.0, 40.0, 40.0],      # user-constant numeric
        "genres": [["x", "y"], ["y"], ["x", "y"], []],
        "hour": [1.0, 2.0, 3.0, 4.0],         # varies within users and items: context
    })
    feats = X.drop(columns=["user", "item"])
    enc = _FieldEncoder().fit(feats, X["user"].to_numpy(), X["item"].to_numpy(), 2, 3)
    kinds = {name: (kind, owner) for name, kind, owner, _ in enc.describe()}
    assert kinds == {"cat": ("categorical", "item"), "age": ("numeric", "user"),
                     "genres": ("bag", "item"), "hour": ("numeric", "context")}
    # The item table: id slot, then cat, then genres (2 slots: the longest bag).
    idx, val = enc.item_table
    assert idx.shape == (3, 1 + 1 + 2)
    np.testing.assert_allclose(val[0], [1, 1, 0.5, 0.5])
    np.testing.assert_allclose(val[2], [1, 1, 0, 0])  # an empty bag contributes nothing
    # Numeric fields are standardized.
    np.testing.assert_allclose(enc.user_table[1][:, 0], [-1.0, 1.0])
    # An unseen category maps to the reserved unknown index with value 0.
    i, v = enc.transform(pd.DataFrame({"cat": ["zzz"], "genres": [["new"]]}), "item")
    cat = [f for f in enc.fields if f.name == "cat"][0]
    assert i[0, 0] == cat.unknown and v[0, 0] == 0.0 and (v[0] == 0).all()


def test_all_nan_or_dict_columns_are_refused():
    feats = pd.DataFrame({"bad": [{"a": 1}, {"b": 2}]})
    with pytest.raises(TypeError, match="dict"):
        _FieldEncoder().fit(feats, np.array([0, 1]), np.array([0, 1]), 2, 2)
    feats = pd.DataFrame({"empty": [np.nan, np.nan]})
    with pytest.raises(ValueError, match="all NaN"):
        _FieldEncoder().fit(feats, np.array([0, 1]), np.array([0, 1]), 2, 2)
    # Through fit, NaN side features are refused before the encoder.
    X, y, *_ = _planted()
    X["empty"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        FM(**FAST).fit(X, y)


def test_binary_labels_and_loss_feedback_are_checked():
    X, y, *_ = _planted()
    with pytest.raises(ValueError, match="0 or 1|binary"):
        FM(**FAST).fit(X, y * 2.0)
    with pytest.raises(ValueError, match="requires y"):
        FM(**FAST).fit(X)
    with pytest.raises(ValueError, match="does not fit feedback"):
        FM(loss="bpr", feedback="binary", **FAST).fit(X, y)
    tags = get_recommender_tags(FM())
    assert tags.feedback == "binary" and tags.side_features and tags.fold_in
    assert get_recommender_tags(FM(loss="mse")).feedback == "explicit"
    assert get_recommender_tags(FM(feedback="implicit")).feedback == "implicit"


def test_discovery_lists_the_ctr_family():
    names = {name for name, _cls, fam in all_estimators("ctr")}
    assert names == {"FM", "DeepFM", "WideAndDeep", "NFM", "DLRM", "XDeepFM"}
    assert "ContentBased" in {name for name, *_ in all_estimators("baselines")}


# -------------------------------------------------------------- known answers
@pytest.mark.parametrize("cls", CTR, ids=lambda c: c.__name__)
def test_ctr_models_learn_planted_clicks(cls):
    X, y, *_ = _planted(seed=1)
    Xt, yt, *_ = _planted(seed=2)
    model = cls(**{**FAST, "max_iter": 8}).fit(X, y)
    proba = model.predict(Xt)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert roc_auc_score(yt, proba) > 0.9
    assert log_loss(yt, np.clip(proba, 1e-7, 1 - 1e-7)) < 0.45
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(back.predict(Xt.head(20)), proba[:20], rtol=1e-6)


def test_fm_with_features_beats_ids_only_and_popularity_on_cold_items():
    X, y, *_ = _planted(seed=3, n_users=150, n_items=60)
    train, test = next(ColdStartItemSplit(n_splits=4, random_state=0).split(X))
    Xtr, Xte, ytr, yte = X.iloc[train], X.iloc[test], y[train], y[test]
    assert not set(Xte["item"]) & set(Xtr["item"])
    with_f = roc_auc_score(yte, FM(**FAST).fit(Xtr, ytr).predict(Xte))
    ids = ["user", "item"]
    ids_only = roc_auc_score(yte, FM(**FAST).fit(Xtr[ids], ytr).predict(Xte[ids]))
    pop = roc_auc_score(yte, Popularity().fit(Xtr[ids][ytr > 0]).predict(Xte[ids]))
    assert with_f > 0.9, with_f
    assert with_f > ids_only + 0.25 and with_f > pop + 0.25, (with_f, ids_only, pop)


def test_new_users_with_different_features_same_history_get_different_lists():
    X, y, group, category = _planted(seed=4)
    model = FM(**FAST).fit(X, y)
    # Same history (two shown items of category 1, not clicked), different groups.
    shown = [1, 4]
    hist = pd.DataFrame({
        "user": ["a"] * 2 + ["b"] * 2, "item": shown * 2,
        "user__group": ["g0"] * 2 + ["g2"] * 2,
        "category": [f"c{category[i]}" for i in shown] * 2,
    })
    items, _ = model.recommend(["a", "b"], k=6, history=hist, history_y=np.zeros(4))
    assert (category[items[0]] == 0).mean() >= 0.8, category[items[0]]
    assert (category[items[1]] == 2).mean() >= 0.8, category[items[1]]
    assert not set(items[0]) & set(shown)  # H(u) excluded


def test_unseen_category_and_unknown_ids_predict_finite():
    X, y, *_ = _planted(seed=5)
    model = DeepFM(**FAST).fit(X, y)
    new = pd.DataFrame({"user": ["nobody", 0], "item": [0, "cold"],
                        "user__group": ["g9", "g0"], "category": ["c0", "never-seen"]})
    proba = model.predict(new)
    assert np.isfinite(proba).all() and ((proba > 0) & (proba < 1)).all()


def test_fm_regression_and_implicit_ranking():
    X, y, group, category = _planted(seed=6)
    ratings = 1.0 + 4.0 * y
    reg = FM(loss="mse", **FAST).fit(X, ratings)
    rmse = np.sqrt(np.mean((reg.predict(X) - ratings) ** 2))
    assert rmse < 1.0, rmse
    assert reg.predict(X).min() >= 1.0 and reg.predict(X).max() <= 5.0
    pos = y > 0
    rank = FM(feedback="implicit", n_negatives=4, **FAST).fit(X[pos])
    users = rank.user_ids_[:40]
    items, _ = rank.recommend(users, k=5)
    hit = (category[items] == group[users][:, None]).mean()
    assert hit > 0.8, hit


def test_bag_column_carries_signal():
    rng = np.random.RandomState(7)
    n_users, n_items = 80, 40
    genres = {i: (["action", "space"] if i % 2 else ["romance"]) for i in range(n_items)}
    likes = rng.randint(0, 2, n_users)
    rows, labels = [], []
    for u in range(n_users):
        for i in rng.choice(n_items, 12, replace=False):
            rows.append((u, int(i), genres[int(i)]))
            labels.append(float(i % 2 == likes[u]))
    X = pd.DataFrame(rows, columns=["user", "item", "genres"])
    y = np.array(labels)
    train, test = next(ColdStartItemSplit(n_splits=4, random_state=0).split(X))
    model = FM(**FAST).fit(X.iloc[train], y[train])
    assert ("genres", "bag", "item", 3) in model.fields_
    assert roc_auc_score(y[test], model.predict(X.iloc[test])) > 0.85


# -------------------------------------------------------------- ContentBased
def test_content_based_ranks_by_category_and_text():
    X, y, group, category = _planted(seed=8)
    pos = y > 0
    words = {0: "space ship stars", 1: "love story romance", 2: "funny comedy jokes"}
    X = X.assign(plot=[words[category[i]] for i in X["item"]])
    for model in (ContentBased(), ContentBased(text_column="plot", text_weight=2.0)):
        model.fit(X[pos])
        users = model.user_ids_[:40]
        items, _ = model.recommend(users, k=5)
        hit = (category[items] == group[users][:, None]).mean()
        assert hit > 0.95, hit
    assert model.vectorizer_ is not None
    # A new user from history only.
    hist = pd.DataFrame({"user": ["n", "n"], "item": [2, 5], "user__group": "g2",
                         "category": "c2", "plot": words[2]})
    items, _ = model.recommend(["n"], k=4, history=hist)
    assert (category[items[0]] == 2).all()


def test_content_based_needs_features():
    X, *_ = _planted()
    with pytest.raises(ValueError, match="side-feature"):
        ContentBased().fit(X[["user", "item"]])
    with pytest.raises(ValueError, match="text_column"):
        ContentBased(text_column="nope").fit(X)


def test_fm_in_a_pipeline_with_side_tables_and_missing_ids():
    from sklearn.pipeline import make_pipeline

    import skrec
    from skrec.compose import SideFeatureJoiner, SideTable

    X, y, group, category = _planted(seed=9)
    ids = X[["user", "item"]]
    users = pd.DataFrame({"user": np.arange(len(group)), "group": [f"g{g}" for g in group]})
    items = pd.DataFrame({"item": np.arange(len(category)), "cat": [f"c{c}" for c in category]})
    pipe = make_pipeline(
        SideFeatureJoiner(user_features=SideTable(users, key="user"),
                          item_features=SideTable(items, key="item")),
        FM(**FAST),
    ).fit(ids, y)
    model = pipe[-1]
    assert {(f[0], f[2]) for f in model.fields_} == {("user__group", "user"),
                                                    ("item__cat", "item")}
    got, _ = skrec.recommend(pipe, np.arange(30), k=5)
    assert (category[got.astype(int)] == group[:30, None]).mean() > 0.8
    # A side table missing ids gives NaN features: refused with a clear message.
    partial = SideTable(items[items["item"] != 3], key="item")
    bad = make_pipeline(SideFeatureJoiner(item_features=partial), FM(**FAST))
    with pytest.raises(ValueError, match="NaN"):
        bad.fit(ids, y)
