"""FM and the CTR models on MovieLens 100K with user and item attributes (and Frappe).

Prints one JSON line per model and protocol, all measured in the same run:

(a) ``rating``: random 90/10 split (seed 0), RMSE of FM (``loss="mse"``) with
    the attributes (age, gender, occupation; genres as a bag, release year)
    against FM on ids only and biased MF (``skrec.factorization.MF()``); then
    the same on a cold-start item split (a tenth of the items held out);
(b) ``ctr``: a rating >= 4 is a click (label 1), else 0; random 80/10/10
    split (seed 0); test AUC and log loss of FM, DeepFM, WideAndDeep, NFM,
    DLRM and XDeepFM with the attributes (the 10% validation part is used
    for early stopping);
(c) ``frappe`` (``--frappe``): the libFM files of He & Chua's NFM release,
    fit on ``frappe.validation.libfm`` (57,722 rows) and tested on
    ``frappe.test.libfm`` (28,860): the train file is absent, so the figures
    are not comparable to published ones.

torch runs with ``--threads`` threads (default 1).

Usage: python benchmarks/bench_ctr_ml100k.py [--parts rating,ctr,frappe] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, emit, peak_rss_mb, require_shared  # noqa: E402

GENRES = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]


def load_ml100k(path):
    """Ratings joined with the user and item attributes (one row per rating)."""
    df = pd.read_csv(path / "u.data", sep="\t", names=["user", "item", "rating", "timestamp"])
    users = pd.read_csv(path / "u.user", sep="|",
                        names=["user", "age", "gender", "occupation", "zip"])
    items = pd.read_csv(path / "u.item", sep="|", encoding="iso-8859-1", header=None)
    flags = items.iloc[:, 5:24].to_numpy().astype(bool)
    year = pd.to_datetime(items[2], format="%d-%b-%Y", errors="coerce").dt.year
    items = pd.DataFrame({
        "item": items[0],
        "genres": [[g for g, f in zip(GENRES, row, strict=True) if f] for row in flags],
        "year": year.fillna(year.median()).to_numpy(dtype=float),
    })
    df = df.merge(users[["user", "age", "gender", "occupation"]], on="user", how="left")
    df = df.merge(items, on="item", how="left")
    return df


FEATURES = ["user", "item", "age", "gender", "occupation", "genres", "year"]


def rating_part(df, args):
    from skrec.ctr import FM
    from skrec.factorization import MF
    from skrec.model_selection import ColdStartItemSplit

    train, test = train_test_split(df, test_size=0.1, random_state=0)
    common = dict(benchmark="ctr_ml100k", protocol="rating: random 90/10 seed 0",
                  n_train=len(train), n_test=len(test), torch_threads=args.threads)
    fm = dict(loss="mse", n_factors=16, reg=0.1, lr=0.02, lr_schedule="linear",
              batch_size=4096, max_iter=10, device="cpu", random_state=0)
    runs = [
        ("FM with attributes", lambda: FM(**fm), FEATURES),
        ("FM ids only", lambda: FM(**fm), ["user", "item"]),
        ("MF (biased, defaults)", lambda: MF(device="cpu", random_state=0), ["user", "item"]),
    ]
    # The same models on a cold-start item split: the test items are unseen at fit
    # (MF and FM on ids predict the global mean for them).
    tr, te = next(ColdStartItemSplit(n_splits=10, random_state=0).split(df))
    cold = dict(common, protocol="rating, cold items: ColdStartItemSplit 1/10 of items seed 0",
                n_train=len(tr), n_test=len(te))
    for (a, b), facts in (((train, test), common), ((df.iloc[tr], df.iloc[te]), cold)):
        for name, make, cols in runs:
            t0 = time.perf_counter()
            model = make().fit(a[cols], a["rating"])
            fit_s = time.perf_counter() - t0
            pred = model.predict(b[cols])
            rmse = float(np.sqrt(np.mean((pred - b["rating"].to_numpy()) ** 2)))
            emit(model=name, rmse=round(rmse, 4), fit_s=round(fit_s, 2),
                 params={k: v for k, v in model.get_params().items()
                         if k in ("n_factors", "reg", "lr", "max_iter", "batch_size")},
                 **facts)


def _ctr_params(args):
    return dict(n_factors=16, lr=0.005, batch_size=1024, max_iter=args.max_iter,
                early_stopping=True, validation_fraction=0.1, n_iter_no_change=3,
                device="cpu", random_state=0)


def _fit_eval(name, make, Xtr, ytr, Xte, yte, common):
    t0 = time.perf_counter()
    model = make().fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    proba = np.clip(model.predict(Xte), 1e-7, 1 - 1e-7)
    emit(model=name, auc=round(float(roc_auc_score(yte, proba)), 4),
         logloss=round(float(log_loss(yte, proba)), 4), fit_s=round(fit_s, 2),
         epochs=model.n_iter_, best_epoch=model.best_epoch_,
         peak_rss_mb=round(peak_rss_mb(), 1), **common)


def ctr_part(df, args):
    from skrec import ctr

    df = df.assign(click=(df["rating"] >= 4).astype(float))
    rest, test = train_test_split(df, test_size=0.1, random_state=0)
    # Early stopping holds out a share of each user's rows of the 90% (about the
    # 10% of the 80/10/10 protocol).
    common = dict(benchmark="ctr_ml100k", protocol="ctr: rating>=4 click, 80/10/10 seed 0",
                  n_train=len(rest), n_test=len(test), click_rate=round(df["click"].mean(), 3),
                  torch_threads=args.threads)
    params = _ctr_params(args)
    params["validation_fraction"] = 1 / 9
    deep = dict(hidden_layer_sizes=(64, 32), dropout=0.1)
    models = {
        "FM": lambda: ctr.FM(**params, reg=args.fm_reg),
        "DeepFM": lambda: ctr.DeepFM(**params, **deep),
        "WideAndDeep": lambda: ctr.WideAndDeep(**params, **deep),
        "NFM": lambda: ctr.NFM(**params, **deep),
        "DLRM": lambda: ctr.DLRM(**params, **deep),
        "XDeepFM": lambda: ctr.XDeepFM(**params, **deep, cin_layer_sizes=(16, 16)),
    }
    for name in args.models.split(","):
        _fit_eval(name, models[name], rest[FEATURES], rest["click"],
                  test[FEATURES], test["click"], common)
    _fit_eval("FM ids only", models["FM"], rest[["user", "item"]], rest["click"],
              test[["user", "item"]], test["click"], common)


FRAPPE_FIELDS = ["user", "item", "daytime", "weekday", "isweekend", "homework", "cost",
                 "weather", "country", "city"]


def load_frappe(file):
    labels, rows = [], []
    with open(file) as f:
        for line in f:
            parts = line.split()
            labels.append(1.0 if parts[0] == "1" else 0.0)
            rows.append([int(p.split(":")[0]) for p in parts[1:]])
    X = pd.DataFrame(rows, columns=FRAPPE_FIELDS)
    for c in FRAPPE_FIELDS[2:]:
        X[c] = X[c].astype(str)  # categorical fields
    return X, np.array(labels)


def frappe_part(args):
    from skrec import ctr

    path = SHARED_DATA / "frappe-nfm"
    if not path.is_dir():
        emit(benchmark="ctr_ml100k", protocol="frappe", skipped=f"{path} not found")
        return
    Xtr, ytr = load_frappe(path / "frappe.validation.libfm")
    Xte, yte = load_frappe(path / "frappe.test.libfm")
    common = dict(benchmark="ctr_ml100k",
                  protocol="frappe: fit on the NFM validation file, test on its test file",
                  n_train=len(Xtr), n_test=len(Xte), torch_threads=args.threads)
    params = _ctr_params(args)
    _fit_eval("FM", lambda: ctr.FM(**params, reg=args.fm_reg), Xtr, ytr, Xte, yte, common)
    _fit_eval("NFM", lambda: ctr.NFM(**params, hidden_layer_sizes=(64,), dropout=0.2),
              Xtr, ytr, Xte, yte, common)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="rating,ctr")
    parser.add_argument("--models", default="FM,DeepFM,WideAndDeep,NFM,DLRM,XDeepFM")
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--fm-reg", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    parts = args.parts.split(",")
    if "rating" in parts or "ctr" in parts:
        df = load_ml100k(require_shared("ml-100k"))
        if "rating" in parts:
            rating_part(df, args)
        if "ctr" in parts:
            ctr_part(df, args)
    if "frappe" in parts:
        frappe_part(args)


if __name__ == "__main__":
    main()
