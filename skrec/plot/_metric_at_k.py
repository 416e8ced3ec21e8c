"""A ranking metric against the list length k, for several models."""

from __future__ import annotations

import numpy as np

from ._base import (
    check_curves,
    check_matplotlib,
    check_positive_int,
    get_axes,
    integer_xticks,
    named_estimators,
)


class MetricAtKDisplay:
    """A ranking metric at k = 1..K for several models on one test set.

    Build it with :meth:`from_estimator` (fitted models and a test table) or
    :meth:`from_predictions` (values already computed); both draw it. All
    parameters are stored as attributes.

    Parameters
    ----------
    k : array-like of int of shape (n_k,)
        List lengths, the x axis.
    values_by_name : dict of str -> array-like of shape (n_k,)
        The metric at each ``k``, one curve per name (a model).
    metric : str, default="metric"
        Name of the metric, e.g. ``"ndcg"``; the y label is ``f"{metric}@k"``.

    Attributes
    ----------
    lines_ : dict of str -> matplotlib Line2D
        One line per name, in the order of ``values_by_name``.
    line_ : matplotlib Line2D
        The last line drawn (the only one for a single model).
    ax_ : matplotlib Axes
        Axes the curves are drawn on.
    figure_ : matplotlib Figure
        Figure holding ``ax_``.

    See Also
    --------
    skrec.metrics.make_ranking_scorer : The scorer that computes the values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> from skrec.neighbors import ItemKNN
    >>> from skrec.plot import MetricAtKDisplay
    >>> X = make_interactions(n_users=60, n_items=40, random_state=0).X
    >>> train, test = X.iloc[:500], X.iloc[500:]
    >>> models = [Popularity().fit(train), ItemKNN(n_neighbors=10).fit(train)]
    >>> disp = MetricAtKDisplay.from_estimator(models, test, metric="recall", k_max=10)
    >>> sorted(disp.values_by_name)
    ['ItemKNN', 'Popularity']
    >>> disp.lines_["ItemKNN"].get_ydata().shape
    (10,)
    >>> disp.ax_.get_ylabel()
    'recall@k'
    """

    def __init__(self, k, values_by_name, *, metric="metric"):
        self.k = k
        self.values_by_name = values_by_name
        self.metric = metric

    def plot(self, ax=None, *, marker="o", **kwargs):
        """Draw one curve per name.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        marker : str, default="o"
            Marker of the points.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

        Returns
        -------
        display : MetricAtKDisplay
            ``self``, with ``ax_``, ``figure_``, ``lines_`` and ``line_`` set.
        """
        k, values = check_curves(self.k, self.values_by_name, x_name="k")
        self.figure_, self.ax_ = get_axes(ax, f"{type(self).__name__}.plot")
        self.lines_ = {}
        for name, v in values.items():
            (self.lines_[name],) = self.ax_.plot(k, v, marker=marker, label=name, **kwargs)
        self.line_ = self.lines_[name]
        self.ax_.set_xlabel("k (length of the list)")
        integer_xticks(self.ax_)
        self.ax_.set_ylabel(f"{self.metric}@k")
        self.ax_.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, estimators, X_test, y_test=None, *, metric="ndcg", k_max=20,
                       names=None, scorer_params=None, ax=None, **kwargs):
        """Compute the metric at k = 1..``k_max`` for fitted models and draw it.

        One :func:`skrec.metrics.make_ranking_scorer` call per model computes
        every k from a single ``recommend`` pass at ``k_max``.

        Parameters
        ----------
        estimators : estimator, list of estimators or dict of str -> estimator
            Fitted recommenders (or pipelines or fitted searches ending in
            one).
        X_test : DataFrame
            Held-out interactions (the ground truth).
        y_test : array-like of shape (n_rows,), default=None
            Target of ``X_test`` (needed with ``relevance_threshold``).
        metric : str, default="ndcg"
            A top-k metric of :func:`~skrec.metrics.make_ranking_scorer`
            without ``@K``: ``"ndcg"``, ``"recall"``, ``"precision"``,
            ``"map"``, ``"mrr"``, ``"hit_rate"``, ``"coverage"``, ...
        k_max : int, default=20
            The largest list length.
        names : list of str, default=None
            One name per estimator (a list); default: the class names.
        scorer_params : dict, default=None
            Other arguments of ``make_ranking_scorer`` (``exclude_seen``,
            ``cold_users``, ``relevance_threshold``...).
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : MetricAtKDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")  # fail before computing
        from ..metrics import make_ranking_scorer

        if not isinstance(metric, str) or "@" in metric or metric.strip().lower() == "auc":
            raise ValueError(
                f"metric must be the name of a top-k metric without @K (e.g. 'ndcg'), got "
                f"{metric!r}."
            )
        k_max = check_positive_int(k_max, "k_max")
        metric = metric.strip().lower()
        keys = [f"{metric}@{k}" for k in range(1, k_max + 1)]
        scorer = make_ranking_scorer(keys, **(scorer_params or {}))
        values = {}
        for name, est in named_estimators(estimators, names):
            scores = scorer(est, X_test, y_test)
            values[name] = np.array([scores[key] for key in keys])
        disp = cls(np.arange(1, k_max + 1), values, metric=metric)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, k, values_by_name, *, metric="metric", ax=None, **kwargs):
        """Draw metric values already computed.

        Parameters
        ----------
        k : array-like of int of shape (n_k,)
        values_by_name : dict of str -> array-like of shape (n_k,)
        metric : str, default="metric"
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : MetricAtKDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skrec.plot import MetricAtKDisplay
        >>> disp = MetricAtKDisplay.from_predictions(
        ...     [1, 5, 10], {"a": [0.1, 0.2, 0.3], "b": [0.2, 0.3, 0.35]}, metric="recall")
        >>> disp.lines_["b"].get_ydata().tolist()
        [0.2, 0.3, 0.35]
        """
        return cls(k, values_by_name, metric=metric).plot(ax=ax, **kwargs)
