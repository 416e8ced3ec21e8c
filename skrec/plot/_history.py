"""Training and validation loss per epoch, from a fitted model's ``history_``."""

from __future__ import annotations

import numpy as np

from ._base import check_matplotlib, estimator_name, get_axes, integer_xticks


def _column(history, key):
    return np.array([np.nan if row.get(key) is None else float(row[key]) for row in history])


class TrainingHistoryDisplay:
    """Training (and validation) loss per epoch of an iteratively fitted model.

    The torch models and ALS record one dict per epoch in ``history_``
    (``epoch``, ``train_loss``, ``val_loss``, ``time``);
    :meth:`from_estimator` reads it. All parameters are stored as
    attributes.

    Parameters
    ----------
    epochs : array-like of shape (n_epochs,)
    train_loss : array-like of shape (n_epochs,)
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss per epoch; None (or all NaN) draws no validation
        line.
    name : str, default=None
        Name of the model, in the legend.

    Attributes
    ----------
    train_line_ : matplotlib Line2D
    val_line_ : matplotlib Line2D or None
        None when there is no validation loss.
    lines_ : dict of str -> matplotlib Line2D
        ``"train"`` and, when drawn, ``"validation"``.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skrec.datasets import make_interactions
    >>> from skrec.factorization import ALS
    >>> from skrec.plot import TrainingHistoryDisplay
    >>> X = make_interactions(n_users=50, n_items=30, random_state=0).X
    >>> model = ALS(n_factors=4, max_iter=5, random_state=0).fit(X)
    >>> disp = TrainingHistoryDisplay.from_estimator(model)
    >>> disp.train_line_.get_xdata().tolist()
    [1, 2, 3, 4, 5]
    >>> disp.val_line_ is None
    True
    """

    def __init__(self, epochs, train_loss, val_loss=None, *, name=None):
        self.epochs = epochs
        self.train_loss = train_loss
        self.val_loss = val_loss
        self.name = name

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw the loss curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        name : str, default=None
            Overrides the ``name`` given at construction.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for both lines.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        epochs = np.asarray(self.epochs)
        train = np.asarray(self.train_loss, dtype=np.float64)
        if epochs.ndim != 1 or train.shape != epochs.shape:
            raise ValueError(
                f"epochs and train_loss must be 1-D of the same length, got shapes "
                f"{epochs.shape} and {train.shape}."
            )
        val = None
        if self.val_loss is not None:
            val = np.asarray(self.val_loss, dtype=np.float64)
            if val.shape != epochs.shape:
                raise ValueError(f"val_loss has shape {val.shape}; expected {epochs.shape}.")
            if np.isnan(val).all():
                val = None
        name = self.name if name is None else name
        prefix = "" if name is None else f"{name} "
        self.figure_, self.ax_ = get_axes(ax, f"{type(self).__name__}.plot")
        (self.train_line_,) = self.ax_.plot(epochs, train, label=f"{prefix}train", **kwargs)
        self.lines_ = {"train": self.train_line_}
        self.val_line_ = None
        if val is not None:
            (self.val_line_,) = self.ax_.plot(epochs, val, linestyle="--",
                                              label=f"{prefix}validation", **kwargs)
            self.lines_["validation"] = self.val_line_
        self.ax_.set_xlabel("epoch")
        integer_xticks(self.ax_)
        self.ax_.set_ylabel("loss")
        self.ax_.legend(loc="best")
        return self

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, **kwargs):
        """Read ``history_`` of a fitted model and draw it.

        Parameters
        ----------
        estimator : estimator instance
            A fitted model with ``history_`` (torch models, ALS), or a
            Pipeline or fitted search ending in one.
        name : str, default=None
            Legend prefix; default: the class name.
        ax : matplotlib Axes, default=None
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : TrainingHistoryDisplay
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")  # fail before computing
        from ..utils._tags import unwrap_estimator

        inner, _ = unwrap_estimator(estimator, fitted=True)
        history = getattr(inner, "history_", None)
        if history is None:
            raise AttributeError(
                f"{type(inner).__name__} has no history_: only iteratively trained models "
                "(the torch models, ALS) record a loss per epoch, and only once fitted."
            )
        if not history:
            raise ValueError(f"{type(inner).__name__}.history_ is empty (no epoch ran).")
        epochs = np.array([row["epoch"] for row in history])
        disp = cls(epochs, _column(history, "train_loss"), _column(history, "val_loss"),
                   name=estimator_name(estimator) if name is None else name)
        return disp.plot(ax=ax, **kwargs)
