"""A metric for users unseen at fit against the size of their history."""

from __future__ import annotations

import numpy as np

from ._base import check_curves, check_matplotlib, get_axes, integer_xticks, named_estimators


class ColdStartDisplay:
    """A ranking metric for cold users against the number of support interactions.

    For each fold of a user-level split (every test user unseen at fit), the
    first ``s`` interactions of a test user are given to the model as
    ``history`` (the support set, see
    :func:`skrec.model_selection.support_query_split`) and the rest are the
    ground truth, for each support size ``s``. Models that fold users in
    improve with ``s``; popularity stays flat. All parameters are stored as
    attributes.

    Parameters
    ----------
    support_sizes : array-like of int of shape (n_sizes,)
        Support interactions per cold user, the x axis.
    values_by_name : dict of str -> array-like of shape (n_sizes,)
        The metric (mean over folds) at each support size, one curve per
        model.
    std_by_name : dict of str -> array-like of shape (n_sizes,), default=None
        Standard deviation over folds, drawn as a band.
    metric : str, default="metric"
        Name of the metric, the y label.

    Attributes
    ----------
    lines_ : dict of str -> matplotlib Line2D
    line_ : matplotlib Line2D
        The last line drawn.
    fill_between_ : dict of str -> matplotlib PolyCollection
        The ±1 std bands (empty without ``std_by_name``).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Notes
    -----
    A user with ``s`` interactions or fewer keeps one as query, so the users
    evaluated at each support size are the same only if every test user has
    more than ``max(support_sizes)`` interactions (filter the data with
    :func:`skrec.model_selection.kcore_filter` for a like-for-like curve).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> from skrec.model_selection import ColdStartUserSplit
    >>> from skrec.neighbors import ItemKNN
    >>> from skrec.plot import ColdStartDisplay
    >>> X = make_interactions(n_users=60, n_items=40, random_state=0).X
    >>> disp = ColdStartDisplay.from_estimator(
    ...     [Popularity(), ItemKNN(n_neighbors=10)], X, support_sizes=(1, 3, 5),
    ...     metric="recall@10", cv=ColdStartUserSplit(n_splits=2, random_state=0))
    >>> disp.lines_["ItemKNN"].get_xdata().tolist()
    [1, 3, 5]
    >>> disp.ax_.get_ylabel()
    'recall@10'
    """

    def __init__(self, support_sizes, values_by_name, *, std_by_name=None, metric="metric"):
        self.support_sizes = support_sizes
        self.values_by_name = values_by_name
        self.std_by_name = std_by_name
        self.metric = metric

    def plot(self, ax=None, *, marker="o", **kwargs):
        """Draw one curve per model, with a ±1 std band when ``std_by_name`` is set.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        marker : str, default="o"
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for every line.

        Returns
        -------
        display : ColdStartDisplay
        """
        sizes, values = check_curves(self.support_sizes, self.values_by_name,
                                     x_name="support_sizes")
        stds = {}
        if self.std_by_name is not None:
            _, stds = check_curves(sizes, self.std_by_name, x_name="support_sizes",
                                   values_name="std_by_name")
        self.figure_, self.ax_ = get_axes(ax, f"{type(self).__name__}.plot")
        self.lines_, self.fill_between_ = {}, {}
        for name, v in values.items():
            (line,) = self.ax_.plot(sizes, v, marker=marker, label=name, **kwargs)
            self.lines_[name] = line
            if name in stds:
                self.fill_between_[name] = self.ax_.fill_between(
                    sizes, v - stds[name], v + stds[name], color=line.get_color(), alpha=0.2)
        self.line_ = line
        self.ax_.set_xlabel("support interactions per cold user")
        integer_xticks(self.ax_)
        self.ax_.set_ylabel(self.metric)
        self.ax_.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, estimators, X, y=None, *, support_sizes=(1, 3, 5, 10),
                       metric="ndcg@10", cv=None, names=None, support_order="time",
                       ax=None, **kwargs):
        """Fit on each training fold, score cold users at each support size, draw.

        Each model is cloned and fitted once per fold; the test fold is then
        scored with ``make_ranking_scorer(metric, cold_users="fold_in",
        n_support=s, support_order=support_order)`` for every ``s``.

        Parameters
        ----------
        estimators : estimator, list of estimators or dict of str -> estimator
            Unfitted (or fitted: they are cloned) recommenders or pipelines.
        X : DataFrame
            Interactions, with a ``timestamp`` column for
            ``support_order="time"``.
        y : array-like of shape (n_rows,), default=None
            Target (ratings) passed to ``fit`` and to the scorer.
        support_sizes : sequence of int, default=(1, 3, 5, 10)
        metric : str, default="ndcg@10"
            One metric name of :func:`~skrec.metrics.make_ranking_scorer`.
        cv : cross-validator, default=None
            A splitter whose test users are unseen in training; default
            :class:`~skrec.model_selection.ColdStartUserSplit` with
            ``n_splits=5, random_state=0``.
        names : list of str, default=None
            One name per estimator; default: the class names.
        support_order : {"time", "random"}, default="time"
            Which rows of a cold user are support (the earliest, or random).
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ColdStartDisplay
            With ``values_by_name`` the mean over folds and ``std_by_name``
            the standard deviation.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")  # fail before computing
        from sklearn.base import clone

        from ..metrics import make_ranking_scorer
        from ..metrics._scorer import _take
        from ..model_selection import ColdStartUserSplit

        if not isinstance(metric, str):
            raise TypeError(f"metric must be one metric name such as 'ndcg@10', got {metric!r}.")
        sizes = np.asarray(support_sizes)
        if sizes.ndim != 1 or len(sizes) == 0 or not np.issubdtype(sizes.dtype, np.integer) \
                or (sizes < 0).any():
            raise ValueError(
                f"support_sizes must be a non-empty sequence of non-negative ints, got "
                f"{support_sizes!r}."
            )
        scorers = [make_ranking_scorer(metric, cold_users="fold_in", n_support=int(s),
                                       support_order=support_order) for s in sizes]
        cv = ColdStartUserSplit(n_splits=5, random_state=0) if cv is None else cv
        yy = None if y is None else np.asarray(y)
        pairs = named_estimators(estimators, names)
        scores = {name: [] for name, _ in pairs}
        for train, test in cv.split(X, yy):
            X_train, X_test = _take(X, train), _take(X, test)
            y_train = None if yy is None else yy[train]
            y_test = None if yy is None else yy[test]
            for name, est in pairs:
                fitted = clone(est).fit(X_train, y_train)
                scores[name].append([sc(fitted, X_test, y_test) for sc in scorers])
        values = {name: np.mean(v, axis=0) for name, v in scores.items()}
        stds = {name: np.std(v, axis=0) for name, v in scores.items()}
        disp = cls(sizes, values, std_by_name=stds, metric=metric)
        return disp.plot(ax=ax, **kwargs)

    @classmethod
    def from_predictions(cls, support_sizes, values_by_name, *, std_by_name=None,
                         metric="metric", ax=None, **kwargs):
        """Draw metric values already computed at each support size.

        Parameters
        ----------
        support_sizes : array-like of int of shape (n_sizes,)
        values_by_name : dict of str -> array-like of shape (n_sizes,)
        std_by_name : dict of str -> array-like of shape (n_sizes,), default=None
        metric : str, default="metric"
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : ColdStartDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from skrec.plot import ColdStartDisplay
        >>> disp = ColdStartDisplay.from_predictions(
        ...     [1, 5], {"knn": [0.1, 0.3]}, metric="ndcg@10")
        >>> disp.line_.get_ydata().tolist()
        [0.1, 0.3]
        """
        return cls(support_sizes, values_by_name, std_by_name=std_by_name,
                   metric=metric).plot(ax=ax, **kwargs)
