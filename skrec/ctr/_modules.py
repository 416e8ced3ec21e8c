"""The private torch modules of the CTR family.

Every module follows the pairwise protocol (``module(user, item, **extras)
-> (scores, penalty)``, see :mod:`skrec._torch._pairs`) and reads the
output of :class:`skrec.ctr._base._FieldEncoder`: ``u_idx``/``u_val`` (the
user's feature slots), the item slots from a buffer of the fitted item rows
(or ``i_idx``/``i_val`` for items given by their features at ``predict``),
and optional ``c_idx``/``c_val`` (context fields of the row). The user id
has its own embedding ``user_emb`` (and linear weight ``user_bias``) so that
fold-in can replace a user's rows.
"""

from __future__ import annotations

import torch
from torch import nn


def _mlp(n_in, hidden, dropout, n_out=1):
    layers = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_in = h
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class _FieldModule(nn.Module):
    """Embeddings of the fields and the shared input handling."""

    scores_catalog = False

    def __init__(self, encoder, k, init_std=0.01):
        super().__init__()
        self.k = k
        self.user_emb = nn.Embedding(encoder.n_users, k)
        self.user_bias = nn.Embedding(encoder.n_users, 1)
        self.emb = nn.Embedding(encoder.n_features, k)
        self.bias = nn.Embedding(encoder.n_features, 1)
        self.w0 = nn.Parameter(torch.zeros(()))
        for w in (self.user_emb.weight, self.emb.weight):
            nn.init.normal_(w, 0.0, init_std)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.bias.weight)
        idx, val = encoder.item_table
        self.register_buffer("item_idx", torch.as_tensor(idx, dtype=torch.long))
        self.register_buffer("item_val", torch.as_tensor(val, dtype=torch.float32))
        pools = {o: torch.as_tensor(encoder.pool(o)) for o in ("user", "item", "context")}
        for owner, p in pools.items():
            self.register_buffer(f"pool_{owner}", p)
        self.n_fields = sum(p.shape[1] for p in pools.values())
        n_slots = sum(p.shape[0] for p in pools.values())
        self.hidden_width = max(1, n_slots * k)

    def _parts(
        self, user, item, u_idx, u_val, c_idx=None, c_val=None, i_idx=None, i_val=None, u_on=None
    ):
        """Slot embeddings (times values) and linear terms of the user, item and context."""
        ue = self.user_emb(user).unsqueeze(-2)
        ub = self.user_bias(user).squeeze(-1)
        if u_on is not None:
            ue = ue * u_on[:, None, None]
            ub = ub * u_on
        u_e = torch.cat([ue, self.emb(u_idx) * u_val.unsqueeze(-1)], dim=-2)  # (n, Su, k)
        u_l = ub + (self.bias(u_idx).squeeze(-1) * u_val).sum(-1)
        if i_idx is None:
            i_idx, i_val = self.item_idx[item], self.item_val[item]
        i_e = self.emb(i_idx) * i_val.unsqueeze(-1)  # (n, [m], Si, k)
        i_l = (self.bias(i_idx).squeeze(-1) * i_val).sum(-1)
        if c_idx is not None and c_idx.shape[-1]:
            c_e = self.emb(c_idx) * c_val.unsqueeze(-1)
            c_l = (self.bias(c_idx).squeeze(-1) * c_val).sum(-1)
        else:
            c_e, c_l = None, None
        # The squared norms of every vector the row uses (user, item and context).
        pen = (u_e**2).sum((-1, -2)) + ub**2
        pen = pen + (i_e**2).sum((-1, -2)).reshape(len(user), -1).sum(-1)
        if c_e is not None:
            pen = pen + (c_e**2).sum((-1, -2))
        if item.dim() == 2:  # m items per row: broadcast the row's user and context
            m = item.shape[1]
            u_e = u_e.unsqueeze(1).expand(-1, m, -1, -1)
            u_l = u_l.unsqueeze(1)
            if c_e is not None:
                c_e = c_e.unsqueeze(1).expand(-1, m, -1, -1)
                c_l = c_l.unsqueeze(1)
        lin = self.w0 + u_l + i_l + (0 if c_l is None else c_l)
        return u_e, i_e, c_e, lin, pen

    def _fields(self, u_e, i_e, c_e):
        """One vector per field: (..., n_fields, k)."""
        parts = [
            torch.einsum("...sk,sf->...fk", u_e, self.pool_user),
            torch.einsum("...sk,sf->...fk", i_e, self.pool_item),
        ]
        n_ctx = self.pool_context.shape[1]
        if n_ctx:
            if c_e is None:
                shape = i_e.shape[:-2] + (n_ctx, self.k)
                parts.append(i_e.new_zeros(shape))
            else:
                parts.append(torch.einsum("...sk,sf->...fk", c_e, self.pool_context))
        return torch.cat(parts, dim=-2)

    @staticmethod
    def _bi_interaction(u_e, i_e, c_e):
        """0.5 * ((sum v)^2 - sum v^2), the FM pairwise term before the sum over k."""
        s = u_e.sum(-2) + i_e.sum(-2)
        q = (u_e**2).sum(-2) + (i_e**2).sum(-2)
        if c_e is not None:
            s = s + c_e.sum(-2)
            q = q + (c_e**2).sum(-2)
        return 0.5 * (s * s - q)


