"""The shared training engine of every torch recommender.

:class:`TorchRecommender` owns the one training loop of skrec (mini-batches,
optimizer, seeding, early stopping on a per-user holdout, best-weights
restore, ``history_``, progress bar), pickling with CPU weights, catalog
scoring in user batches and a generic gradient fold-in. A model supplies its
maths through small hooks:

``_build_module(data) -> nn.Module``
    the private module (see :mod:`skrec.factorization._modules`), stored as
    ``module_``;
``_batch_loss(module, batch) -> scalar tensor``
    the loss of one mini-batch. It may read parameters **only by calling
    ``module(...)``**, so that a wrapper can call it on other parameters
    through :func:`torch.func.functional_call` (see :class:`FunctionalModule`),
    as the MAML wrapper does;
``_training_rows(data) -> dict of arrays`` (optional)
    one entry per training example (default: the interaction rows);
``_make_batches(rows, generator)`` (optional)
    an iterator of batch dicts (default: shuffled slices of the rows);
``_prepare_batch(batch, generator)`` (optional)
    randomness added to a batch outside the loss (negative samples,
    reparameterization noise), drawn from the local generator;
``_train_step(module, batch, optimizer) -> loss`` (optional)
    one optimizer step (default: backward and step); override for gradient
    clipping, annealing keyed on ``self.global_step_``, or a meta-learning
    outer step;
``_prepare_fit(data)`` (optional)
    fitted set-up that ``_batch_loss`` reads (samplers, feature tables).

A wrapper (the MAML meta-estimator) gets a module whose loss it can compute
with :meth:`TorchRecommender._init_module`, which runs ``_prepare_fit`` and
``_build_module``. The input-shaped bases (:mod:`skrec._torch._pairs`,
:mod:`skrec._torch._rows`, :mod:`skrec._torch._sequences`) supply batching,
holdout, catalog scoring and fold-in for their kind of input.

Modules used with the default scoring follow one protocol:
``module(user, item=None, **extras)`` returns ``(scores, penalty)``, scores of
the (user, item) pairs, or of the whole catalog ``(n_users, n_items)`` when
``item`` is None. User-specific parameters are listed by name in the
estimator's ``_user_param_names`` so that fold-in and meta-learning can
replace them.
"""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import torch

from ..base import BaseRecommender, RecommenderTags
from ..utils._compat import Interval, StrOptions
from ..utils._torch import resolve_device, seed_from_random_state
from ._docs import fill_engine_doc
from ._sampling import user_holdout_mask
from ._state import TorchStateMixin

#: A training loss whose magnitude grows past this factor of the first
#: epoch's (or of 1) is taken as divergence.
DIVERGENCE_FACTOR = 1e4

__all__ = ["FunctionalModule", "TorchRecommender"]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "adagrad": torch.optim.Adagrad,
    "sparse_adam": torch.optim.SparseAdam,
}


# --------------------------------------------------------------- helpers
class FunctionalModule:
    """Call a module with other parameters, through :func:`torch.func.functional_call`.

    ``FunctionalModule(module, params)(*args)`` is ``module(*args)`` with the
    tensors of ``params`` (a ``{name: tensor}`` dict, possibly partial) in
    place of the module's own. Non-tensor attributes are read from the
    module. Pass it to an estimator's ``_batch_loss`` to evaluate the loss at
    other parameters (fold-in, MAML inner steps).

    Parameters
    ----------
    module : torch.nn.Module
    params : dict of str to torch.Tensor

    Examples
    --------
    >>> import torch
    >>> from skrec._torch._engine import FunctionalModule
    >>> lin = torch.nn.Linear(2, 1, bias=False)
    >>> f = FunctionalModule(lin, {"weight": torch.tensor([[1.0, 2.0]])})
    >>> f(torch.tensor([[3.0, 4.0]]))
    tensor([[11.]])
    >>> f.in_features
    2
    """

    def __init__(self, module, params):
        self.module = module
        self.params = params

    def __call__(self, *args, **kwargs):
        return torch.func.functional_call(self.module, self.params, args, kwargs, strict=False)

    def __getattr__(self, name):
        if name in ("module", "params"):  # not set yet (copy, unpickling)
            raise AttributeError(name)
        return getattr(self.module, name)


