"""Cold items and new users scored from their side features (item_features=, user_features=)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.pipeline import make_pipeline

import skrec
from skrec.baselines import ContentBased, Popularity
from skrec.compose import SideFeatureJoiner, SideTable
from skrec.ctr import FM, DeepFM
from skrec.factorization import MF
from skrec.metrics import make_ranking_scorer

N_USERS, N_ITEMS, N_WARM = 60, 40, 30
GENRE = np.where(np.arange(N_ITEMS) % 2 == 0, "drama", "comedy")
GROUP = np.where(np.arange(N_USERS) % 2 == 0, "d", "c")  # d likes drama, c comedy


def _planted(seed=0):
    """Each user interacts with 10 of the 15 warm items of the genre of their group."""
    rng = np.random.RandomState(seed)
    rows = []
    for u in range(N_USERS):
        liked = [i for i in range(N_WARM) if GENRE[i] == ("drama" if GROUP[u] == "d" else "comedy")]
        rows += [(u, i) for i in rng.choice(liked, 10, replace=False)]
    X = pd.DataFrame(rows, columns=["user", "item"])
    X["user__group"] = GROUP[X["user"]]
    X["item__genre"] = GENRE[X["item"]]
    return X


def _cold_rows(users=(0,)):
    """Rows describing the items unseen at fit (N_WARM..N_ITEMS-1): one per (user, item)."""
    rows = pd.DataFrame([(u, i) for u in users for i in range(N_WARM, N_ITEMS)],
                        columns=["user", "item"])
    rows["user__group"] = GROUP[rows["user"]]
    rows["item__genre"] = GENRE[rows["item"]]
    return rows


def _fm(cls=FM, **kw):
    kw = {"max_iter": 20, "lr": 0.01, "batch_size": 128, "reg": 1e-3, **kw}
    return cls(feedback="implicit", device="cpu", random_state=0, **kw)


def _liked(user_group):
    return "drama" if user_group == "d" else "comedy"


def _genre_gap(scores, group):
    """Mean score of the warm items of the group's genre minus that of the other genre."""
    liked = GENRE[:N_WARM] == _liked(group)
    return scores[:N_WARM][liked].mean() - scores[:N_WARM][~liked].mean()


@pytest.fixture(scope="module")
def fitted():
    X = _planted()
    return X, {"FM": _fm().fit(X), "DeepFM": _fm(DeepFM).fit(X), "ContentBased":
               ContentBased().fit(X)}


# ------------------------------------------------------------------ cold items
@pytest.mark.parametrize("name", ["FM", "DeepFM", "ContentBased"])
def test_new_items_are_ranked_by_their_features(fitted, name):
    _, models = fitted
    model = models[name]
    new = np.arange(N_WARM, N_ITEMS)
    items, scores = model.recommend([0, 1], k=5, candidates=new, item_features=_cold_rows())
    assert np.isfinite(scores).all()
    for row, user in zip(items, [0, 1]):
        assert set(GENRE[row.astype(int)]) == {_liked(GROUP[user])}


def test_new_items_join_the_whole_catalog(fitted):
    _, models = fitted
    model = models["FM"]
    items, scores = model.recommend([0], k=N_ITEMS, exclude_seen=False,
                                    item_features=_cold_rows())
    assert items.shape == (1, N_ITEMS)
    assert set(items[0].tolist()) == set(range(N_ITEMS))
    full = model.score_items([0], item_features=_cold_rows())
    assert full.shape == (1, N_ITEMS)
    # Fitted items keep the scores they have without item_features.
    np.testing.assert_allclose(full[:, :N_WARM], model.score_items([0]), rtol=1e-5)


def test_item_features_of_known_items_are_ignored(fitted):
    _, models = fitted
    model = models["FM"]
    rows = _cold_rows()
    known = rows.assign(item=rows["item"] - N_WARM, item__genre="comedy")  # wrong genres
    np.testing.assert_allclose(model.score_items([0], item_features=known),
                               model.score_items([0]))


def test_a_model_that_cannot_score_new_items_says_so():
    X = _planted()
    model = Popularity().fit(X[["user", "item"]])
    with pytest.raises(ValueError, match="item_features.*Popularity cannot score items unseen"):
        model.recommend([0], item_features=_cold_rows()[["user", "item", "item__genre"]])


def test_item_features_bad_input(fitted):
    _, models = fitted
    model = models["FM"]
    with pytest.raises(ValueError, match="item_features has no side-feature column"):
        model.recommend([0], item_features=_cold_rows()[["user", "item"]])
    with pytest.raises(ValueError, match="candidates holds 1 item id"):
        model.recommend([0], candidates=[N_WARM, 999], item_features=_cold_rows())


def test_unknown_categories_of_new_items_add_nothing(fitted):
    _, models = fitted
    rows = _cold_rows().assign(item__genre="western")  # a genre unseen at fit
    for name in ("FM", "ContentBased"):
        scores = models[name].score_items([0], candidates=np.arange(N_WARM, N_ITEMS),
                                          item_features=rows)
        assert np.isfinite(scores).all()
        assert np.ptp(scores) < 1e-6  # nothing tells the new items apart


