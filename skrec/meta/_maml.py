"""MAML around a torch recommender: the MetaRec models (MAMLRecommender).

Each training user is a task. An episode draws, for a meta-batch of users,
a support set and a query set of each user's rows; the inner loop adapts the
task parameters from a learned initialization on the support set, the outer
loop updates the shared parameters (and the initialization) on the query
loss of the adapted parameters.

The inner loop of a meta-batch is one batched computation (no loop over
users) when only user parameters are adapted (``adapt="user"``): every user
of the batch gets their own row of a ``(B, ...)`` user table, all starting
from the learned initialization row. A user's loss depends only on their own
row, so one gradient of the sum of the per-user losses is every user's own
inner gradient. To make the sum exact, every user contributes the same
number of rows to a batch (their rows repeated in turn), weighted so that
each user's data loss is the mean over their distinct rows and the
per-interaction L2 penalty on their row is the one they would have alone.

The wrapped estimator supplies its maths through the engine's hooks (see
:mod:`skrec._torch._engine`): ``_init_module``, ``_training_rows`` (rows
with a ``user`` entry), ``_prepare_batch``, ``_batch_loss`` (which reads
parameters only through ``module(...)``), ``_history_rows(context)`` (H(u)
as training-like rows, ``user`` = position in the context),
``_forward_extras(context)``, ``_catalog(module, users, item_idx, extras)``
and ``_user_param_names``. Two optional hooks serve models whose training
rows are not interactions (the autoencoders of user rows, see
:mod:`skrec._torch._rows`): ``_task_rows(data)``, the per-interaction rows
that tasks draw their support and query from (default: ``_training_rows``),
and ``_meta_query(support, query)``, which builds a task's query batch from
both prepared batches (an autoencoder encodes the support row and
reconstructs the query items).
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import replace

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._torch._engine import FunctionalModule, TorchRecommender, _to_tensors
from .._torch._state import TorchStateMixin
from ..base import BaseRecommender, RecommenderTags
from ..utils._compat import Interval, StrOptions
from ..utils._torch import resolve_device, seed_from_random_state

__all__ = ["MAMLRecommender"]

#: Upper bound on the (user, row) slots adapted at once at scoring time.
_SLOTS_PER_CHUNK = 2**16
#: Attributes of the fitted wrapper that the inner estimator's hooks read.
_SHARED_STATE = ("user_ids_", "item_ids_", "_user_index", "_item_index", "n_users_", "n_items_",
                 "seen_", "item_popularity_", "global_mean_", "_train_rows_",
                 "n_features_in_", "feature_names_in_", "device_")


def _key(name):
    """A parameter name as a ParameterDict key (no dots)."""
    return name.replace(".", "__")


class _MetaModule(nn.Module):
    """The wrapped model's module, the learned initialization rows and inner rates.

    ``base`` is the wrapped estimator's module; ``init[name]`` holds the
    starting row ``(1, ...)`` of each user parameter; ``log_lr[name]`` (only
    with learned inner rates, Meta-SGD) one log learning rate per entry of
    each adapted parameter.
    """

    def __init__(self, base, init, log_lr=None):
        super().__init__()
        self.base = base
        self.init = nn.ParameterDict({_key(n): nn.Parameter(t) for n, t in init.items()})
        self.log_lr = None
        if log_lr is not None:
            self.log_lr = nn.ParameterDict({_key(n): nn.Parameter(t) for n, t in log_lr.items()})


def _cycle_slots(starts, counts, length):
    """Row positions and weights of ``length`` slots per owner, cycling over its rows.

    Owner ``b`` has rows ``starts[b] : starts[b] + counts[b]`` (of some
    order array); slot ``j`` takes row ``j mod counts[b]``. The weights make
    each owner's slots sum to 1 with every distinct row weighing the same.
    Returns ``(positions, weights)``, both of shape ``(n_owners, length)``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    j = np.arange(length, dtype=np.int64)[None, :]
    c = np.maximum(counts, 1)[:, None]
    r = j % c
    mult = length // c + (r < length % c)
    return np.asarray(starts, dtype=np.int64)[:, None] + r, 1.0 / (mult * c)


