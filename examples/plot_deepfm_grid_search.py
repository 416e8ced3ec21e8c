"""
Tuning DeepFM on MovieLens 100K attributes with GridSearchCV
============================================================

A recommender pipeline is an ordinary scikit-learn pipeline, so
:class:`~sklearn.model_selection.GridSearchCV` tunes the feature encoding and
the model together. Here:

1. :class:`~skrec.compose.SideFeatureJoiner` joins the users' age, gender
   and occupation and the movies' release year and genres onto each rating;
2. :func:`~skrec.compose.make_side_feature_transformer` one-hot encodes
   gender and occupation (:class:`~sklearn.preprocessing.OneHotEncoder`) and
   maps age and year to quantiles
   (:class:`~sklearn.preprocessing.QuantileTransformer`); the genres (a
   list per movie) pass through and DeepFM reads them as a bag;
3. :class:`~skrec.ctr.DeepFM` predicts whether a rating is a "like"
   (4 or 5 stars).
"""

# %%
# The data
# --------
# :func:`~skrec.datasets.fetch_movielens` downloads MovieLens 100K once into
# the skrec cache and returns the ratings with the user and movie tables. To
# keep the example short we use the ratings of 300 users.
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.pipeline import make_pipeline

from skrec.compose import SideFeatureJoiner, SideTable, make_side_feature_transformer
from skrec.ctr import DeepFM
from skrec.datasets import fetch_movielens

try:
    data = fetch_movielens("100k", download_if_missing=False)
except OSError:  # not cached yet: a copy next to the checkout, else the download
    here = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
    shared = here.parent.parent / "shared" / "data" / "ml-100k"
    data = fetch_movielens("100k", data_home=shared if shared.is_dir() else None)
keep = data.X["user"] <= 300
X = data.X.loc[keep, ["user", "item"]].reset_index(drop=True)
y = (data.y[keep.to_numpy()] >= 4).astype(float)  # a "like"
users = data.user_features[["user", "age", "gender", "occupation"]]
items = data.item_features[["item", "genres"]].assign(
    year=data.item_features["year"].astype(float).fillna(data.item_features["year"].median())
)
print(f"{len(X)} ratings, {X.user.nunique()} users, {X.item.nunique()} movies, "
      f"{y.mean():.0%} likes")
items.head(3)

# %%
# The pipeline
# ------------
# ``SideTable`` makes the lookup tables cheap to clone: the search clones the
# pipeline for every candidate and fold.
pipe = make_pipeline(
    SideFeatureJoiner(user_features=SideTable(users, key="user"),
                      item_features=SideTable(items, key="item")),
    make_side_feature_transformer(
        categorical=["user__gender", "user__occupation"],
        numeric=["user__age", "item__year"],
        scaler="quantile",
    ),
    DeepFM(n_factors=8, max_iter=3, batch_size=512, lr=0.005, device="cpu", random_state=0),
)
pipe[:-1].fit_transform(X).head(3)

# %%
# The search
# ----------
# Two encoder parameters (how finely age and year are binned into
# quantiles) and two model parameters (the width of the MLP) are searched
# together: four candidates, each fitted on 80% of the ratings and scored by
# the ROC AUC of its predicted like probability on the other 20%.
param_grid = {
    "columntransformer__numeric__n_quantiles": [5, 100],
    "deepfm__hidden_layer_sizes": [(16,), (64, 32)],
}
search = GridSearchCV(
    pipe, param_grid,
    scoring=make_scorer(roc_auc_score, response_method="predict"),
    cv=ShuffleSplit(n_splits=1, test_size=0.2, random_state=0),
)
search.fit(X, y)
print("best:", search.best_params_, f"AUC {search.best_score_:.3f}")

# %%
# The results
# -----------
# ``cv_results_`` holds one row per candidate.
results = pd.DataFrame(search.cv_results_)
table = results[["param_columntransformer__numeric__n_quantiles",
                 "param_deepfm__hidden_layer_sizes", "mean_test_score", "mean_fit_time"]]
table = table.rename(columns=lambda c: c.removeprefix("param_").split("__")[-1])
table.sort_values("mean_test_score", ascending=False)

# %%
labels = [f"q={q}, mlp={h}" for q, h in zip(
    results["param_columntransformer__numeric__n_quantiles"],
    results["param_deepfm__hidden_layer_sizes"])]
fig, ax = plt.subplots(figsize=(6, 2.5))
order = np.argsort(results["mean_test_score"].to_numpy())
ax.barh(np.array(labels)[order], results["mean_test_score"].to_numpy()[order], color="C0")
ax.set_xlim(0.5, max(0.8, results["mean_test_score"].max() + 0.02))
ax.set_xlabel("held-out ROC AUC")
fig.tight_layout()

# %%
# The refitted best pipeline predicts like any scikit-learn estimator; the
# search object also works with :func:`skrec.recommend`, which unwraps it.
import skrec  # noqa: E402

proba = search.predict(X.head(3))
items_, scores = skrec.recommend(search, [1, 2], k=5)
print(np.round(proba, 3), items_.tolist())
