"""GRU4Rec: session-based recommendation with a recurrent network."""

from __future__ import annotations

import numbers

import numpy as np
import torch
from torch.nn import functional as F

from .._torch._docs import fill_engine_doc
from .._torch._sampling import NegativeSampler
from .._torch._sequences import ScoreHead, SequenceRecommender, _warn_no_sequences
from ..utils._compat import Interval, StrOptions

__all__ = ["GRU4Rec"]

_LOSSES = ("top1", "bpr", "cross-entropy", "top1-max", "bpr-max")


class _GRU4RecModule(torch.nn.Module):
    """One-layer GRU over item embeddings; output scores ``h . W_i + b_i``.

    ``module(x, items, hidden=h)`` is one step of session-parallel training
    (``x`` of shape ``(B,)``), returning ``(scores (B, len(items)), h_new)``;
    ``module(seq, items=None)`` runs the GRU over left-padded prefixes
    ``(n, L)`` (padding steps leave the state unchanged) and scores the
    catalog from the final state.
    """

    def __init__(self, n_items, hidden_size, constrained, dropout_embed, dropout_hidden):
        super().__init__()
        self.n_items = n_items
        self.head = ScoreHead(n_items, hidden_size)
        self.embed = None if constrained else torch.nn.Embedding(
            n_items + 1, hidden_size, padding_idx=n_items)
        self.cell = torch.nn.GRUCell(hidden_size, hidden_size)
        self.drop_e = torch.nn.Dropout(dropout_embed)
        self.drop_h = torch.nn.Dropout(dropout_hidden)
        self.hidden_size = hidden_size

    def _embed(self, x):
        table = self.head.weight if self.embed is None else self.embed.weight
        return self.drop_e(table[x])

    def forward(self, x, items=None, positions=None, hidden=None):
        if hidden is not None:
            h = self.cell(self._embed(x), hidden)
            return self.head(self.drop_h(h), items), h
        h = torch.zeros(x.shape[0], self.hidden_size, device=x.device)
        for t in range(x.shape[1]):
            step = x[:, t]
            new = self.cell(self._embed(step), h)
            h = torch.where((step != self.n_items)[:, None], new, h)
        return self.head(h, items)


