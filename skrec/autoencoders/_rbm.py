"""RBM: a restricted Boltzmann machine of ratings (Salakhutdinov, Mnih and Hinton 2007)."""

from __future__ import annotations

import copy
import numbers

import numpy as np
import scipy.sparse as sp
import torch

from .._torch import UserRowRecommender
from .._torch._docs import fill_engine_doc
from ..utils._compat import Interval, StrOptions
from ._modules import RBMModule

__all__ = ["RBM"]

#: Most softmax classes; a target with more distinct values uses its quantiles.
_MAX_CLASSES = 20


@fill_engine_doc
class RBM(UserRowRecommender):
    """Restricted Boltzmann machine for collaborative filtering (explicit ratings).

    One RBM per user, with shared weights: every item the user rated is a
    softmax visible unit over the rating values seen at fit, the
    ``n_factors`` hidden units are binary, and unrated items are left out of
    the user's RBM. Training is contrastive divergence with ``cd_steps``
    Gibbs steps (CD-k), written as the gradient of the free-energy gap
    ``F(v_data) - F(v_k)`` so that the engine's optimizer applies it.
    Prediction is the expected rating under ``p(v_i | p(h | v_u))``; any
    user with rated history (known or not) is scored by this one up-down
    pass: fold-in by encoding.

    Parameters
    ----------
    n_factors : int, default=100
        Binary hidden units.
    cd_steps : int, default=1
        Gibbs steps of contrastive divergence.
    init_std : float, default=0.01
        Standard deviation of the initial weights.
    duplicates : {"mean", "last", "first", "sum", "error"}, default="mean"
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    rating_values_ : ndarray
        The rating values of the softmax classes (distinct training ratings).
    device_ : torch.device
    history_ : list of dict
        ``train_loss`` is the free-energy gap, not a likelihood.
    n_iter_ : int
    global_mean_ : float
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    Notes
    -----
    The softmax classes are the distinct training ratings; a target with
    more than 20 distinct values uses 20 of its quantiles, and each rating
    (in training and in ``history``) goes to the nearest class.

    References
    ----------
    .. [1] R. Salakhutdinov, A. Mnih and G. Hinton, "Restricted Boltzmann
       Machines for Collaborative Filtering", ICML 2007.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import RBM
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> X = data.X[["user", "item"]]
    >>> model = RBM(n_factors=8, max_iter=5, device="cpu", random_state=0).fit(X, data.y)
    >>> model.predict(X.head(3)).shape
    (3,)
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Users per mini-batch.'
        ),
        'n_iter_no_change': (
            'The CD objective is not a loss that decreases steadily, so by default every '
            'epoch runs.'
        ),
    }

    _feedback = "explicit"
    _observed_masks = True
    _parameter_constraints: dict = {
        **UserRowRecommender._parameter_constraints,
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "cd_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "init_std": [Interval(numbers.Real, 0, None, closed="neither")],
        "duplicates": [StrOptions({"mean", "last", "first", "sum", "error"})],
    }

    def __init__(self, n_factors=100, *, cd_steps=1, init_std=0.01, duplicates="mean",
                 max_iter=30, batch_size=64, lr=1e-2, weight_decay=0.0, optimizer="adam",
                 lr_schedule="linear", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=1000, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.n_factors = n_factors
        self.cd_steps = cd_steps
        self.init_std = init_std
        self.duplicates = duplicates
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.lr_schedule = lr_schedule
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _prepare_fit(self, data):
        y = np.asarray(data.y, dtype=np.float64)
        values = np.unique(y)
        if len(values) > _MAX_CLASSES:  # a continuous target: quantiles as the classes
            values = np.unique(np.quantile(y, np.linspace(0, 1, _MAX_CLASSES)))
        self._values = values
        self._y_range = (float(y.min()), float(y.max()))

    def _codes(self, matrix):
        """A copy of a rating matrix with each rating replaced by its class code 1..K."""
        out = sp.csr_array(matrix, dtype=np.float64, copy=True)
        values = getattr(self, "_values", None)
        if values is None:
            values = self.rating_values_
        idx = np.abs(out.data[:, None] - values[None, :]).argmin(1)
        out.data = (idx + 1).astype(np.float64)
        return out

    def _row_matrix(self, matrix):
        return self._codes(matrix)

    def _score_context(self, module, context, item_idx, dtype):
        coded = copy.copy(context)
        coded.matrix = self._codes(context.matrix)
        return super()._score_context(module, coded, item_idx, dtype)

    def _build_module(self, data):
        return RBMModule(data.n_items, self.n_factors, self._values, self.init_std)

    def _batch_loss(self, module, batch):
        _, (v, mask) = module(batch["x"])
        if "is_val" in batch or not module.training:  # validation: reconstruction error
            pred, _ = module(batch["x"])
            m = batch["target_mask"]
            k = len(self._values)
            truth = module.values[(batch["target"].round().long() - 1).clamp(0, k - 1)]
            return (((pred - truth) ** 2) * m).sum() / m.sum().clamp_min(1.0)
        weight = batch["target_mask"]  # sample weights of the rated entries (or 1)
        v_neg = v
        with torch.no_grad():
            for _ in range(self.cd_steps):
                h = torch.bernoulli(module.hidden_probs(v_neg))
                probs = module.visible_probs(h)
                cls = torch.distributions.Categorical(probs=probs).sample()
                v_neg = torch.nn.functional.one_hot(cls, probs.shape[-1]).float()
                v_neg = v_neg * mask[..., None]
        gap = module.free_energy(v * weight[..., None]) - module.free_energy(
            v_neg * weight[..., None])
        return gap.mean()

    def _after_fit(self, data):
        super()._after_fit(data)
        self.rating_values_ = self._values.copy()

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        return np.clip(super()._predict_pairs(user_idx, item_idx, features, timestamp),
                       *self._y_range)
