"""The user-row base: models that read a user's whole row of the interaction matrix.

:class:`UserRowRecommender` owns what the autoencoders of user rows share
(AutoRec, CDAE, Mult-DAE/VAE, RBM): mini-batches of rows built densely on the
device from the CSR matrix (never the full users x items matrix), a
validation holdout of *items within rows* for ``early_stopping``, catalog
scoring by encoding each user's context row H(u) in batches, and so fold-in
by encoding: a new user, or a known user with extra history, is scored from
their H(u) row with no gradient step.

Modules follow one protocol: ``module(x, users=None) -> (scores, aux)``
where ``x`` is a float tensor ``(n, n_cols)`` of input rows, ``users`` the
rows' codes (``-1`` for a row unseen at fit) for modules with per-row
parameters, ``scores`` the ``(n, n_cols)`` reconstruction scores (logits)
and ``aux`` anything the loss needs (the posterior of a VAE) or None.

A batch handed to ``_batch_loss`` holds ``row`` (row codes), ``x`` (the
input rows) and ``target`` (the rows to reconstruct: ``x`` itself in
training, the held-out entries in validation); models with
``_observed_masks = True`` (explicit ratings, where 0 is not a rating) also
get ``x_mask`` and ``target_mask``, 1 where an entry is observed (in training,
``target_mask`` holds the entries' ``sample_weight`` when given).

A subclass may encode another matrix than users x items by overriding
``_row_matrix(matrix)`` (I-AutoRec encodes item columns: the transpose).
The model never masks seen items: the base class of every recommender
excludes them.

The base also supplies the hooks of the MAML wrapper
(:class:`skrec.meta.MAMLRecommender`, MetaRec-AE) for models of user rows:
a task's support and query are interactions of one user (``_task_rows``);
a batch of such (user, item) rows becomes the users' input rows
(``_prepare_batch``), and a query batch encodes the support row and
reconstructs the support and query items (``_meta_query``), as in MetaRec's
autoencoder setting. Scoring encodes H(u) with the adapted parameters
(``_history_rows``, ``_forward_extras``, ``_catalog``). These rows are
dense, which every module accepts.

A model whose module reads its input rows sparsely sets ``_sparse_input =
True``: ``x`` and ``target`` are then :class:`SparseRows` (the stored entries
of the rows, never the dense ``(n, n_cols)`` block), in training and in
scoring. Its module must accept them (Mult-DAE/VAE do, through
:class:`~skrec.autoencoders._modules.RowInputLinear`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_is_fitted

from ..base import RecommenderTags
from ._engine import TorchRecommender
from ._sampling import user_holdout_mask

__all__ = ["SparseRows", "UserRowRecommender", "dense_rows", "sparse_rows"]

#: Upper bound on the dense input entries built per scoring batch.
_ENTRIES_PER_BATCH = 2**22


class _CSRTensors:
    """A CSR matrix as three tensors on a device, to gather dense rows from."""

    def __init__(self, matrix, device):
        m = sp.csr_array(matrix)
        m.sum_duplicates()
        self.shape = m.shape
        self.indptr = torch.as_tensor(m.indptr.astype(np.int64), device=device)
        self.indices = torch.as_tensor(m.indices.astype(np.int64), device=device)
        self.data = torch.as_tensor(m.data.astype(np.float32), device=device)

    def to(self, device):
        out = object.__new__(_CSRTensors)
        out.shape = self.shape
        out.indptr, out.indices, out.data = (
            self.indptr.to(device), self.indices.to(device), self.data.to(device))
        return out


@dataclass(frozen=True)
class SparseRows:
    """A batch of rows as their stored entries (CSR-like, on one device).

    Entry ``j`` is ``(owner[j], indices[j]) = values[j]``; the entries of row
    ``r`` are ``offsets[r]:offsets[r + 1]`` (``offsets`` has no final
    ``nnz``, as :func:`torch.nn.functional.embedding_bag` reads it).
    """

    indices: torch.Tensor
    values: torch.Tensor
    offsets: torch.Tensor
    owner: torch.Tensor
    shape: tuple

    def __len__(self):
        return self.shape[0]

    def with_values(self, values):
        """The same pattern with other values (normalized, dropped out)."""
        return replace(self, values=values)

    def row_normalized(self, eps=1e-12):
        """Each row divided by its L2 norm, as ``F.normalize(dense, dim=1)``."""
        sq = torch.zeros(self.shape[0], dtype=self.values.dtype, device=self.values.device)
        sq.index_add_(0, self.owner, self.values * self.values)
        return self.with_values(self.values / sq.sqrt().clamp_min(eps)[self.owner])

    def to_dense(self):
        out = torch.zeros(self.shape, dtype=self.values.dtype, device=self.values.device)
        out[self.owner, self.indices] = self.values
        return out


def _gather(csr, rows):
    """Positions in ``csr`` of the entries of ``rows``, their owner row and row offsets."""
    rows = rows.to(csr.indptr.device)
    starts = csr.indptr[rows]
    lengths = csr.indptr[rows + 1] - starts
    offsets = torch.cumsum(lengths, 0) - lengths
    owner = torch.repeat_interleave(torch.arange(len(rows), device=rows.device), lengths)
    pos = torch.arange(len(owner), device=rows.device) - offsets[owner] + starts[owner]
    return pos, owner, offsets


def dense_rows(csr, rows, values=True):
    """Dense ``(len(rows), n_cols)`` float tensor of the given rows of a :class:`_CSRTensors`.

    ``values=False`` gives the 0/1 pattern of the stored entries.
    """
    pos, owner, _ = _gather(csr, rows)
    out = torch.zeros((len(rows), csr.shape[1]), dtype=torch.float32, device=csr.indptr.device)
    if len(pos):
        out[owner, csr.indices[pos]] = csr.data[pos] if values else 1.0
    return out


def sparse_rows(csr, rows, dtype=torch.float32):
    """The given rows of a :class:`_CSRTensors` as :class:`SparseRows` (values in ``dtype``)."""
    pos, owner, offsets = _gather(csr, rows)
    return SparseRows(csr.indices[pos], csr.data[pos].to(dtype), offsets, owner,
                      (len(rows), csr.shape[1]))


class UserRowRecommender(TorchRecommender):
    """Base of the torch models that encode rows of the interaction matrix.

    Parameters come from the subclass and the engine (see
    :class:`~skrec._torch._engine.TorchRecommender`); ``batch_size`` counts
    rows (users) per mini-batch.
    """

    #: Whether the batches carry ``x_mask``/``target_mask`` (explicit ratings).
    _observed_masks = False
    #: Feedback of the model.
    _feedback = "implicit"
    #: Whether the module reads :class:`SparseRows` batches (see the module docstring).
    _sparse_input = False

    def __skrec_tags__(self):
        return RecommenderTags(feedback=self._feedback, fold_in=True, torch=True)

    def _duplicates_policy(self):
        if self._feedback == "explicit":
            return getattr(self, "duplicates", "mean")
        return "keep"

    # ---------------------------------------------------------- training
    def _row_matrix(self, matrix):
        """The matrix whose rows the model encodes (default: users x items)."""
        return matrix

    def _training_rows(self, data):
        matrix = sp.csr_array(self._row_matrix(data.matrix))
        self._fit_matrix = matrix  # read by _split_holdout and _prepare_batch
        self._input_csr = _CSRTensors(matrix, self.device_)
        self._val_csr = None
        self._weight_csr = None
        if self._observed_masks and data.sample_weight is not None:
            # Per-entry loss weights (the ratings still feed the encoder).
            from .._data import to_csr

            weights = to_csr(data.user, data.item, data.sample_weight,
                             (data.n_users, data.n_items))
            self._weight_csr = _CSRTensors(self._row_matrix(weights), self.device_)
        return {"row": np.arange(matrix.shape[0], dtype=np.int64)}

    def _split_holdout(self, rows, rng):
        """Hold out ``validation_fraction`` of each row's entries (items within users).

        Training reads the remaining entries; validation batches encode
        them and score the held-out ones as targets.
        """
        coo = self._fit_matrix.tocoo()
        order = np.lexsort((coo.col, coo.row))
        r, c, v = coo.row[order], coo.col[order], coo.data[order]
        val = user_holdout_mask(r, self.validation_fraction, rng)
        if not val.any():
            raise ValueError(
                f"early_stopping=True but validation_fraction={self.validation_fraction} holds "
                "out no entry (every row has a single interaction or too few); raise "
                "validation_fraction or set early_stopping=False."
            )
        shape = self._fit_matrix.shape
        keep = sp.csr_array((v[~val], (r[~val], c[~val])), shape=shape)
        held = sp.csr_array((v[val], (r[val], c[val])), shape=shape)
        self._input_csr = _CSRTensors(keep, self.device_)
        self._val_csr = _CSRTensors(held, self.device_)
        val_rows = np.unique(r[val]).astype(np.int64)
        return ({"row": rows["row"]},
                {"row": val_rows, "is_val": np.ones(len(val_rows), dtype=np.int64)})

    def _prepare_batch(self, batch, generator):
        if "x" in batch:  # already built (validation batches are drawn once)
            return batch
        if "item" in batch:  # (user, item) rows of the MAML wrapper's tasks
            return self._pairs_to_rows(batch)
        rows = batch["row"]
        gather = self._row_gatherer()
        x = gather(self._input_csr, rows)
        batch["x"] = x
        if "is_val" in batch:
            batch["target"] = gather(self._val_csr, rows)
        else:
            batch["target"] = x
        if self._observed_masks:
            batch["x_mask"] = dense_rows(self._input_csr, rows, values=False)
            if "is_val" in batch:
                batch["target_mask"] = dense_rows(self._val_csr, rows, values=False)
            elif self._weight_csr is not None:
                batch["target_mask"] = batch["x_mask"] * dense_rows(self._weight_csr, rows)
            else:
                batch["target_mask"] = batch["x_mask"]
        return batch

    # ------------------------------------------------- meta-learning hooks
    def _check_user_rows(self):
        if type(self)._row_matrix is not UserRowRecommender._row_matrix:
            raise TypeError(
                f"{type(self).__name__} encodes rows of another matrix than users x items "
                "(it overrides _row_matrix, e.g. item-based AutoRec), so a user's "
                "interactions are not one input row and MAMLRecommender cannot form a task "
                "per user. Wrap a user-row autoencoder such as CDAE or MultDAE."
            )

    def _task_rows(self, data):
        """One row per interaction (user, item[, y]): what a task's support and query draw from."""
        self._check_user_rows()
        rows = {"user": data.user, "item": data.item}
        if self._feedback == "explicit" and data.y is not None:
            rows["y"] = data.y
        return rows

    def _history_rows(self, context):
        """H(u) as (user, item[, y]) rows, ``user`` = position in the context."""
        coo = context.matrix.tocoo()
        rows = {"user": coo.row.astype(np.int64), "item": coo.col.astype(np.int64)}
        if self._feedback == "explicit":
            rows["y"] = coo.data.astype(np.float64)
        return rows

    def _pairs_to_rows(self, batch):
        """The input rows of a batch of (user, item) rows: one row per user position.

        ``row`` is the position (the wrapper gives each user of a batch their
        own row of the user parameters); implicit entries are 1, explicit
        ones the rating, a repeated pair set once.
        """
        user, item = batch["user"], batch["item"]
        n = int(user.max()) + 1 if len(user) else 0
        x = torch.zeros((n, self.n_items_), dtype=torch.float32, device=user.device)
        ones = torch.ones(len(user), dtype=torch.float32, device=user.device)
        values = batch["y"].float() if self._feedback == "explicit" and "y" in batch else ones
        x[user, item] = values
        out = {"row": torch.arange(n, device=user.device), "x": x, "target": x}
        if self._observed_masks:
            mask = torch.zeros_like(x)
            mask[user, item] = 1.0
            out["x_mask"] = out["target_mask"] = mask
        return out

    def _meta_query(self, support, query):
        """A task's query batch: encode the support row, reconstruct support and query items."""
        out = dict(query)
        out["row"], out["x"] = support["row"], support["x"]
        out["target"] = torch.maximum(support["target"], query["target"])
        if self._observed_masks:
            out["x_mask"] = support["x_mask"]
            out["target_mask"] = torch.maximum(support["target_mask"], query["target_mask"])
        return out

    def _forward_extras(self, context):
        """The users' H(u) input rows (1 for an implicit entry, as in ``_pairs_to_rows``)."""
        csr = _CSRTensors(sp.csr_array(context.matrix), self.device_)
        idx = torch.arange(len(context), device=self.device_)
        return {"x": dense_rows(csr, idx, values=self._feedback == "explicit")}

    def _catalog(self, module, users, item_idx, extras):
        """Scores (n_users, n_candidates) of ``module`` encoding the rows ``extras["x"]``."""
        scores, _ = module(extras["x"], users=users)
        if item_idx is not None:
            scores = scores[:, torch.as_tensor(np.asarray(item_idx), device=scores.device)]
        return scores

    def _row_gatherer(self):
        """:func:`sparse_rows` for a module with sparse input, else :func:`dense_rows`."""
        if self._sparse_input and not self._observed_masks:
            return sparse_rows
        return dense_rows

    def _after_fit(self, data):
        for name in ("_fit_matrix", "_input_csr", "_val_csr", "_weight_csr"):
            self.__dict__.pop(name, None)

    # ---------------------------------------------------------- scoring
    def _scoring_batch_size(self, n_cols):
        """Rows encoded at once when scoring: about 4M dense input entries."""
        return max(1, _ENTRIES_PER_BATCH // max(n_cols, 1))

    def _encode_rows(self, module, matrix, codes, dtype=torch.float32):
        """Scores ``(n, n_cols)`` of ``module`` on the rows of a CSR ``matrix``, in batches."""
        csr = _CSRTensors(matrix, self.device_)
        step = self._scoring_batch_size(matrix.shape[1])
        parts = []
        sparse = self._row_gatherer() is sparse_rows
        for start in range(0, matrix.shape[0], step):
            idx = torch.arange(start, min(start + step, matrix.shape[0]), device=self.device_)
            x = sparse_rows(csr, idx, dtype) if sparse else dense_rows(csr, idx).to(dtype)
            users = torch.as_tensor(codes[start:start + step], device=self.device_)
            scores, _ = module(x, users=users)
            parts.append(scores)
        if not parts:
            return torch.zeros((0, matrix.shape[1]), device=self.device_)
        return torch.cat(parts, dim=0)

    def _score_items(self, context, item_idx):
        """Encode each user's H(u) row and keep the candidates' scores."""
        check_is_fitted(self, "module_")
        return self._score_context(self.module_, context, item_idx, torch.float32)

    def _score_context(self, module, context, item_idx, dtype):
        """Scores of ``context``'s users with ``module`` computed in ``dtype``."""
        module.eval()
        with torch.no_grad():
            scores = self._encode_rows(module, sp.csr_array(context.matrix),
                                       np.asarray(context.codes, dtype=np.int64), dtype)
        if item_idx is not None:
            scores = scores[:, torch.as_tensor(np.asarray(item_idx), device=scores.device)]
        return scores

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        """Scores of (known user, item) pairs, gathered from their encoded rows.

        Computed in float64 with a copy of the module, so that a pair's score
        does not depend on which other users share its batch (float32 GEMM
        results vary in the last bits with the batch shape).
        """
        check_is_fitted(self, "module_")
        module = copy.deepcopy(self.module_).double()
        out = np.empty(len(user_idx), dtype=np.float64)
        uniq, inverse = np.unique(np.asarray(user_idx, dtype=np.int64), return_inverse=True)
        step = self._scoring_batch_size(self.n_items_)
        items = np.asarray(item_idx, dtype=np.int64)
        for start in range(0, len(uniq), step):
            batch = uniq[start:start + step]
            scores = self._score_context(module, self._training_context(batch), None,
                                         torch.float64)
            rows = np.flatnonzero((inverse >= start) & (inverse < start + len(batch)))
            r = torch.as_tensor(inverse[rows] - start, device=scores.device)
            c = torch.as_tensor(items[rows], device=scores.device)
            out[rows] = scores[r, c].cpu().numpy()
        return out
