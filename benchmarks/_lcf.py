"""The real ML-1M LCF split (``../shared/data/ml-1m-lcf``) and its full-ranking protocol.

Recall@K = hits / |test items of the user| and NDCG@K with binary gains,
over the whole catalog with each user's training items excluded: the
definitions of the SimpleX / UltraGCN papers and the RecZoo logs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _common import require_shared


def read_lcf(name):
    """One ``user item item ...`` file as a (user, item) DataFrame of ints."""
    path = require_shared("ml-1m-lcf") / name
    users, items = [], []
    with open(path) as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2:
                continue
            users.append(np.full(len(parts) - 1, int(parts[0]), dtype=np.int64))
            items.append(np.asarray(parts[1:], dtype=np.int64))
    return pd.DataFrame({"user": np.concatenate(users), "item": np.concatenate(items)})


def lcf_split():
    """(train, test) DataFrames of the LCF split."""
    return read_lcf("train.txt"), read_lcf("test.txt")


def lcf_metrics(model, test, ks=(20,)):
    """{"recall@K", "ndcg@K"} of a fitted skrec model on the LCF test set."""
    users = np.unique(test["user"].to_numpy())
    items, _ = model.recommend(users, k=max(ks))
    truth = test.groupby("user")["item"].apply(set)
    out = {}
    for k in ks:
        rec, ndcg = [], []
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        for r, u in enumerate(users):
            t = truth[u]
            hits = np.array([i in t for i in items[r, :k]], dtype=float)
            rec.append(hits.sum() / len(t))
            ndcg.append((hits * disc).sum() / disc[: min(k, len(t))].sum())
        out[f"recall@{k}"] = float(np.mean(rec))
        out[f"ndcg@{k}"] = float(np.mean(ndcg))
    return out
