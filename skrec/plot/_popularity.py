"""The long tail of item popularity and how a model's top-k lists cover it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._base import check_matplotlib, check_positive_int, estimator_name, get_axes


class PopularityDisplay:
    """The long tail of the catalog and the share of it a model recommends.

    Items are sorted by training popularity, most popular first (the x axis
    is the item's rank). The display draws the share of training
    interactions of each item (the long tail) and, in the same order, the
    share of recommendation slots it fills in the model's top-k lists: a
    model that only recommends the head puts all its mass on the left. The
    catalog coverage (items recommended to at least one user, over the
    catalog) is given in the legend. All parameters are stored as
    attributes.

    Parameters
    ----------
    popularity : array-like of shape (n_items,)
        Training interactions per item, sorted in decreasing order.
    recommended_counts : array-like of shape (n_items,)
        Times each item (in the order of ``popularity``) appears in the
        top-k lists.
    k : int, default=None
        The list length, for the legend.
    name : str, default=None
        Name of the model, for the legend.

    Attributes
    ----------
    coverage_ : float
        Share of the catalog recommended at least once (set at construction).
    popularity_line_ : matplotlib Line2D
        The long tail (share of training interactions).
    recommended_line_ : matplotlib Line2D
        Share of recommendation slots per item.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    See Also
    --------
    skrec.metrics.catalog_coverage : Coverage from a score matrix.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> from skrec.plot import PopularityDisplay
    >>> X = make_interactions(n_users=60, n_items=40, random_state=0).X
    >>> disp = PopularityDisplay.from_estimator(Popularity().fit(X), k=5)
    >>> disp.popularity.shape
    (40,)
    >>> 0 < disp.coverage_ < 1
    True
    """

    def __init__(self, popularity, recommended_counts, *, k=None, name=None):
        self.popularity = popularity
        self.recommended_counts = recommended_counts
        self.k = k
        self.name = name
        counts = np.asarray(recommended_counts, dtype=np.float64)
        self.coverage_ = float((counts > 0).mean()) if counts.size else float("nan")

    def plot(self, ax=None, *, name=None, log_y=False, **kwargs):
        """Draw the long tail and the recommendation shares.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        name : str, default=None
            Overrides the ``name`` given at construction.
        log_y : bool, default=False
            Whether the y axis is logarithmic.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the
            recommendation line.

        Returns
        -------
        display : PopularityDisplay
        """
        pop = np.asarray(self.popularity, dtype=np.float64)
        rec = np.asarray(self.recommended_counts, dtype=np.float64)
        if pop.ndim != 1 or rec.shape != pop.shape:
            raise ValueError(
                f"popularity and recommended_counts must be 1-D of the same length, got "
                f"shapes {pop.shape} and {rec.shape}."
            )
        name = self.name if name is None else name
        rank = np.arange(1, len(pop) + 1)
        self.figure_, self.ax_ = get_axes(ax, f"{type(self).__name__}.plot")
        (self.popularity_line_,) = self.ax_.plot(
            rank, pop / max(pop.sum(), 1), color="0.5", label="training interactions")
        self.ax_.fill_between(rank, pop / max(pop.sum(), 1), color="0.5", alpha=0.2)
        top = "top-k" if self.k is None else f"top-{self.k}"
        label = f"{top} lists" if name is None else f"{name} {top} lists"
        (self.recommended_line_,) = self.ax_.plot(
            rank, rec / max(rec.sum(), 1),
            label=f"{label} (coverage {self.coverage_:.0%})", **kwargs)
        self.ax_.set_xlabel("item rank by training popularity")
        self.ax_.set_ylabel("share")
        if log_y:
            self.ax_.set_yscale("log")
        self.ax_.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, estimator, users=None, *, k=10, exclude_seen=True, name=None,
                       ax=None, **kwargs):
        """Recommend to ``users`` and draw how the lists spread over the long tail.

        Parameters
        ----------
        estimator : estimator instance
            A fitted recommender with ``item_popularity_`` (or a Pipeline or
            fitted search ending in one).
        users : array-like, default=None
            Users to recommend to; default: every user seen at fit.
        k : int, default=10
            List length.
        exclude_seen : bool, default=True
            Passed to ``recommend``.
        name : str, default=None
            Legend name; default: the class name.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : PopularityDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")  # fail before computing
        from .._api import recommend
        from ..utils._tags import unwrap_estimator

        k = check_positive_int(k, "k")
        inner, _ = unwrap_estimator(estimator, fitted=True)
        if users is None:
            users = inner.user_ids_
        items, scores = recommend(estimator, users, k, exclude_seen=exclude_seen)
        shown = items[np.isfinite(scores)]
        return cls.from_predictions(
            inner.item_popularity_, shown, item_ids=inner.item_ids_, k=k,
            name=estimator_name(estimator) if name is None else name, ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, item_popularity, recommended_items, *, item_ids=None, k=None,
                         name=None, ax=None, **kwargs):
        """Draw the long tail from popularity counts and recommended items.

        Parameters
        ----------
        item_popularity : array-like of shape (n_items,)
            Training interactions per item, in catalog order (e.g. a
            model's ``item_popularity_``); any order, it is sorted here.
        recommended_items : array-like
            Every recommended item (any shape, flattened): ids from
            ``item_ids``, or positions ``0..n_items-1`` when ``item_ids``
            is None. Leave out the slots without a recommendation (score
            ``-inf``).
        item_ids : array-like of shape (n_items,), default=None
            Id of each entry of ``item_popularity`` (e.g. ``item_ids_``).
        k : int, default=None
            The list length, for the legend.
        name : str, default=None
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : PopularityDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skrec.plot import PopularityDisplay
        >>> disp = PopularityDisplay.from_predictions([5, 20, 1, 10], [[1, 3], [1, 0]])
        >>> disp.popularity.tolist(), disp.recommended_counts.tolist()
        ([20.0, 10.0, 5.0, 1.0], [2, 1, 1, 0])
        >>> disp.coverage_
        0.75
        """
        pop = np.asarray(item_popularity, dtype=np.float64)
        if pop.ndim != 1:
            raise ValueError(f"item_popularity must be 1-D, got shape {pop.shape}.")
        n = len(pop)
        rec = np.asarray(recommended_items).ravel()
        if item_ids is None:
            if len(rec) and (not np.issubdtype(rec.dtype, np.integer)
                             or rec.min() < 0 or rec.max() >= n):
                raise ValueError(
                    f"Without item_ids, recommended_items must be positions in 0..{n - 1}."
                )
            codes = rec.astype(np.int64)
        else:
            index = pd.Index(np.asarray(item_ids))
            if len(index) != n:
                raise ValueError(f"item_ids has {len(index)} ids for {n} popularity counts.")
            codes = index.get_indexer(rec)
            if (codes < 0).any():
                raise ValueError(
                    f"recommended_items holds ids not in item_ids, e.g. "
                    f"{rec[codes < 0][:5].tolist()}."
                )
        counts = np.bincount(codes, minlength=n)
        order = np.argsort(-pop, kind="stable")
        disp = cls(pop[order], counts[order], k=k, name=name)
        return disp.plot(ax=ax, **kwargs)