def test_content_based_new_item_profile_matches_a_fitted_twin():
    X = _planted()
    X["year"] = X["item"] * 1.0
    model = ContentBased().fit(X)
    twin = X[X["item"] == 4].iloc[[0]]  # a drama with year 4, described again as new
    new = twin.assign(item="new")
    s = model.score_items([0], candidates=[4, "new"], item_features=new)
    np.testing.assert_allclose(s[0, 0], s[0, 1])


# ---------------------------------------------------------------- the scorer
def _cold_split():
    X = _planted()
    test = _cold_rows(users=range(N_USERS))
    test = test[test["item__genre"] == np.where(GROUP[test["user"]] == "d", "drama", "comedy")]
    return X, test


@pytest.mark.parametrize("name", ["FM", "ContentBased"])
def test_scorer_ranks_cold_test_items(name, fitted):
    _, models = fitted
    _, test = _cold_split()
    model = models[name]
    only = make_ranking_scorer(["ndcg@5", "recall@5"], cold_items="only")(model, test)
    rank = make_ranking_scorer("ndcg@10")(model, test)
    miss = make_ranking_scorer("ndcg@10", cold_items="miss")(model, test)
    # Half of the 10 new items are relevant to each user: a perfect ranking has
    # recall@5 = 1, one that cannot tell the genres apart about 0.5.
    assert only["ndcg@5"] > 0.9 and only["recall@5"] > 0.9
    assert miss == 0.0
    assert rank > miss


def test_scorer_warns_for_a_model_that_cannot_rank_cold_items():
    X, test = _cold_split()
    model = Popularity().fit(X[["user", "item"]])
    with pytest.warns(UserWarning, match="unseen at fit, which Popularity cannot score"):
        assert make_ranking_scorer("ndcg@10")(model, test[["user", "item"]]) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_ranking_scorer("ndcg@10", cold_items="miss")(model, test[["user", "item"]])
    with pytest.raises(ValueError, match="cold_items='only'.*Popularity cannot score"):
        make_ranking_scorer("ndcg@10", cold_items="only")(model, test[["user", "item"]])
    with pytest.raises(ValueError, match="cold_items must be one of"):
        make_ranking_scorer("ndcg@10", cold_items="all")


