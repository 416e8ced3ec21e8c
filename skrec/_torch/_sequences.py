"""The sequence base: models trained on ordered sessions or user histories.

:class:`SequenceRecommender` owns what every next-item model shares:

- **sequences** (``_training_rows``): with a ``session`` column in ``X`` a
  sequence is one (user, session) pair, else the whole history of a user;
  rows are ordered by timestamp within a sequence (unsorted timestamps are
  sorted, ties and tables without timestamps keep the row order). A sequence
  with a single event has no next item and is skipped in training (it still
  counts in ``seen_`` and ``item_popularity_``);
- **padded batches**: each sequence is cut, from its end, into windows of at
  most ``max_len`` transitions, left-padded with the padding index
  ``n_items_``; every position holds the next item as its target;
- a **per-sequence holdout** for early stopping: the last item of a
  ``validation_fraction`` of the sequences (those with at least three
  events) is held out, and the validation loss is the loss of predicting it
  from its prefix;
- **scoring from the ordered prefix** (``_score_items``): a user's prefix is
  read from ``context.rows`` (training rows then ``history`` rows, each in
  time order; items unseen at fit are already dropped by the context). When
  the rows carry sessions, the prefix is the user's *last* session in the
  context (the session being continued); its last ``max_len`` items are
  encoded in batches and the whole catalog is scored, then ``item_idx``
  selected. ``predict`` uses the base default (the user's training prefix).

Modules of the padded protocol implement
``module(seq, items=None, positions=None)``: ``seq`` of shape ``(n, L)``
(left-padded item codes, pad = ``n_items``); the representation of the last
position (``positions=None``) or of the positions of a boolean mask
``positions`` (``(m, d)``) is scored against the whole catalog
(``items=None``, ``(·, n_items)``), against one row of items each (``items``
of shape ``(·, k)``) or against shared columns (1-D ``items``).

A subclass sets ``max_len`` and ``loss`` (``"bce"``: one sampled negative per
target, or ``"cross-entropy"``: softmax over the catalog) and writes
``_build_module``; GRU4Rec replaces the batching by session-parallel
mini-batches. A subclass whose ``_n_targets()`` is ``T > 1`` (Caser's ``T``,
SVAE's ``n_next``) is trained at every position on the next ``T`` items of
the sequence (``future``, shape ``(n_windows, max_len, T)``, padded where the
sequence ends): the loss of a position is the sum over its targets.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from ..base import RecommenderTags
from ..sequential._base import context_prefixes, ordered_sequences, pad_left
from ..utils._compat import Interval
from ._engine import TorchRecommender
from ._sampling import NegativeSampler

__all__ = ["ScoreHead", "SequenceRecommender"]

#: Sequences encoded at once when scoring.
_SCORE_CHUNK = 1024


def _warn_no_sequences(estimator):
    warnings.warn(
        f"{type(estimator).__name__} learns from sequences with at least two events, but "
        "every session (or user history) in X has a single event: the model is not trained "
        "(its scores are those of the initial weights).",
        UserWarning,
    )


class ScoreHead(torch.nn.Module):
    """Item scores ``h . E_i + b_i`` from representations ``h`` (shared by the modules).

    ``items=None`` scores the catalog (the first ``n_items`` rows of ``E``),
    1-D ``items`` shared columns, and ``items`` with the dimensions of
    ``h`` one row of items per representation.
    """

    def __init__(self, n_items, dim, bias=True):
        super().__init__()
        self.n_items = n_items
        self.weight = torch.nn.Parameter(torch.randn(n_items + 1, dim) * (dim ** -0.5))
        self.bias = torch.nn.Parameter(torch.zeros(n_items + 1)) if bias else None

    def forward(self, h, items=None):
        if items is None:
            out = h @ self.weight[: self.n_items].T
            return out if self.bias is None else out + self.bias[: self.n_items]
        if items.dim() == 1:
            out = h @ self.weight[items].T
            return out if self.bias is None else out + self.bias[items]
        out = torch.einsum("...d,...kd->...k", h, self.weight[items])
        return out if self.bias is None else out + self.bias[items]


class SequenceRecommender(TorchRecommender):
    """Base of the torch next-item models trained on ordered sequences.

    Parameters come from the subclass: ``max_len``, ``loss`` and the
    engine's (see :class:`~skrec._torch._engine.TorchRecommender`).
    """

    _parameter_constraints: dict = {
        **TorchRecommender._parameter_constraints,
        "max_len": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __skrec_tags__(self):
        return RecommenderTags(fold_in=True, sequence=True, torch=True)

    # ------------------------------------------------------ sequences
    def _sequences(self, data):
        """(indptr, items, weights) of the training sequences with at least two events.

        ``weights`` is the ``sample_weight`` of each event (ones without it);
        it weighs the loss of predicting that event from its prefix.
        """
        indptr, items, rows = ordered_sequences(data.user, data.item, data.timestamp,
                                                data.session, min_len=2, return_rows=True)
        w = np.ones(len(items)) if data.sample_weight is None else data.sample_weight[rows]
        return indptr, items, w

    def _prepare_fit(self, data):
        self._pad = int(data.n_items)
        self._sampler = NegativeSampler(data.n_items, "uniform", device=self.device_)

    def _n_targets(self):
        """Next items each position is trained to predict (1: the next one only)."""
        return 1

    def _training_rows(self, data):
        """Padded windows: ``input``/``target`` of shape (n_windows, max_len).

        Also ``seq`` (the sequence of each window) and ``last`` (whether it is
        the window holding the sequence's last transition); with
        ``_n_targets() > 1``, ``future``/``future_weight`` of shape
        ``(n_windows, max_len, T)``: the next ``T`` items of each position
        (``future[..., 0]`` is ``target``) and their weights.
        """
        indptr, items, w = self._sequences(data)
        if len(indptr) < 2:
            _warn_no_sequences(self)
        width = self.max_len
        lengths = np.diff(indptr)
        n_trans = lengths - 1
        n_win = -(-n_trans // width)
        win_off = np.r_[0, np.cumsum(n_win)]
        seq_of = np.repeat(np.arange(len(lengths)), n_trans)
        pos = np.arange(int(n_trans.sum())) - np.repeat(np.cumsum(n_trans) - n_trans, n_trans)
        src = indptr[:-1][seq_of] + pos  # index of the input item
        back = n_trans[seq_of] - 1 - pos  # transitions after this one
        window = win_off[seq_of] + back // width
        col = width - 1 - back % width
        pad = self._pad
        inp = np.full((win_off[-1], width), pad, dtype=np.int64)
        tgt = np.full((win_off[-1], width), pad, dtype=np.int64)
        inp[window, col] = items[src]
        tgt[window, col] = items[src + 1]
        weight = np.zeros((win_off[-1], width))
        weight[window, col] = w[src + 1]
        last = np.zeros(win_off[-1], dtype=bool)
        last[win_off[:-1]] = True
        rows = {"input": inp, "target": tgt, "weight": weight,
                "seq": np.repeat(np.arange(len(lengths)), n_win), "last": last,
                "length": np.repeat(lengths, n_win)}
        n_targets = self._n_targets()
        if n_targets > 1:
            future = np.full((win_off[-1], width, n_targets), pad, dtype=np.int64)
            future_w = np.zeros((win_off[-1], width, n_targets))
            end = indptr[1:][seq_of]  # one past the sequence's last item
            for j in range(n_targets):
                ok = src + 1 + j < end
                future[window[ok], col[ok], j] = items[src[ok] + 1 + j]
                future_w[window[ok], col[ok], j] = w[src[ok] + 1 + j]
            rows["future"] = future
            rows["future_weight"] = future_w
        return rows

    def _holdout_sequences(self, seq, length, rng):
        """Sequences (ids) whose last item is held out: a fraction of those with >= 3 events."""
        ids, first = np.unique(seq, return_index=True)
        eligible = ids[np.asarray(length)[first] >= 3]
        n_val = int(round(self.validation_fraction * len(ids)))
        n_val = min(max(n_val, 1), len(eligible))
        if n_val == 0:
            raise ValueError(
                "early_stopping=True holds out the last item of some sequences, but no "
                "sequence has three or more events; set early_stopping=False."
            )
        return rng.choice(eligible, size=n_val, replace=False)

    def _split_holdout(self, rows, rng):
        chosen = self._holdout_sequences(rows["seq"], rows["length"], rng)
        held = np.isin(rows["seq"], chosen) & rows["last"]
        train = {k: np.array(v, copy=True) for k, v in rows.items()}
        train["target"][held, -1] = self._pad
        train["weight"][held, -1] = 0.0
        val = {k: np.asarray(v)[held].copy() for k, v in rows.items()}
        val["target"][:, :-1] = self._pad
        val["weight"][:, :-1] = 0.0
        if "future" in rows:
            # the held-out item is the j-th target of the j-th position from the end
            for j in range(min(rows["future"].shape[2], rows["future"].shape[1])):
                train["future"][held, -1 - j, j] = self._pad
                train["future_weight"][held, -1 - j, j] = 0.0
            val["future"][:, :-1] = self._pad
            val["future"][:, -1, 1:] = self._pad
            val["future_weight"][:, :-1] = 0.0
            val["future_weight"][:, -1, 1:] = 0.0
        return train, val

    # ---------------------------------------------------------- loss
    def _prepare_batch(self, batch, generator):
        if getattr(self, "loss", "bce") == "bce":
            shape = batch["future" if "future" in batch else "target"].shape
            batch["neg"] = self._sampler.sample(tuple(shape), generator)
        return batch

    def _batch_loss(self, module, batch):
        target = batch["target"]
        mask = target != self._pad
        if not bool(mask.any()):
            return torch.zeros((), device=target.device, requires_grad=True)
        weight = batch["weight"][mask]
        if "future" in batch:  # T targets per position, each weighted by its event
            tgt = batch["future"][mask]  # (m, T), padded
            tw = batch["future_weight"][mask]
        else:
            tgt = target[mask][:, None]
            tw = weight[:, None]
        if getattr(self, "loss", "bce") == "cross-entropy":
            logits = module(batch["input"], None, mask)
            logp = torch.log_softmax(logits, dim=1)
            per_target = -logp.gather(1, tgt.clamp_max(logits.shape[1] - 1))
        else:
            items = torch.cat([tgt, batch["neg"][mask].reshape(tgt.shape)], dim=1)
            scores = module(batch["input"], items, mask)
            n_t = tgt.shape[1]
            per_target = F.softplus(-scores[:, :n_t]) + F.softplus(scores[:, n_t:])
        loss = (per_target * tw).sum()  # padded targets have zero weight
        return loss / weight.sum().clamp_min(1e-12)

    # ------------------------------------------------------- scoring
    def _prefix_matrix(self, context):
        """Left-padded prefixes (n_users, max_len) of a context (see the module docstring)."""
        indptr, items = context_prefixes(context, self.max_len)
        return pad_left(indptr, items, self.max_len, self.n_items_)

    def _encode_prefixes(self, module, seq):
        """Catalog scores (n, n_items) of left-padded prefixes."""
        return module(seq)

    def _score_items(self, context, item_idx):
        check_is_fitted(self, "module_")
        module = self.module_
        module.eval()
        seq = self._prefix_matrix(context)
        parts = []
        with torch.no_grad():
            for start in range(0, len(seq), _SCORE_CHUNK):
                chunk = torch.as_tensor(seq[start:start + _SCORE_CHUNK], device=self.device_)
                used = (chunk != self.n_items_).any(0)
                first = int(torch.argmax(used.int())) if bool(used.any()) else chunk.shape[1] - 1
                parts.append(self._encode_prefixes(module, chunk[:, first:]))
        scores = torch.cat(parts, 0)
        if item_idx is not None:
            scores = scores[:, torch.as_tensor(item_idx, device=scores.device)]
        return scores

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        """Scores of (user, item) pairs, each user's prefix encoded on its own.

        One user at a time, so a pair's score does not depend on which other
        users share the call (batched float32 recurrences differ in the last
        bits with the batch's composition); ``predict`` is not the hot path
        of a sequence model (``recommend`` is).
        """
        out = np.empty(len(user_idx), dtype=np.float64)
        user_idx = np.asarray(user_idx)
        item_idx = np.asarray(item_idx)
        for u in np.unique(user_idx):
            rows = np.flatnonzero(user_idx == u)
            scores = self._score_items(self._training_context([u]), item_idx[rows])
            out[rows] = scores[0].double().cpu().numpy()
        return out
