"""Caser: convolutional sequence embedding."""

from __future__ import annotations

import numbers

import torch
from torch.nn import functional as F

from .._torch._docs import fill_engine_doc
from .._torch._sequences import ScoreHead, SequenceRecommender
from ..utils._compat import Interval, StrOptions

__all__ = ["Caser"]


class _CaserModule(torch.nn.Module):
    """Horizontal and vertical convolutions over the embeddings of the last ``L`` items.

    At every position the ``L`` items up to it (left-padded) form an
    ``L x d`` "image"; horizontal filters of heights ``1..L`` (max-pooled over
    time) and vertical filters over the ``L`` rows are concatenated and
    projected to ``d``, then scored against separate output item vectors.
    """

    def __init__(self, n_items, dim, L, n_h, n_v, dropout):
        super().__init__()
        self.n_items = n_items
        self.L = L
        self.embed = torch.nn.Embedding(n_items + 1, dim, padding_idx=n_items)
        torch.nn.init.normal_(self.embed.weight, std=dim ** -0.5)
        with torch.no_grad():
            self.embed.weight[n_items].zero_()
        self.horizontal = torch.nn.ModuleList(
            torch.nn.Conv2d(1, n_h, (h, dim)) for h in range(1, L + 1))
        self.vertical = torch.nn.Conv2d(1, n_v, (L, 1))
        self.fc = torch.nn.Linear(n_h * L + n_v * dim, dim)
        self.drop = torch.nn.Dropout(dropout)
        self.head = ScoreHead(n_items, dim)

    def forward(self, seq, items=None, positions=None):
        padded = F.pad(seq, (self.L - 1, 0), value=self.n_items)
        windows = padded.unfold(1, self.L, 1)  # (n, length, L): the L items up to each position
        windows = windows[:, -1] if positions is None else windows[positions]
        x = self.embed(windows).unsqueeze(1)  # (m, 1, L, d)
        parts = [self.vertical(x).flatten(1)]
        for conv in self.horizontal:
            parts.append(F.relu(conv(x)).squeeze(3).amax(2))
        z = F.relu(self.fc(self.drop(torch.cat(parts, 1))))
        return self.head(z, items)


@fill_engine_doc
class Caser(SequenceRecommender):
    """Caser: convolutional embedding of the last ``L`` items of a sequence.

    The embeddings of the ``L`` items before a position form an ``L x d``
    image; ``n_h`` horizontal filters of each height ``1..L`` (union-level
    and point-level sequential patterns, max-pooled over time) and ``n_v``
    vertical filters (weighted sums of the ``L`` embeddings) are concatenated
    and projected to ``d``, which scores every item as the next one (Tang &
    Wang, 2018). Trained at every position of every sequence on the next
    ``T`` items (the paper's "skip" behaviour: an item two or three steps
    ahead is a target too), the loss summed over the targets.

    Unlike the paper, the score has no user-embedding term: a session or a
    new user given as ``history`` has no trained user vector, so the model
    reads only the items (as in session-based evaluations of Caser).
    Sequences are sessions when ``X`` has a ``session`` column, else user
    histories (ordered by ``timestamp``); see
    :class:`~skrec._torch._sequences.SequenceRecommender` for the training
    windows and the prefix scoring.

    Parameters
    ----------
    hidden_size : int, default=50
        Item embedding width ``d``.
    L : int, default=5
        Items read before each prediction.
    n_h : int, default=16
        Horizontal filters per height.
    n_v : int, default=4
        Vertical filters.
    T : int, default=1
        Targets per position: the next ``T`` items of the sequence (fewer
        near its end). ``T=1`` trains on the next item only; the paper's
        ``T=3`` also learns the items two and three steps ahead, which did
        not pay on next-click metrics (RSC15-100k Recall@20 / MRR@20:
        .582 / .308 with ``T=1``, .561 / .278 with ``T=3``).
    dropout : float, default=0.5
    max_len : int, default=50
        Training window (positions per padded row); at least ``L``.
    loss : {"bce", "cross-entropy"}, default="cross-entropy"
        ``"bce"``: binary cross-entropy with one uniformly sampled negative
        per target (the paper's loss); ``"cross-entropy"``: softmax over the
        catalog, one term per target.
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
    SASRec : Self-attention over the last items.
    GRU4Rec : A recurrent network over the session.

    References
    ----------
    .. [1] J. Tang and K. Wang, "Personalized Top-N Sequential Recommendation
       via Convolutional Sequence Embedding", WSDM 2018.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.sequential import Caser
    >>> rng = np.random.RandomState(0)
    >>> starts = rng.randint(0, 10, size=60)  # sessions walk the cycle i -> i + 1
    >>> X = pd.DataFrame({"user": np.repeat(np.arange(60), 4),
    ...                   "session": np.repeat(np.arange(60), 4),
    ...                   "item": (starts[:, None] + np.arange(4)).ravel() % 10,
    ...                   "timestamp": np.tile(np.arange(4), 60)})
    >>> model = Caser(hidden_size=16, L=3, max_len=5, max_iter=40, lr=0.01, dropout=0.0,
    ...               device="cpu", random_state=0).fit(X)
    >>> prefix = pd.DataFrame({"user": "new", "item": [2, 3, 4], "session": 1})
    >>> items, scores = model.recommend(["new"], k=1, history=prefix)
    >>> items
    array([[5]])

    ``T=3`` (the paper's setting) also trains every position on the items
    two and three steps ahead: in these four-event sessions the prefix
    ``[3, 4]`` would then rank 6 high as well as 5.
    """

    _parameter_constraints: dict = {
        **SequenceRecommender._parameter_constraints,
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "L": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_h": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_v": [Interval(numbers.Integral, 1, None, closed="left")],
        "T": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "loss": [StrOptions({"bce", "cross-entropy"})],
    }

    def __init__(self, hidden_size=50, *, L=5, n_h=16, n_v=4, T=1, dropout=0.5, max_len=50,
                 loss="cross-entropy", max_iter=20, batch_size=128, lr=0.001, weight_decay=0.0,
                 optimizer="adam", lr_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, warm_start=False,
                 device="auto", random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.L = L
        self.n_h = n_h
        self.n_v = n_v
        self.T = T
        self.dropout = dropout
        self.max_len = max_len
        self.loss = loss
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

    def _n_targets(self):
        return self.T

    def _build_module(self, data):
        if self.L > self.max_len:
            raise ValueError(f"L={self.L} must not exceed max_len={self.max_len}.")
        return _CaserModule(data.n_items, self.hidden_size, self.L, self.n_h, self.n_v,
                            self.dropout)
