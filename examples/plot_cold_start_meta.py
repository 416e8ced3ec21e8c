"""
Cold-start users: MetaRec against plain fold-in
===============================================

A user who arrives with a handful of interactions has no trained vector.
A model trained on its users serves them by *fold-in*: a few gradient steps
on a fresh user vector against the fixed item factors.
:class:`~skrec.meta.MAMLRecommender` (MetaRec) trains the same model *for*
that situation: every training user is a task whose first interactions
adapt a learned starting vector (model-agnostic meta-learning).

Here MetaRec around :class:`~skrec.factorization.BPRMF` (MetaRec-BPRMF)
is compared with BPRMF's own fold-in and with popularity on MovieLens 100K:
a fifth of the users are unseen at fit; each of them gives the model their
earliest ``s`` interactions (the support set) and the rest are to be
ranked. The curves are drawn by :class:`~skrec.plot.ColdStartDisplay`.
Settings are small so that the example runs in about a minute on a CPU
(``benchmarks/bench_maml_ml100k.py`` runs the full version).
"""

# %%
# The data and the split
# ----------------------
# MovieLens 100K from the local cache (or the project's shared data folder);
# every rating is an implicit positive.
from pathlib import Path

import matplotlib.pyplot as plt
import torch

from skrec.baselines import Popularity
from skrec.datasets import fetch_movielens
from skrec.factorization import BPRMF
from skrec.meta import MAMLRecommender
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import ColdStartUserSplit
from skrec.plot import ColdStartDisplay

torch.set_num_threads(1)
try:
    data = fetch_movielens("100k", download_if_missing=False)
except OSError:
    here = Path(__file__).resolve().parent if "__file__" in globals() else Path.cwd()
    shared = here.parent.parent / "shared" / "data" / "ml-100k"
    data = fetch_movielens("100k", data_home=shared if shared.is_dir() else None)
X = data.X[["user", "item", "timestamp"]]
train, test = next(ColdStartUserSplit(n_splits=5, random_state=0).split(X))
X_train, X_cold = X.iloc[train], X.iloc[test].reset_index(drop=True)
print(f"{X_train.user.nunique()} training users, {X_cold.user.nunique()} cold users")

# %%
# The models
# ----------
# MetaRec-BPRMF learns one inner learning rate per parameter entry
# (``inner_lr="learned"``, Meta-SGD) and is meta-trained on support sets of
# 5 interactions; BPRMF's plain fold-in starts new users from the mean user
# vector.
base = BPRMF(n_factors=32, reg=1e-2, max_iter=10, device="cpu", random_state=0)
models = {
    "Popularity": Popularity(),
    "BPRMF (plain fold-in)": base,
    "MetaRec-BPRMF": MAMLRecommender(base, inner_lr="learned", n_support=5, n_query=100,
                                     max_iter=15, device="cpu", random_state=0),
}
for model in models.values():
    model.fit(X_train[["user", "item"]])

# %%
# Scoring the cold users
# ----------------------
# For each support size ``s``, the earliest ``s`` interactions of each cold
# user are their history and the later ones the ground truth.
support_sizes = [1, 3, 5, 10, 20]
ndcg = {name: [] for name in models}
recall = {name: [] for name in models}
for s in support_sizes:
    scorer = make_ranking_scorer(["ndcg@10", "recall@20"], n_support=s, support_order="time")
    for name, model in models.items():
        out = scorer(model, X_cold)
        ndcg[name].append(out["ndcg@10"])
        recall[name].append(out["recall@20"])

# %%
# The curves
# ----------
# MetaRec gains most over the plain fold-in for the smallest support sets,
# the ones it was meta-trained for. On this protocol the ground truth is all
# of a user's later ratings, mostly popular films, which is why popularity
# is hard to beat.
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ColdStartDisplay(support_sizes, ndcg, metric="NDCG@10").plot(ax=ax1)
ColdStartDisplay(support_sizes, recall, metric="Recall@20").plot(ax=ax2)
fig.suptitle("Cold-start users on MovieLens 100K")
fig.tight_layout()
plt.show()
