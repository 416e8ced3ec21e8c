"""Masked, batched top-k on torch tensors (CPU or CUDA)."""

from __future__ import annotations

import numpy as np


def as_tensor(scores, device=None):
    """A float tensor view of ``scores`` (numpy arrays are shared, not copied)."""
    import torch

    if isinstance(scores, torch.Tensor):
        t = scores
    else:
        t = torch.from_numpy(np.ascontiguousarray(scores))
    if not torch.is_floating_point(t):
        t = t.to(torch.float64)
    if device is not None:
        t = t.to(device)
    return t


def mask_entries(scores, rows, cols):
    """Set ``scores[rows, cols]`` to ``-inf`` in place and return ``scores``."""
    import torch

    if len(rows):
        r = torch.as_tensor(rows, dtype=torch.long, device=scores.device)
        c = torch.as_tensor(cols, dtype=torch.long, device=scores.device)
        scores[r, c] = -torch.inf
    return scores


def topk(scores, k):
    """Top-``k`` columns per row, sorted by decreasing score.

    Ties are broken by the lower column index, also at the boundary of the
    list, so the result is a function of the scores alone (not of the batch
    a row is scored in, nor of ``torch.topk``'s internal order).

    Parameters
    ----------
    scores : torch.Tensor of shape (n_rows, n_columns)
    k : int
        Clipped to ``n_columns``.

    Returns
    -------
    values : ndarray of float64, shape (n_rows, min(k, n_columns))
    indices : ndarray of int64, same shape
    """
    import torch

    k = min(int(k), scores.shape[1])
    if scores.shape[0] == 0 or k == 0:
        return np.empty((scores.shape[0], k)), np.empty((scores.shape[0], k), dtype=np.int64)
    values, indices = torch.topk(scores, k, dim=1, largest=True, sorted=True)
    # Rows where the k-th value also occurs outside the selection: which tied
    # item got in is arbitrary, so redo them with a stable full sort.
    tied = (scores >= values[:, -1:]).sum(dim=1) > k
    if bool(tied.any()):
        rows = tied.nonzero().squeeze(1)
        sv, si = torch.sort(scores[rows], dim=1, descending=True, stable=True)
        values[rows] = sv[:, :k]
        indices[rows] = si[:, :k]
    # Re-sort each row by (-value, index) so equal scores come in index order.
    order = torch.argsort(indices, dim=1, stable=True)
    values_by_idx = torch.gather(values, 1, order)
    idx_by_idx = torch.gather(indices, 1, order)
    final = torch.argsort(values_by_idx, dim=1, descending=True, stable=True)
    values = torch.gather(values_by_idx, 1, final)
    indices = torch.gather(idx_by_idx, 1, final)
    return values.double().cpu().numpy(), indices.cpu().numpy().astype(np.int64)
