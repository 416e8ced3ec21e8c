"""Shared helpers of the displays: the lazy matplotlib import, axes, names."""

from __future__ import annotations

import numbers

import numpy as np

_INSTALL = "pip install skrec-learn[plot]"


def check_matplotlib(caller):
    """Import ``matplotlib.pyplot``, or raise an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} requires matplotlib, which is not installed. Install the plot extra "
            f"with `{_INSTALL}` (or `pip install 'matplotlib>=3.7'`)."
        ) from exc
    return plt


def get_axes(ax, caller):
    """``(figure, ax)``: the given axes, or new ones on a new figure."""
    plt = check_matplotlib(caller)
    if ax is None:
        _, ax = plt.subplots()
    return ax.figure, ax


def integer_xticks(ax):
    """Ticks at integers only on the x axis (k, epochs, support sizes)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def estimator_name(estimator):
    """The class name of the recommender inside ``estimator`` (a Pipeline, a search...)."""
    from ..utils._tags import unwrap_estimator

    try:
        inner, _ = unwrap_estimator(estimator, fitted=False)
    except Exception:  # pragma: no cover - any object still gets a name
        inner = estimator
    return type(inner).__name__


def named_estimators(estimators, names=None):
    """``[(name, estimator), ...]`` from one estimator, a list or a dict name -> estimator."""
    if isinstance(estimators, dict):
        if names is not None:
            raise ValueError("names must be None when estimators is a dict (its keys are the "
                             "names).")
        pairs = [(str(k), v) for k, v in estimators.items()]
    else:
        if isinstance(estimators, (list, tuple)):
            ests = list(estimators)
        else:
            ests = [estimators]
        if not ests:
            raise ValueError("estimators is empty; pass at least one fitted estimator.")
        if names is None:
            base = [estimator_name(e) for e in ests]
            names = []
            for i, name in enumerate(base):
                # A repeated class name gets a suffix: LinearSVC, LinearSVC (2), ...
                n_before = base[:i].count(name)
                names.append(name if n_before == 0 else f"{name} ({n_before + 1})")
        else:
            names = [names] if isinstance(names, str) else [str(n) for n in names]
            if len(names) != len(ests):
                raise ValueError(
                    f"names has {len(names)} entries for {len(ests)} estimators."
                )
        pairs = list(zip(names, ests))
    if not pairs:
        raise ValueError("estimators is empty; pass at least one fitted estimator.")
    seen = [n for n, _ in pairs]
    if len(set(seen)) != len(seen):
        raise ValueError(f"names must be unique, got {seen}.")
    return pairs


def check_curves(x, values_by_name, *, x_name, values_name="values_by_name"):
    """Validate ``x`` (1-D numbers) and a dict name -> 1-D array of the same length."""
    x = np.asarray(x)
    if x.ndim != 1 or len(x) == 0 or not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{x_name} must be a non-empty 1-D array of numbers, got {x!r}.")
    if not isinstance(values_by_name, dict) or not values_by_name:
        raise TypeError(
            f"{values_name} must be a non-empty dict name -> values (one value per "
            f"{x_name}), got {type(values_by_name).__name__}."
        )
    out = {}
    for name, values in values_by_name.items():
        v = np.asarray(values, dtype=np.float64)
        if v.shape != x.shape:
            raise ValueError(
                f"{values_name}[{name!r}] has shape {v.shape}; expected {x.shape}, one value "
                f"per {x_name}."
            )
        out[str(name)] = v
    return x, out


def check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)
