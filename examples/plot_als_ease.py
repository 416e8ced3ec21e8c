"""
ALS and EASE: solver models, fold-in and regularization
=======================================================

:class:`~skrec.factorization.ALS` (implicit weighted ALS) and
:class:`~skrec.autoencoders.EASE` are fitted by linear algebra instead of gradient
descent. This example compares them with popularity on held-out items,
folds in a user unseen at fit, and plots how EASE's ``reg`` trades accuracy.
"""

# %%
# Held-out ranking on planted data
# --------------------------------
# :class:`~skrec.model_selection.UserHoldoutSplit` holds out 20% of each
# user's interactions; the scorer ranks the whole catalog, training items
# excluded.
import matplotlib.pyplot as plt
import pandas as pd

from skrec.autoencoders import EASE
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import ALS
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import UserHoldoutSplit

data = make_interactions(n_users=400, n_items=150, n_interactions=12_000, random_state=0)
X = data.X[["user", "item"]]
train, test = next(UserHoldoutSplit(test_size=0.2, random_state=0).split(X))
scorer = make_ranking_scorer(["ndcg@10", "recall@20"])

models = {
    "Popularity": Popularity(),
    "ALS": ALS(n_factors=16, reg=5.0, alpha=5.0, device="cpu", random_state=0),
    "EASE": EASE(reg=50.0, device="cpu"),
}
rows = []
for name, model in models.items():
    model.fit(X.iloc[train])
    rows.append({"model": name, **scorer(model, X.iloc[test])})
print(pd.DataFrame(rows).round(3).to_string(index=False))

# %%
# A new user, without refitting
# -----------------------------
# Both models have the ``fold_in`` tag: ALS solves the new user's
# least-squares problem against the fixed item factors, EASE multiplies the
# history by ``B_``. The history's items are excluded from the list.
als = models["ALS"]
history = X.iloc[train][X.iloc[train]["user"] == 0].assign(user="newcomer")
items, scores = als.recommend(["newcomer"], k=5, history=history)
print("ALS for the newcomer:", items[0])
items, scores = models["EASE"].recommend(["newcomer"], k=5, history=history)
print("EASE for the newcomer:", items[0])

# %%
# EASE's regularization
# ---------------------
# ``reg`` is the only hyper-parameter of EASE: too small overfits the Gram
# matrix, too large flattens every item towards popularity.
regs = [1, 10, 50, 200, 1000, 5000]
ndcg = [scorer(EASE(reg=r, device="cpu").fit(X.iloc[train]), X.iloc[test])["ndcg@10"]
        for r in regs]
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogx(regs, ndcg, marker="o")
ax.set_xlabel("reg (lambda)")
ax.set_ylabel("held-out NDCG@10")
ax.set_title("EASE on planted data")
fig.tight_layout()
