"""
Blending by popularity (BALSE) and the logistic (IRT) view
==========================================================

Collaborative filtering needs ratings: on an item with a handful of them,
a model of the item's description does better. :class:`~skrec.ensemble.GatedBlend`
mixes two rating models with a weight that depends on the item's number of
training ratings :math:`R_j`,

.. math::

    \\hat y = \\sigma(\\beta (\\log(1 + R_j) - \\gamma))\\, \\hat y_a
    + (1 - \\sigma(\\beta (\\log(1 + R_j) - \\gamma)))\\, \\hat y_b,

with :math:`\\beta` and :math:`\\gamma` learned on held-out ratings. This is
the BALSE idea of J.-J. Vie's Mangaki talk (ALS blended with a LASSO on the
item's tags). The data is planted by
:func:`~skrec.datasets.make_interactions`: ratings from low-rank tastes,
Zipf-like item popularity, and item features (``if0``, ``if1``, ``genre``)
that are noisy views of the item's true factors. On MovieLens 100K see
``benchmarks/bench_blend_ml100k.py`` (figures in ``benchmarks/README.md``).
"""

# %%
# Two rating models and their blend
# ---------------------------------
# ``a`` is matrix factorization on the ids; ``b`` is a factorization machine
# that also reads the item's ``genre`` (its tag), which it can use for an
# item with few ratings.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from skrec.ctr import FM
from skrec.datasets import make_interactions
from skrec.ensemble import GatedBlend
from skrec.factorization import MF

data = make_interactions(n_users=400, n_items=300, n_interactions=12_000,
                         popularity_exponent=1.2, random_state=0)
X = data.X[["user", "item"]].merge(data.item_features[["item", "genre"]], on="item",
                                   how="left")
y = data.y
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

common = dict(max_iter=20, batch_size=512, device="cpu", random_state=0)
mf = MF(n_factors=4, lr=0.03, reg=0.05, **common)
fm = FM(loss="mse", n_factors=4, lr=0.02, reg=0.05, **common)
blend = GatedBlend([("mf", mf), ("fm", fm)], random_state=0).fit(X_train, y_train)
print(f"beta = {blend.beta_:.2f}, gamma = {blend.gamma_:.2f}")
print("held-out losses (MSE):", {k: round(v, 3) for k, v in blend.holdout_loss_.items()})

# %%
# Error by item popularity
# ------------------------
# The test ratings are grouped by the item's number of training ratings.
# ``blend.estimators_`` holds the two models refitted on all training rows.
counts = X_train["item"].value_counts()
r_test = X_test["item"].map(counts).fillna(0).to_numpy()
buckets = [(0, 5), (6, 20), (21, 60), (61, np.inf)]
models = {"MF": blend.named_estimators_["mf"], "FM with genre": blend.named_estimators_["fm"],
          "GatedBlend": blend}
rmse = {name: [] for name in models}
for name, model in models.items():
    pred = model.predict(X_test)
    for lo, hi in buckets:
        m = (r_test >= lo) & (r_test <= hi)
        rmse[name].append(np.sqrt(np.mean((pred[m] - y_test[m]) ** 2)))

labels = [f"{lo}-{hi:g}" if np.isfinite(hi) else f">{lo - 1}" for lo, hi in buckets]
for name, values in rmse.items():
    print(f"{name:>16}: " + "  ".join(f"{lab}: {v:.3f}" for lab, v in zip(labels, values)))
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
width = 0.27
for k, (name, values) in enumerate(rmse.items()):
    ax1.bar(np.arange(len(buckets)) + (k - 1) * width, values, width, label=name)
ax1.set_xticks(np.arange(len(buckets)), labels)
ax1.set_xlabel("training ratings of the item")
ax1.set_ylabel("test RMSE")
ax1.set_ylim(min(min(v) for v in rmse.values()) * 0.9, None)
ax1.legend()
grid = np.arange(0, 201)
ax2.plot(grid, blend.gate_weights(grid))
ax2.set_xscale("symlog")
ax2.set_xlabel("training ratings of the item")
ax2.set_ylabel("weight on MF")
ax2.set_title("the learned gate")
fig.tight_layout()

# %%
# The blend beats both of its parts on items with more than five training
# ratings, where it takes about a fifth of MF and the rest from the FM. On
# the rarest items MF is the better model here (the genre is a coarse tag,
# and the FM's own item term rests on a handful of ratings), yet the gate
# gives them mostly to the FM: the gate is one monotone curve fitted on all
# held-out ratings, which are mostly ratings of popular items. On
# MovieLens 100K the FM is the better model on rare items and the blend of
# ALS and FM beats both there (``benchmarks/README.md``).
#
# The logistic view: item response theory
# ---------------------------------------
# The talk reads a rating matrix like an exam: the probability that user
# :math:`u` "passes" item :math:`j` (likes it: rating of 4 or more) is
# :math:`\sigma(\theta_u - d_j)`, with an ability :math:`\theta_u` and a
# difficulty :math:`d_j` (the one-parameter logistic model, 1PL or Rasch).
# An FM with binary labels (``loss="bce"``) scores
# :math:`\sigma(w_0 + w_u + w_j + \langle v_u, v_j \rangle)`: its linear
# part is the 1PL model. FM needs at least one factor (``n_factors=0`` is
# refused), so the closest is ``n_factors=1`` with a strong penalty on the
# factors. The difficulty of an item is then minus its mean log-odds over
# the users (``score_items`` of a binary FM returns the log-odds, the
# model's raw score; ``predict`` returns probabilities).
liked = (y_train >= 4).astype(float)
irt = FM(loss="bce", n_factors=1, reg=1.0, lr=0.02, **dict(common, max_iter=10))
irt.fit(X_train[["user", "item"]], liked)
log_odds = irt.score_items(irt.user_ids_)
difficulty = -log_odds.mean(axis=0)
popularity = counts.loc[irt.item_ids_].to_numpy()
share_liked = (
    X_train.assign(liked=liked).groupby("item")["liked"].mean().loc[irt.item_ids_].to_numpy()
)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
ax1.scatter(popularity, difficulty, s=8, alpha=0.6)
ax1.set_xscale("log")
ax1.set_xlabel("training ratings of the item")
ax1.set_ylabel("learned difficulty $d_j$")
ax1.set_title("difficulty against popularity")
ax2.scatter(share_liked, difficulty, s=8, alpha=0.6)
ax2.set_xlabel("share of the item's ratings that are >= 4")
ax2.set_ylabel("learned difficulty $d_j$")
ax2.set_title("difficulty against the share of 'passes'")
fig.tight_layout()
for name, values in (("log popularity", np.log(popularity)), ("share liked", share_liked)):
    print(f"correlation of difficulty with {name}: "
          f"{np.corrcoef(values, difficulty)[0, 1]:.2f}")

# %%
# The learned difficulty follows the share of the item's ratings that are
# "passes", shrunk for items with few ratings (the spread at the left of the
# first panel): the same shortage of data that the gate answers by handing
# rare items to the model of the item's tags. In this planted data the
# popularity of an item is drawn apart from how much it is liked, so the
# difficulty hardly depends on it; on MovieLens popular films are also the
# better liked ones.
