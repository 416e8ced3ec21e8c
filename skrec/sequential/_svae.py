"""SVAE: a sequential variational autoencoder over the ordered history."""

from __future__ import annotations

import numbers

import torch

from .._torch._docs import fill_engine_doc
from .._torch._sequences import ScoreHead, SequenceRecommender
from ..utils._compat import Interval

__all__ = ["SVAE"]

#: Batch entries with one column per position of the window.
_WINDOWED = ("input", "target", "weight", "future", "future_weight")


class _SVAEModule(torch.nn.Module):
    """GRU over item embeddings; at each step a Gaussian latent decoded into item scores.

    ``encode(seq)`` gives the posterior ``(mu, logvar)`` of every position
    ``(n, L, latent_dim)``; ``decode(z, items)`` the scores of ``z``. The
    GRU has no bias terms, so over the left padding (zero embeddings) its
    state stays exactly zero: a prefix is encoded alike whatever padding
    precedes it. ``module(seq, items, positions)`` scores from the posterior
    mean (no sampling), the sequence protocol's scoring call.
    """

    def __init__(self, n_items, embedding_dim, hidden_size, mlp_size, latent_dim, dropout):
        super().__init__()
        self.n_items = n_items
        self.embed = torch.nn.Embedding(n_items + 1, embedding_dim, padding_idx=n_items)
        self.gru = torch.nn.GRU(embedding_dim, hidden_size, batch_first=True, bias=False)
        self.enc = torch.nn.Linear(hidden_size, mlp_size)
        self.mu = torch.nn.Linear(mlp_size, latent_dim)
        self.logvar = torch.nn.Linear(mlp_size, latent_dim)
        self.dec = torch.nn.Linear(latent_dim, mlp_size)
        self.head = ScoreHead(n_items, mlp_size)
        self.drop = torch.nn.Dropout(dropout)

    def encode(self, seq):
        out, _ = self.gru(self.drop(self.embed(seq)))
        h = torch.tanh(self.enc(out))
        return self.mu(h), self.logvar(h)

    def decode(self, z, items=None):
        return self.head(torch.tanh(self.dec(z)), items)

    def forward(self, seq, items=None, positions=None):
        mu, _ = self.encode(seq)
        mu = mu[:, -1] if positions is None else mu[positions]
        return self.decode(mu, items)


