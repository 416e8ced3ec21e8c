"""HRNN: hierarchical recurrent network for personalized session-based recommendation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .._torch._docs import fill_engine_doc
from .._torch._sequences import _warn_no_sequences
from ._base import _time_rank, pad_left
from ._gru4rec import GRU4Rec, _GRU4RecModule

__all__ = ["HRNN"]


class _HRNNModule(_GRU4RecModule):
    """A session GRU (GRU4Rec's) whose initial state comes from a user GRU.

    After each session the user GRU reads the session's last hidden state;
    a new session starts from ``tanh(W c + b)`` of the user state ``c``.
    """

    def __init__(self, n_items, hidden_size, constrained, dropout_embed, dropout_hidden):
        super().__init__(n_items, hidden_size, constrained, dropout_embed, dropout_hidden)
        self.user_cell = torch.nn.GRUCell(hidden_size, hidden_size)
        self.init = torch.nn.Linear(hidden_size, hidden_size)

    def _start(self, h, c, new_session, first):
        """(h, c) at the first event of a session (``new_session``), unchanged elsewhere."""
        cont = (new_session & ~first)[:, None]
        c = torch.where(cont, self.user_cell(h, c), c)
        c = torch.where(first[:, None], torch.zeros_like(c), c)
        h = torch.where(new_session[:, None], torch.tanh(self.init(c)), h)
        return h, c

    def forward(self, x, items=None, positions=None, hidden=None, starts=None):
        if hidden is not None:  # one training step: hidden = (h, c, new_session, first)
            h, c, new_session, first = hidden
            h, c = self._start(h, c, new_session, first)
            h = self.cell(self._embed(x), h)
            return self.head(self.drop_h(h), items), h, c
        n = x.shape[0]
        h = torch.zeros(n, self.hidden_size, device=x.device)
        c = torch.zeros_like(h)
        seen = torch.zeros(n, dtype=torch.bool, device=x.device)
        for t in range(x.shape[1]):
            step = x[:, t]
            real = step != self.n_items
            start = starts[:, t] & real
            h, c = self._start(h, c, start, start & ~seen)
            new = self.cell(self._embed(step), h)
            h = torch.where(real[:, None], new, h)
            seen = seen | real
        return self.head(h, items)


@fill_engine_doc
class HRNN(GRU4Rec):
    """HRNN: GRU4Rec with a user-level GRU across a user's sessions.

    A session-level GRU reads the items of a session as in
    :class:`GRU4Rec`; at the end of each session a user-level GRU reads the
    session's last hidden state, and the next session of the same user
    starts from ``tanh(W c_u + b)`` of the user state ``c_u`` instead of
    zeros (HRNN-Init of Quadrana et al., 2017). Training runs
    **user-parallel** mini-batches: ``batch_size`` users side by side, one
    event per step, the session state re-initialised at each new session and
    both states reset when a lane moves to the next user.

    Sessions come from the ``session`` column (without it, a user's history
    is one session and HRNN is GRU4Rec); they are ordered by the time of
    their first event, events by ``timestamp``. One-event sessions are
    skipped in training. A user is scored from their context: the last
    ``max_len`` items of their sessions (training rows, then ``history``),
    the user GRU running across the session boundaries. A new user whose
    history is a single session is scored from the initial user state.

    Parameters are those of :class:`GRU4Rec` (the losses, sampling,
    embedding and optimizer options apply unchanged).

    Parameters
    ----------
    hidden_size : int, default=100
    loss : {"top1", "bpr", "cross-entropy", "top1-max", "bpr-max"}, default="cross-entropy"
    n_sample : int, default=1024
    sample_alpha : float, default=0.75
    bpreg : float, default=1.0
    constrained_embedding : bool, default=True
    dropout_embed : float, default=0.0
    dropout_hidden : float, default=0.0
    max_len : int, default=50
        Items of a user's context read at scoring time (across sessions).
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
    GRU4Rec : The session-level model alone.

    Notes
    -----
    States are carried across mini-batches without backpropagating through
    earlier steps (one-step truncation, as in GRU4Rec), so the user GRU
    learns from the first step of each session.

    References
    ----------
    .. [1] M. Quadrana, A. Karatzoglou, B. Hidasi and P. Cremonesi,
       "Personalizing Session-based Recommendations with Hierarchical
       Recurrent Neural Networks", RecSys 2017.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.sequential import HRNN
    >>> rng = np.random.RandomState(0)
    >>> starts = rng.randint(0, 10, size=60)  # sessions walk the cycle i -> i + 1
    >>> X = pd.DataFrame({"user": np.repeat(np.arange(60) // 3, 4),
    ...                   "session": np.repeat(np.arange(60), 4),
    ...                   "item": (starts[:, None] + np.arange(4)).ravel() % 10,
    ...                   "timestamp": np.arange(240)})
    >>> model = HRNN(hidden_size=16, n_sample=0, batch_size=8, max_iter=30,
    ...              lr=0.1, device="cpu", random_state=0).fit(X)
    >>> prefix = pd.DataFrame({"user": "new", "item": [3, 4], "session": 1})
    >>> items, scores = model.recommend(["new"], k=1, history=prefix)
    >>> items
    array([[5]])
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Parallel users (lanes) of a mini-batch.'
        ),
        'early_stopping': (
            'Hold out the last item of ``validation_fraction`` of the users.'
        ),
    }

    def _build_module(self, data):
        return _HRNNModule(data.n_items, self.hidden_size, self.constrained_embedding,
                           self.dropout_embed, self.dropout_hidden)

    def _training_rows(self, data):
        """Transitions per user, sessions in time order: ``new_session`` marks their starts."""
        n = len(data.user)
        user = np.asarray(data.user, dtype=np.int64)
        session = np.zeros(n, dtype=np.int64) if data.session is None else pd.factorize(
            pd.MultiIndex.from_arrays([user, np.asarray(data.session)]))[0]
        rank = np.arange(n) if data.timestamp is None else _time_rank(data.timestamp)
        first = pd.Series(rank).groupby(session).transform("min").to_numpy()
        order = np.lexsort((np.arange(n), rank, first, user))
        sess = session[order]
        size = np.bincount(sess)
        keep = size[sess] >= 2  # one-event sessions have no next item
        order, sess = order[keep], sess[keep]
        items = np.asarray(data.item, dtype=np.int64)[order]
        usr = user[order]
        w = np.ones(len(order)) if data.sample_weight is None else data.sample_weight[order]
        # transitions: consecutive rows of the same session
        ok = np.flatnonzero(sess[1:] == sess[:-1]) if len(sess) else np.zeros(0, dtype=np.int64)
        if len(ok) == 0:
            _warn_no_sequences(self)
        src = ok
        new_session = np.r_[True, sess[src[1:]] != sess[src[:-1]]] if len(src) else np.zeros(
            0, dtype=bool)
        u = usr[src]
        _, useq = np.unique(u, return_inverse=True)
        length = np.bincount(useq)[useq] + 1 if len(src) else np.zeros(0, dtype=np.int64)
        return {"item": items[src], "target": items[src + 1], "seq": useq,
                "weight": w[src + 1], "length": length,
                "new_session": new_session.astype(np.int64)}

    def _step_scores(self, module, batch, cols):
        state = batch["state"]
        lane = batch["lane"]
        first = batch["reset"]  # a lane that moves to a new user
        keep = (~first)[:, None].float()
        h_prev, c_prev = state["h"][lane] * keep, state["c"][lane] * keep
        scores, h_new, c_new = module(batch["item"], cols,
                                      hidden=(h_prev, c_prev, batch["new_session"].bool() | first,
                                              first))
        state["h"] = state["h"].index_put((lane,), h_new.detach())
        state["c"] = state["c"].index_put((lane,), c_new.detach())
        return scores

    def _score_items(self, context, item_idx):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "module_")
        rows = context.rows
        ptr = np.asarray(rows.indptr, dtype=np.int64)
        n = len(ptr) - 1
        lengths = np.diff(ptr)
        owner = np.repeat(np.arange(n), lengths)
        if rows.session is not None and len(rows.items):
            s = pd.factorize(np.asarray(rows.session))[0]
            start = np.r_[True, (s[1:] != s[:-1]) | (owner[1:] != owner[:-1])]
        else:
            start = np.r_[True, owner[1:] != owner[:-1]] if len(owner) else np.zeros(0, bool)
        seq = pad_left(ptr, np.asarray(rows.items, dtype=np.int64), self.max_len, self.n_items_)
        flags = pad_left(ptr, start.astype(np.int64), self.max_len, 0).astype(bool)
        flags[:, 0] |= seq[:, 0] != self.n_items_  # a truncated context starts a session
        module = self.module_
        module.eval()
        with torch.no_grad():
            x = torch.as_tensor(seq, device=self.device_)
            f = torch.as_tensor(flags, device=self.device_)
            used = (x != self.n_items_).any(0)
            first = int(torch.argmax(used.int())) if bool(used.any()) else x.shape[1] - 1
            scores = module(x[:, first:], None, starts=f[:, first:])
        if item_idx is not None:
            scores = scores[:, torch.as_tensor(item_idx, device=scores.device)]
        return scores
