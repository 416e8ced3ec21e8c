"""
Click prediction with side features: FM and DeepFM
==================================================

Factorization machines read every column of the interaction table as a
field: the user and item ids, categorical attributes (one-hot), numeric
attributes and lists such as genres. Attributes let them predict clicks on
items nobody has clicked yet and personalize for users seen for the first
time.

The data is planted: each item has a category, each user a taste group,
and a user clicks an item shown to them when its category matches their
group (with 5% noise).
"""

# %%
# A click log with attributes
# ---------------------------
# One row per item shown to a user; ``y`` is 1 for a click, 0 otherwise.
# ``user__group`` describes the user (the ``user__`` prefix marks it), and
# ``category`` and ``tags`` (a list) describe the item.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from skrec.baselines import Popularity
from skrec.ctr import FM, DeepFM
from skrec.model_selection import ColdStartItemSplit

rng = np.random.RandomState(0)
n_users, n_items = 200, 60
group = rng.randint(0, 3, n_users)
category = np.arange(n_items) % 3
tags = {0: ["space", "action"], 1: ["romance"], 2: ["comedy", "family"]}
rows, clicks = [], []
for u in range(n_users):
    for i in rng.choice(n_items, 15, replace=False):
        click = float(category[i] == group[u])
        clicks.append(1.0 - click if rng.rand() < 0.05 else click)
        rows.append((u, i, f"g{group[u]}", f"c{category[i]}", tags[category[i]]))
X = pd.DataFrame(rows, columns=["user", "item", "user__group", "category", "tags"])
y = np.array(clicks)
X.head()

# %%
# Cold items: predict from attributes
# -----------------------------------
# :class:`~skrec.model_selection.ColdStartItemSplit` keeps a quarter of the
# items out of training altogether. ``predict`` scores their rows from the
# item columns; a model on ids only, or popularity, knows nothing about
# them.
train, test = next(ColdStartItemSplit(n_splits=4, random_state=0).split(X))
Xtr, Xte, ytr, yte = X.iloc[train], X.iloc[test], y[train], y[test]
params = dict(n_factors=8, max_iter=15, lr=0.02, batch_size=256, device="cpu", random_state=0)
ids = ["user", "item"]
auc = {
    "Popularity": roc_auc_score(yte, Popularity().fit(Xtr[ids][ytr > 0]).predict(Xte[ids])),
    "FM, ids only": roc_auc_score(yte, FM(**params).fit(Xtr[ids], ytr).predict(Xte[ids])),
    "FM": roc_auc_score(yte, FM(**params).fit(Xtr, ytr).predict(Xte)),
    "DeepFM": roc_auc_score(yte, DeepFM(**{**params, "max_iter": 8}).fit(Xtr, ytr).predict(Xte)),
}
for name, value in auc.items():
    print(f"{name:>14}: AUC on cold items {value:.3f}")

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(auc), list(auc.values()), color=["grey", "grey", "C0", "C1"])
ax.axvline(0.5, color="k", lw=0.5)
ax.set_xlim(0.4, 1.0)
ax.set_xlabel("AUC on items unseen at fit")
fig.tight_layout()

# %%
# New users: features and history
# -------------------------------
# Two users unseen at fit have the same history (two items of category 1,
# not clicked) but different groups. Their features come from their
# history rows; their lists differ and follow their group.
model = FM(**params).fit(X, y)
hist = pd.DataFrame({
    "user": ["ann", "ann", "bob", "bob"],
    "item": [1, 4, 1, 4],
    "user__group": ["g0", "g0", "g2", "g2"],
    "category": ["c1"] * 4,
    "tags": [tags[1]] * 4,
})
items, scores = model.recommend(["ann", "bob"], k=5, history=hist, history_y=np.zeros(4))
for user, row in zip(["ann (g0)", "bob (g2)"], items):
    print(user, "->", [f"item {i} (c{category[i]})" for i in row])
