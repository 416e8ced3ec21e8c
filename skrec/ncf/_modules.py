"""Private torch module of NCF: GMF, the MLP tower and their NeuMF fusion.

It knows nothing of scikit-learn or ids: it sees integer codes and tensors,
and follows the pairwise protocol of :mod:`skrec._torch._pairs`:
``module(user, item)`` returns ``(scores, penalty)`` for ``item`` of shape
``(n,)`` (one item per user) or ``(n, m)`` (``m`` items per user: a positive
and its negatives, or a chunk of the catalog). It never scores the whole
catalog at once (``scores_catalog = False``): the base chunks the items so
that ``n_users x chunk x hidden_width`` activations stay bounded.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

MODELS = ("neumf", "gmf", "mlp")


def _lookup(embedding, idx):
    """Rows of an embedding table for indices of any shape.

    ``index_select`` rather than ``nn.Embedding.forward``: its backward (an
    ``index_add``) is cheaper on the CPU than the dense embedding backward,
    which sorts the indices.
    """
    rows = embedding.weight.index_select(0, idx.reshape(-1))
    return rows.view(*idx.shape, rows.shape[-1])


def _rowsum(x, item):
    """Sum per row of a per-item quantity of shape ``item.shape``."""
    return x if item.dim() == 1 else x.sum(-1)


class NCFModule(nn.Module):
    """Neural collaborative filtering (He et al., 2017).

    - GMF: ``phi_gmf = p_u * q_i`` (elementwise), ``n_factors`` wide;
    - MLP: ``phi_mlp = ReLU(W_L ... ReLU(W_1 [p'_u ; q'_i]))`` with user and
      item embeddings of ``layers[0] // 2`` each (``layers[0]`` is the width
      of their concatenation) and ``layers[1:]`` the hidden widths;
    - output: ``h . phi + b`` where ``phi`` is ``phi_gmf``, ``phi_mlp`` or
      their concatenation (NeuMF), plus a constant ``offset`` (the global
      mean for ratings).

    The first MLP layer is computed as ``W_u p'_u + W_i q'_i + b_1`` (the
    same as on the concatenation), so the user part is computed once per
    user and, when ``item`` is a catalog chunk broadcast over the users
    (stride 0 along the users), the item part once per item.
    """

    scores_catalog = False  # the base chunks the catalog

    def __init__(self, n_users, n_items, *, model="neumf", n_factors=8, layers=(64, 32, 16, 8),
                 dropout=0.0, init_std=0.01, offset=0.0, penalty=True):
        super().__init__()
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {model!r}.")
        self.model = model
        self.use_gmf = model in ("neumf", "gmf")
        self.use_mlp = model in ("neumf", "mlp")
        #: Whether forward computes the squared norms (None when no reg uses them).
        self.penalty = penalty
        self.register_buffer("offset", torch.tensor(float(offset)))
        width = 0
        hidden = 0
        if self.use_gmf:
            self.gmf_user = nn.Embedding(n_users, n_factors)
            self.gmf_item = nn.Embedding(n_items, n_factors)
            nn.init.normal_(self.gmf_user.weight, 0.0, init_std)
            nn.init.normal_(self.gmf_item.weight, 0.0, init_std)
            width += n_factors
            hidden += n_factors
        if self.use_mlp:
            layers = tuple(int(v) for v in layers)
            if layers[0] < 2 or layers[0] % 2:
                raise ValueError(
                    f"layers[0] is the width of the concatenated user and item MLP embeddings "
                    f"and must be even and >= 2, got layers={layers}."
                )
            emb = layers[0] // 2
            self.mlp_user = nn.Embedding(n_users, emb)
            self.mlp_item = nn.Embedding(n_items, emb)
            nn.init.normal_(self.mlp_user.weight, 0.0, init_std)
            nn.init.normal_(self.mlp_item.weight, 0.0, init_std)
            self.tower = nn.ModuleList(
                nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:], strict=False)
            )
            for lin in self.tower:
                nn.init.xavier_uniform_(lin.weight)
                nn.init.zeros_(lin.bias)
            self.dropout = nn.Dropout(dropout) if dropout > 0 else None
            width += layers[-1]
            hidden += sum(layers)
        self.output = nn.Linear(width, 1)
        # LeCun uniform, as in the paper's code.
        bound = math.sqrt(3.0 / width)
        nn.init.uniform_(self.output.weight, -bound, bound)
        nn.init.zeros_(self.output.bias)
        #: Activations per (user, item) pair, read by the base to size catalog chunks.
        self.hidden_width = hidden + 1

    # ------------------------------------------------------------ parts
    def _gmf(self, user, item, broadcast):
        p = _lookup(self.gmf_user, user)
        if broadcast is not None:  # one row of items shared by every user
            q = _lookup(self.gmf_item, broadcast)
            phi = p[:, None, :] * q[None, :, :]
        else:
            q = _lookup(self.gmf_item, item)
            phi = p * q if item.dim() == 1 else p[:, None, :] * q
        return phi, self._norms(p, q, item, broadcast)

    def _mlp(self, user, item, broadcast):
        p = _lookup(self.mlp_user, user)
        q = _lookup(self.mlp_item, item if broadcast is None else broadcast)
        pen = self._norms(p, q, item, broadcast)
        if not len(self.tower):  # no hidden layer: the concatenation itself
            if item.dim() == 1:
                return torch.cat([p, q], -1), pen
            shape = (*item.shape, p.shape[-1])
            qq = q.expand(shape) if broadcast is not None else q
            return torch.cat([p[:, None, :].expand(shape), qq], -1), pen
        first = self.tower[0]
        k = p.shape[-1]
        hu = F.linear(p, first.weight[:, :k], first.bias)
        hi = F.linear(q, first.weight[:, k:])
        if broadcast is not None:
            h = hu[:, None, :] + hi[None, :, :]
        elif item.dim() == 1:
            h = hu + hi
        else:
            h = hu[:, None, :] + hi
        h = self._act(h)
        for lin in self.tower[1:]:
            h = self._act(lin(h))
        return h, pen

    def _norms(self, p, q, item, broadcast):
        """Squared norms of the user row and of the item rows, per row of ``item``."""
        if not self.penalty:
            return None
        ipen = (q * q).sum(-1)
        if broadcast is not None:
            ipen = ipen.expand(item.shape)
        return (p * p).sum(-1) + _rowsum(ipen, item)

    def _act(self, h):
        h = F.relu(h)
        return self.dropout(h) if self.dropout is not None else h

    # ---------------------------------------------------------- forward
    def forward(self, user, item=None):
        if item is None:
            raise ValueError("NCFModule does not score the whole catalog at once; pass items.")
        broadcast = None
        if item.dim() == 2 and item.shape[0] > 1 and item.stride(0) == 0:
            broadcast = item[0]
        parts, pens = [], []
        if self.use_gmf:
            phi, p = self._gmf(user, item, broadcast)
            parts.append(phi)
            pens.append(p)
        if self.use_mlp:
            phi, p = self._mlp(user, item, broadcast)
            parts.append(phi)
            pens.append(p)
        pen = None if not self.penalty else pens[0] if len(pens) == 1 else pens[0] + pens[1]
        phi = parts[0] if len(parts) == 1 else torch.cat(parts, -1)
        scores = self.output(phi).squeeze(-1) + self.offset
        return scores, pen

    # ------------------------------------------------------ pretraining
    @torch.no_grad()
    def load_pretrained(self, gmf, mlp, alpha=0.5):
        """Copy a trained GMF and MLP module into this NeuMF one (He et al., 2017, 3.4.1).

        Embeddings and tower weights are copied; the output layer is
        ``[alpha h_gmf ; (1 - alpha) h_mlp]`` with bias
        ``alpha b_gmf + (1 - alpha) b_mlp``.
        """
        self.gmf_user.weight.copy_(gmf.gmf_user.weight)
        self.gmf_item.weight.copy_(gmf.gmf_item.weight)
        self.mlp_user.weight.copy_(mlp.mlp_user.weight)
        self.mlp_item.weight.copy_(mlp.mlp_item.weight)
        for mine, theirs in zip(self.tower, mlp.tower, strict=True):
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
        k = gmf.output.weight.shape[1]
        self.output.weight[:, :k] = alpha * gmf.output.weight
        self.output.weight[:, k:] = (1.0 - alpha) * mlp.output.weight
        self.output.bias.copy_(alpha * gmf.output.bias + (1.0 - alpha) * mlp.output.bias)
