"""The pairwise base: models trained on (user, item[, features]) rows.

:class:`PairwiseRecommender` owns what every model of (user, item) pairs
shares: the pointwise and pairwise losses, sampled negatives, explicit,
implicit and binary feedback, catalog scoring in user and item chunks, a
direct ``predict`` on pairs and the fold-in of users whose context differs
from training (unknown users, or known users with extra ``history``).

Its modules follow one protocol: ``module(user, item=None, **extras)``
returns ``(scores, penalty)``:

- ``item`` of shape ``(n,)`` scores the pairs ``(user[r], item[r])``;
- ``item`` of shape ``(n, m)`` scores ``m`` items per row (a positive and its
  sampled negatives, or a chunk of the catalog);
- ``item=None`` (only when the module sets ``scores_catalog = True``) scores
  the whole catalog for each user at once, ``(n, n_items)``; the penalty is
  then None.

``penalty`` has one value per row (squared norms of the parameter rows the
score used), so that ``reg * penalty.mean()`` is the per-interaction L2
penalty of Funk-style SGD. User-specific parameters are named in the
estimator's ``_user_param_names`` (rows indexed by user code), so that
fold-in and meta-learning can replace them.

A subclass sets the parameters ``loss`` (``"mse"``, ``"bce"`` or ``"bpr"``),
``reg``, ``n_negatives`` and ``sampler`` (as ``__init__`` arguments or
class attributes), and writes ``_build_module``.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from ..base import RecommenderTags
from ..utils._compat import Interval, StrOptions
from ..utils._torch import seed_from_random_state
from ._engine import FunctionalModule, TorchRecommender, _to_tensors
from ._sampling import NegativeSampler

__all__ = ["PairwiseRecommender"]

#: Losses of the pairwise base.
LOSSES = ("mse", "bce", "bpr")
#: Upper bound on the scores (x hidden width) computed per chunk at scoring time.
_SCORES_PER_CHUNK = 2**21


def _len(batch):
    return int(next(iter(batch.values())).shape[0])


class PairwiseRecommender(TorchRecommender):
    """Base of the torch models trained on (user, item) rows.

    Parameters come from the subclass: ``loss``, ``reg``, ``n_negatives``,
    ``sampler`` and the engine's (see :class:`TorchRecommender`).
    """

    _parameter_constraints: dict = {
        **TorchRecommender._parameter_constraints,
        "n_negatives": [Interval(numbers.Integral, 1, None, closed="left")],
        "sampler": [StrOptions({"uniform", "popularity"})],
    }
    #: Batch keys passed on to the module as keyword inputs.
    _module_inputs: tuple = ()
    #: Feedback of the model when ``loss`` does not decide it (a binary CTR model).
    _feedback: str | None = None

    # ------------------------------------------------------------ tags
    def _explicit(self):
        return self._feedback_kind() == "explicit"

    def _feedback_kind(self):
        if self._feedback is not None:
            return self._feedback
        return "explicit" if getattr(self, "loss", "bce") == "mse" else "implicit"

    def __skrec_tags__(self):
        return RecommenderTags(feedback=self._feedback_kind(), fold_in=True, torch=True)

    def _duplicates_policy(self):
        return getattr(self, "duplicates", "mean") if self._explicit() else "keep"

    # ---------------------------------------------------------- training
    def _prepare_fit(self, data):
        kind = self._feedback_kind()
        if kind == "explicit":
            self._y_range = (float(np.min(data.y)), float(np.max(data.y)))
        self._sampler = None
        if kind == "implicit":
            positives = data.item
            self._sampler = NegativeSampler(
                data.n_items, self.sampler, counts=np.bincount(positives, minlength=data.n_items),
                device=self.device_,
            )

    def _prepare_batch(self, batch, generator):
        if self._sampler is not None:
            batch["neg"] = self._sampler.sample((_len(batch), self.n_negatives), generator)
        return batch

    def _module_kwargs(self, batch):
        return {k: batch[k] for k in self._module_inputs if k in batch}

    def _batch_loss(self, module, batch):
        weight = batch.get("weight")
        kind = self._feedback_kind()
        if kind in ("explicit", "binary"):
            scores, pen = module(batch["user"], batch["item"], **self._module_kwargs(batch))
            if kind == "explicit":
                per_row = (scores - batch["y"]) ** 2
            else:  # labels: 1 a positive, 0 an observed negative
                per_row = F.binary_cross_entropy_with_logits(scores, batch["y"], reduction="none")
        else:
            items = torch.cat([batch["item"][:, None], batch["neg"]], dim=1)
            scores, pen = module(batch["user"], items, **self._module_kwargs(batch))
            if self.loss == "bpr":
                per_row = F.softplus(-(scores[:, :1] - scores[:, 1:])).mean(1)
            else:
                per_row = F.softplus(-scores[:, 0]) + F.softplus(scores[:, 1:]).sum(1)
            if "y" in batch:  # implicit confidence
                weight = batch["y"] if weight is None else weight * batch["y"]
        if weight is None:
            data_loss = per_row.mean()
        else:
            data_loss = (per_row * weight).sum() / weight.sum().clamp_min(1e-12)
        if pen is None:
            return data_loss
        return data_loss + self._penalty_weight() * pen.mean()

    def _penalty_weight(self):
        return self.reg

    # ---------------------------------------------------------- scoring
    def _forward_extras(self, context):
        """Extra keyword inputs of ``module(user, item, ...)`` for a context's users."""
        return {}

    def _catalog(self, module, users, item_idx, extras):
        """Scores (n_users, n_candidates) of ``module`` for user codes ``users``.

        One call when the module scores the catalog at once; otherwise items
        in chunks of ``(n_users, m)`` pairs, so no (users x items x hidden)
        activation is held beyond the chunk size.
        """
        n_items = self.n_items_ if item_idx is None else len(item_idx)
        if getattr(module, "scores_catalog", False):
            scores, _ = module(users, None, **extras)
            if item_idx is not None:
                scores = scores[:, torch.as_tensor(item_idx, device=scores.device)]
            return scores
        items = (torch.arange(self.n_items_, device=self.device_) if item_idx is None
                 else torch.as_tensor(item_idx, device=self.device_))
        width = max(1, _SCORES_PER_CHUNK // max(len(users) * getattr(module, "hidden_width", 1),
                                                 1))
        parts = []
        for start in range(0, n_items, width):
            chunk = items[start:start + width]
            block = chunk.unsqueeze(0).expand(len(users), -1)
            scores, _ = module(users, block, **extras)
            parts.append(scores)
        return torch.cat(parts, dim=1)

    def _history_rows(self, context):
        """Training-like rows of a batch of users' contexts (user = row position)."""
        coo = context.matrix.tocoo()
        rows = {"user": coo.row.astype(np.int64), "item": coo.col.astype(np.int64)}
        if self._feedback_kind() == "explicit":
            rows["y"] = coo.data.astype(np.float64)
        return rows

    def _fold_in_params(self, context):
        """User parameters for the users of ``context`` from their H(u) (gradient fold-in).

        Each listed user parameter starts from the user's trained row (known
        users with extra history) or from the mean of the trained rows (a
        shared initialisation, for users unseen at fit), then takes
        ``_fold_in_steps`` Adam steps on the model's own loss over H(u), item
        parameters fixed. Deterministic: its randomness comes from a
        generator seeded by ``random_state``.
        """
        module = self.module_
        params = dict(module.named_parameters())
        known = torch.as_tensor(context.known, device=self.device_)
        codes = torch.as_tensor(np.maximum(context.codes, 0), device=self.device_)
        new = {}
        for name in self._user_param_names:
            table = params[name].detach()
            start = table.mean(0, keepdim=True).expand(len(context), *table.shape[1:]).clone()
            start[known] = table[codes[known]]
            new[name] = start.requires_grad_(True)
        history = self._history_rows(context)
        if len(history["user"]) == 0:  # users described by features only: the shared start
            return {k: v.detach() for k, v in new.items()}
        rows = _to_tensors(history, self.device_)
        generator = torch.Generator(device=self.device_)
        rs = self.random_state
        generator.manual_seed(seed_from_random_state(rs) if isinstance(rs, numbers.Integral) else 0)
        opt = torch.optim.Adam(list(new.values()), lr=self._fold_in_lr)
        func = FunctionalModule(module, new)
        was_training = module.training
        module.eval()
        with torch.enable_grad():
            for _ in range(self._fold_in_steps):
                batch = self._prepare_batch(dict(rows), generator)
                loss = self._batch_loss(func, batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        module.train(was_training)
        return {k: v.detach() for k, v in new.items()}

    def _score_items(self, context, item_idx):
        check_is_fitted(self, "module_")
        module = self.module_
        module.eval()
        refold = context.extended
        with torch.no_grad():
            users = torch.as_tensor(np.maximum(context.codes, 0), device=self.device_)
            scores = self._catalog(module, users, item_idx, self._forward_extras(context))
            if refold.any():
                rows = np.flatnonzero(refold)
                sub = context[rows]
                new = self._fold_in_params(sub)
                pos = torch.arange(len(rows), device=self.device_)
                part = self._catalog(FunctionalModule(module, new), pos, item_idx,
                                     self._forward_extras(sub))
                scores[torch.as_tensor(rows, device=self.device_)] = part
        return scores

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        check_is_fitted(self, "module_")
        module = self.module_
        module.eval()
        out = np.empty(len(user_idx), dtype=np.float64)
        step = 1 << 16
        with torch.no_grad():
            for s in range(0, len(user_idx), step):
                u = np.asarray(user_idx[s : s + step], dtype=np.int64)
                i = np.asarray(item_idx[s : s + step], dtype=np.int64)
                extras = self._pair_extras(u, i, features, timestamp, s)
                pred, _ = module(torch.as_tensor(u, device=self.device_),
                                 torch.as_tensor(i, device=self.device_), **extras)
                out[s : s + len(u)] = pred.double().cpu().numpy()
        return self._postprocess_predictions(out)

    def _pair_extras(self, user_idx, item_idx, features, timestamp, offset):
        """Extra keyword inputs of ``module(user, item, ...)`` at predict time.

        ``features`` and ``timestamp`` are aligned with the whole request;
        this chunk starts at row ``offset``.
        """
        return {}

    def _postprocess_predictions(self, pred):
        if self._explicit():  # ratings beyond the training range only add error
            return np.clip(pred, *self._y_range)
        return pred
