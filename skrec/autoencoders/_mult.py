"""Mult-DAE and Mult-VAE: autoencoders with a multinomial likelihood (Liang et al. 2018)."""

from __future__ import annotations

import numbers

from torch.nn import functional as F

from .._torch import UserRowRecommender
from .._torch._rows import SparseRows
from ..utils._compat import Interval
from ._modules import MultModule

__all__ = ["MultDAE", "MultVAE"]

_ENGINE_DOC = """    max_iter : int, default={max_iter}
        Epochs (passes over the users).
    batch_size : int, default=500
        Users per mini-batch.
    lr : float, default=1e-3
        Adam's learning rate.
    weight_decay : float, default={wd}
        L2 penalty on every weight, passed to the optimizer.
    optimizer : {{"adam", "adamw", "sgd", "adagrad"}}, default="adam"
    lr_schedule : {{"constant", "linear"}}, default="constant"
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of each user's items from the input,
        monitor the loss of reconstructing them and keep the best epoch.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
    tol : float, default=1e-4
    warm_start : bool, default=False
    device : str or torch.device, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        See :class:`~skrec._torch._engine.TorchRecommender`.
"""

_ATTR_DOC = """    module_ : torch.nn.Module
        The fitted network.
    device_ : torch.device
    history_ : list of dict
        One dict per epoch (``train_loss``, ``val_loss``, ``time``).
    n_iter_ : int
    global_step_ : int
        Optimizer steps so far (the clock of the KL annealing).
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.
"""


