"""Tests for skrec.ensemble.GatedBlend (the BALSE gate on item popularity)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

import skrec.io
from skrec.base import BaseRecommender, RecommenderTags
from skrec.baselines import Popularity
from skrec.ensemble import GatedBlend
from skrec.factorization import MF

FAST = dict(max_iter=30, lr=0.05, batch_size=128, device="cpu", random_state=0)


class GenreMean(BaseRecommender):
    """A model of the item's tags only: global mean + user offset + genre offset.

    A test double for the talk's "LASSO on item tags": it knows nothing of
    an item beyond its ``genre`` column, so it is as good on an item with
    three ratings as on one with sixty.
    """

    def __init__(self, shrink=1.0):
        self.shrink = shrink

    def __skrec_tags__(self):
        return RecommenderTags(feedback="explicit", side_features=True)

    def _fit(self, data):
        genre = data.features["genre"].to_numpy()
        self.genres_, g = np.unique(genre, return_inverse=True)
        mu = float(np.mean(data.y))
        r = data.y - mu
        self.user_off_ = (np.bincount(data.user, r, data.n_users)
                          / (np.bincount(data.user, minlength=data.n_users) + self.shrink))
        r = r - self.user_off_[data.user]
        self.genre_off_ = np.bincount(g, r) / (np.bincount(g) + self.shrink)
        item_genre = np.zeros(data.n_items, dtype=np.int64)
        item_genre[data.item] = g
        self.item_genre_, self.mu_ = item_genre, mu
        return self

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        return self.mu_ + self.user_off_[user_idx] + self.genre_off_[self.item_genre_[item_idx]]

    def _score_items(self, context, item_idx):
        items = np.arange(self.n_items_) if item_idx is None else item_idx
        user = np.where(context.known, self.user_off_[np.maximum(context.codes, 0)], 0.0)
        return self.mu_ + user[:, None] + self.genre_off_[self.item_genre_[items]][None, :]


def planted(seed=0):
    """Ratings = genre mean + a rank-3 user x item term + noise.

    20 popular items (60 rows each) and 100 rare ones (4 rows each). The
    genre explains the item's mean; the rank-3 term only collaborative
    filtering can learn, and only for items with enough rows. Test rows: 10
    per popular item, 2 per rare item.
    """
    rng = np.random.RandomState(seed)
    n_users, n_pop, n_rare = 120, 20, 100
    n_items = n_pop + n_rare
    genre = np.arange(n_items) % 4
    gmean = np.array([-1.5, -0.5, 0.5, 1.5])
    U, V = rng.normal(0, 1, (n_users, 3)), rng.normal(0, 1, (n_items, 3))
    rows = [(u, j) for j in range(n_items)
            for u in rng.choice(n_users, 60 if j < n_pop else 4, replace=False)]
    X = pd.DataFrame(rows, columns=["user", "item"])
    X["genre"] = pd.Series(genre[X["item"]]).map("g{}".format)
    u, i = X["user"].to_numpy(), X["item"].to_numpy()
    y = 3 + gmean[genre[i]] + 0.5 * np.sum(U[u] * V[i], axis=1) + rng.normal(0, 0.3, len(X))
    test = np.zeros(len(X), dtype=bool)
    for j in range(n_items):
        test[rng.choice(np.flatnonzero(i == j), 10 if j < n_pop else 2, replace=False)] = True
    return X[~test], y[~test], X[test], y[test], X[test]["item"].to_numpy() >= n_pop


def _rmse(pred, y):
    return float(np.sqrt(np.mean((pred - y) ** 2)))


@pytest.fixture(scope="module")
def fitted():
    Xtr, ytr, Xte, yte, rare = planted()
    blend = GatedBlend([MF(n_factors=4, reg=0.05, **FAST), GenreMean()],
                       random_state=0).fit(Xtr, ytr)
    return blend, Xtr, ytr, Xte, yte, rare


# ------------------------------------------------------------ known answer
def test_gate_goes_to_cf_on_popular_items_and_blend_beats_both(fitted):
    blend, Xtr, ytr, Xte, yte, rare = fitted
    mf, tags = blend.estimators_
    err = {name: _rmse(model.predict(Xte), yte)
           for name, model in (("mf", mf), ("tags", tags), ("blend", blend))}
    err_rare = {name: _rmse(model.predict(Xte[rare]), yte[rare])
                for name, model in (("mf", mf), ("tags", tags), ("blend", blend))}
    err_pop = {name: _rmse(model.predict(Xte[~rare]), yte[~rare])
               for name, model in (("mf", mf), ("tags", tags))}
    # The planted roles: CF wins on popular items, the tag model on rare ones.
    assert err_pop["mf"] < err_pop["tags"]
    assert err_rare["tags"] < err_rare["mf"]
    # The gate learns it: the weight on the first model grows with R_j.
    assert blend.beta_ > 0
    w = blend.gate_weights([1, 2, 10, 50])
    assert w[0] < 0.5 < w[-1] and np.all(np.diff(w) > 0)
    # The blend beats both parts on the mixed test set and on the rare items,
    # and popularity by far.
    assert err["blend"] < min(err["mf"], err["tags"])
    assert err_rare["blend"] < min(err_rare["mf"], err_rare["tags"])
    pop = Popularity().fit(Xtr[["user", "item"]])
    assert err["blend"] < 0.5 * _rmse(pop.predict(Xte[["user", "item"]]), yte)
    # The held-out losses say the same.
    loss = blend.holdout_loss_
    assert loss["blend"] < min(loss["mf"], loss["genremean"])


def test_fitted_attributes(fitted):
    blend, Xtr, *_ = fitted
    assert list(blend.named_estimators_) == ["mf", "genremean"]
    assert blend.named_estimators_["mf"] is blend.estimators_[0]
    # R_j counts every training row of the item (refit=True).
    counts = Xtr["item"].value_counts()
    np.testing.assert_array_equal(blend.item_counts_, counts.loc[blend.item_ids_].to_numpy())
    assert 0 < blend.n_holdout_ <= 0.2 * len(Xtr)
    assert blend.n_iter_ >= 1
    # The inner estimators were cloned, not fitted in place.
    assert not hasattr(blend.estimators[0], "module_")


# ------------------------------------------------------------- gate limits
def _two_models(fitted):
    blend, _, _, Xte, *_ = fitted
    X = Xte.head(40)
    pa, pb = (est.predict(X) for est in blend.estimators_)
    return blend, X, pa, pb


def test_zero_beta_is_the_equal_blend(fitted):
    blend, X, pa, pb = _two_models(fitted)
    b = pickle.loads(pickle.dumps(blend))
    b.beta_ = 0.0
    np.testing.assert_allclose(b.predict(X), (pa + pb) / 2)
    np.testing.assert_allclose(b.gate_weights([0, 5, 1000]), [0.5, 0.5, 0.5])
    users = b.user_ids_[:3]
    sa, sb = (est.score_items(users) for est in b.estimators_)
    np.testing.assert_allclose(b.score_items(users), (sa + sb) / 2)


def test_steep_gate_switches_at_gamma(fitted):
    blend, X, pa, pb = _two_models(fitted)
    b = pickle.loads(pickle.dumps(blend))
    b.beta_, b.gamma_ = 1e6, np.log1p(10.0)  # a step at R = 10 rows
    count = b.item_counts_[b.encode_items(X["item"])]
    want = np.where(count > 10, pa, pb)
    np.testing.assert_allclose(b.predict(X), want)
    # At R = gamma exactly the two weigh the same; an unseen item has R = 0.
    np.testing.assert_allclose(b.gate_weights([10, 0, 11]), [0.5, 0.0, 1.0])
    b.beta_ = -1e6  # the other way round
    np.testing.assert_allclose(b.predict(X), np.where(count > 10, pb, pa))


def test_linear_scale_reads_raw_counts(fitted):
    blend, *_ = fitted
    b = pickle.loads(pickle.dumps(blend))
    b.set_params(scale="linear")
    b.beta_, b.gamma_ = 0.5, 4.0
    np.testing.assert_allclose(b.gate_weights([4.0, 6.0]), [0.5, 1 / (1 + np.exp(-1.0))])


def test_unknown_item_uses_zero_count_and_each_models_fallback(fitted):
    blend, _, _, Xte, *_ = fitted
    row = Xte.head(1).copy()
    row["item"] = "new-item"
    pa, pb = (est.predict(row) for est in blend.estimators_)
    g = expit(blend.beta_ * (np.log1p(0.0) - blend.gamma_))
    np.testing.assert_allclose(blend.predict(row), g * pa + (1 - g) * pb)


# ------------------------------------------------- scikit-learn machinery
def test_params_reach_the_inner_estimators():
    blend = GatedBlend([MF(n_factors=4), GenreMean()])
    params = blend.get_params()
    assert params["mf__n_factors"] == 4 and params["genremean__shrink"] == 1.0
    blend.set_params(mf__n_factors=7, genremean=GenreMean(shrink=3.0))
    assert blend.estimators[0].n_factors == 7
    assert blend.estimators[1].shrink == 3.0
    assert isinstance(blend.estimators, list)
    cloned = clone(blend)
    assert cloned.estimators[0] is not blend.estimators[0]
    assert cloned.get_params()["mf__n_factors"] == 7
    named = GatedBlend([("cf", MF()), ("tags", GenreMean())])
    named.set_params(cf__reg=0.5, tags=GenreMean(shrink=2.0))
    assert named.estimators[0] == ("cf", named.estimators[0][1])
    assert named.estimators[0][1].reg == 0.5 and named.estimators[1][1].shrink == 2.0
    assert GatedBlend([MF(), MF()]).get_params()["mf-2__n_factors"] == 32


def test_grid_search_reaches_inner_params():
    Xtr, ytr, *_ = planted()
    blend = GatedBlend([MF(n_factors=2, **dict(FAST, max_iter=3)), GenreMean()],
                       random_state=0)
    search = GridSearchCV(blend, {"genremean__shrink": [1.0, 50.0]}, cv=KFold(2),
                          scoring="neg_root_mean_squared_error").fit(Xtr, ytr)
    assert search.best_estimator_.estimators_[1].shrink in (1.0, 50.0)
    assert len(search.cv_results_["params"]) == 2


def test_tags_combine_the_inner_models():
    from skrec.utils import get_recommender_tags

    tags = get_recommender_tags(GatedBlend([MF(), GenreMean()]))
    assert tags.feedback == "explicit"
    assert tags.side_features  # GenreMean reads the genre column
    assert not tags.fold_in  # GenreMean does not fold in
    assert tags.torch
    both = get_recommender_tags(GatedBlend([MF(), MF(n_factors=2)]))
    assert both.fold_in and not both.side_features


def test_fold_in_passes_history_to_both_models():
    Xtr, ytr, *_ = planted()
    X = Xtr[["user", "item"]]
    blend = GatedBlend([MF(n_factors=4, **FAST), MF(n_factors=2, **FAST)],
                       random_state=0).fit(X, ytr)
    hist = X[X["user"] == X["user"].iloc[0]].assign(user="new")
    hy = ytr[(X["user"] == X["user"].iloc[0]).to_numpy()]
    got = blend.score_items(["new"], history=hist, history_y=hy)
    sa, sb = (est.score_items(["new"], history=hist, history_y=hy)
              for est in blend.estimators_)
    g = blend.gate_weights()[None, :]
    np.testing.assert_allclose(got, g * sa + (1 - g) * sb, rtol=1e-5, atol=1e-6)
    items, _ = blend.recommend(["new"], k=5, history=hist, history_y=hy, on_unknown="error")
    assert not set(items[0]) & set(hist["item"])


def test_round_trip_io(fitted, tmp_path):
    blend, _, _, Xte, *_ = fitted
    path = tmp_path / "blend.skrec"
    skrec.io.dump(GatedBlend([MF(n_factors=2, **FAST), MF(n_factors=3, **FAST)],
                             random_state=0).fit(Xte[["user", "item"]], np.ones(len(Xte))),
                  path)
    loaded = skrec.io.load(path)
    assert isinstance(loaded, GatedBlend)
    assert list(loaded.named_estimators_) == ["mf-1", "mf-2"]


# --------------------------------------------------------------- bad input
@pytest.mark.parametrize("estimators, match", [
    ([MF()], "exactly two"),
    ([MF(), MF(), MF()], "exactly two"),
    ([("a", MF()), MF()], "name both or neither"),
    ([("a", MF()), ("a", MF())], "twice"),
    ([("a__b", MF()), ("c", MF())], "must not contain '__'"),
    ([("refit", MF()), ("c", MF())], "parameter name"),
])
def test_bad_estimators_value_error(estimators, match):
    Xtr, ytr, *_ = planted()
    with pytest.raises(ValueError, match=match):
        GatedBlend(estimators).fit(Xtr[["user", "item"]], ytr)


def test_feedback_must_agree_and_not_be_implicit():
    Xtr, ytr, *_ = planted()
    X = Xtr[["user", "item"]]
    with pytest.raises(ValueError, match="different feedback"):
        GatedBlend([MF(), Popularity()]).fit(X, ytr)
    with pytest.raises(ValueError, match="implicit feedback"):
        GatedBlend([Popularity(), Popularity()]).fit(X)


def test_not_a_recommender_type_error():
    from sklearn.linear_model import Ridge

    Xtr, ytr, *_ = planted()
    with pytest.raises(TypeError, match="'ridge'.*score_items"):
        GatedBlend([MF(), Ridge()]).fit(Xtr[["user", "item"]], ytr)


@pytest.mark.parametrize("params, match", [
    ({"holdout_size": 0.0}, "holdout_size"),
    ({"holdout_size": 1.0}, "holdout_size"),
    ({"scale": "log"}, "scale"),
    ({"max_iter": 0}, "max_iter"),
])
def test_bad_params(params, match):
    Xtr, ytr, *_ = planted()
    with pytest.raises(ValueError, match=match):
        GatedBlend([MF(), MF()], **params).fit(Xtr[["user", "item"]], ytr)


def test_no_row_to_hold_out_warns_and_blends_equally():
    X = pd.DataFrame({"user": [0, 1, 2], "item": [0, 1, 2]})
    with pytest.warns(UserWarning, match="hold out no row"):
        blend = GatedBlend([MF(n_factors=2, **FAST), MF(n_factors=3, **FAST)]).fit(
            X, [1.0, 2.0, 3.0])
    assert blend.beta_ == 0 and blend.n_holdout_ == 0 and blend.holdout_loss_ == {}


def test_gate_weights_bad_counts(fitted):
    blend, *_ = fitted
    with pytest.raises(ValueError, match="counts"):
        blend.gate_weights([-1.0])


def test_holdout_keeps_a_row_of_every_user_and_item():
    blend = GatedBlend([MF(), MF()], holdout_size=0.9, random_state=0)
    rng = np.random.RandomState(0)
    user, item = rng.randint(0, 30, 400), rng.randint(0, 20, 400)
    hold = blend._holdout_mask(user, item, 30, 20)
    assert set(user[~hold]) == set(user) and set(item[~hold]) == set(item)
    again = GatedBlend([MF(), MF()], holdout_size=0.9, random_state=0)
    np.testing.assert_array_equal(hold, again._holdout_mask(user, item, 30, 20))


def test_binary_feedback_blends_probabilities_with_log_loss():
    from skrec.ctr import FM

    Xtr, ytr, Xte, yte, _ = planted()
    labels = (ytr >= 3).astype(float)
    params = dict(loss="bce", max_iter=10, lr=0.05, batch_size=128, device="cpu",
                  random_state=0)
    blend = GatedBlend([("ids", FM(n_factors=2, **params)), ("genre", FM(n_factors=4, **params))],
                       random_state=0).fit(Xtr, labels)
    proba = blend.predict(Xte)
    assert ((proba >= 0) & (proba <= 1)).all()
    loss = blend.holdout_loss_
    # Log loss is convex: the equal blend (the optimizer's start) is no worse than
    # the worse part, and the optimizer only goes down from there.
    assert loss["blend"] <= max(loss["ids"], loss["genre"])
    assert np.isfinite([blend.beta_, blend.gamma_]).all()


def test_refit_false_keeps_the_models_fitted_without_the_holdout():
    Xtr, ytr, *_ = planted()
    X = Xtr[["user", "item"]]
    blend = GatedBlend([MF(n_factors=2, **dict(FAST, max_iter=3)),
                        MF(n_factors=3, **dict(FAST, max_iter=3))],
                       refit=False, random_state=0).fit(X, ytr)
    # R_j counts the rows the blended models saw: all but the held-out ones.
    assert blend.item_counts_.sum() == len(X) - blend.n_holdout_
    assert blend.estimators_[0].seen_.nnz == len(X) - blend.n_holdout_
    assert (blend.item_counts_ >= 1).all()  # every item kept a row