@fill_engine_doc
class GRU4Rec(SequenceRecommender):
    """GRU4Rec: a recurrent network over the session, trained session-parallel.

    A one-layer GRU reads the items of a session one at a time; its hidden
    state scores every item as the next one (Hidasi et al., 2016). Training
    uses **session-parallel mini-batches**: ``batch_size`` sessions are read
    side by side, one event per step, and a lane whose session ends takes the
    next session with its hidden state reset to zero. Each step scores the
    targets of the whole mini-batch (in-batch negatives) plus ``n_sample``
    extra negatives drawn with probability proportional to
    ``popularity ** sample_alpha`` (Hidasi & Karatzoglou, 2018), under one of
    the ranking losses below.

    Sequences are sessions when ``X`` has a ``session`` column, else each
    user's whole history; they are ordered by ``timestamp`` within a
    sequence (unsorted timestamps are sorted). One-event sessions are
    skipped in training. A new session is scored from ``history`` (see
    :class:`~skrec._torch._sequences.SequenceRecommender`): the GRU runs over
    the last ``max_len`` items of the user's last session in the context.

    Parameters
    ----------
    hidden_size : int, default=100
        Width of the GRU state (and of the item embeddings). The paper uses
        100 (and up to 1000).
    loss : {"top1", "bpr", "cross-entropy", "top1-max", "bpr-max"}, default="cross-entropy"
        Ranking loss of each target against the negatives: TOP1 and BPR
        (averaged over the negatives, 2016), their softmax-weighted "max"
        versions (2018) or the sampled softmax cross-entropy.
    n_sample : int, default=1024
        Extra negatives per mini-batch step, shared by the lanes (0: in-batch
        negatives only).
    sample_alpha : float, default=0.75
        Exponent of the popularity of the extra negatives (0: uniform, 1:
        proportional to popularity).
    bpreg : float, default=1.0
        Weight of the score regularization of ``"bpr-max"``.
    constrained_embedding : bool, default=True
        Tie the input embedding to the output weights (GRU4Rec's
        "constrained embedding"); otherwise learn a separate input embedding.
    dropout_embed : float, default=0.0
        Dropout on the input embedding.
    dropout_hidden : float, default=0.0
        Dropout on the hidden state before the output layer.
    max_len : int, default=50
        Items of a prefix read at scoring time (the last ones).
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    device_ : torch.device
    history_ : list of dict
        Per-epoch ``train_loss``, ``val_loss`` and ``time``.
    n_iter_ : int
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    SASRec : Self-attention over the last items.
    SessionKNN : The item-KNN baseline of the GRU4Rec paper.

    Notes
    -----
    The defaults were chosen on the train_tr/train_valid split of a
    100k-event sample of RSC15 (``benchmarks/bench_sessions_rsc15.py``):
    cross-entropy with 1024 extra negatives reached Recall@20 .620 and
    MRR@20 .328 there; BPR-max and TOP1-max with 2048 negatives
    (``sample_alpha=0.5``) were 1-2 points better (.630/.342, .627/.345) at
    about twice the time per epoch, so the default is the cheaper one; all
    with 128 lanes, Adagrad at lr 0.05 and 10 epochs (lr 0.1: .569/.280).
    The hidden state is carried across mini-batches without backpropagating
    through earlier steps (truncated back-propagation of one step, as in the
    reference implementation).

    References
    ----------
    .. [1] B. Hidasi, A. Karatzoglou, L. Baltrunas and D. Tikk,
       "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016.
    .. [2] B. Hidasi and A. Karatzoglou, "Recurrent Neural Networks with Top-k
       Gains for Session-based Recommendations", CIKM 2018.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.sequential import GRU4Rec
    >>> rng = np.random.RandomState(0)
    >>> starts = rng.randint(0, 10, size=60)  # sessions walk the cycle i -> i + 1
    >>> X = pd.DataFrame({"user": np.repeat(np.arange(60), 4),
    ...                   "session": np.repeat(np.arange(60), 4),
    ...                   "item": (starts[:, None] + np.arange(4)).ravel() % 10,
    ...                   "timestamp": np.tile(np.arange(4), 60)})
    >>> model = GRU4Rec(hidden_size=16, n_sample=0, batch_size=16, max_iter=30,
    ...                 lr=0.1, device="cpu", random_state=0).fit(X)
    >>> prefix = pd.DataFrame({"user": "new", "item": [3, 4], "session": 1})
    >>> items, scores = model.recommend(["new"], k=1, history=prefix)
    >>> items
    array([[5]])
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Parallel sessions (lanes) of a mini-batch.'
        ),
        'optimizer': (
            'The paper trains with Adagrad.'
        ),
        'early_stopping': (
            'Hold out the last item of ``validation_fraction`` of the sessions (those '
            'with three or more events) and keep the best epoch.'
        ),
    }

    _parameter_constraints: dict = {
        **SequenceRecommender._parameter_constraints,
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "loss": [StrOptions(set(_LOSSES))],
        "n_sample": [Interval(numbers.Integral, 0, None, closed="left")],
        "sample_alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "bpreg": [Interval(numbers.Real, 0, None, closed="left")],
        "constrained_embedding": ["boolean"],
        "dropout_embed": [Interval(numbers.Real, 0, 1, closed="left")],
        "dropout_hidden": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(self, hidden_size=100, *, loss="cross-entropy", n_sample=1024,
                 sample_alpha=0.75, bpreg=1.0, constrained_embedding=True, dropout_embed=0.0,
                 dropout_hidden=0.0, max_len=50, max_iter=10, batch_size=128, lr=0.05,
                 weight_decay=0.0, optimizer="adagrad", lr_schedule="constant",
                 early_stopping=False, validation_fraction=0.1, n_iter_no_change=5, tol=1e-4,
                 warm_start=False, device="auto", random_state=None, verbose=0):
        self.hidden_size = hidden_size
        self.loss = loss
        self.n_sample = n_sample
        self.sample_alpha = sample_alpha
        self.bpreg = bpreg
        self.constrained_embedding = constrained_embedding
        self.dropout_embed = dropout_embed
        self.dropout_hidden = dropout_hidden
        self.max_len = max_len
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

    # ---------------------------------------------------------- set-up
    def _build_module(self, data):
        return _GRU4RecModule(data.n_items, self.hidden_size, self.constrained_embedding,
                              self.dropout_embed, self.dropout_hidden)

    def _prepare_fit(self, data):
        super()._prepare_fit(data)
        counts = np.bincount(data.item, minlength=data.n_items)
        self._sampler = NegativeSampler(data.n_items, "popularity", counts=counts,
                                        exponent=self.sample_alpha, device=self.device_)

    def _training_rows(self, data):
        """Transitions, grouped by sequence in order: input, target, sequence id."""
        indptr, items, w = self._sequences(data)
        if len(indptr) < 2:
            _warn_no_sequences(self)
        lengths = np.diff(indptr)
        n_trans = lengths - 1
        seq = np.repeat(np.arange(len(lengths)), n_trans)
        pos = np.arange(int(n_trans.sum())) - np.repeat(np.cumsum(n_trans) - n_trans, n_trans)
        src = indptr[:-1][seq] + pos
        return {"item": items[src], "target": items[src + 1], "seq": seq,
                "weight": w[src + 1], "length": lengths[seq]}

    def _split_holdout(self, rows, rng):
        chosen = self._holdout_sequences(rows["seq"], rows["length"], rng)
        in_val = np.isin(rows["seq"], chosen)
        seq = rows["seq"]
        is_last = np.r_[seq[1:] != seq[:-1], True]
        train = {k: np.asarray(v)[~(in_val & is_last)] for k, v in rows.items()}
        val = {k: np.asarray(v)[in_val].copy() for k, v in rows.items()}
        val["weight"] = val["weight"] * is_last[in_val]  # only the held-out item counts
        return train, val

    # ---------------------------------------------------------- batches
    def _make_batches(self, rows, generator):
        """Session-parallel mini-batches: one event of each of ``batch_size`` sessions."""
        seq = rows["seq"].cpu().numpy()
        n = len(seq)
        if n == 0:
            return
        starts = np.flatnonzero(np.r_[True, seq[1:] != seq[:-1]])
        ends = np.r_[starts[1:], n]
        order = torch.randperm(len(starts), generator=generator,
                               device=generator.device).cpu().numpy()
        lanes = min(self.batch_size, len(starts))
        pos = starts[order[:lanes]].copy()
        end = ends[order[:lanes]].copy()
        nxt = lanes
        reset = np.ones(lanes, dtype=bool)
        state = {"h": torch.zeros(lanes, self.hidden_size, device=self.device_),
                 "c": torch.zeros(lanes, self.hidden_size, device=self.device_)}
        while True:
            act = np.flatnonzero(pos < end)
            if len(act) == 0:
                break
            idx = torch.as_tensor(pos[act], device=self.device_)
            batch = {k: v[idx] for k, v in rows.items() if k not in ("seq", "length")}
            batch["lane"] = torch.as_tensor(act, device=self.device_)
            batch["reset"] = torch.as_tensor(reset[act], device=self.device_)
            batch["state"] = state
            yield batch
            pos[act] += 1
            reset[:] = False
            done = act[pos[act] >= end[act]]
            take = min(len(done), len(order) - nxt)
            if take:
                new = order[nxt:nxt + take]
                pos[done[:take]] = starts[new]
                end[done[:take]] = ends[new]
                reset[done[:take]] = True
                nxt += take

    def _prepare_batch(self, batch, generator):
        if self.n_sample:
            batch["sample"] = self._sampler.sample((self.n_sample,), generator)
        return batch

    def _step_scores(self, module, batch, cols):
        """Scores of ``cols`` after one GRU step of every lane (state carried in the batch)."""
        state = batch["state"]
        lane = batch["lane"]
        h_prev = state["h"][lane] * (~batch["reset"])[:, None].float()
        scores, h_new = module(batch["item"], cols, hidden=h_prev)
        state["h"] = state["h"].index_put((lane,), h_new.detach())
        return scores

    def _batch_loss(self, module, batch):
        target = batch["target"]
        cols = target if "sample" not in batch else torch.cat([target, batch["sample"]])
        scores = self._step_scores(module, batch, cols)
        n = len(target)
        diag = torch.arange(n, device=scores.device)
        pos = scores[diag, diag]
        same = cols[None, :] == target[:, None]  # the target itself, and its duplicates
        neg = ~same
        loss = self.loss
        if loss == "cross-entropy":
            dup = same.clone()
            dup[diag, diag] = False
            logits = scores.masked_fill(dup, float("-inf"))
            per_row = -torch.log_softmax(logits, dim=1)[diag, diag]
        elif loss in ("top1", "bpr"):
            negf = neg.float()
            count = negf.sum(1).clamp_min(1.0)
            if loss == "bpr":
                per_row = -(F.logsigmoid(pos[:, None] - scores) * negf).sum(1) / count
            else:
                per_row = ((torch.sigmoid(scores - pos[:, None]) + torch.sigmoid(scores ** 2))
                           * negf).sum(1) / count
        else:
            soft = torch.softmax(scores.masked_fill(same, float("-inf")), dim=1)
            soft = torch.nan_to_num(soft)  # a row without negatives
            if loss == "top1-max":
                per_row = (soft * (torch.sigmoid(scores - pos[:, None])
                                   + torch.sigmoid(scores ** 2))).sum(1)
            else:  # bpr-max
                per_row = (-torch.log((soft * torch.sigmoid(pos[:, None] - scores)).sum(1)
                                      + 1e-24)
                           + self.bpreg * (soft * scores ** 2).sum(1))
        weight = batch["weight"]
        return (per_row * weight).sum() / weight.sum().clamp_min(1e-12)
