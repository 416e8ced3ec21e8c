"""
Evaluation displays: metric@k, training curves, the long tail, cold start
=========================================================================

:mod:`skrec.plot` draws the usual recommender evaluations in the style of
scikit-learn's displays: build one from fitted models with
``from_estimator``, or from numbers already computed with
``from_predictions``, then read the numbers back from its attributes or
redraw it with ``plot(ax=...)``.
"""

# %%
# Data and models
# ---------------
# A planted synthetic table; 20% of each user's interactions are held out.
import matplotlib.pyplot as plt

from skrec.autoencoders import EASE
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import BPRMF
from skrec.model_selection import ColdStartUserSplit, UserHoldoutSplit
from skrec.neighbors import ItemKNN
from skrec.plot import (
    ColdStartDisplay,
    MetricAtKDisplay,
    PopularityDisplay,
    TrainingHistoryDisplay,
)

X = make_interactions(n_users=300, n_items=120, n_interactions=8_000, random_state=0).X
train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
X_train, X_test = X.iloc[train], X.iloc[test]

models = {
    "Popularity": Popularity(),
    "ItemKNN": ItemKNN(n_neighbors=30),
    "EASE": EASE(reg=50.0, device="cpu"),
}
for model in models.values():
    model.fit(X_train)

# %%
# A metric at every list length
# -----------------------------
# :class:`~skrec.plot.MetricAtKDisplay` computes ``ndcg@1`` ... ``ndcg@20``
# from one ``recommend`` pass per model and draws one curve per model.
disp = MetricAtKDisplay.from_estimator(models, X_test, metric="ndcg", k_max=20)
print({name: round(float(v[9]), 3) for name, v in disp.values_by_name.items()})

# %%
# The values are kept: redraw recall-like curves side by side, or pass
# numbers computed elsewhere to ``from_predictions``.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
disp.plot(ax=ax1)
MetricAtKDisplay.from_estimator(models, X_test, metric="recall", k_max=20, ax=ax2)
fig.tight_layout()

# %%
# Training curves
# ---------------
# Iteratively trained models (the torch models, ALS) record a loss per
# epoch in ``history_``. With ``early_stopping=True`` a share of each
# user's interactions is held out and the validation loss is recorded too.
bpr = BPRMF(n_factors=16, max_iter=15, early_stopping=True, device="cpu", random_state=0)
bpr.fit(X_train)
TrainingHistoryDisplay.from_estimator(bpr)

# %%
# The long tail and catalog coverage
# ----------------------------------
# Items sorted by training popularity (grey) and the share of the top-10
# slots each of them gets. Popularity recommends the same head to everyone;
# the item-item models spread over the catalog.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for ax, name in zip(axes, ["Popularity", "EASE"]):
    PopularityDisplay.from_estimator(models[name], k=10, ax=ax)
fig.tight_layout()

# %%
# Cold start: how much history a new user needs
# ---------------------------------------------
# :class:`~skrec.plot.ColdStartDisplay` fits each model on the users of a
# training fold of :class:`~skrec.model_selection.ColdStartUserSplit` and
# scores the unseen users of the test fold, giving each one's first ``s``
# interactions as history (``cold_users="fold_in"``). The band is one
# standard deviation over folds. Popularity ignores the history: it falls
# only because a larger support leaves fewer held-out items to find, so
# compare models at the same support size.
ColdStartDisplay.from_estimator(
    {"Popularity": Popularity(), "ItemKNN": ItemKNN(n_neighbors=30),
     "EASE": EASE(reg=50.0, device="cpu")},
    X, support_sizes=(1, 2, 5, 10, 20), metric="ndcg@10",
    cv=ColdStartUserSplit(n_splits=3, random_state=0),
)
plt.show()