class MAMLRecommender(TorchStateMixin, BaseRecommender):
    """Model-agnostic meta-learning around a torch recommender (MetaRec).

    Wraps a torch recommender (``MF``, ``BPRMF``, ``NCF``, ``CDAE``, ...) and
    trains it with MAML [2]_: every training user is a task whose support
    set (``n_support`` of their rows) adapts the task parameters by
    ``inner_steps`` gradient steps from a learned initialization, and whose
    query set (``n_query`` other rows) scores the adapted parameters; the
    outer loop updates the shared parameters and the initialization by Adam
    on the query loss. Around ``MF(loss="mse")`` this is MetaRec-MF [1]_
    (rating regression, squared error plus the model's L2 penalty); around
    an implicit model it is MetaRec with the model's own implicit loss:
    MetaRec-MLP around ``NCF(model="mlp")`` (log loss on sampled negatives,
    the MLP user embedding adapted) and MetaRec-AE around ``CDAE`` (a task's
    support items form the input row, its support and query items the
    reconstruction target; CDAE's user input node is adapted).

    Every user is scored the same way: their user parameters start from the
    learned initialization and take ``inner_steps`` steps on H(u) (a new
    user's ``history``; a known user's training rows, plus their
    ``history``), so a cold user with a handful of interactions is served
    with the same procedure the model was trained for (as in MeLU [3]_).

    Parameters
    ----------
    estimator : TorchRecommender
        The model to meta-train: a subclass of
        :class:`skrec._torch.TorchRecommender` with the pairwise hooks
        (e.g. ``skrec.factorization.MF``, ``BPRMF``, ``skrec.ncf.NCF``) or
        a user-row autoencoder (``skrec.autoencoders.CDAE``; ``MultDAE``
        and ``MultVAE`` with ``adapt="all"``). It is cloned into
        ``estimator_``; its own ``max_iter``, ``lr``, ``batch_size`` and
        ``device`` are not used (the wrapper's are).
    inner_lr : float or "learned", default=0.5
        Step size of the inner (adaptation) gradient steps. ``"learned"``
        learns one rate per entry of every adapted parameter (Meta-SGD [4]_),
        starting from 0.5.
    inner_steps : int, default=3
        Inner gradient steps, in training and at scoring time. ``0`` scores
        every user from the learned initialization without adaptation (a
        baseline that ignores H(u)).
    meta_batch_size : int, default=32
        Users (tasks) per outer step.
    n_support : int, default=5
        Support rows per task. Users with at most ``n_support`` rows are no
        task (they are skipped in meta-training but still scored from
        their H(u)).
    n_query : int, default=20
        Query rows per task: up to this many of the user's other rows.
    first_order : bool, default=False
        Drop the second-order terms of the meta-gradient (first-order MAML):
        cheaper, usually a little less accurate.
    adapt : {"user", "all"}, default="user"
        ``"user"``: the inner loop adapts only the user-specific parameters
        (the estimator's ``_user_param_names``; MeLU's local update of the
        user part) and one inner loop serves the whole meta-batch at once.
        ``"all"``: it adapts every parameter (MAML proper), one user at a
        time (a loop over the users of a meta-batch, and at scoring time).
        Models without user parameters (MultDAE, MultVAE) need ``"all"``.
    meta_lr : float, default=0.01
        Learning rate of the outer Adam optimizer.
    max_iter : int, default=20
        Meta-epochs: passes over the tasks (each task once per epoch, with
        a freshly drawn support and query set).
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
        Where the wrapped module is trained and scored; resolved into
        ``device_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the module's initialization, the episodes and the negatives;
        the global RNGs are untouched.
    verbose : int, default=0
        Show a progress bar over meta-epochs when positive.

    Attributes
    ----------
    estimator_ : TorchRecommender
        The clone of ``estimator`` holding the fitted set-up its hooks read
        (samplers, feature tables, ids). Its network is ``module_.base``
        (its user table is not trained: every user is adapted from the
        initialization).
    module_ : torch.nn.Module
        ``base`` (the wrapped network), ``init`` (the learned
        initialization row of each user parameter) and ``log_lr`` (learned
        inner rates, or None).
    n_tasks_ : int
        Users with at least ``n_support + 1`` rows (the tasks).
    history_ : list of dict
        Per meta-epoch: ``epoch``, ``train_loss`` (mean query loss after
        adaptation), ``query_loss_start`` (query loss at the
        initialization), ``support_loss_start`` and ``support_loss_end``
        (support loss before and after the inner steps), ``time``.
    n_iter_ : int
    device_ : torch.device
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    skrec.factorization.MF : The MetaRec-MF base model (``loss="mse"``).
    skrec.ncf.NCF : The MetaRec-MLP base model (``model="mlp"``).
    skrec.autoencoders.CDAE : The MetaRec-AE base model.
    skrec.model_selection.ColdStartUserSplit : Folds of unseen users.

    Notes
    -----
    The inner step is ``phi = theta - inner_lr * grad L_support(theta)``,
    computed with :func:`torch.func.functional_call` and
    :func:`torch.autograd.grad` (``create_graph=not first_order``); each
    user's inner loss is the wrapped model's own loss over their support
    rows (for MF: the mean squared error plus ``reg`` times the squared
    norms of the rows used).

    With ``adapt="user"`` the users of a meta-batch (and of a scoring
    batch) are vectorized by giving each its own row of a ``(B, ...)`` user
    table; :func:`torch.func.vmap` is not used, since the models' losses
    call data-dependent operations (``torch.unique``). At scoring time a
    user's rows are cycled to the length of the longest H(u) of their chunk
    (users are sorted by length), with weights that keep their loss exact.

    The wrapped model's user table is never trained: known users are also
    adapted from the initialization on their training rows. Scoring costs
    ``inner_steps`` forward and backward passes over H(u).

    References
    ----------
    .. [1] J. Le, "MetaRec: Meta-Learning Meets Recommendation Systems",
       Master's thesis, Rochester Institute of Technology, 2020.
    .. [2] C. Finn, P. Abbeel and S. Levine, "Model-Agnostic Meta-Learning
       for Fast Adaptation of Deep Networks", ICML 2017.
    .. [3] H. Lee, J. Im, S. Jang, H. Cho and S. Chung, "MeLU: Meta-Learned
       User Preference Estimator for Cold-Start Recommendation", KDD 2019.
    .. [4] Z. Li, F. Zhou, F. Chen and H. Li, "Meta-SGD: Learning to Learn
       Quickly for Few-Shot Learning", arXiv:1707.09835, 2017.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.datasets import make_interactions
    >>> from skrec.factorization import MF
    >>> from skrec.meta import MAMLRecommender
    >>> data = make_interactions(n_users=60, n_items=30, n_interactions=900, random_state=0)
    >>> X, y = data.X[["user", "item"]], data.y
    >>> model = MAMLRecommender(MF(n_factors=8), n_support=5, max_iter=5,
    ...                         device="cpu", random_state=0).fit(X, y)
    >>> model.predict(X.head(3)).shape
    (3,)
    >>> history = pd.DataFrame({"user": "new", "item": [0, 1, 2]})
    >>> items, scores = model.recommend(["new"], k=5, history=history,
    ...                                 history_y=[5.0, 4.0, 1.0])
    >>> items.shape
    (1, 5)
    """

    _parameter_constraints: dict = {
        "estimator": "no_validation",
        "inner_lr": [Interval(numbers.Real, 0, None, closed="neither"), StrOptions({"learned"})],
        "inner_steps": [Interval(numbers.Integral, 0, None, closed="left")],
        "meta_batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_support": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_query": [Interval(numbers.Integral, 1, None, closed="left")],
        "first_order": ["boolean"],
        "adapt": [StrOptions({"user", "all"})],
        "meta_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "device": [str, torch.device, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }
    #: Starting value of learned inner rates (``inner_lr="learned"``).
    _learned_lr_start = 0.5

    def __init__(self, estimator, *, inner_lr=0.5, inner_steps=3, meta_batch_size=32,
                 n_support=5, n_query=20, first_order=False, adapt="user", meta_lr=0.01,
                 max_iter=20, device="auto", random_state=None, verbose=0):
        self.estimator = estimator
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.meta_batch_size = meta_batch_size
        self.n_support = n_support
        self.n_query = n_query
        self.first_order = first_order
        self.adapt = adapt
        self.meta_lr = meta_lr
        self.max_iter = max_iter
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ tags
    def __skrec_tags__(self):
        inner = getattr(self.estimator, "__skrec_tags__", None)
        tags = inner() if callable(inner) else RecommenderTags()
        return replace(tags, fold_in=True, torch=True)

    def _duplicates_policy(self):
        inner = getattr(self.estimator, "_duplicates_policy", None)
        return inner() if callable(inner) else "keep"

    # ---------------------------------------------------------- checks
    def _check_estimator(self):
        est = self.estimator
        if not isinstance(est, TorchRecommender):
            raise TypeError(
                f"MAMLRecommender wraps a torch recommender (a subclass of "
                f"skrec._torch.TorchRecommender, e.g. skrec.factorization.MF or BPRMF), but "
                f"estimator is a {type(est).__name__}. Wrap a torch model, e.g. "
                "MAMLRecommender(MF(loss='mse'))."
            )
        missing = [h for h in ("_history_rows", "_catalog", "_forward_extras")
                   if not hasattr(est, h)]
        if missing:
            raise TypeError(
                f"MAMLRecommender needs the scoring hooks {missing} of the wrapped model, which "
                f"{type(est).__name__} lacks; implement them (see skrec._torch._pairs) or wrap a "
                "PairwiseRecommender such as MF."
            )
        if self.adapt == "user" and not tuple(est._user_param_names):
            raise TypeError(
                f"adapt='user' adapts the user-specific parameters, but {type(est).__name__} has "
                "none (its _user_param_names is empty, e.g. an autoencoder that encodes user "
                "rows). Use adapt='all' to adapt every parameter on each user's rows, or list "
                "the model's user parameters in _user_param_names."
            )

    # ------------------------------------------------------------ fit
    def _fit(self, data):
        self._check_estimator()
        self.device_ = resolve_device(self.device)
        seed = seed_from_random_state(self.random_state)
        est = clone(self.estimator)
        for name in _SHARED_STATE:
            if name in self.__dict__:
                setattr(est, name, self.__dict__[name])

        device = self.device_
        generator = torch.Generator(device=device)
        generator.manual_seed(seed)
        np_rng = np.random.RandomState(seed % (2**32))
        fork_devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork_devices):
            torch.manual_seed(seed)  # only inside the fork: the module's initialization
            base = est._init_module(data)
            # A task's rows: the model's training rows, or its own per-interaction
            # rows when it trains on something else (user rows of an autoencoder).
            rows_np = getattr(est, "_task_rows", est._training_rows)(data)
            if "user" not in rows_np:
                raise TypeError(
                    f"{type(est).__name__}._training_rows must give a 'user' entry per row for "
                    "MAMLRecommender to form one task per user."
                )
            user = np.asarray(rows_np["user"], dtype=np.int64)
            counts = np.bincount(user, minlength=data.n_users)
            tasks = np.flatnonzero(counts >= self.n_support + 1)
            if len(tasks) == 0:
                raise ValueError(
                    f"n_support={self.n_support} leaves no task: a user is a task when they "
                    f"have at least n_support + 1 = {self.n_support + 1} rows (a support and a "
                    f"query set), and the most any user has is {int(counts.max())}. Lower "
                    "n_support."
                )
            module = self._build_meta_module(est, base)
            rows = _to_tensors(rows_np, device)
            history = self._meta_train(est, module, rows, user, counts, tasks, np_rng,
                                       generator)
        module.eval()
        self.estimator_ = est
        self.module_ = module
        self.n_tasks_ = len(tasks)
        self.history_ = history
        self.n_iter_ = len(history)
        return self

    def _build_meta_module(self, est, base):
        params = dict(base.named_parameters())
        init = {}
        for name in est._user_param_names:
            if name not in params:
                raise TypeError(
                    f"{type(est).__name__}._user_param_names lists {name!r}, which is not a "
                    f"parameter of its module ({sorted(params)})."
                )
            # A draw from the model's own initialization: a neutral starting row.
            init[name] = params[name].detach()[:1].clone()
        log_lr = None
        if self.inner_lr == "learned":
            start = math.log(self._learned_lr_start)
            log_lr = {n: torch.full_like(self._adapted_shape(params, init, n), start)
                      for n in self._adapted_names(est, params)}
        return _MetaModule(base, init, log_lr).to(self.device_)

    def _adapted_shape(self, params, init, name):
        return init[name] if name in init else params[name].detach()

    def _adapted_names(self, est, params):
        """Names of the parameters the inner loop adapts."""
        user = tuple(est._user_param_names)
        if self.adapt == "user":
            return user
        return user + tuple(n for n in params if n not in user)

    def _outer_parameters(self, est, module):
        """Meta-trained parameters: all but the wrapped model's (unused) user tables."""
        user = set(est._user_param_names)
        out = [p for n, p in module.base.named_parameters() if n not in user]
        out += list(module.init.parameters())
        if module.log_lr is not None:
            out += list(module.log_lr.parameters())
        return out

    # --------------------------------------------------------- batches
    def _gather(self, est, rows, positions, weights):
        """A batch of ``positions`` (n_owners, L) of ``rows``; ``user`` = owner position."""
        n_owners, length = positions.shape
        flat = torch.as_tensor(positions.ravel(), device=self.device_)
        batch = {k: v[flat] for k, v in rows.items() if k != "user"}
        batch["user"] = torch.arange(n_owners, device=self.device_).repeat_interleave(length)
        w = torch.as_tensor(weights.ravel(), dtype=torch.float32, device=self.device_)
        scale = w
        if "weight" in batch:  # sample weights: renormalized within each owner
            scale = scale * batch["weight"]
        if self.__skrec_tags__().feedback == "implicit" and "y" in batch:  # loss multiplies by y
            scale = scale * batch["y"]
        sums = torch.zeros(n_owners, device=self.device_).index_add_(0, batch["user"], scale)
        w = w * (1.0 / sums.clamp_min(1e-12))[batch["user"]]
        if "weight" in batch:
            w = w * batch["weight"]
        batch["weight"] = w
        return batch

    def _episode(self, est, rows, order, starts, counts, users, generator):
        """Support and query batches of ``users`` (codes) for one episode."""
        s, q = self.n_support, self.n_query
        sup_pos = starts[users][:, None] + np.arange(s)[None, :]
        sup_w = np.full(sup_pos.shape, 1.0 / s)
        q_len = np.minimum(q, counts[users] - s)
        q_pos, q_w = _cycle_slots(starts[users] + s, q_len, q)
        support = self._gather(est, rows, order[sup_pos], sup_w)
        query = self._gather(est, rows, order[q_pos], q_w)
        support = est._prepare_batch(support, generator)
        query = est._prepare_batch(query, generator)
        meta_query = getattr(est, "_meta_query", None)
        if meta_query is not None:  # the query is scored given the support (autoencoders)
            query = meta_query(support, query)
        return support, query

    # -------------------------------------------------------- inner loop
    def _lr(self, module, name):
        if module.log_lr is not None:
            return torch.exp(module.log_lr[_key(name)])
        return self.inner_lr

    def _start_params(self, est, module, n_owners, *, detach=False):
        """The inner loop's starting point for ``n_owners`` users (one row each)."""
        start = {}
        for name in est._user_param_names:
            row = module.init[_key(name)]
            row = row.detach() if detach else row
            start[name] = row.expand(n_owners, *row.shape[1:])
        if self.adapt == "all":
            user = set(est._user_param_names)
            for name, p in module.base.named_parameters():
                if name not in user:
                    start[name] = p.detach() if detach else p
        return start

    def _inner_loop(self, est, module, params, support, n_owners, steps, *,
                    create_graph, trace=None):
        """``steps`` gradient steps of the adapted parameters on ``support``."""
        names = list(params)
        if steps and not any(p.requires_grad for p in params.values()):
            params = {n: p.detach().requires_grad_(True) for n, p in params.items()}
        for _ in range(steps):
            loss = est._batch_loss(FunctionalModule(module.base, params), support) * n_owners
            if trace is not None:
                trace.append(float(loss.detach()) / n_owners)
            grads = torch.autograd.grad(loss, [params[n] for n in names],
                                        create_graph=create_graph, allow_unused=True)
            params = {n: params[n] if g is None else params[n] - self._lr(module, n) * g
                      for n, g in zip(names, grads)}
        if trace is not None:
            with torch.no_grad():
                loss = est._batch_loss(FunctionalModule(module.base, params), support)
            trace.append(float(loss))
        return params

    def _meta_loss(self, est, module, support, query, n_owners, stats):
        """Mean query loss of the adapted parameters of the users of one meta-batch."""
        create_graph = not self.first_order
        if self.adapt == "user":
            start = self._start_params(est, module, n_owners)
            trace = []
            phi = self._inner_loop(est, module, start, support, n_owners, self.inner_steps,
                                   create_graph=create_graph, trace=trace)
            with torch.no_grad():
                stats["query_start"] += float(
                    est._batch_loss(FunctionalModule(module.base, start), query))
            stats["support_start"] += trace[0]
            stats["support_end"] += trace[-1]
            return est._batch_loss(FunctionalModule(module.base, phi), query)
        # adapt="all": one task at a time (every parameter differs per user).
        total = 0.0
        for b in range(n_owners):
            sup_b = _owner_slice(support, b, n_owners)
            qry_b = _owner_slice(query, b, n_owners)
            start = self._start_params(est, module, 1)
            trace = []
            phi = self._inner_loop(est, module, start, sup_b, 1, self.inner_steps,
                                   create_graph=create_graph, trace=trace)
            with torch.no_grad():
                stats["query_start"] += float(
                    est._batch_loss(FunctionalModule(module.base, start), qry_b)) / n_owners
            stats["support_start"] += trace[0] / n_owners
            stats["support_end"] += trace[-1] / n_owners
            total = total + est._batch_loss(FunctionalModule(module.base, phi), qry_b)
        return total / n_owners

    def _meta_train(self, est, module, rows, user, counts, tasks, np_rng, generator):
        outer = self._outer_parameters(est, module)
        opt = torch.optim.Adam(outer, lr=self.meta_lr)
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        history = []
        epochs = range(self.max_iter)
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = tqdm(epochs, desc=type(self).__name__, unit="epoch")
            epochs = bar
        module.train()
        try:
            for epoch in epochs:
                t0 = time.perf_counter()
                # Each user's rows in a fresh random order: support first, then query.
                order = np.lexsort((np_rng.random_sample(len(user)), user))
                perm = np_rng.permutation(tasks)
                stats = {"loss": 0.0, "query_start": 0.0, "support_start": 0.0,
                         "support_end": 0.0}
                n_batches = 0
                for lo in range(0, len(perm), self.meta_batch_size):
                    users = perm[lo:lo + self.meta_batch_size]
                    support, query = self._episode(est, rows, order, starts, counts, users,
                                                   generator)
                    loss = self._meta_loss(est, module, support, query, len(users), stats)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    stats["loss"] += float(loss.detach())
                    n_batches += 1
                record = {"epoch": epoch + 1, "train_loss": stats["loss"] / n_batches,
                          "query_loss_start": stats["query_start"] / n_batches,
                          "support_loss_start": stats["support_start"] / n_batches,
                          "support_loss_end": stats["support_end"] / n_batches,
                          "time": time.perf_counter() - t0}
                if not np.isfinite(record["train_loss"]):
                    raise FloatingPointError(
                        f"The meta-training loss of MAMLRecommender became "
                        f"{record['train_loss']} at epoch {epoch + 1}: lower inner_lr "
                        f"({self.inner_lr}) or meta_lr ({self.meta_lr}), or fewer inner_steps."
                    )
                history.append(record)
                if bar is not None:
                    bar.set_postfix(train_loss=f"{record['train_loss']:.4g}")
        finally:
            if bar is not None:
                bar.close()
        return history

    # --------------------------------------------------------- scoring
    def _scoring_generator(self):
        generator = torch.Generator(device=self.device_)
        rs = self.random_state
        generator.manual_seed(seed_from_random_state(rs) if isinstance(rs, numbers.Integral)
                              else 0)
        return generator

    def _adapt(self, context, *, steps=None, trace=None):
        """Adapted user parameters ``{name: (n_users, ...)}`` of a context (``adapt="user"``).

        Users are sorted by the length of H(u) and adapted in chunks, each
        one batched computation; ``trace`` (a list) receives the mean support
        loss before each step and after the last (one list per chunk).
        """
        est, module = self.estimator_, self.module_
        steps = self.inner_steps if steps is None else steps
        n = len(context)
        out = {name: module.init[_key(name)].detach().expand(n, *module.init[_key(name)].shape[1:])
               .clone() for name in est._user_param_names}
        if steps == 0 or n == 0:
            return out
        rows_np = est._history_rows(context)
        user = np.asarray(rows_np["user"], dtype=np.int64)
        counts = np.bincount(user, minlength=n)
        order = np.argsort(user, kind="stable")
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        rows = _to_tensors(rows_np, self.device_)
        generator = self._scoring_generator()
        owners = np.flatnonzero(counts > 0)
        owners = owners[np.argsort(counts[owners], kind="stable")]
        module.eval()
        lo = 0
        with torch.enable_grad():
            while lo < len(owners):
                hi = lo + 1
                while hi < len(owners) and (hi + 1 - lo) * counts[owners[hi]] <= _SLOTS_PER_CHUNK:
                    hi += 1
                chunk = owners[lo:hi]
                length = int(counts[chunk[-1]])
                pos, w = _cycle_slots(starts[chunk], counts[chunk], length)
                batch = est._prepare_batch(self._gather(est, rows, order[pos], w), generator)
                extras = {k: v for k, v in batch.items()}
                start = {k: v[:len(chunk)].clone() for k, v in out.items()}
                sub_trace = None if trace is None else []
                phi = self._inner_loop(est, module, start, extras, len(chunk), steps,
                                       create_graph=False, trace=sub_trace)
                if trace is not None:
                    trace.append(sub_trace)
                idx = torch.as_tensor(chunk, device=self.device_)
                for name in out:
                    out[name][idx] = phi[name].detach()
                lo = hi
        return out

    def _adapt_all_one(self, context, r, generator):
        """Every adapted parameter for the user at position ``r`` (``adapt="all"``)."""
        est, module = self.estimator_, self.module_
        start = self._start_params(est, module, 1, detach=True)
        sub = context[[r]]
        rows_np = est._history_rows(sub)
        k = len(rows_np["user"])
        if k == 0 or self.inner_steps == 0:
            return start
        rows = _to_tensors(rows_np, self.device_)
        pos, w = _cycle_slots(np.array([0]), np.array([k]), k)
        batch = est._prepare_batch(self._gather(est, rows, pos, w), generator)
        with torch.enable_grad():
            phi = self._inner_loop(est, module, start, batch, 1, self.inner_steps,
                                   create_graph=False)
        return {n: v.detach() for n, v in phi.items()}

    def _score_items(self, context, item_idx):
        check_is_fitted(self, "module_")
        est, module = self.estimator_, self.module_
        module.eval()
        if self.adapt == "user":
            params = self._adapt(context)
            with torch.no_grad():
                users = torch.arange(len(context), device=self.device_)
                return est._catalog(FunctionalModule(module.base, params), users, item_idx,
                                    est._forward_extras(context))
        generator = self._scoring_generator()
        parts = []
        for r in range(len(context)):
            params = self._adapt_all_one(context, r, generator)
            with torch.no_grad():
                users = torch.zeros(1, dtype=torch.long, device=self.device_)
                parts.append(est._catalog(FunctionalModule(module.base, params), users,
                                          item_idx, est._forward_extras(context[[r]])))
        return torch.cat(parts, dim=0)

    def _predict_pairs(self, user_idx, item_idx, features=None, timestamp=None):
        pred = super()._predict_pairs(user_idx, item_idx, features, timestamp)
        post = getattr(self.estimator_, "_postprocess_predictions", None)
        return post(pred) if callable(post) else pred


def _owner_slice(batch, b, n_owners):
    """The part of owner ``b`` of a batch of ``n_owners`` owners, as owner 0.

    Every entry holds the owners' parts in order, each of the same length
    (the slots of ``_gather``, or one input row per owner for an
    autoencoder); the owner positions (``user``, ``row``) become 0.
    """
    out = {}
    for k, v in batch.items():
        length = int(v.shape[0]) // n_owners
        out[k] = v[b * length:(b + 1) * length]
    for k in ("user", "row"):
        if k in out:
            out[k] = torch.zeros_like(out[k])
    return out
