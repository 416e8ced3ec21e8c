"""Negative samplers and the per-user holdout shared by the torch models."""

from __future__ import annotations

import copy

import numpy as np
import torch

from .._data import position_in_group

__all__ = ["NegativeSampler", "user_holdout_mask"]


class NegativeSampler:
    """Draw negative items uniformly or by popularity.

    Parameters
    ----------
    n_items : int
    kind : {"uniform", "popularity"}
        ``"popularity"`` draws item ``i`` with probability proportional to
        ``count_i ** exponent`` (word2vec's smoothed unigram distribution).
    counts : ndarray of shape (n_items,), default=None
        Interactions per item (required for ``"popularity"``).
    exponent : float, default=0.75
    device : torch.device, default=None

    Attributes
    ----------
    probs : torch.Tensor of shape (n_items,)
        The sampling distribution.

    Examples
    --------
    >>> import torch
    >>> from skrec._torch._sampling import NegativeSampler
    >>> sampler = NegativeSampler(4, "popularity", counts=[1, 0, 16, 81])
    >>> sampler.probs
    tensor([0.0278, 0.0000, 0.2222, 0.7500])
    >>> sampler.sample((2, 3), torch.Generator().manual_seed(0)).shape
    torch.Size([2, 3])
    """

    _device_portable = True  # pickled on the CPU, loaded on the model's device

    def __init__(self, n_items, kind="uniform", counts=None, exponent=0.75, device=None):
        if kind not in ("uniform", "popularity"):
            raise ValueError(f"sampler must be 'uniform' or 'popularity', got {kind!r}.")
        self.n_items = int(n_items)
        self.kind = kind
        device = torch.device("cpu") if device is None else device
        if kind == "uniform":
            p = torch.full((self.n_items,), 1.0 / self.n_items, dtype=torch.float64)
        else:
            w = torch.as_tensor(np.asarray(counts, dtype=np.float64)).clamp_min(0) ** exponent
            if float(w.sum()) <= 0:
                w = torch.ones(self.n_items, dtype=torch.float64)
            p = w / w.sum()
        self.probs = p.to(device=device, dtype=torch.float32)
        self._cdf = torch.cumsum(p, 0).to(device)
        self._cdf[-1] = 1.0

    def to(self, device):
        """A copy of the sampler with its tensors on ``device``."""
        out = copy.copy(self)
        out.probs = self.probs.to(device)
        out._cdf = self._cdf.to(device)
        return out

    def sample(self, shape, generator):
        """Item indices of the given shape (sampling with replacement)."""
        device = self._cdf.device
        if self.kind == "uniform":
            return torch.randint(
                0, self.n_items, shape, generator=generator, device=device
            )
        u = torch.rand(shape, generator=generator, device=device, dtype=torch.float64)
        return torch.searchsorted(self._cdf, u).clamp_max_(self.n_items - 1)


def user_holdout_mask(user, fraction, rng):
    """Boolean mask holding out about ``fraction`` of each user's rows.

    Every user keeps at least one training row; a user with ``n`` rows loses
    ``floor(fraction * n)`` rows plus one more with probability equal to the
    fractional part (stochastic rounding), so the held-out share is
    ``fraction`` on average even for users with few rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skrec._torch._sampling import user_holdout_mask
    >>> user = np.array([0, 0, 0, 0, 1, 1, 2])
    >>> mask = user_holdout_mask(user, 0.5, np.random.RandomState(0))
    >>> [int(mask[user == u].sum()) for u in (0, 1, 2)]
    [2, 1, 0]
    """
    user = np.asarray(user)
    n = len(user)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    noise = rng.random_sample(n)
    order = np.lexsort((noise, user))  # random order within each user
    sorted_user = user[order]
    starts = np.flatnonzero(np.r_[True, sorted_user[1:] != sorted_user[:-1]])
    counts = np.diff(np.r_[starts, n])
    want = fraction * counts
    n_out = np.floor(want).astype(np.int64)
    n_out += rng.random_sample(len(counts)) < (want - n_out)
    n_out = np.minimum(n_out, counts - 1)
    rank, _ = position_in_group(user, order=noise)
    mask[order] = rank[order] < np.repeat(n_out, counts)
    return mask
