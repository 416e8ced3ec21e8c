"""SASRec: self-attentive sequential recommendation."""

from __future__ import annotations

import numbers

import torch
from torch.nn import functional as F

from .._torch._docs import fill_engine_doc
from .._torch._sequences import ScoreHead, SequenceRecommender
from ..utils._compat import Interval, StrOptions

__all__ = ["SASRec"]


class _Block(torch.nn.Module):
    """Pre-norm causal self-attention block with a point-wise feed-forward net."""

    def __init__(self, dim, n_heads, dropout):
        super().__init__()
        self.n_heads = n_heads
        self.ln1 = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.out = torch.nn.Linear(dim, dim)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.ff1 = torch.nn.Linear(dim, dim)
        self.ff2 = torch.nn.Linear(dim, dim)
        self.drop = torch.nn.Dropout(dropout)
        self.p = dropout

    def forward(self, x, allowed):
        n, length, dim = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(dim, dim=2)

        def heads(t):
            return t.view(n, length, self.n_heads, dim // self.n_heads).transpose(1, 2)

        att = F.scaled_dot_product_attention(
            heads(q), heads(k), heads(v), attn_mask=allowed,
            dropout_p=self.p if self.training else 0.0)
        x = x + self.drop(self.out(att.transpose(1, 2).reshape(n, length, dim)))
        return x + self.drop(self.ff2(self.drop(F.relu(self.ff1(self.ln2(x))))))


class _SASRecModule(torch.nn.Module):
    """Item + learned position embeddings, causal blocks, scores against the item embeddings.

    Positions are counted from the end of the (left-padded) window, so a
    prefix gets the same positions however much padding precedes it.
    """

    def __init__(self, n_items, dim, max_len, n_blocks, n_heads, dropout):
        super().__init__()
        self.n_items = n_items
        self.max_len = max_len
        self.head = ScoreHead(n_items, dim, bias=False)
        self.pos = torch.nn.Parameter(torch.randn(max_len, dim) * 0.02)
        self.blocks = torch.nn.ModuleList(_Block(dim, n_heads, dropout) for _ in range(n_blocks))
        self.ln = torch.nn.LayerNorm(dim)
        self.drop = torch.nn.Dropout(dropout)
        self.scale = dim ** 0.5

    def encode(self, seq):
        length = seq.shape[1]
        real = seq != self.n_items
        x = self.head.weight[seq] * self.scale + self.pos[self.max_len - length:]
        x = self.drop(x) * real[..., None]
        causal = torch.ones(length, length, dtype=torch.bool, device=seq.device).tril()
        eye = torch.eye(length, dtype=torch.bool, device=seq.device)
        # attend to earlier real items (and to itself, so a padding row is never empty)
        allowed = (causal[None] & real[:, None, :]) | eye[None]
        allowed = allowed[:, None]
        for block in self.blocks:
            x = block(x, allowed) * real[..., None]
        return self.ln(x)

    def forward(self, seq, items=None, positions=None):
        h = self.encode(seq)
        h = h[:, -1] if positions is None else h[positions]
        return self.head(h, items)


@fill_engine_doc
class SASRec(SequenceRecommender):
    """SASRec: causal self-attention over the last items of a sequence.

    Each position of the last ``max_len`` items attends to the earlier ones
    (``n_blocks`` Transformer blocks with ``n_heads`` heads and learned
    position embeddings); the output at a position scores every item as the
    next one by a dot product with the shared item embeddings (Kang &
    McAuley, 2018). Trained on every position of every sequence, with binary
    cross-entropy against one sampled negative per position (the paper) or a
    softmax cross-entropy over the whole catalog.

    Sequences are sessions when ``X`` has a ``session`` column, else each
    user's whole history (the paper's setting), ordered by ``timestamp``
    (unsorted timestamps are sorted); one-event sequences are skipped in
    training and long ones are cut into windows of ``max_len``. A user is
    scored from the last ``max_len`` items of their last session in the
    context (see :class:`~skrec._torch._sequences.SequenceRecommender`).

    Parameters
    ----------
    hidden_size : int, default=64
        Width of the item and position embeddings and of the blocks.
    n_blocks : int, default=2
    n_heads : int, default=1
        Attention heads; must divide ``hidden_size``.
    dropout : float, default=0.2
    max_len : int, default=50
        Window length (positions).
    loss : {"bce", "cross-entropy"}, default="cross-entropy"
        ``"bce"``: the paper's binary cross-entropy with one uniformly
        sampled negative per position; ``"cross-entropy"``: softmax over
        the catalog (better on small catalogs).
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
    GRU4Rec : A recurrent network over the session.

    References
    ----------
    .. [1] W.-C. Kang and J. McAuley, "Self-Attentive Sequential
       Recommendation", ICDM 2018.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.sequential import SASRec
    >>> rng = np.random.RandomState(0)
    >>> starts = rng.randint(0, 10, size=60)  # sessions walk the cycle i -> i + 1
    >>> X = pd.DataFrame({"user": np.repeat(np.arange(60), 4),
    ...                   "session": np.repeat(np.arange(60), 4),
    ...                   "item": (starts[:, None] + np.arange(4)).ravel() % 10,
    ...                   "timestamp": np.tile(np.arange(4), 60)})
    >>> model = SASRec(hidden_size=16, max_len=5, max_iter=40, lr=0.01, dropout=0.0,
    ...                device="cpu", random_state=0).fit(X)
    >>> prefix = pd.DataFrame({"user": "new", "item": [3, 4], "session": 1})
    >>> items, scores = model.recommend(["new"], k=1, history=prefix)
    >>> items
    array([[5]])
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Windows per mini-batch.'
        ),
        'early_stopping': (
            'Hold out the last item of ``validation_fraction`` of the sequences.'
        ),
    }

    _parameter_constraints: dict = {
        **SequenceRecommender._parameter_constraints,
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_blocks": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_heads": [Interval(numbers.Integral, 1, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "loss": [StrOptions({"bce", "cross-entropy"})],
    }

    def __init__(self, hidden_size=64, *, n_blocks=2, n_heads=1, dropout=0.2, max_len=50,
                 loss="cross-entropy", max_iter=20, batch_size=128, lr=0.001, weight_decay=0.0,
                 optimizer="adam", lr_schedule="constant", early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=5, tol=1e-4, warm_start=False,
                 device="auto", random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.n_blocks = n_blocks
        self.n_heads = n_heads
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

    def _build_module(self, data):
        if self.hidden_size % self.n_heads:
            raise ValueError(
                f"n_heads={self.n_heads} must divide hidden_size={self.hidden_size}.")
        return _SASRecModule(data.n_items, self.hidden_size, self.max_len, self.n_blocks,
                             self.n_heads, self.dropout)
