"""CDAE: collaborative denoising autoencoder (Wu et al. 2016)."""

from __future__ import annotations

import numbers

from torch.nn import functional as F

from .._torch import UserRowRecommender
from .._torch._docs import fill_engine_doc
from ..utils._compat import Interval, StrOptions
from ._modules import ACTIVATIONS, CDAEModule

__all__ = ["CDAE"]


@fill_engine_doc
class CDAE(UserRowRecommender):
    """Collaborative denoising autoencoder: a denoising AE with a user node.

    A user's row ``x`` (their interactions) is corrupted by dropout
    (probability ``dropout``, kept entries scaled by ``1 / (1 - dropout)``),
    encoded as ``h = act(W x + V_u + b)`` where ``V_u`` is the user's own
    input node, and decoded to logits ``W' h + b'``. The loss is the binary
    cross-entropy of the reconstruction over the whole catalog (observed
    items are positives, the others negatives) plus ``reg`` times the squared
    norms of ``W``, ``W'`` and the users' ``V_u``. Scoring encodes the
    user's H(u) without corruption; a user unseen at fit gets the mean user
    vector, so new users are folded in by encoding.

    The user node ``V_u`` is the user parameter (``_user_param_names``) that
    :class:`skrec.meta.MAMLRecommender` adapts per user: wrapped, CDAE is
    MetaRec-AE (a task's support items form the input row, its support and
    query items the target).

    Parameters
    ----------
    n_factors : int, default=200
        Hidden units (the paper's ``K``).
    dropout : float in [0, 1), default=0.2
        Corruption level of the input.
    hidden_activation : {"sigmoid", "identity", "relu", "tanh", "elu", "selu"}, default="sigmoid"
    reg : float, default=1e-4
        L2 penalty per user row on ``W``, ``W'`` and ``V_u``.
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    MultDAE : A denoising autoencoder with a multinomial likelihood.

    Notes
    -----
    The defaults come from MovieLens 1M (LCF split, see
    ``benchmarks/bench_autoencoders_ml1m_lcf.py``): the paper-like setting
    (50 units, corruption 0.5, Adam 3e-3, 30 epochs) reached Recall@20
    0.115, while 200 units, corruption 0.2 and Adam 1e-2 for 20 epochs
    reached 0.262 (NDCG@20 0.245).

    References
    ----------
    .. [1] Y. Wu, C. DuBois, A. X. Zheng and M. Ester, "Collaborative
       Denoising Auto-Encoders for Top-N Recommender Systems", WSDM 2016.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import CDAE
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = CDAE(n_factors=8, max_iter=5, device="cpu", random_state=0).fit(data.X)
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Users per mini-batch.'
        ),
    }

    _parameter_constraints: dict = {
        **UserRowRecommender._parameter_constraints,
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "hidden_activation": [StrOptions(set(ACTIVATIONS))],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(self, n_factors=200, *, dropout=0.2, hidden_activation="sigmoid", reg=1e-4,
                 max_iter=20, batch_size=256, lr=1e-2, weight_decay=0.0, optimizer="adam",
                 lr_schedule="constant", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.n_factors = n_factors
        self.dropout = dropout
        self.hidden_activation = hidden_activation
        self.reg = reg
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

    _user_param_names = ("user_embedding.weight",)

    def _build_module(self, data):
        return CDAEModule(data.n_users, data.n_items, self.n_factors, self.dropout,
                          self.hidden_activation)

    def _batch_loss(self, module, batch):
        logits, (user_pen, weights) = module(batch["x"], users=batch["row"])
        target = (batch["target"] > 0).float()
        bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1).mean()
        if self.reg == 0:
            return bce
        return bce + self.reg * (user_pen.mean() + weights)
