"""
Quick start: recommend popular items
====================================

Generate a small synthetic interaction table, fit the
:class:`~skrec.baselines.Popularity` baseline, ask it for top-5 lists and look
at the results as a table and as a plot.
"""

# %%
# The data
# --------
# :func:`~skrec.datasets.make_interactions` draws interactions from planted
# user and item preferences plus a Zipf-like popularity bias. ``X`` is an
# interaction table: one row per interaction, with ``user`` and ``item``
# columns (read by name), a ``timestamp`` and a ``session``.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import skrec
from skrec.baselines import Popularity
from skrec.datasets import make_interactions

data = make_interactions(n_users=200, n_items=40, random_state=0)
X = data.X
print(f"{len(X)} interactions, {X['user'].nunique()} users, {X['item'].nunique()} items")
X.head()

# %%
# Fit and recommend
# -----------------
# ``recommend`` returns two arrays of shape ``(n_users, k)``: the item ids,
# best first, and their scores. Items a user already has are excluded; a
# slot with nothing left to recommend would get the score ``-inf``.
model = Popularity().fit(X)
users = model.user_ids_[:5]
items, scores = model.recommend(users, k=5)
print(items)

# %%
# The same lists as a long table, one row per (user, rank):
table = pd.DataFrame(
    {
        "user": np.repeat(users, items.shape[1]),
        "rank": np.tile(np.arange(1, items.shape[1] + 1), len(users)),
        "item": items.ravel(),
        "score": scores.ravel(),
    }
)
table.head(10)

# %%
# An unknown user with a little history (their interactions so far) gets
# the popular items they do not have yet. :func:`skrec.recommend` accepts a
# bare recommender, a pipeline or a fitted search object alike.
history = pd.DataFrame({"user": ["new", "new"], "item": items[0, :2]})
new_items, new_scores = skrec.recommend(model, ["new"], k=5, history=history)
print("history:", history["item"].tolist(), "-> recommended:", new_items[0].tolist())

# %%
# Item popularity
# ---------------
# The model's score is each item's number of training interactions,
# ``item_popularity_`` (aligned with ``item_ids_``). The long tail is the
# planted Zipf-like bias.
order = np.argsort(-model.item_popularity_)
fig, ax = plt.subplots(figsize=(8, 3.5))
ax.bar(np.arange(len(order)), model.item_popularity_[order], color="tab:blue")
ax.set_xticks(np.arange(len(order)))
ax.set_xticklabels(model.item_ids_[order], rotation=90, fontsize=7)
ax.set_xlabel("item id (most popular first)")
ax.set_ylabel("training interactions")
ax.set_title("Item popularity: what the Popularity baseline ranks by")
fig.tight_layout()
plt.show()