@fill_engine_doc
class SVAE(SequenceRecommender):
    """SVAE: a recurrent variational autoencoder over the ordered history.

    A GRU reads the items of a sequence one at a time; at each step its
    state is mapped (tanh layer of width ``mlp_size``) to a Gaussian
    posterior ``q(z_t | x_1..t) = N(mu_t, sigma_t^2)`` of dimension
    ``latent_dim``, and a decoder (tanh layer, then a linear layer over the
    catalog) turns ``z_t`` into a multinomial over the items to come
    (Sachdeva et al., 2019). The loss at a step is the multinomial negative
    log-likelihood of the next ``n_next`` items (the paper's "next-k" loss)
    plus ``beta`` times the KL divergence of ``q(z_t)`` to ``N(0, I)``, with
    ``beta = min(beta_max, step / total_anneal_steps)`` annealed over
    optimizer steps as in Mult-VAE. A user is scored from the posterior mean
    of the last step of their prefix (no sampling).

    Sequences are each user's whole history when ``X`` has no ``session``
    column (the paper's setting: strong-generalization user histories, as
    :class:`~skrec.autoencoders.MultVAE`), else sessions; they are ordered
    by ``timestamp`` (unsorted timestamps are sorted), one-event sequences
    are skipped in training and long ones cut into windows of ``max_len``.
    See :class:`~skrec._torch._sequences.SequenceRecommender` for the
    windows and the prefix scoring.

    Parameters
    ----------
    embedding_dim : int, default=256
        Width of the item embeddings read by the GRU.
    hidden_size : int, default=200
        Width of the GRU state.
    mlp_size : int, default=150
        Width of the encoder's and the decoder's tanh layers.
    latent_dim : int, default=64
        Dimension of ``z``.
    n_next : int, default=4
        Items to come each step is trained to predict (the authors' code
        uses 4; 1 is plain next-item prediction).
    beta_max : float, default=0.2
        Final weight of the KL term.
    total_anneal_steps : int, default=200000
        Optimizer steps over which ``beta`` grows linearly from 0 (capped
        at ``beta_max``); 0 uses ``beta_max`` from the start.
    dropout : float, default=0.0
        Dropout on the item embeddings (the authors' code uses none).
    max_len : int, default=50
        Window length (steps) in training and items of a prefix read when
        scoring (the last ones).
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    global_step_ : int
        Optimizer steps so far (the clock of the KL annealing).
    beta_ : float
        The KL weight at the last optimizer step.
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    skrec.autoencoders.MultVAE : The same VAE on the unordered history.
    GRU4Rec : A recurrent network trained with ranking losses.

    Notes
    -----
    The GRU has no bias terms (so that left padding leaves its state at
    zero); the authors' code also clips gradients and trains one user per
    mini-batch, which this implementation does not.

    References
    ----------
    .. [1] N. Sachdeva, G. Manco, E. Ritacco and V. Pudi, "Sequential
       Variational Autoencoders for Collaborative Filtering", WSDM 2019.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.sequential import SVAE
    >>> rng = np.random.RandomState(0)
    >>> starts = rng.randint(0, 10, size=60)  # histories walk the cycle i -> i + 1
    >>> X = pd.DataFrame({"user": np.repeat(np.arange(60), 5),
    ...                   "item": (starts[:, None] + np.arange(5)).ravel() % 10,
    ...                   "timestamp": np.tile(np.arange(5), 60)})
    >>> model = SVAE(embedding_dim=16, hidden_size=16, mlp_size=16, latent_dim=8, n_next=1,
    ...              max_len=5, max_iter=40, lr=0.01, total_anneal_steps=100,
    ...              device="cpu", random_state=0).fit(X)
    >>> prefix = pd.DataFrame({"user": "new", "item": [3, 4]})
    >>> items, scores = model.recommend(["new"], k=1, history=prefix)
    >>> items
    array([[5]])
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Windows per mini-batch.'
        ),
        'early_stopping': (
            'Hold out the last item of ``validation_fraction`` of the sequences.'
        ),
    }

    _parameter_constraints: dict = {
        **SequenceRecommender._parameter_constraints,
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "mlp_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_next": [Interval(numbers.Integral, 1, None, closed="left")],
        "beta_max": [Interval(numbers.Real, 0, None, closed="left")],
        "total_anneal_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    }

    def __init__(self, embedding_dim=256, *, hidden_size=200, mlp_size=150, latent_dim=64,
                 n_next=4, beta_max=0.2, total_anneal_steps=200000, dropout=0.0, max_len=50,
                 max_iter=20, batch_size=128, lr=0.001, weight_decay=0.0, optimizer="adam",
                 lr_schedule="constant", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.mlp_size = mlp_size
        self.latent_dim = latent_dim
        self.n_next = n_next
        self.beta_max = beta_max
        self.total_anneal_steps = total_anneal_steps
        self.dropout = dropout
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

    def _n_targets(self):
        return self.n_next

    def _build_module(self, data):
        return _SVAEModule(data.n_items, self.embedding_dim, self.hidden_size, self.mlp_size,
                           self.latent_dim, self.dropout)

    def _kl_weight(self, step):
        """``beta`` after ``step`` optimizer steps: ``min(beta_max, step / total_anneal_steps)``."""
        if self.total_anneal_steps == 0:
            return float(self.beta_max)
        return float(min(self.beta_max, step / self.total_anneal_steps))

    def _batch_loss(self, module, batch):
        target = batch["target"]
        mask = target != self._pad
        if not bool(mask.any()):
            return torch.zeros((), device=target.device, requires_grad=True)
        # Drop the columns that are padding in every window of the batch: the
        # bias-free GRU's state stays zero over them, so the result is the same.
        first = int(torch.argmax((batch["input"] != self._pad).any(0).int()))
        if first:
            batch = {k: v[:, first:] if k in _WINDOWED else v for k, v in batch.items()}
            target, mask = batch["target"], mask[:, first:]
        weight = batch["weight"][mask]
        if "future" in batch:
            tgt, tw = batch["future"][mask], batch["future_weight"][mask]
        else:
            tgt, tw = target[mask][:, None], weight[:, None]
        mu, logvar = module.encode(batch["input"])
        mu, logvar = mu[mask], logvar[mask]
        z = mu
        if module.training:  # the reparameterization trick; the mean in evaluation
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        logp = torch.log_softmax(module.decode(z), dim=1)
        nll = -(logp.gather(1, tgt.clamp_max(logp.shape[1] - 1)) * tw).sum(1)
        kl = 0.5 * (-logvar + logvar.exp() + mu ** 2 - 1.0).sum(1)
        beta = self._kl_weight(getattr(self, "global_step_", 0))
        return (nll + beta * kl * weight).sum() / weight.sum().clamp_min(1e-12)

    def _after_fit(self, data):
        super()._after_fit(data)
        self.beta_ = self._kl_weight(self.global_step_)