class FMModule(_FieldModule):
    """Rendle's factorization machine: w0 + sum w_j x_j + sum_{j<l} <v_j, v_l> x_j x_l."""

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        return lin + self._bi_interaction(u_e, i_e, c_e).sum(-1), pen


class DeepFMModule(_FieldModule):
    """FM plus an MLP over the concatenated field embeddings (shared embeddings)."""

    def __init__(self, encoder, k, hidden, dropout, init_std=0.01):
        super().__init__(encoder, k, init_std)
        self.mlp = _mlp(self.n_fields * k, hidden, dropout)
        self.hidden_width = max(self.hidden_width, self.n_fields * k + sum(hidden))

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        fm = self._bi_interaction(u_e, i_e, c_e).sum(-1)
        deep = self.mlp(self._fields(u_e, i_e, c_e).flatten(-2)).squeeze(-1)
        return lin + fm + deep, pen


class WideAndDeepModule(_FieldModule):
    """A linear (wide) part plus an MLP (deep) part over the field embeddings."""

    def __init__(self, encoder, k, hidden, dropout, init_std=0.01):
        super().__init__(encoder, k, init_std)
        self.mlp = _mlp(self.n_fields * k, hidden, dropout)
        self.hidden_width = max(self.hidden_width, self.n_fields * k + sum(hidden))

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        deep = self.mlp(self._fields(u_e, i_e, c_e).flatten(-2)).squeeze(-1)
        return lin + deep, pen


class NFMModule(_FieldModule):
    """Neural FM: an MLP over the bi-interaction pooling vector."""

    def __init__(self, encoder, k, hidden, dropout, init_std=0.01):
        super().__init__(encoder, k, init_std)
        self.drop = nn.Dropout(dropout) if dropout else nn.Identity()
        self.mlp = _mlp(k, hidden, dropout)

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        bi = self.drop(self._bi_interaction(u_e, i_e, c_e))
        return lin + self.mlp(bi).squeeze(-1), pen


class DLRMModule(_FieldModule):
    """DLRM-style: pairwise dot products of the field vectors, then a top MLP."""

    def __init__(self, encoder, k, hidden, dropout, init_std=0.01):
        super().__init__(encoder, k, init_std)
        f = self.n_fields
        rows, cols = torch.triu_indices(f, f, offset=1)
        self.register_buffer("tri_rows", rows)
        self.register_buffer("tri_cols", cols)
        self.mlp = _mlp(k + len(rows), hidden, dropout)
        self.hidden_width = max(self.hidden_width, f * f + sum(hidden))

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        fields = self._fields(u_e, i_e, c_e)
        dots = fields @ fields.transpose(-1, -2)
        inter = dots[..., self.tri_rows, self.tri_cols]
        top = self.mlp(torch.cat([fields.sum(-2), inter], dim=-1)).squeeze(-1)
        return lin + top, pen


class XDeepFMModule(_FieldModule):
    """Linear + Compressed Interaction Network (CIN) + MLP."""

    def __init__(self, encoder, k, hidden, dropout, cin_sizes, init_std=0.01):
        super().__init__(encoder, k, init_std)
        f = self.n_fields
        self.cin = nn.ModuleList()
        prev = f
        for h in cin_sizes:
            self.cin.append(nn.Conv1d(prev * f, h, kernel_size=1))
            prev = h
        self.cin_out = nn.Linear(sum(cin_sizes), 1)
        self.mlp = _mlp(f * k, hidden, dropout)
        self.hidden_width = max(
            self.hidden_width, f * k + sum(hidden) + max(cin_sizes, default=0) * f * k
        )

    def forward(self, user, item, u_idx, u_val, **kw):
        u_e, i_e, c_e, lin, pen = self._parts(user, item, u_idx, u_val, **kw)
        fields = self._fields(u_e, i_e, c_e)
        lead = fields.shape[:-2]
        x0 = fields.reshape(-1, self.n_fields, self.k)
        x, pooled = x0, []
        for conv in self.cin:
            z = torch.einsum("bhk,bmk->bhmk", x, x0).reshape(len(x0), -1, self.k)
            x = torch.relu(conv(z))
            pooled.append(x.sum(-1))
        cin = self.cin_out(torch.cat(pooled, dim=-1)).squeeze(-1).reshape(lead)
        deep = self.mlp(fields.flatten(-2)).squeeze(-1)
        return lin + cin + deep, pen
