"""AutoRec: item- and user-based autoencoders of explicit ratings (Sedhain et al. 2015)."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
import torch

from .._torch import UserRowRecommender
from .._torch._docs import fill_engine_doc
from .._torch._rows import _CSRTensors, dense_rows
from ..utils._compat import Interval, StrOptions
from ._modules import ACTIVATIONS, AutoRecModule

__all__ = ["AutoRec"]


@fill_engine_doc
class AutoRec(UserRowRecommender):
    """AutoRec: an autoencoder that reconstructs observed ratings.

    ``h(r) = f(W g(V r + mu) + b)`` reconstructs a partially observed rating
    vector ``r`` (unobserved entries are 0 in the input); the loss counts the
    observed ratings only, plus ``reg / 2 (||W||^2 + ||V||^2)``:
    ``sum_{observed} (r - h(r))^2 + reg / 2 (||W||^2 + ||V||^2)``, averaged
    over the encoded vectors. ``kind="item"`` (I-AutoRec, the paper's better
    model) encodes each item's vector of ratings by the users;
    ``kind="user"`` (U-AutoRec) encodes each user's vector of ratings.
    ``predict`` gives ratings, clipped to the training range.

    Parameters
    ----------
    kind : {"item", "user"}, default="item"
        What is encoded: item columns (I-AutoRec) or user rows (U-AutoRec).
    n_factors : int, default=500
        Hidden units.
    hidden_activation : {"identity", "sigmoid", "relu", "tanh", "elu", "selu"}, \
            default="sigmoid"
        ``g``.
    output_activation : {"identity", "sigmoid", "relu", "tanh", "elu", "selu"}, \
            default="identity"
        ``f``.
    reg : float, default=300.0
        The paper's ``lambda`` on ``W`` and ``V`` (tuned for I-AutoRec on
        MovieLens 100K over {1, 10, 100, 300, 1000}).
    duplicates : {"mean", "last", "first", "sum", "error"}, default="mean"
        Repeated (user, item) ratings.
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    global_mean_ : float
        The prediction for unknown users or items.
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    skrec.factorization.MF : Biased matrix factorization of ratings.

    Notes
    -----
    Fold-in. U-AutoRec scores any user with rated history by encoding
    their rating row. I-AutoRec has a decoder row ``(W_u, b_u)`` per
    training user and cannot encode a user row, and appending a new user's
    ratings to the item vectors would need an encoder column ``V_u`` it
    does not have. So a user unseen at fit (or a known user with extra
    ``history``) gets a decoder row fitted to their ratings against the
    fixed item codes ``g(V r_i + mu)``: ``_fold_in_steps`` full-batch Adam
    steps on the same squared error plus ``reg / 2 ||W_u||^2``, from the mean
    decoder row (a known user starts from their own). It is deterministic.

    References
    ----------
    .. [1] S. Sedhain, A. K. Menon, S. Sanner and L. Xie, "AutoRec:
       Autoencoders Meet Collaborative Filtering", WWW 2015.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import AutoRec
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> X = data.X[["user", "item"]]
    >>> model = AutoRec(n_factors=16, max_iter=10, device="cpu", random_state=0).fit(X, data.y)
    >>> model.predict(X.head(3)).shape
    (3,)
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'batch_size': (
            'Encoded vectors (items or users) per mini-batch.'
        ),
        'early_stopping': (
            'Hold out ``validation_fraction`` of the ratings of each encoded vector and '
            'monitor their squared error.'
        ),
    }

    _feedback = "explicit"
    _observed_masks = True
    _fold_in_steps = 200
    _fold_in_lr = 0.05
    _parameter_constraints: dict = {
        **UserRowRecommender._parameter_constraints,
        "kind": [StrOptions({"item", "user"})],
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_activation": [StrOptions(set(ACTIVATIONS))],
        "output_activation": [StrOptions(set(ACTIVATIONS))],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "duplicates": [StrOptions({"mean", "last", "first", "sum", "error"})],
    }

    def __init__(self, kind="item", n_factors=500, *, hidden_activation="sigmoid",
                 output_activation="identity", reg=300.0, duplicates="mean", max_iter=40,
                 batch_size=64, lr=3e-3, weight_decay=0.0, optimizer="adam",
                 lr_schedule="linear", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.kind = kind
        self.n_factors = n_factors
        self.hidden_activation = hidden_activation
        self.output_activation = output_activation
        self.reg = reg
        self.duplicates = duplicates
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

    # ---------------------------------------------------------- training
    def _row_matrix(self, matrix):
        return sp.csr_array(matrix.T) if self.kind == "item" else matrix

    def _prepare_fit(self, data):
        self._y_range = (float(np.min(data.y)), float(np.max(data.y)))
        self._n_rows = data.n_items if self.kind == "item" else data.n_users

    def _build_module(self, data):
        n_in = data.n_users if self.kind == "item" else data.n_items
        return AutoRecModule(n_in, self.n_factors, self.hidden_activation,
                             self.output_activation)

    def _batch_loss(self, module, batch):
        pred, pen = module(batch["x"])
        err = ((pred - batch["target"]) ** 2 * batch["target_mask"]).sum() / len(pred)
        return err + 0.5 * self.reg * pen / self._n_rows

    def _after_fit(self, data):
        super()._after_fit(data)
        self._item_codes = None
        if self.kind == "item":
            self._item_codes = self._encode_items()

    def _encode_items(self):
        """Hidden codes ``g(V r_i + mu)`` of every item's training column, (n_items, k)."""
        module = self.module_
        module.eval()
        matrix = sp.csr_array(self.seen_.T)
        csr = _CSRTensors(matrix, self.device_)
        step = self._scoring_batch_size(matrix.shape[1])
        parts = []
        with torch.no_grad():
            for start in range(0, matrix.shape[0], step):
                idx = torch.arange(start, min(start + step, matrix.shape[0]),
                                   device=self.device_)
                parts.append(module.encode(dense_rows(csr, idx)))
        return torch.cat(parts, 0)

    # ---------------------------------------------------------- scoring
    def _score_context(self, module, context, item_idx, dtype):
        if self.kind == "user":
            return super()._score_context(module, context, item_idx, dtype)
        module.eval()
        codes_z = self._item_codes.to(device=self.device_, dtype=dtype)
        W = module.decoder.weight.detach().to(dtype)  # (n_users, k)
        b = module.decoder.bias.detach().to(dtype)
        known = context.known & ~context.extended
        w = W.new_empty((len(context), W.shape[1]))
        bias = b.new_empty(len(context))
        rows = np.flatnonzero(known)
        if len(rows):
            c = torch.as_tensor(context.codes[rows], device=self.device_)
            w[torch.as_tensor(rows, device=self.device_)] = W[c]
            bias[torch.as_tensor(rows, device=self.device_)] = b[c]
        fold = np.flatnonzero(~known)
        if len(fold):
            fw, fb = self._fold_in_rows(context[fold], codes_z, W, b)
            w[torch.as_tensor(fold, device=self.device_)] = fw
            bias[torch.as_tensor(fold, device=self.device_)] = fb
        if item_idx is not None:
            codes_z = codes_z[torch.as_tensor(np.asarray(item_idx), device=self.device_)]
        act = ACTIVATIONS[self.output_activation]
        with torch.no_grad():
            return act(w @ codes_z.T + bias[:, None])

    def _fold_in_rows(self, context, codes_z, W, b):
        """Decoder rows ``(w_u, b_u)`` fitted to the users' ratings H(u) (I-AutoRec fold-in)."""
        matrix = sp.csr_array(context.matrix)
        csr = _CSRTensors(matrix, self.device_)
        idx = torch.arange(matrix.shape[0], device=self.device_)
        r = dense_rows(csr, idx)
        mask = dense_rows(csr, idx, values=False)
        known = torch.as_tensor(context.known, device=self.device_)
        codes = torch.as_tensor(np.maximum(context.codes, 0), device=self.device_)
        w = W.mean(0, keepdim=True).expand(len(idx), -1).clone()
        bias = b.mean().expand(len(idx)).clone()
        w[known] = W[codes[known]]
        bias[known] = b[codes[known]]
        w.requires_grad_(True)
        bias.requires_grad_(True)
        act = ACTIVATIONS[self.output_activation]
        opt = torch.optim.Adam([w, bias], lr=self._fold_in_lr)
        with torch.enable_grad():
            for _ in range(self._fold_in_steps):
                pred = act(w @ codes_z.T + bias[:, None])
                loss = (((pred - r) ** 2) * mask).sum() + 0.5 * self.reg * (w**2).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        return w.detach(), bias.detach()

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        return np.clip(super()._predict_pairs(user_idx, item_idx, features, timestamp),
                       *self._y_range)
