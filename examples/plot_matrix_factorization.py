"""
Matrix factorization: ratings, rankings and new users
=====================================================

The factorization family of skrec trains on the shared torch engine:
:class:`~skrec.factorization.MF` (with biases, side features or temporal terms),
:class:`~skrec.factorization.BPRMF`, :class:`~skrec.factorization.MixtureOfTastesMF` and
:class:`~skrec.factorization.VariationalMF`. This example fits biased MF to
ratings, compares the implicit models with popularity on held-out items,
folds a new user in from their history, and plots the training curves.
"""

# %%
# Ratings: biased MF against the global mean
# ------------------------------------------
# :func:`~skrec.datasets.make_interactions` plants low-rank preferences and
# derives 1-5 ratings from them. ``loss="mse"`` (the default) makes MF an
# explicit-feedback model: it requires ``y``.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import BPRMF, MF, MixtureOfTastesMF, VariationalMF

data = make_interactions(n_users=300, n_items=80, n_interactions=6000, rating_noise=0.3,
                         random_state=0)
X = data.X[["user", "item"]]
rng = np.random.RandomState(0)
test = rng.rand(len(X)) < 0.2

mf = MF(n_factors=16, max_iter=20, batch_size=512, lr=0.03, reg=0.05, device="cpu",
        random_state=0)
mf.fit(X[~test], data.y[~test])
rmse = np.sqrt(np.mean((mf.predict(X[test]) - data.y[test]) ** 2))
baseline = np.sqrt(np.mean((data.y[~test].mean() - data.y[test]) ** 2))
print(f"RMSE: biased MF {rmse:.3f}, global mean {baseline:.3f}")

# %%
# Rankings: implicit models against popularity
# --------------------------------------------
# Without ratings, every interaction is a positive; the models learn from
# sampled negatives. We hold out 3 interactions of each user and count how
# many come back in their top 10.
counts = X.groupby("user")["item"].transform("size").to_numpy()
rank = pd.Series(rng.rand(len(X))).groupby(X["user"].to_numpy()).rank().to_numpy()
held = (counts > 6) & (rank <= 3)
train, heldout = X[~held], X[held]
truth = heldout.groupby("user")["item"].apply(set)


def recall_at_10(model):
    users = truth.index.to_numpy()
    items, _ = model.recommend(users, k=10)
    hits = [len(truth[u] & set(row)) / len(truth[u])
            for u, row in zip(users, items, strict=True)]
    return np.mean(hits)


common = dict(n_factors=16, max_iter=20, batch_size=512, lr=0.02, device="cpu", random_state=0)
models = {
    "Popularity": Popularity(),
    "MF (bce)": MF(loss="bce", reg=1e-3, lr_schedule="constant", **common),
    "BPRMF": BPRMF(**common),
    "MixtureOfTastesMF": MixtureOfTastesMF(n_tastes=3, **common),
    "VariationalMF (bce)": VariationalMF(loss="bce", kl_weight=1e-3, **common),
}
fitted = {name: model.fit(train) for name, model in models.items()}
for name, model in fitted.items():
    print(f"{name:20s} recall@10 = {recall_at_10(model):.3f}")

# %%
# A new user
# ----------
# Every model here has the ``fold_in`` tag: a user unseen at fit is scored
# from ``history`` without refitting. Explicit MF solves the user's ridge
# regression against the fixed item factors; the implicit models take a few
# gradient steps on their own loss. Here user 0's ratings are replayed
# under a new id: the folded-in scores are close to the trained ones.
u = mf.user_ids_[0]
rows = (X["user"] == u).to_numpy() & ~test
history = pd.DataFrame({"user": "newcomer", "item": X["item"][rows].to_numpy()})
scores = mf.score_items(np.array(["newcomer", u], dtype=object), history=history,
                        history_y=data.y[rows])
print(f"folded-in vs trained scores: correlation {np.corrcoef(scores)[0, 1]:.3f}, "
      f"mean absolute difference {np.abs(scores[0] - scores[1]).mean():.3f}")
items, _ = mf.recommend(["newcomer"], k=5, history=history, history_y=data.y[rows])
print("top 5 for the newcomer:", items[0])

# %%
# Training curves
# ---------------
# ``history_`` holds one dict per epoch. With ``early_stopping=True`` the
# engine holds out a share of each user's rows, monitors the loss on them
# and keeps the weights of the best epoch.
es = MF(n_factors=32, reg=0.0, max_iter=60, batch_size=512, lr=0.05, lr_schedule="constant",
        early_stopping=True, n_iter_no_change=5, device="cpu", random_state=0)
es.fit(X[~test], data.y[~test])
hist = pd.DataFrame(es.history_)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(hist["epoch"], hist["train_loss"], label="training")
ax.plot(hist["epoch"], hist["val_loss"], label="per-user holdout")
ax.axvline(es.best_epoch_, color="grey", linestyle=":", label="restored epoch")
ax.set_xlabel("epoch")
ax.set_ylabel("loss")
ax.legend()
fig.tight_layout()
print(f"stopped after {es.n_iter_} epochs, kept epoch {es.best_epoch_}")
