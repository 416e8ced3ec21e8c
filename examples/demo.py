"""
The skrec demo: cross-validated leaderboard of every recommender
=================================================================

``make demo`` runs this script: it loads a dataset (generated with planted
structure by default; ``make demo DATA=ml-100k`` reads MovieLens 100K from
the skrec cache, from ``../shared/data/ml-100k`` when present, or downloads
it), cross-validates every available recommender with ranking metrics
through scikit-learn's :func:`~sklearn.model_selection.cross_validate`,
prints a leaderboard (NDCG@10, Recall@20, catalog coverage, fit time) and
saves a bar chart as ``demo_output/leaderboard.png``.

This file is not executed by the documentation build (it takes a minute);
run it with ``python examples/demo.py --data synthetic``.
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate

from skrec import ITEM, USER
from skrec.datasets import fetch_movielens, make_interactions
from skrec.metrics import make_ranking_scorer
from skrec.model_selection import UserKFold
from skrec.utils import all_estimators, get_recommender_tags

ROOT = Path(__file__).resolve().parents[1]

#: Models that build item profiles from attribute columns, which the demo data lack.
NEEDS_ITEM_ATTRIBUTES = {"ContentBased"}

#: Settings used in the demo; a model not listed here runs with its defaults.
#: ALS and EASE take the regularization a small grid search picks on the
#: synthetic data (ALS's defaults are chosen on MovieLens, a denser and larger data set).
DEMO_PARAMS = {
    "ItemKNN": {"n_neighbors": 100},
    "UserKNN": {"n_neighbors": 50},
    "MF": {"loss": "bce", "reg": 1e-3, "random_state": 0},
    "BPRMF": {"random_state": 0},
    "MixtureOfTastesMF": {"random_state": 0},
    "VariationalMF": {"loss": "bce", "random_state": 0},
    "ALS": {"n_factors": 32, "reg": 50.0, "alpha": 10.0, "random_state": 0},
    "EASE": {"reg": 200.0},
}


def load(name):
    """(X, description) for the dataset name."""
    if name == "synthetic":
        data = make_interactions(
            n_users=800, n_items=500, n_interactions=40_000, random_state=0
        )
        return data.X[[USER, ITEM]], "synthetic (800 users x 500 items, planted rank 4)"
    variant = name.removeprefix("ml-")
    shared = ROOT.parent / "shared" / "data" / name
    try:
        data = fetch_movielens(variant, download_if_missing=False)
    except OSError:
        data = fetch_movielens(variant, data_home=shared if shared.is_dir() else None)
    return data.X[[USER, ITEM]], f"MovieLens {variant} (every rating a positive)"


def models():
    """Every public recommender (``all_estimators()``) that learns from implicit feedback.

    Sequence models are left out (the demo data have no order), and so are
    models that need item attributes (the demo data have ids only).
    """
    out = []
    for name, cls, _family in all_estimators():
        try:
            model = cls(**DEMO_PARAMS.get(name, {}))
        except TypeError:
            continue
        if get_recommender_tags(model).feedback != "implicit":
            continue
        if get_recommender_tags(model).requires_session:
            continue
        if get_recommender_tags(model).sequence:
            continue  # next-item models need ordered sessions: see examples/plot_sessions.py
        if name in NEEDS_ITEM_ATTRIBUTES:
            continue  # see examples/plot_ctr_side_features.py
        out.append(model)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--data", default="synthetic", help="synthetic, ml-100k or ml-latest-small")
    parser.add_argument("--out", default=str(ROOT / "demo_output"))
    parser.add_argument("--n-splits", type=int, default=3)
    args = parser.parse_args(argv)

    X, description = load(args.data)
    print(f"data: {description}: {len(X):,} interactions, {X[USER].nunique():,} users, "
          f"{X[ITEM].nunique():,} items")
    cv = UserKFold(n_splits=args.n_splits, random_state=0)
    scorer = make_ranking_scorer(["ndcg@10", "recall@20", "coverage@20"], k=20)
    rows = []
    for model in models():
        name = type(model).__name__
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            res = cross_validate(model, X, cv=cv, scoring=scorer)
        rows.append({
            "model": name,
            "NDCG@10": res["test_ndcg@10"].mean(),
            "Recall@20": res["test_recall@20"].mean(),
            "coverage@20": res["test_coverage@20"].mean(),
            "fit s": res["fit_time"].mean(),
            "total s": time.perf_counter() - t0,
        })
        print(f"  {name:<20} NDCG@10 {rows[-1]['NDCG@10']:.4f}  ({rows[-1]['total s']:.1f} s)")
    board = pd.DataFrame(rows).sort_values("NDCG@10", ascending=False).reset_index(drop=True)
    print(f"\nLeaderboard ({args.n_splits}-fold per-user CV, full catalog, seen items excluded):")
    print(board.to_string(float_format=lambda v: f"{v:.4f}"))

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    board.to_csv(out / "leaderboard.csv", index=False)
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'skrec[plot]'): no chart written.")
        return board
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(board) + 1.5))
    ax.barh(board["model"][::-1], board["NDCG@10"][::-1], color="#3b75af")
    for y, v in enumerate(board["NDCG@10"][::-1]):
        ax.text(v, y, f" {v:.3f}", va="center")
    ax.set_xlabel("NDCG@10")
    ax.set_xlim(0, max(1e-3, float(np.nanmax(board["NDCG@10"]))) * 1.2)
    ax.set_title(f"skrec leaderboard: {description}")
    fig.tight_layout()
    fig.savefig(out / "leaderboard.png", dpi=120)
    print(f"chart: {out / 'leaderboard.png'}")
    return board


if __name__ == "__main__":
    main()
