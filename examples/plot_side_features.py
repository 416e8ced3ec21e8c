"""
Side features in a pipeline
===========================

Join user and item attributes onto an interaction table, encode them, and
keep recommending through the pipeline, for known users and for a newcomer
described only by a few interactions.

Transformers in a recommender pipeline only add or change columns: the rows
(interactions) stay exactly as they are, so splitters, searches and the
``history`` passed at recommendation time all keep their meaning.
"""

# %%
# Lookup tables
# -------------
# :func:`~skrec.datasets.make_interactions` also returns one table of user
# attributes and one of item attributes, each with one row per id.
# :class:`~skrec.compose.SideTable` wraps such a table: it checks that ids
# are unique and makes the table cheap to clone (a search clones the whole
# pipeline for every candidate and fold).
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skrec
from skrec.baselines import Popularity
from skrec.compose import SideFeatureJoiner, SideTable, make_side_feature_transformer
from skrec.datasets import make_interactions

data = make_interactions(n_users=100, n_items=30, random_state=0)
X = data.X[["user", "item", "timestamp"]]
users = SideTable(data.user_features, key="user")
items = SideTable(data.item_features, key="item")
print(users)
print(items)
data.item_features.head()

# %%
# Joining
# -------
# :class:`~skrec.compose.SideFeatureJoiner` left-joins the tables onto ``X``
# with ``user__`` and ``item__`` prefixes. Every row is kept, in order; an id
# missing from its table gets ``NaN`` features.
joiner = SideFeatureJoiner(user_features=users, item_features=items)
joined = joiner.fit_transform(X)
assert len(joined) == len(X)
joined.head()

# %%
# Encoding
# --------
# :func:`~skrec.compose.make_side_feature_transformer` is a
# :class:`~sklearn.compose.ColumnTransformer` preset: one-hot categorical
# columns, scaled numeric columns, and every other column (``user``,
# ``item``, ``timestamp``) passed through under its own name, so the
# recommender at the end of the pipeline still finds them.
# Every skrec model refuses ``NaN`` side features, and a new user (missing
# from the user table) gets ``NaN`` from the joiner: the numeric columns are
# imputed (with the training mean) before they are scaled.
encoder = make_side_feature_transformer(
    categorical=["user__segment", "item__genre"],
    numeric=["user__uf0", "user__uf1", "item__if0", "item__if1"],
    scaler=make_pipeline(SimpleImputer(), StandardScaler()),
)
encoder.fit_transform(joined).head()

# %%
# The pipeline
# ------------
# A pipeline does not forward ``recommend``; :func:`skrec.recommend` reaches
# the recommender inside it and passes ``history`` through the transformers
# first. ``history`` therefore needs the columns ``X`` had at fit.
pipe = make_pipeline(joiner, encoder, Popularity()).fit(X)
newcomer = pd.DataFrame({"user": ["new", "new"], "item": [0, 1], "timestamp": [0, 1]})
rec_items, rec_scores = skrec.recommend(pipe, [0, 1, "new"], k=5, history=newcomer)
pd.DataFrame(
    {"user": [0, 1, "new"], "top-5 items": rec_items.tolist(), "scores": rec_scores.tolist()}
)

# %%
# :class:`~skrec.baselines.Popularity` ignores the side features; feature-aware
# models read the encoded columns, with the same pipeline around them.
