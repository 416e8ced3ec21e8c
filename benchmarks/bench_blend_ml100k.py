"""GatedBlend (BALSE) on MovieLens 100K: ratings model blended with a genre model.

The talk's example: a collaborative model ``a`` (ALS with explicit
feedback, as in the talk, and biased MF, the stronger rating model here)
blended with a model of the item's tags ``b`` (here
the 19 ML-100K genre flags), with the gate on the item's number of
ratings. Random 90/10 split (seed 0); prints one JSON line per model with
the RMSE on the whole test set and on the test rows whose item has at most
10 and at most 20 training ratings, and for the blend its ``beta_`` and
``gamma_``.

The tag model is :class:`skrec.ctr.FM` (``loss="mse"``) fitted on the user,
the item and the genres as a bag: a linear model on the tags with a
per-user factor for each genre (the user x genre interactions play the part
of the talk's per-user LASSO on tags), plus an item-id field that is weak
for rare items.

torch runs with ``--threads`` threads (default 1).

Usage: python benchmarks/bench_blend_ml100k.py [--a ALS MF] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, peak_rss_mb, require_shared  # noqa: E402

GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def load_ml100k(path):
    """Ratings with the item's genres as a bag (one row per rating)."""
    df = pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])
    items = pd.read_csv(path / "u.item", sep="|", encoding="iso-8859-1", header=None)
    flags = items.iloc[:, 5:24].to_numpy().astype(bool)
    genres = pd.DataFrame({
        "item": items[0],
        "genres": [[g for g, f in zip(GENRES, row, strict=True) if f] for row in flags],
    })
    return df.merge(genres, on="item", how="left")


def _rmse(pred, truth):
    return float(np.sqrt(np.mean((np.asarray(pred) - truth) ** 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", nargs="+", choices=["ALS", "MF"], default=["ALS", "MF"],
                        help="the collaborative models blended with the tag model")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    from skrec.ctr import FM
    from skrec.ensemble import GatedBlend
    from skrec.factorization import ALS, MF

    torch.set_num_threads(args.threads)
    df = load_ml100k(require_shared("ml-100k"))
    train, test = train_test_split(df, test_size=0.1, random_state=0)
    cols = ["user", "item", "genres"]
    Xtr, ytr = train[cols].reset_index(drop=True), train["rating"].to_numpy(dtype=float)
    Xte, yte = test[cols].reset_index(drop=True), test["rating"].to_numpy(dtype=float)
    counts = train["item"].value_counts()
    r_test = test["item"].map(counts).fillna(0).to_numpy()
    masks = {"all": np.ones(len(test), bool), "le10": r_test <= 10, "le20": r_test <= 20}
    common = dict(benchmark="blend_ml100k", split="random 90/10 seed 0", n_train=len(train),
                  n_test=len(test), n_test_le10=int(masks["le10"].sum()),
                  n_test_le20=int(masks["le20"].sum()), torch_threads=args.threads)

    def tag_model():
        return FM(loss="mse", n_factors=16, reg=0.1, lr=0.02, lr_schedule="linear",
                  batch_size=4096, max_iter=10, device="cpu", random_state=0)

    cf = {
        "ALS": lambda: ALS(feedback="explicit", n_factors=32, reg=5.0, device="cpu",
                           random_state=0),
        "MF": lambda: MF(device="cpu", random_state=0),
    }
    runs = [("b: FM on user, item, genres", tag_model())]
    for name in args.a:
        runs.append((f"a: {name} (explicit)", cf[name]()))
        runs.append((f"GatedBlend({name}, FM)",
                     GatedBlend([(name.lower(), cf[name]()), ("tags", tag_model())],
                                holdout_size=0.2, random_state=0)))
    for name, model in runs:
        t0 = time.perf_counter()
        model.fit(Xtr, ytr)
        fit_s = time.perf_counter() - t0
        pred = model.predict(Xte)
        rec = {f"rmse_{k}": round(_rmse(pred[m], yte[m]), 4) for k, m in masks.items()}
        if isinstance(model, GatedBlend):
            rec.update(beta=round(model.beta_, 4), gamma=round(model.gamma_, 4),
                       weight_on_a={r: round(float(w), 3) for r, w in zip(
                           (0, 10, 100, 500), model.gate_weights([0, 10, 100, 500]))},
                       holdout_loss={k: round(v, 4) for k, v in model.holdout_loss_.items()},
                       n_holdout=model.n_holdout_)
        emit(model=name, fit_s_loaded=round(fit_s, 1), **rec,
             peak_rss_mb=round(peak_rss_mb(), 1), **common)


if __name__ == "__main__":
    main()