def test_scorer_does_not_warn_for_a_few_unseen_items():
    # A random split leaves a few test rows with items unseen at fit: under 1%
    # of the ground truth they are misses without a warning on every fold.
    X, _ = _cold_split()
    model = Popularity().fit(X[["user", "item"]])
    known = X[["user", "item"]].drop_duplicates().iloc[:200]
    one_new = pd.DataFrame({"user": [known["user"].iloc[0]], "item": [N_ITEMS - 1]})
    test = pd.concat([known, one_new], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_ranking_scorer("ndcg@10", exclude_seen=False)(model, test)
    many_new = pd.concat([known.iloc[:20], _cold_rows()[["user", "item"]]], ignore_index=True)
    with pytest.warns(UserWarning, match="unseen at fit"):
        make_ranking_scorer("ndcg@10", exclude_seen=False)(model, many_new)


def test_scorer_cold_items_through_a_pipeline():
    X = _planted()
    items = SideTable(pd.DataFrame({"item": np.arange(N_ITEMS), "genre": GENRE}), key="item")
    pipe = make_pipeline(SideFeatureJoiner(item_features=items), _fm())
    pipe.fit(X[["user", "item"]])
    _, test = _cold_split()
    score = make_ranking_scorer("recall@5", cold_items="only")(pipe, test[["user", "item"]])
    assert score > 0.8  # chance: 0.5


# ----------------------------------------------------------------- new users
def _user_rows(users, groups):
    return pd.DataFrame({"user": users, "item": 0, "user__group": groups,
                         "item__genre": GENRE[0]})


@pytest.mark.parametrize("name", ["FM", "DeepFM"])
def test_new_users_from_features_only(fitted, name):
    _, models = fitted
    model = models[name]
    users = ["n1", "n2"]
    scores, fallback = model.score_items(users, return_fallback=True,
                                         user_features=_user_rows(users, ["d", "c"]))
    assert not fallback.any()
    assert _genre_gap(scores[0], "d") > 0
    assert _genre_gap(scores[1], "c") > 0
    # Without features they fall back to popularity.
    assert model.recommend(users, k=5, return_fallback=True)[2].all()


def test_new_users_with_the_same_history_differ_by_features(fitted):
    _, models = fitted
    model = models["FM"]
    users = ["a", "b", "c"]
    history = pd.DataFrame({"user": np.repeat(users, 2), "item": [0, 1] * 3,
                            "user__group": np.repeat(["d", "c", "d"], 2),
                            "item__genre": GENRE[[0, 1] * 3]})
    scores = model.score_items(users, history=history)
    # Same history, different features: different scores (the identical lists).
    assert np.abs(scores[0] - scores[1]).max() > 1e-3
    items = model.recommend(users, k=5, history=history)[0]
    assert not np.array_equal(items[0], items[1])


def test_new_users_from_features_beat_popularity(fitted):
    X, models = fitted
    model = models["FM"]
    users = [f"n{i}" for i in range(20)]
    groups = np.where(np.arange(20) % 2 == 0, "d", "c")
    truth = np.array([[GENRE[i] == _liked(g) for i in range(N_WARM)] for g in groups])
    fm = model.score_items(users, user_features=_user_rows(users, groups))
    pop = Popularity().fit(X[["user", "item"]]).score_items(users)
    ndcg = skrec.metrics.ndcg_at_k
    # Chance (and popularity, which ignores the genres): about 0.5.
    assert ndcg(truth, fm, 10) > ndcg(truth, pop, 10) + 0.1


def test_user_features_through_a_pipeline():
    X = _planted()
    users = SideTable(pd.DataFrame({"user": list(range(N_USERS)) + ["n1", "n2"],
                                    "group": list(GROUP) + ["d", "c"]}), key="user")
    pipe = make_pipeline(SideFeatureJoiner(user_features=users), _fm())
    pipe.fit(X[["user", "item", "item__genre"]])
    rows = pd.DataFrame({"user": ["n1", "n2"], "item": 0, "item__genre": "drama"})
    scores = skrec.score_items(pipe, ["n1", "n2"], user_features=rows)
    assert _genre_gap(scores[0], "d") > 0
    assert _genre_gap(scores[1], "c") > 0


def test_side_table_missing_ids_is_a_clear_error():
    X = _planted()[["user", "item"]]
    users = SideTable(pd.DataFrame({"user": [0, 1], "group": ["d", "c"]}), key="user")
    pipe = make_pipeline(SideFeatureJoiner(user_features=users), _fm())
    with pytest.raises(ValueError, match="NaN"):
        pipe.fit(X)


def test_user_features_bad_input_and_unknown_categories(fitted):
    _, models = fitted
    model = models["FM"]
    with pytest.raises(ValueError, match="user_features has no side-feature column"):
        model.recommend(["n1"], user_features=pd.DataFrame({"user": ["n1"], "item": [0]}))
    # A category unseen at fit is left out: the user is scored like one without features.
    odd = model.score_items(["n1"], user_features=_user_rows(["n1"], ["zzz"]))
    assert np.isfinite(odd).all()
    # Known users keep their fitted features.
    np.testing.assert_allclose(model.score_items([0], user_features=_user_rows([0], ["c"])),
                               model.score_items([0]))


def test_models_without_user_features_ignore_them():
    X = _planted()
    model = Popularity().fit(X[["user", "item"]])
    _, _, fallback = model.recommend(["n1"], return_fallback=True,
                                     user_features=_user_rows(["n1"], ["d"])[["user", "item"]]
                                     .assign(f=1.0))
    assert fallback.all()


# --------------------------------------------------------- MF side features
def test_mf_penalizes_its_feature_terms():
    X = _planted()[["user", "item"]]
    X["user__x"] = (X["user"] % 3).astype(float)
    X["item__x"] = (X["item"] % 5).astype(float)
    y = np.ones(len(X)) * 4.0
    model = MF(side_features=True, max_iter=2, device="cpu", random_state=0).fit(X, y)
    m = model.module_
    user = torch.arange(4)
    item = torch.arange(4)
    ux = torch.ones(4, m.user_feature_proj.in_features)
    with torch.no_grad():
        m.user_feature_proj.weight.zero_()
        m.item_feature_proj.weight.zero_()
        _, base = m(user, item, user_x=ux)
        m.user_feature_proj.weight.fill_(1.0)
        _, with_user = m(user, item, user_x=ux)
        m.item_feature_proj.weight.fill_(1.0)
        _, with_both = m(user, item, user_x=ux)
    assert with_user > base
    assert with_both > with_user


def test_score_items_frame_names_the_cold_items(fitted):
    _, models = fitted
    model = models["ContentBased"]
    scores = model.score_items([0, 1], item_features=_cold_rows())
    frame = model.score_items([0, 1], item_features=_cold_rows(), as_frame=True)
    assert len(frame) == 2 * N_ITEMS
    for r, user in enumerate([0, 1]):
        sub = frame[frame["user"] == user]
        # the fitted catalog, then the cold items in their order of first appearance
        assert sub["item"].tolist() == list(model.item_ids_) + list(range(N_WARM, N_ITEMS))
        np.testing.assert_allclose(sub["score"], scores[r])
    new = np.arange(N_WARM, N_ITEMS)[::-1]
    frame = model.score_items([0], candidates=new, item_features=_cold_rows(), as_frame=True)
    assert frame["item"].tolist() == new.tolist()