def _to_tensors(rows, device):
    out = {}
    for key, value in rows.items():
        if isinstance(value, torch.Tensor):
            out[key] = value.to(device)
            continue
        arr = np.asarray(value)
        dtype = torch.long if np.issubdtype(arr.dtype, np.integer) else torch.float32
        out[key] = torch.as_tensor(arr, dtype=dtype, device=device)
    return out


def _batch_len(batch):
    return int(next(iter(batch.values())).shape[0])


# ---------------------------------------------------------------- engine
@fill_engine_doc
class TorchRecommender(TorchStateMixin, BaseRecommender):
    """Base class of the torch recommenders: the common parameters and the loop.

    Not used directly: subclasses define the model through the hooks listed
    in the module docstring and add their own parameters to
    ``_parameter_constraints``.

    Parameters
    ----------
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network, on ``device_``.
    device_ : torch.device
    history_ : list of dict
        One dict per epoch: ``epoch``, ``train_loss``, ``val_loss`` (None
        without early stopping), ``time`` (seconds).
    n_iter_ : int
        Epochs run (accumulated over warm-started fits).
    best_epoch_ : int
        Epoch whose weights were kept (the last one without early stopping).
    """

    _parameter_constraints: dict = {
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "lr_schedule": [StrOptions({"constant", "linear"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Names of user-specific parameters (rows indexed by internal user code).
    _user_param_names: tuple = ()
    #: Adam steps and learning rate of the generic gradient fold-in.
    _fold_in_steps = 100
    _fold_in_lr = 0.05

    # ------------------------------------------------------------ tags
    def __skrec_tags__(self):
        return RecommenderTags(torch=True)

    # ----------------------------------------------------------- hooks
    def _build_module(self, data):  # pragma: no cover - abstract
        raise NotImplementedError

    def _batch_loss(self, module, batch):  # pragma: no cover - abstract
        raise NotImplementedError

    def _training_rows(self, data):
        """Per-example arrays for the loop (default: the interaction rows)."""
        rows = {"user": data.user, "item": data.item}
        if data.y is not None:
            rows["y"] = data.y
        if data.sample_weight is not None:
            rows["weight"] = data.sample_weight
        return rows

    def _make_batches(self, rows, generator):
        """Shuffled mini-batches of ``rows`` (a dict of tensors on ``device_``)."""
        n = _batch_len(rows)
        perm = torch.randperm(n, generator=generator, device=generator.device)
        perm = perm.to(self.device_)
        for start in range(0, n, self.batch_size):
            idx = perm[start : start + self.batch_size]
            yield {k: v[idx] for k, v in rows.items()}

    def _prepare_batch(self, batch, generator):
        """Add random inputs (negatives, noise) to a batch; default: none."""
        return batch

    def _split_holdout(self, rows, rng):
        """(train rows, validation rows): a per-user holdout of the rows."""
        val = user_holdout_mask(rows["user"], self.validation_fraction, rng)
        if not val.any():
            raise ValueError(
                f"early_stopping=True but validation_fraction={self.validation_fraction} holds "
                "out no row (every user has a single interaction or too few); raise "
                "validation_fraction or set early_stopping=False."
            )
        return ({k: np.asarray(v)[~val] for k, v in rows.items()},
                {k: np.asarray(v)[val] for k, v in rows.items()})

    def _prepare_fit(self, data):
        """Called first in fit, after ``device_`` is set (fitted arrays, samplers)."""

    def _after_fit(self, data):
        """Called once after training (e.g. to expose factors as arrays)."""

    def _fit_snapshot(self):
        # A warm start trains module_ in place: keep a copy for an interrupted fit.
        if getattr(self, "warm_start", False) and hasattr(self, "module_"):
            return {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
        return None

    def _fit_restore(self, snapshot):
        if snapshot is not None and hasattr(self, "module_"):
            self.module_.load_state_dict(snapshot)
            self.module_.to(self.device_)

    # ------------------------------------------------------------ loop
    def _seed_and_device(self):
        self.device_ = resolve_device(self.device)
        return seed_from_random_state(self.random_state)

    def _init_module(self, data):
        """Fitted set-up and a fresh module on ``device_``: enough to compute a loss.

        Runs ``_prepare_fit(data)`` then ``_build_module(data)``. A wrapper
        (e.g. MAML) calls it after setting ``device_`` and then evaluates
        ``_batch_loss`` on batches of ``_training_rows(data)``.
        """
        if not hasattr(self, "device_"):
            self.device_ = resolve_device(self.device)
        self._prepare_fit(data)
        return self._build_module(data).to(self.device_)

    def _fit(self, data):
        seed = self._seed_and_device()
        device = self.device_
        np_rng = np.random.RandomState(seed % (2**32))
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)

        warm = self._can_warm_start()
        fork_devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)  # only inside the fork: module init, dropout
            if warm:  # trained in place; fit() restores it on failure (_fit_snapshot)
                self._prepare_fit(data)
                module = self.module_
            else:
                module = self._init_module(data)
            rows = self._training_rows(data)
            val_rows = None
            if self.early_stopping:
                rows, val_rows = self._split_holdout(rows, np_rng)
            rows = _to_tensors(rows, device)
            val_batches = None
            if val_rows is not None:
                # Drawn once (negatives included), so epochs are compared on the same data.
                val_batches = [
                    self._prepare_batch(batch, generator)
                    for batch in self._make_batches(_to_tensors(val_rows, device), generator)
                ]
            self._train(module, rows, val_batches, generator, warm)
        self.module_ = module
        self._fitted_ids = (self.user_ids_.copy(), self.item_ids_.copy())
        self._after_fit(data)
        return self

    def _can_warm_start(self):
        if not self.warm_start or not hasattr(self, "module_"):
            return False
        prev = getattr(self, "_fitted_ids", None)
        same = (
            prev is not None
            and len(prev[0]) == len(self.user_ids_)
            and len(prev[1]) == len(self.item_ids_)
            and np.array_equal(prev[0], self.user_ids_)
            and np.array_equal(prev[1], self.item_ids_)
        )
        if not same:
            warnings.warn(
                "warm_start=True but the users or items differ from the previous fit; "
                "training a new model from scratch.",
                UserWarning,
            )
            return False
        self.module_.to(self.device_)
        return True

    def _make_optimizer(self, module):
        """The optimizer; Adam and AdamW in their fused form where torch has one.

        The fused step (one kernel over every parameter) is several times
        faster on the CPU for the many small steps over dense embedding
        gradients; the update is the same algorithm. ``"sparse_adam"``
        (torch's lazy Adam) makes every embedding table's gradient sparse
        and updates, at each step, only the rows the batch uses: an epoch
        then costs O(interactions), not O(steps x table size).
        """
        cls = _OPTIMIZERS[self.optimizer]
        if self.optimizer == "sparse_adam":
            return self._sparse_optimizer(module)
        for table in module.modules():  # dense gradients (a warm start after sparse_adam)
            if isinstance(table, torch.nn.Embedding):
                table.sparse = False
        if self.optimizer in ("adam", "adamw"):
            try:
                return cls(module.parameters(), lr=self.lr, weight_decay=self.weight_decay,
                           fused=True)
            except (RuntimeError, TypeError, ValueError):  # no fused kernel here
                pass
        return cls(module.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def _sparse_optimizer(self, module):
        """torch's SparseAdam over a module made only of embedding tables."""
        name = type(self).__name__
        if self.weight_decay:
            raise ValueError(
                f"optimizer='sparse_adam' has no weight decay (it updates only the rows a "
                f"batch uses), but weight_decay={self.weight_decay!r}; set weight_decay=0 and "
                f"use reg, or optimizer='adam'."
            )
        tables = [m for m in module.modules() if isinstance(m, torch.nn.Embedding)]
        in_tables = {id(m.weight) for m in tables}
        dense = [n for n, p in module.named_parameters() if id(p) not in in_tables]
        if dense or not tables:
            raise ValueError(
                f"optimizer='sparse_adam' trains embedding tables only, but {name}'s module "
                f"also has the dense parameters {dense[:3]}; use optimizer='adam'."
            )
        for table in tables:
            table.sparse = True  # lookups now give sparse gradients
        return torch.optim.SparseAdam(list(module.parameters()), lr=self.lr)

    def _make_scheduler(self, optimizer):
        """A per-epoch learning-rate scheduler, or None.

        Reads the model's ``lr_schedule`` parameter when it has one:
        ``"linear"`` decays the rate linearly from ``lr`` to ``lr / max_iter``
        over the epochs of one ``fit``; ``"constant"`` keeps it.
        """
        schedule = getattr(self, "lr_schedule", "constant")
        if schedule == "linear":
            n = self.max_iter
            return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: max(0.0, 1.0 - e / n))
        return None

    def _train(self, module, rows, val_batches, generator, warm):
        opt = self._make_optimizer(module)
        scheduler = self._make_scheduler(opt)
        if not warm or not hasattr(self, "history_"):
            self.history_ = []
            self.n_iter_ = 0
            self.global_step_ = 0
        else:  # a copy, so that a failed warm start leaves the old history untouched
            self.history_ = list(self.history_)
        first_loss = None
        monitor_val = val_batches is not None
        best = np.inf
        best_state = None
        best_epoch = self.n_iter_
        stall = 0
        epochs = range(self.max_iter)
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(epochs, desc=type(self).__name__, unit="epoch")
            epochs = bar
        try:
            for _ in epochs:
                t0 = time.perf_counter()
                module.train()
                total = torch.zeros((), dtype=torch.float64, device=self.device_)
                count = 0
                for batch in self._make_batches(rows, generator):
                    batch = self._prepare_batch(batch, generator)
                    loss = self._train_step(module, batch, opt)
                    self.global_step_ = getattr(self, "global_step_", 0) + 1
                    n_b = _batch_len(batch)
                    total += loss.detach().double() * n_b
                    count += n_b
                if scheduler is not None:
                    scheduler.step()
                train_loss = float(total) / max(count, 1)
                self._check_finite(train_loss, "training")
                if first_loss is None:
                    first_loss = train_loss
                self._check_divergence(train_loss, first_loss)
                val_loss = None
                if monitor_val:
                    val_loss = self._validation_loss(module, val_batches)
                    self._check_finite(val_loss, "validation")
                self.n_iter_ += 1
                self.history_.append(
                    {"epoch": self.n_iter_, "train_loss": train_loss, "val_loss": val_loss,
                     "time": time.perf_counter() - t0}
                )
                if bar is not None:
                    bar.set_postfix(train_loss=f"{train_loss:.4g}",
                                    **({} if val_loss is None else {"val_loss": f"{val_loss:.4g}"}))
                current = val_loss if monitor_val else train_loss
                if current < best - self.tol:
                    stall = 0
                else:
                    stall += 1
                if current < best:
                    best = current
                    best_epoch = self.n_iter_
                    if monitor_val:
                        best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
                if stall >= self.n_iter_no_change:
                    break
        finally:
            if bar is not None:
                bar.close()
        if monitor_val and best_state is not None:
            module.load_state_dict(best_state)
        else:
            best_epoch = self.n_iter_
        self.best_epoch_ = best_epoch
        module.eval()

    def _train_step(self, module, batch, optimizer):
        """One optimizer step on ``batch``; returns the (detached) loss.

        Override for gradient clipping, schedules keyed on
        ``self.global_step_`` (optimizer steps so far, counted across
        warm-started fits), or a meta-learning outer step.
        """
        loss = self._batch_loss(module, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.detach()

    def _check_divergence(self, loss, first):
        if abs(loss) > DIVERGENCE_FACTOR * max(abs(first), 1.0):
            raise FloatingPointError(
                f"The training loss of {type(self).__name__} grew from {first:.4g} to "
                f"{loss:.4g} at epoch {getattr(self, 'n_iter_', 0) + 1} (more than "
                f"{DIVERGENCE_FACTOR:g} times): the optimisation diverged. Use a lower "
                f"learning rate (lr={self.lr} now) or a larger reg."
            )

    def _validation_loss(self, module, batches):
        module.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in batches:
                n_b = _batch_len(batch)
                total += float(self._batch_loss(module, batch)) * n_b
                count += n_b
        return total / max(count, 1)

    def _check_finite(self, value, what):
        if not np.isfinite(value):
            raise FloatingPointError(
                f"The {what} loss of {type(self).__name__} became {value} at epoch "
                f"{getattr(self, 'n_iter_', 0) + 1}: the optimisation diverged. Use a lower "
                f"learning rate (lr={self.lr} now), a larger reg, or standardise the targets."
            )
