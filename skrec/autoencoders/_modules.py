"""The private torch modules of the neural autoencoders.

Each follows the user-row protocol of :mod:`skrec._torch._rows`:
``module(x, users=None) -> (scores, aux)``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._torch._rows import SparseRows

ACTIVATIONS = {
    "identity": lambda t: t,
    "sigmoid": torch.sigmoid,
    "relu": F.relu,
    "tanh": torch.tanh,
    "elu": F.elu,
    "selu": F.selu,
}


def _linear(n_in, n_out):
    lin = nn.Linear(n_in, n_out)
    nn.init.xavier_uniform_(lin.weight)
    nn.init.normal_(lin.bias, std=1e-3)
    return lin


class RowInputLinear(nn.Module):
    """The first layer of a row encoder: ``x @ weight + bias`` for dense or sparse ``x``.

    ``weight`` is stored ``(n_in, n_out)``, one row per input column, so
    that a :class:`~skrec._torch._rows.SparseRows` batch costs one
    ``embedding_bag`` (the sum of the weight rows of its stored entries,
    scaled by their values): ``O(nnz * n_out)`` forward and backward
    instead of ``O(n * n_in * n_out)`` for the dense product. Initialized
    as :func:`_linear` (the same random draws, transposed).
    """

    def __init__(self, n_in, n_out):
        super().__init__()
        lin = _linear(n_in, n_out)
        self.weight = nn.Parameter(lin.weight.detach().t().contiguous())
        self.bias = nn.Parameter(lin.bias.detach().clone())

    def forward(self, x):
        if isinstance(x, SparseRows):
            return F.embedding_bag(x.indices, self.weight, x.offsets, mode="sum",
                                   per_sample_weights=x.values) + self.bias
        return torch.addmm(self.bias, x, self.weight)


class MultModule(nn.Module):
    """Mult-DAE / Mult-VAE (Liang et al. 2018): ``[n_items -> hidden -> latent -> n_items]``.

    The input rows are L2-normalized and dropped out (``dropout``), every
    layer but the last is followed by tanh (the VAE's Gaussian layer,
    ``mu`` and ``log sigma^2``, has none). ``aux`` is ``(mu, logvar)`` for
    the VAE, None for the DAE. The VAE samples ``z`` in training mode and
    uses ``mu`` in evaluation mode.

    ``x`` is a dense ``(n, n_items)`` tensor or
    :class:`~skrec._torch._rows.SparseRows`; the sparse input is normalized
    and dropped out on its stored entries only, which is the dense
    computation exactly: a zero stays zero under both, and each stored
    entry is kept (and scaled by ``1 / (1 - dropout)``) independently with
    the same probability. The first layer is a :class:`RowInputLinear`.
    """

    def __init__(self, n_items, hidden_dims, latent_dim, dropout, variational):
        super().__init__()
        self.variational = bool(variational)
        self.latent_dim = int(latent_dim)
        self.dropout = float(dropout)
        dims = [int(n_items), *map(int, hidden_dims), int(latent_dim)]
        enc_out = dims[1:-1] + [dims[-1] * (2 if self.variational else 1)]
        self.encoder = nn.ModuleList(
            (RowInputLinear if i == 0 else _linear)(a, b)
            for i, (a, b) in enumerate(zip(dims[:-1], enc_out)))
        rev = dims[::-1]
        self.decoder = nn.ModuleList(_linear(a, b) for a, b in zip(rev[:-1], rev[1:]))

    def forward(self, x, users=None):
        if isinstance(x, SparseRows):
            x = x.row_normalized()
            h = x.with_values(F.dropout(x.values, self.dropout, self.training))
        else:
            h = F.dropout(F.normalize(x, dim=1), self.dropout, self.training)
        last = len(self.encoder) - 1
        for i, layer in enumerate(self.encoder):
            h = layer(h)
            if i < last or not self.variational:
                h = torch.tanh(h)
        aux = None
        if self.variational:
            mu, logvar = h[:, : self.latent_dim], h[:, self.latent_dim :]
            if self.training:
                h = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            else:
                h = mu
            aux = (mu, logvar)
        last = len(self.decoder) - 1
        for i, layer in enumerate(self.decoder):
            h = layer(h)
            if i < last:
                h = torch.tanh(h)
        return h, aux


class CDAEModule(nn.Module):
    """CDAE (Wu et al. 2016): a denoising autoencoder with a per-user input node.

    ``h = act(W corrupt(x) + V_u + b)``, logits ``W' h + b'``. A user unseen
    at fit (code -1) gets the mean user vector. ``aux`` is ``(squared norm of
    the user vector of each row, ||W||^2 + ||W'||^2)``.
    """

    def __init__(self, n_users, n_items, n_factors, dropout, hidden_activation):
        super().__init__()
        self.dropout = float(dropout)
        self.hidden_activation = hidden_activation
        self.user_embedding = nn.Embedding(int(n_users), int(n_factors))
        nn.init.normal_(self.user_embedding.weight, std=0.01)
        self.encoder = _linear(int(n_items), int(n_factors))
        self.decoder = _linear(int(n_factors), int(n_items))

    def forward(self, x, users=None):
        h = self.encoder(F.dropout(x, self.dropout, self.training))
        pen = torch.zeros(len(x), device=x.device)
        if users is not None:
            table = self.user_embedding.weight
            known = (users >= 0)[:, None]
            u = torch.where(known, table[users.clamp_min(0)], table.mean(0, keepdim=True))
            h = h + u
            pen = (u**2).sum(1)
        h = ACTIVATIONS[self.hidden_activation](h)
        weights = (self.encoder.weight**2).sum() + (self.decoder.weight**2).sum()
        return self.decoder(h), (pen, weights)


class AutoRecModule(nn.Module):
    """AutoRec (Sedhain et al. 2015): ``f(W g(V r + mu) + b)``.

    ``aux`` is ``||W||^2 + ||V||^2`` (the L2 penalty of the paper).
    """

    def __init__(self, n_in, n_factors, hidden_activation, output_activation):
        super().__init__()
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.encoder = _linear(int(n_in), int(n_factors))
        self.decoder = _linear(int(n_factors), int(n_in))

    def encode(self, x):
        return ACTIVATIONS[self.hidden_activation](self.encoder(x))

    def decode(self, h):
        return ACTIVATIONS[self.output_activation](self.decoder(h))

    def forward(self, x, users=None):
        pen = (self.encoder.weight**2).sum() + (self.decoder.weight**2).sum()
        return self.decode(self.encode(x)), pen


class RBMModule(nn.Module):
    """A restricted Boltzmann machine with softmax visible units (Salakhutdinov et al. 2007).

    Each item is a ``K``-way softmax unit over the rating values
    (``values``), present only where the user rated the item; the ``H``
    hidden units are binary. ``forward(x)`` reads class codes ``1..K`` (the
    index of the rating value plus one; 0 = not rated) and returns the
    expected rating of every item given ``p(h | v)``, and ``aux = (v,
    mask)``: the one-hot visible tensor and the rated entries.
    """

    def __init__(self, n_items, n_hidden, values, init_std=0.01):
        super().__init__()
        k = len(values)
        self.register_buffer("values", torch.as_tensor(values, dtype=torch.float32))
        self.W = nn.Parameter(torch.randn(int(n_items), k, int(n_hidden)) * init_std)
        self.b = nn.Parameter(torch.zeros(int(n_items), k))
        self.c = nn.Parameter(torch.zeros(int(n_hidden)))

    def one_hot(self, x):
        mask = (x > 0).to(x.dtype)
        cls = (x.round().long() - 1).clamp(0, len(self.values) - 1)
        v = F.one_hot(cls, len(self.values)).to(x.dtype) * mask[..., None]
        return v, mask

    def hidden_probs(self, v):
        return torch.sigmoid(self.c + torch.einsum("nik,ikh->nh", v, self.W))

    def visible_probs(self, h):
        return torch.softmax(self.b + torch.einsum("nh,ikh->nik", h, self.W), dim=-1)

    def free_energy(self, v):
        return -(v * self.b).sum((1, 2)) - F.softplus(
            self.c + torch.einsum("nik,ikh->nh", v, self.W)).sum(1)

    def forward(self, x, users=None):
        v, mask = self.one_hot(x)
        probs = self.visible_probs(self.hidden_probs(v))
        return (probs * self.values).sum(-1), (v, mask)
