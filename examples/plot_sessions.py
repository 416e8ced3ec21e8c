"""
Session-based recommendation: next-item models
==============================================

Simulate click sessions that follow a hidden item-to-item transition
pattern, fit the session baselines (:class:`~skrec.sequential.SPop`,
:class:`~skrec.sequential.SessionKNN`) and the neural next-item models
(:class:`~skrec.sequential.GRU4Rec`, :class:`~skrec.sequential.SASRec`,
:class:`~skrec.sequential.SVAE`), then compare them with the next-item
protocol of GRU4Rec: every position of every test session, the prefix as
``history``, Recall@5 and MRR@5.
"""

# %%
# Sessions with a hidden order
# ----------------------------
# Each of 30 items has two likely successors; a session starts at a
# popular item and walks 3 to 8 steps. The ``session`` column groups the
# clicks and ``timestamp`` orders them; here every session is its own user.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skrec.baselines import Popularity
from skrec.metrics import make_next_item_scorer
from skrec.model_selection import SessionSplit
from skrec.sequential import SVAE, GRU4Rec, SASRec, SessionKNN, SPop

rng = np.random.RandomState(0)
n_items = 30
successors = np.stack([rng.permutation(n_items), rng.permutation(n_items)], axis=1)
start_p = rng.dirichlet(np.ones(n_items) * 0.5)
rows, t = [], 0
for s in range(800):
    item = rng.choice(n_items, p=start_p)
    for _ in range(rng.randint(3, 9)):
        rows.append((s, item, t, s))
        t += 1
        item = successors[item, int(rng.rand() < 0.3)]
X = pd.DataFrame(rows, columns=["user", "item", "timestamp", "session"])
train_idx, test_idx = next(SessionSplit(test_size=0.2).split(X))
train, test = X.iloc[train_idx], X.iloc[test_idx]
print(f"{len(train)} training clicks, {test['session'].nunique()} test sessions")

# %%
# Fit and evaluate
# ----------------
# :func:`~skrec.metrics.make_next_item_scorer` gives each prefix of a test
# session as the ``history`` of a new user and checks whether the next
# click is in the top 5. :class:`~skrec.sequential.SVAE` is trained here on
# the next item only (``n_next=1``); its default, the next 4 items, suits
# user histories better than next-click prediction.
models = {
    "Popularity": Popularity(),
    "SPop": SPop(),
    "SessionKNN": SessionKNN(),
    "GRU4Rec": GRU4Rec(hidden_size=32, n_sample=16, batch_size=32, max_iter=5, lr=0.1,
                       device="cpu", random_state=0),
    "SASRec": SASRec(hidden_size=32, max_len=8, max_iter=10, lr=0.01, dropout=0.1,
                     device="cpu", random_state=0),
    "SVAE": SVAE(embedding_dim=32, hidden_size=32, mlp_size=32, latent_dim=16, n_next=1,
                 max_len=8, max_iter=10, lr=0.01, total_anneal_steps=200, device="cpu",
                 random_state=0),
}
scorer = make_next_item_scorer(["recall@5", "mrr@5"])
results = pd.DataFrame({name: scorer(model.fit(train), test)
                        for name, model in models.items()}).T
results  # noqa: B018 (sphinx-gallery shows the table)

# %%
# A new session, scored from its prefix
# --------------------------------------
# ``recommend`` reads the prefix in time order; reversing it changes the
# recommendation of the sequence models (GRU4Rec and SVAE below).
prefix = pd.DataFrame({"user": "visitor", "item": [3, successors[3, 0]], "session": 1,
                       "timestamp": [1, 2]})
gru = models["GRU4Rec"]
print("next after", prefix["item"].tolist(), ":", gru.recommend(["visitor"], k=3,
      history=prefix, exclude_seen=False)[0][0], "(true successors",
      successors[successors[3, 0]], ")")
svae = models["SVAE"]
for name, p in [("in order", prefix), ("reversed", prefix.assign(timestamp=[2, 1]))]:
    print("SVAE,", name, ":", svae.recommend(["visitor"], k=3, history=p,
                                            exclude_seen=False)[0][0])

# %%
ax = results.plot.bar(rot=0, figsize=(7, 3.5))
ax.set_ylabel("score")
ax.set_title("Next-item prediction on simulated sessions")
plt.tight_layout()
plt.show()