class _MultBase(UserRowRecommender):
    _variational = False
    _sparse_input = True  # batches of stored entries: see MultModule
    _parameter_constraints: dict = {
        **UserRowRecommender._parameter_constraints,
        "hidden_dims": ["array-like"],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def _prepare_fit(self, data):
        dims = tuple(self.hidden_dims)
        if not all(isinstance(d, numbers.Integral) and d > 0 for d in dims):
            raise ValueError(
                f"hidden_dims must be a sequence of positive integers, got {self.hidden_dims!r}."
            )

    def _build_module(self, data):
        return MultModule(data.n_items, tuple(self.hidden_dims), self.latent_dim, self.dropout,
                          self._variational)

    def _neg_log_likelihood(self, logits, target):
        """``-(log_softmax(logits) * target).sum(1).mean()``, over the stored entries if sparse."""
        log_p = F.log_softmax(logits, dim=1)
        if isinstance(target, SparseRows):
            return -(log_p[target.owner, target.indices] * target.values).sum() / len(target)
        return -(log_p * target).sum(1).mean()


class MultDAE(_MultBase):
    __doc__ = """Denoising autoencoder with a multinomial likelihood (Mult-DAE).

    The input row of a user (their interactions, L2-normalized and dropped
    out with probability ``dropout``) goes through tanh layers
    ``[n_items -> hidden_dims -> latent_dim -> reversed(hidden_dims) ->
    n_items]``; the loss is the multinomial log-likelihood of the user's
    items under ``softmax`` of the output. A user with history, known or
    not, is scored by encoding their row: no gradient step.

    Parameters
    ----------
    hidden_dims : tuple of int, default=(600,)
        Widths of the encoder's hidden layers (the decoder mirrors them).
    latent_dim : int, default=200
        Width of the bottleneck.
    dropout : float in [0, 1), default=0.5
        Dropout probability of the normalized input.
""" + _ENGINE_DOC.format(max_iter=50, wd=1e-5) + """
    Attributes
    ----------
""" + _ATTR_DOC + """
    See Also
    --------
    MultVAE : The variational version.

    References
    ----------
    .. [1] D. Liang, R. G. Krishnan, M. D. Hoffman and T. Jebara,
       "Variational Autoencoders for Collaborative Filtering", WWW 2018.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import MultDAE
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = MultDAE(hidden_dims=(16,), latent_dim=8, max_iter=5, device="cpu",
    ...                 random_state=0).fit(data.X)
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    def __init__(self, hidden_dims=(600,), latent_dim=200, *, dropout=0.5, max_iter=50,
                 batch_size=500, lr=1e-3, weight_decay=1e-5, optimizer="adam",
                 lr_schedule="constant", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.dropout = dropout
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

    def _batch_loss(self, module, batch):
        logits, _ = module(batch["x"])
        return self._neg_log_likelihood(logits, batch["target"])


class MultVAE(_MultBase):
    __doc__ = """Variational autoencoder with a multinomial likelihood (Mult-VAE).

    The encoder maps a user's row (L2-normalized, dropped out with
    probability ``dropout``) through tanh layers to a Gaussian posterior
    ``q(z | x) = N(mu, sigma^2)`` of dimension ``latent_dim``; the decoder
    maps ``z`` back to logits over the catalog. The loss is the multinomial
    negative log-likelihood plus ``beta`` times the KL divergence to
    ``N(0, I)``, with ``beta = min(beta_max, step / total_anneal_steps)``
    annealed over optimizer steps (Liang et al.'s partial regularization).
    A user with history, known or not, is scored by encoding their row with
    ``z = mu`` (the paper's strong generalization): no gradient step.

    Parameters
    ----------
    hidden_dims : tuple of int, default=(600,)
        Widths of the encoder's hidden layers (the decoder mirrors them).
    latent_dim : int, default=200
        Dimension of ``z``.
    dropout : float in [0, 1), default=0.5
        Dropout probability of the normalized input.
    beta_max : float, default=0.2
        Final weight of the KL term.
    total_anneal_steps : int, default=200000
        Optimizer steps over which ``beta`` grows linearly from 0 to 1
        (capped at ``beta_max``); 0 uses ``beta_max`` from the start.
""" + _ENGINE_DOC.format(max_iter=50, wd=0.0) + """
    Attributes
    ----------
""" + _ATTR_DOC + """    beta_ : float
        The KL weight at the last optimizer step.

    See Also
    --------
    MultDAE : The denoising, non-variational version.

    Notes
    -----
    ``total_anneal_steps`` counts optimizer steps (users / ``batch_size``
    per epoch), as in the authors' code: with the defaults on a catalog of
    a few thousand users ``beta`` stays small, which the paper found best.

    References
    ----------
    .. [1] D. Liang, R. G. Krishnan, M. D. Hoffman and T. Jebara,
       "Variational Autoencoders for Collaborative Filtering", WWW 2018.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import MultVAE
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = MultVAE(hidden_dims=(16,), latent_dim=8, max_iter=5,
    ...                 total_anneal_steps=10, device="cpu", random_state=0).fit(data.X)
    >>> model.beta_
    0.2
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    _variational = True
    _parameter_constraints: dict = {
        **_MultBase._parameter_constraints,
        "beta_max": [Interval(numbers.Real, 0, None, closed="left")],
        "total_anneal_steps": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(self, hidden_dims=(600,), latent_dim=200, *, dropout=0.5, beta_max=0.2,
                 total_anneal_steps=200000, max_iter=50, batch_size=500, lr=1e-3,
                 weight_decay=0.0, optimizer="adam", lr_schedule="constant",
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=10,
                 tol=1e-4, warm_start=False, device="auto", random_state=None, verbose=0):
        self.hidden_dims = hidden_dims
        self.latent_dim = latent_dim
        self.dropout = dropout
        self.beta_max = beta_max
        self.total_anneal_steps = total_anneal_steps
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

    def _kl_weight(self, step):
        """``beta`` after ``step`` optimizer steps: ``min(beta_max, step / total_anneal_steps)``."""
        if self.total_anneal_steps == 0:
            return float(self.beta_max)
        return float(min(self.beta_max, step / self.total_anneal_steps))

    def _batch_loss(self, module, batch):
        logits, (mu, logvar) = module(batch["x"])
        nll = self._neg_log_likelihood(logits, batch["target"])
        kl = 0.5 * (-logvar + logvar.exp() + mu**2 - 1.0).sum(1).mean()
        return nll + self._kl_weight(getattr(self, "global_step_", 0)) * kl

    def _after_fit(self, data):
        super()._after_fit(data)
        self.beta_ = self._kl_weight(self.global_step_)
