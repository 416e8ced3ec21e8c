"""Private torch modules of the factorization models.

They know nothing of scikit-learn or ids: they see integer codes and
tensors. Each follows the protocol of :mod:`skrec._torch._pairs`:
``module(user, item=None, **inputs)`` returns ``(scores, penalty)``.

- ``item`` of shape ``(n,)`` scores the pairs ``(user[r], item[r])``;
- ``item`` of shape ``(n, m)`` scores ``m`` items per row (a positive and
  its sampled negatives), giving ``(n, m)`` scores;
- ``item=None`` scores the whole catalog for each user: ``(n, n_items)``;
  the penalty is then None.

``penalty`` is one value per row, or its mean as a scalar: the squared norms
(or KL divergences) of every parameter row the score used, so that
``reg * penalty.mean()`` is the per-interaction L2 penalty of Funk-style SGD.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _pair_dot(p, q):
    """Dot products of user rows (n, k) with items (n, k) or (n, m, k).

    A broadcast product and a sum: on the CPU it is faster than ``einsum``,
    which becomes a batched matmul of (1 x k) by (k x m) matrices.
    """
    if q.dim() == 2:
        return (p * q).sum(-1)
    return (p.unsqueeze(1) * q).sum(-1)


def usage_penalty(table, index, n_rows):
    """``sum over uses of |weight[i]|^2 / n_rows`` for the rows ``index`` uses.

    Equal (value and gradient) to summing the squared norms of the gathered
    rows, but computed once per distinct row with its count of uses, so no
    extra tensor of the gathered shape ``(n, m, k)`` is built. ``table`` is
    an :class:`~torch.nn.Embedding`; its gradient here is sparse when the
    table's is (``optimizer="sparse_adam"``).
    """
    uniq, counts = torch.unique(index.reshape(-1), return_counts=True)
    rows = F.embedding(uniq, table.weight, sparse=table.sparse)
    return (counts.to(rows.dtype) * (rows * rows).sum(-1)).sum() / n_rows


def _rowsum(x, item):
    """Sum per row of a per-item quantity of shape ``item.shape``."""
    return x if item.dim() == 1 else x.sum(-1)


class MFModule(nn.Module):
    """score = mu + b_u + b_i + b_{i,t} + m_u n_t + (p_u + W_u x_u) . (q_i + W_i x_i)."""

    scores_catalog = True  # forward(user, None) scores the whole catalog

    def __init__(self, n_users, n_items, n_factors, *, biases=True, global_mean=0.0,
                 init_std=0.1, user_bias=True, n_user_features=0, item_features=None,
                 n_time_bins=0, time_penalty=1.0):
        super().__init__()
        self.n_items = n_items
        self.n_time_bins = n_time_bins
        self.time_penalty = time_penalty
        self.user_factors = nn.Embedding(n_users, n_factors)
        self.item_factors = nn.Embedding(n_items, n_factors)
        nn.init.normal_(self.user_factors.weight, 0.0, init_std)
        nn.init.normal_(self.item_factors.weight, 0.0, init_std)
        self.biases = biases
        self.has_user_bias = biases and user_bias
        if biases:
            self.item_bias = nn.Embedding(n_items, 1)
            nn.init.zeros_(self.item_bias.weight)
        if self.has_user_bias:
            self.user_bias = nn.Embedding(n_users, 1)
            nn.init.zeros_(self.user_bias.weight)
        self.register_buffer("global_mean", torch.tensor(float(global_mean)))
        self.user_feature_proj = None
        if n_user_features:
            self.user_feature_proj = nn.Linear(n_user_features, n_factors, bias=False)
            nn.init.zeros_(self.user_feature_proj.weight)
        self.item_feature_proj = None
        if item_features is not None:
            self.register_buffer("item_features", torch.as_tensor(item_features,
                                                                  dtype=torch.float32))
            self.item_feature_proj = nn.Linear(item_features.shape[1], n_factors, bias=False)
            nn.init.zeros_(self.item_feature_proj.weight)
        if n_time_bins:
            self.item_time_bias = nn.Embedding(n_items * n_time_bins, 1)
            self.user_drift = nn.Embedding(n_users, 1)
            self.time_drift = nn.Embedding(n_time_bins, 1)
            nn.init.zeros_(self.item_time_bias.weight)
            nn.init.zeros_(self.user_drift.weight)
            # Not zero: with both factors of m_u * n_t at zero neither would move.
            nn.init.normal_(self.time_drift.weight, 0.0, init_std)

    def _users(self, user, user_x):
        n = user.shape[0]
        p = self.user_factors(user)
        pen = usage_penalty(self.user_factors, user, n)
        if self.has_user_bias:
            bu = self.user_bias(user).squeeze(-1)
            pen = pen + usage_penalty(self.user_bias, user, n)
        else:
            bu = torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)
        if self.user_feature_proj is not None and user_x is not None:
            f = self.user_feature_proj(user_x)
            p = p + f
            pen = pen + (f * f).sum() / n  # the feature term is part of the user's vector
        return p, bu, pen

    def _items(self, item, n):
        q = self.item_factors(item)
        pen = usage_penalty(self.item_factors, item, n)
        if self.item_feature_proj is not None:
            f = self.item_feature_proj(self.item_features[item])
            q = q + f
            pen = pen + (f * f).sum() / n  # penalized like the item's own factors
        if self.biases:
            bi = self.item_bias(item).squeeze(-1)
            pen = pen + usage_penalty(self.item_bias, item, n)
        else:
            bi = torch.zeros(q.shape[:-1], dtype=q.dtype, device=q.device)
        return q, bi, pen

    def forward(self, user, item=None, user_x=None, time=None):
        """Scores and the L2 penalty: the sum over the rows of the batch of the
        squared norms of every parameter row each score used, divided by the
        number of rows (a scalar; None when scoring the catalog)."""
        p, bu, pen = self._users(user, user_x)
        if item is None:
            q = self.item_factors.weight
            if self.item_feature_proj is not None:
                q = q + self.item_feature_proj(self.item_features)
            scores = p @ q.T + (bu + self.global_mean)[:, None]
            if self.biases:
                scores = scores + self.item_bias.weight.T
            if self.n_time_bins:
                t = self._time(time, user)
                table = self.item_time_bias.weight.view(self.n_items, self.n_time_bins)
                scores = scores + table[:, t].T
                scores = scores + (self.user_drift(user) * self.time_drift(t))
            return scores, None
        n = user.shape[0]
        q, bi, ipen = self._items(item, n)
        scores = _pair_dot(p, q) + bi
        if item.dim() == 2:
            bu = bu[:, None]
        scores = scores + bu + self.global_mean
        pen = pen + ipen
        if self.n_time_bins:
            t = self._time(time, user)
            t_items = t if item.dim() == 1 else t[:, None].expand_as(item)
            slot = item * self.n_time_bins + t_items
            bit = self.item_time_bias(slot).squeeze(-1)
            drift = (self.user_drift(user) * self.time_drift(t)).squeeze(-1)
            scores = scores + bit + (drift if item.dim() == 1 else drift[:, None])
            pen = pen + self.time_penalty * (
                usage_penalty(self.item_time_bias, slot, n) + (drift * drift).sum() / n)
        return scores, pen

    def _time(self, time, user):
        if time is None:  # no timestamp: the latest bin ("now")
            return torch.full_like(user, self.n_time_bins - 1)
        return time


class MixtureOfTastesModule(nn.Module):
    """score = b_i + sum_t softmax_t(A_ut . q_i) (U_ut . q_i)  (Kula, 2017)."""

    scores_catalog = True  # forward(user, None) scores the whole catalog

    def __init__(self, n_users, n_items, n_factors, n_tastes, *, init_std=0.1):
        super().__init__()
        self.n_factors = n_factors
        self.n_tastes = n_tastes
        self.user_tastes = nn.Embedding(n_users, n_tastes * n_factors)
        self.user_attention = nn.Embedding(n_users, n_tastes * n_factors)
        self.item_factors = nn.Embedding(n_items, n_factors)
        self.item_bias = nn.Embedding(n_items, 1)
        for emb in (self.user_tastes, self.user_attention, self.item_factors):
            nn.init.normal_(emb.weight, 0.0, init_std)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, user, item=None):
        n = user.shape[0]
        U = self.user_tastes(user)
        A = self.user_attention(user)
        pen = (U * U).sum(-1) + (A * A).sum(-1)
        U = U.view(n, self.n_tastes, self.n_factors)
        A = A.view(n, self.n_tastes, self.n_factors)
        if item is None:
            q = self.item_factors.weight
            taste = torch.einsum("ntk,ik->nti", U, q)
            att = torch.softmax(torch.einsum("ntk,ik->nti", A, q), dim=1)
            return (att * taste).sum(1) + self.item_bias.weight.T, None
        q = self.item_factors(item)
        bi = self.item_bias(item).squeeze(-1)
        q3 = q[:, None, :] if item.dim() == 1 else q
        taste = torch.einsum("ntk,nmk->ntm", U, q3)
        att = torch.softmax(torch.einsum("ntk,nmk->ntm", A, q3), dim=1)
        scores = (att * taste).sum(1)
        if item.dim() == 1:
            scores = scores[:, 0]
        pen = pen + _rowsum((q * q).sum(-1) + bi * bi, item)
        return scores + bi, pen


class VariationalMFModule(nn.Module):
    """Gaussian posteriors N(mu, sigma^2) over user and item factors.

    With noise ``eps_user`` / ``eps_item`` (drawn outside, for determinism)
    the factors are sampled by the reparameterization trick; without it the
    posterior means are used (scoring). The penalty is the KL divergence of
    each used factor row from the prior N(0, prior_std^2 I), plus the squared
    biases.
    """

    scores_catalog = True  # forward(user, None) scores the whole catalog

    def __init__(self, n_users, n_items, n_factors, *, biases=True, global_mean=0.0,
                 prior_std=1.0, init_std=0.1):
        super().__init__()
        self.user_mu = nn.Embedding(n_users, n_factors)
        self.user_logvar = nn.Embedding(n_users, n_factors)
        self.item_mu = nn.Embedding(n_items, n_factors)
        self.item_logvar = nn.Embedding(n_items, n_factors)
        nn.init.normal_(self.user_mu.weight, 0.0, init_std)
        nn.init.normal_(self.item_mu.weight, 0.0, init_std)
        nn.init.constant_(self.user_logvar.weight, -6.0)
        nn.init.constant_(self.item_logvar.weight, -6.0)
        self.biases = biases
        if biases:
            self.user_bias = nn.Embedding(n_users, 1)
            self.item_bias = nn.Embedding(n_items, 1)
            nn.init.zeros_(self.user_bias.weight)
            nn.init.zeros_(self.item_bias.weight)
        self.register_buffer("global_mean", torch.tensor(float(global_mean)))
        self.register_buffer("prior_logvar", torch.tensor(2.0 * float(torch.log(
            torch.tensor(prior_std)))))

    def _kl(self, mu, logvar):
        pl = self.prior_logvar
        return 0.5 * (torch.exp(logvar - pl) + mu * mu * torch.exp(-pl) - 1.0 - logvar + pl).sum(-1)

    def forward(self, user, item=None, eps_user=None, eps_item=None):
        mu_u, lv_u = self.user_mu(user), self.user_logvar(user)
        p = mu_u if eps_user is None else mu_u + torch.exp(0.5 * lv_u) * eps_user
        bu = self.user_bias(user).squeeze(-1) if self.biases else torch.zeros_like(p[:, 0])
        if item is None:
            scores = p @ self.item_mu.weight.T + (bu + self.global_mean)[:, None]
            if self.biases:
                scores = scores + self.item_bias.weight.T
            return scores, None
        mu_i, lv_i = self.item_mu(item), self.item_logvar(item)
        q = mu_i if eps_item is None else mu_i + torch.exp(0.5 * lv_i) * eps_item
        bi = self.item_bias(item).squeeze(-1) if self.biases else torch.zeros(
            item.shape, device=p.device)
        if item.dim() == 2:
            bu = bu[:, None]
        scores = _pair_dot(p, q) + bi + bu + self.global_mean
        pen = self._kl(mu_u, lv_u) + bu.reshape(-1) ** 2 if item.dim() == 1 else (
            self._kl(mu_u, lv_u) + bu[:, 0] ** 2)
        pen = pen + _rowsum(self._kl(mu_i, lv_i) + bi * bi, item)
        return scores, pen


def softplus_loss(x):
    """-log sigmoid(x), stably."""
    return F.softplus(-x)
