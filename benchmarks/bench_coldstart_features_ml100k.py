"""Cold items and new users from side features on MovieLens 100K.

Prints one JSON line per model and protocol, all measured in the same run:

(a) ``cold_items``: :class:`~skrec.model_selection.ColdStartItemSplit`
    (5 folds of the items, seed 0; ``--folds`` of them, default 2), every rating
    a positive. NDCG@10 and Recall@20 of the ranking scorer with
    ``cold_items="only"`` (the test items, unseen at fit, ranked among
    themselves from the features of their rows): FM (implicit, BCE) and
    ContentBased behind ``SideFeatureJoiner`` (u.item genres and year, u.user
    age, gender, occupation), and the popularity of features (a test item
    scores the mean, over its genres, of the mean training popularity of the
    items of that genre). Popularity cannot rank unseen items: with the
    default ``cold_items="rank"`` the scorer warns and it scores 0.
(b) ``new_users``: :class:`~skrec.model_selection.ColdStartUserSplit`
    (5 folds of the users, seed 0, first fold): the test users are described
    by their attributes only (``user_features=``, no history); NDCG@10 and
    Recall@20 over the whole catalog of FM against Popularity.
(c) ``mf_side``: random 90/10 split of the ratings (seed 0): RMSE of
    ``MF()`` on ids and of ``MF(side_features=True)`` behind the README's
    pipeline (joiner, then ``make_side_feature_transformer`` one-hot
    encoding gender and occupation and standardizing age, year and the 19
    genre flags).

torch runs with one thread. Usage:
python benchmarks/bench_coldstart_features_ml100k.py [--parts cold_items,new_users,mf_side]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, require_shared  # noqa: E402

from skrec import USER  # noqa: E402
from skrec.base import BaseRecommender, RecommenderTags  # noqa: E402


def load(path):
    """(X with ratings, user table, item table) of MovieLens 100K."""
    from skrec.datasets import fetch_movielens

    data = fetch_movielens("100k", data_home=path, download_if_missing=False)
    X = data.X[["user", "item"]].assign(rating=data.y)
    users = data.user_features[["user", "age", "gender", "occupation"]].copy()
    users["age"] = users["age"].astype(float)
    items = data.item_features[["item", "genres"]].copy()
    year = data.item_features["year"].astype(float)
    items["year"] = year.fillna(year.median()).to_numpy()
    return X, users, items


class FeaturePopularity(BaseRecommender):
    """Benchmark-local baseline: the popularity of an item's genres.

    A genre's popularity is the mean number of training interactions of the
    items of that genre; an item (seen at fit or not) scores the mean over
    its genres. The same ranking for every user.
    """

    def __skrec_tags__(self):
        return RecommenderTags(side_features=True, cold_items=True)

    def _fit(self, data):
        genres = data.features["item__genres"].to_numpy()
        first = pd.Series(np.arange(len(data.item))).groupby(data.item).first().to_numpy()
        pop = self.item_popularity_
        totals, counts = {}, {}
        for code, row in enumerate(first):
            for g in genres[row]:
                totals[g] = totals.get(g, 0.0) + pop[code]
                counts[g] = counts.get(g, 0) + 1
        self.genre_popularity_ = {g: totals[g] / counts[g] for g in totals}
        self._item_scores = self._scores(genres[first])
        return self

    def _scores(self, bags):
        return np.array([np.mean([self.genre_popularity_.get(g, 0.0) for g in b]) if len(b)
                         else 0.0 for b in bags])

    def _score_items(self, context, item_idx):
        scores = self._item_scores
        if context.new_items is not None:
            scores = np.r_[scores, self._scores(context.new_items["item__genres"].to_numpy())]
        if item_idx is not None:
            scores = scores[item_idx]
        return np.tile(scores, (len(context), 1))


def _joiner(users, items):
    from skrec.compose import SideFeatureJoiner, SideTable

    return SideFeatureJoiner(user_features=SideTable(users, key="user"),
                             item_features=SideTable(items, key="item"))


def _fm(args):
    from skrec.ctr import FM

    return FM(feedback="implicit", loss="bce", n_factors=16, reg=args.fm_reg, lr=args.fm_lr,
              batch_size=2048, max_iter=args.max_iter, device="cpu", random_state=0)


def cold_items_part(X, users, items, args):
    from sklearn.pipeline import make_pipeline

    from skrec.baselines import ContentBased, Popularity
    from skrec.metrics import make_ranking_scorer
    from skrec.model_selection import ColdStartItemSplit

    Xi = X[["user", "item"]]
    models = {
        "FM (attributes)": lambda: make_pipeline(_joiner(users, items), _fm(args)),
        "ContentBased": lambda: make_pipeline(_joiner(users, items), ContentBased()),
        "popularity of features": lambda: make_pipeline(_joiner(users, items),
                                                         FeaturePopularity()),
    }
    only = make_ranking_scorer(["ndcg@10", "recall@20"], cold_items="only",
                               cold_users="skip")
    rank = make_ranking_scorer(["ndcg@10", "recall@20"], cold_users="skip")
    splits = list(ColdStartItemSplit(n_splits=5, random_state=0).split(Xi))[: args.folds]
    for fold, (tr, te) in enumerate(splits):
        common = dict(benchmark="coldstart_features_ml100k", fold=fold,
                      protocol="cold items: ColdStartItemSplit 5 folds seed 0, implicit, "
                               "cold_items='only', cold users skipped",
                      n_train=len(tr), n_test=len(te),
                      n_test_items=int(Xi.iloc[te]["item"].nunique()))
        for name, make in models.items():
            if args.models and name.split(" ")[0] not in args.models.split(","):
                continue
            t0 = time.perf_counter()
            model = make().fit(Xi.iloc[tr])
            fit_s = time.perf_counter() - t0
            v = only(model, Xi.iloc[te])
            emit(model=name, ndcg_at_10=round(v["ndcg@10"], 4),
                 recall_at_20=round(v["recall@20"], 4), fit_s_loaded=round(fit_s, 1), **common)
            if name == "FM (attributes)":  # new items among the whole catalog
                v = rank(model, Xi.iloc[te])
                emit(model=name, cold_items="rank (whole catalog)",
                     ndcg_at_10=round(v["ndcg@10"], 4), recall_at_20=round(v["recall@20"], 4),
                     **common)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            v = rank(Popularity().fit(Xi.iloc[tr]), Xi.iloc[te])
        emit(model="Popularity", cold_items="rank (whole catalog)",
             ndcg_at_10=round(v["ndcg@10"], 4), recall_at_20=round(v["recall@20"], 4),
             warned=any("unseen at fit" in str(w.message) for w in caught), **common)


def new_users_part(X, users, items, args):
    from sklearn.pipeline import make_pipeline

    import skrec
    from skrec.baselines import Popularity
    from skrec.metrics import ndcg_at_k, recall_at_k
    from skrec.model_selection import ColdStartUserSplit

    Xi = X[["user", "item"]]
    tr, te = next(ColdStartUserSplit(n_splits=5, random_state=0).split(Xi))
    train, test = Xi.iloc[tr], Xi.iloc[te]
    common = dict(benchmark="coldstart_features_ml100k",
                  protocol="new users: ColdStartUserSplit 5 folds seed 0 (fold 0), implicit, "
                           "test users scored from user_features only (no history)",
                  n_train=len(train), n_test=len(test), n_test_users=int(test.user.nunique()))
    fm = make_pipeline(_joiner(users, items), _fm(args))
    t0 = time.perf_counter()
    fm.fit(train)
    fit_s = time.perf_counter() - t0
    pop = Popularity().fit(train)
    new = pd.unique(test[USER])
    catalog = pop.item_ids_
    known = test[test.item.isin(catalog)]
    col = pd.Index(catalog).get_indexer(known.item)
    row = pd.Index(new).get_indexer(known.user)
    truth = sp.csr_array((np.ones(len(row)), (row, col)), shape=(len(new), len(catalog)))
    truth.data[:] = 1.0
    # One row per new user: their id and any item (ignored); the joiner adds
    # their age, gender and occupation.
    rows = pd.DataFrame({"user": new, "item": catalog[0]})
    for name, scores in (
        ("FM (attributes)", skrec.score_items(fm, new, catalog, user_features=rows)),
        ("Popularity", skrec.score_items(pop, new, catalog)),
    ):
        emit(model=name, ndcg_at_10=round(float(ndcg_at_k(truth, scores, 10)), 4),
             recall_at_20=round(float(recall_at_k(truth, scores, 20)), 4),
             fit_s_loaded=round(fit_s, 1) if name.startswith("FM") else None, **common)


def mf_side_part(X, users, items, args):
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline

    from skrec.compose import make_side_feature_transformer
    from skrec.factorization import MF

    genres = sorted({g for b in items["genres"] for g in b})
    flags = pd.DataFrame({f"g_{g}": [float(g in b) for b in items["genres"]] for g in genres})
    item_table = pd.concat([items[["item", "year"]].reset_index(drop=True), flags], axis=1)
    train, test = train_test_split(X, test_size=0.1, random_state=0)
    common = dict(benchmark="coldstart_features_ml100k", protocol="rating: random 90/10 seed 0",
                  n_train=len(train), n_test=len(test))
    numeric = ["user__age", "item__year"] + [f"item__{c}" for c in flags.columns]
    runs = {
        "MF (ids)": lambda: MF(device="cpu", random_state=0),
        "MF(side_features=True) behind the README pipeline": lambda: make_pipeline(
            _joiner(users, item_table),
            make_side_feature_transformer(categorical=["user__gender", "user__occupation"],
                                          numeric=numeric),
            MF(side_features=True, device="cpu", random_state=0)),
    }
    cols = ["user", "item"]
    for name, make in runs.items():
        t0 = time.perf_counter()
        model = make().fit(train[cols], train["rating"])
        fit_s = time.perf_counter() - t0
        pred = model.predict(test[cols])
        rmse = float(np.sqrt(np.mean((pred - test["rating"].to_numpy()) ** 2)))
        emit(model=name, rmse=round(rmse, 4), fit_s_loaded=round(fit_s, 1), **common)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="cold_items,new_users,mf_side")
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--models", default="", help="e.g. FM,ContentBased (default: all)")
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--fm-reg", type=float, default=1e-3)
    parser.add_argument("--fm-lr", type=float, default=0.005)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    X, users, items = load(require_shared("ml-100k"))
    parts = args.parts.split(",")
    if "cold_items" in parts:
        cold_items_part(X, users, items, args)
    if "new_users" in parts:
        new_users_part(X, users, items, args)
    if "mf_side" in parts:
        mf_side_part(X, users, items, args)


if __name__ == "__main__":
    main()
