"""Neural collaborative filtering: GMF, MLP and NeuMF (He et al., 2017)."""

from __future__ import annotations

import numbers

from sklearn.base import clone

from .._torch import PairwiseRecommender
from .._torch._docs import fill_engine_doc
from ..utils._compat import Interval, PositiveIntSequence, StrOptions
from ..utils._torch import seed_from_random_state
from ._modules import MODELS, NCFModule

__all__ = ["NCF"]

#: Attributes set by ``fit``'s template that a pretraining sub-model reads.
_SHARED_FITTED = ("user_ids_", "item_ids_", "_user_index", "_item_index", "n_users_",
                  "n_items_", "seen_", "item_popularity_", "global_mean_",
                  "n_features_in_", "feature_names_in_")


@fill_engine_doc
class NCF(PairwiseRecommender):
    """Neural collaborative filtering: GMF, MLP and their fusion NeuMF.

    Scores a (user, item) pair with a neural network over learned user and
    item embeddings (He et al., 2017):

    - ``model="gmf"``: generalized matrix factorization,
      ``h . (p_u * q_i) + b`` (an elementwise product and a learned linear
      output);
    - ``model="mlp"``: a tower of ReLU layers over the concatenated user and
      item embeddings, ``h . MLP([p'_u ; q'_i]) + b``;
    - ``model="neumf"``: both, with separate embeddings, fused by one linear
      output over the concatenation of the GMF vector and the last MLP
      layer.

    Implicit feedback (``loss="bce"``, the paper's pointwise log loss, or
    ``loss="bpr"``) samples ``n_negatives`` negatives per positive;
    ``loss="mse"`` fits explicit ratings (``y`` required).

    Parameters
    ----------
    model : {"neumf", "gmf", "mlp"}, default="neumf"
    n_factors : int, default=16
        Width of the GMF embeddings (GMF's predictive factors).
    layers : tuple of int, default=(64, 32, 16, 8)
        Widths of the MLP tower, as in the paper: ``layers[0]`` is the width
        of the concatenated user and item MLP embeddings (``layers[0] // 2``
        each; it must be even) and ``layers[1:]`` are the hidden ReLU
        layers, the last one being the MLP's predictive factors.
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden ReLU layer of the MLP tower (training only).
    loss : {"bce", "bpr", "mse"}, default="bce"
        Log loss of positives against sampled negatives (the paper), the
        pairwise BPR loss, or the squared error on ratings.
    reg : float, default=0.0
        L2 penalty per training row on the embedding rows it uses (the
        objective adds ``reg * mean(|p_u|^2 + sum_j |q_j|^2)`` over GMF and
        MLP embeddings). Use ``weight_decay`` to penalize the tower too.
    n_negatives : int, default=4
        Negatives sampled per positive (implicit losses); the paper's 4.
    sampler : {"uniform", "popularity"}, default="uniform"
        Distribution of the negatives over the whole catalog (popularity:
        counts ** 0.75).
    pretrain : bool, default=False
        For ``model="neumf"``: first fit a GMF and an MLP with the same
        settings for ``pretrain_iter`` epochs each, then start NeuMF from
        their embeddings and tower, with the output layer
        ``[0.5 h_gmf ; 0.5 h_mlp]`` (the paper's alpha = 0.5). Everything
        happens inside one ``fit`` (all-or-nothing); a warm-started refit
        continues from the fitted NeuMF without pretraining again. Ignored
        for the other models.
    pretrain_iter : int, default=10
        Epochs of each pretraining fit.
    duplicates : {"mean", "last", "first", "sum", "error"}, default="mean"
        Repeated (user, item) pairs for ``loss="mse"`` (implicit losses keep
        every row).
    init_std : float, default=0.01
        Standard deviation of the initial embeddings (the paper's 0.01).
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network.
    pretrain_history_ : dict
        With ``pretrain=True`` and ``model="neumf"``: the per-epoch
        ``history_`` of the ``"gmf"`` and ``"mlp"`` pretraining fits.
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    skrec.factorization.BPRMF : A dot-product model, often as accurate
        (Rendle et al., 2020).
    skrec.factorization.ALS : Implicit ALS, a strong and fast baseline.

    Notes
    -----
    Negatives are sampled with replacement from the whole catalog, and are
    not checked against the user's positives: a sampled "negative" can be
    an item the user interacted with (rarely, for sparse data). When
    ``n_negatives`` exceeds the number of items a user has not seen, the
    sampler still draws ``n_negatives`` per positive, with repetitions and
    positives among them; nothing fails, the label noise just grows with
    the user's share of the catalog.

    Scoring is done by the network for each (user, item) pair: the catalog
    is scored in item chunks sized so that no more than about 2M
    activations (users x items x hidden width) are held at once, and the
    first MLP layer is split into a user part and an item part, computed
    once each. Scoring costs far more than a dot product.

    Users unseen at fit, or known users with extra ``history``, are folded
    in by a few gradient steps on fresh user embeddings (GMF and MLP), from
    the mean user embedding, over the model's own loss on their history,
    with the items and the tower fixed.

    The user parameters (``_user_param_names``: the GMF and/or MLP user
    embedding tables) are what :class:`skrec.meta.MAMLRecommender` adapts
    per user: ``MAMLRecommender(NCF(model="mlp"))`` is MetaRec-MLP. The
    log loss reaches the MLP user embedding through the tower, so its
    gradient is small and the wrapper needs a large ``inner_lr`` (about 10).

    The defaults are 16 GMF factors, the paper's tower and Adam with lr
    0.001 on batches of 1,024 for 20 epochs. The learning rate comes from
    ``benchmarks/bench_defaults.py`` (every rating a positive, per-user
    random 80/20, full-catalog NDCG@10): 0.001 scores .362 on MovieLens 100K
    and .244 on ml-latest-small, where 0.003 scored .324 and .180. Under
    the paper's protocol (latest item per user, 99 sampled negatives)
    0.003 is better instead (test HR@10 0.659 against 0.598, seed 0); with
    it NeuMF reached HR@10 0.649 (mean of three seeds), ahead of MLP
    (0.609) and level with GMF (0.641). On full-catalog ranking, the
    honest measure, a tuned ALS does better (HR@10 0.152 against 0.119) in
    a sixtieth of the time, as Rendle et al. (2020) found for dot products
    (``benchmarks/bench_ncf_ml100k.py``; figures in the user guide).

    References
    ----------
    .. [1] X. He, L. Liao, H. Zhang, L. Nie, X. Hu and T.-S. Chua, "Neural
       Collaborative Filtering", WWW 2017.
    .. [2] S. Rendle, W. Krichene, L. Zhang and J. Anderson, "Neural
       Collaborative Filtering vs. Matrix Factorization Revisited",
       RecSys 2020.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.ncf import NCF
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = NCF(n_factors=4, layers=(8, 4), max_iter=5, device="cpu", random_state=0)
    >>> model = model.fit(data.X[["user", "item"]])
    >>> items, scores = model.recommend([0, 1], k=5)
    >>> items.shape
    (2, 5)
    """

    #: What the engine's parameters mean for this model (filled into the docstring).
    _param_notes = {
        'max_iter': (
            'Epochs (of NeuMF itself when pretraining).'
        ),
    }

    _parameter_constraints: dict = {
        **PairwiseRecommender._parameter_constraints,
        "model": [StrOptions(set(MODELS))],
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "layers": [PositiveIntSequence()],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "loss": [StrOptions({"bce", "bpr", "mse"})],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "pretrain": ["boolean"],
        "pretrain_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "duplicates": [StrOptions({"mean", "last", "first", "sum", "error"})],
        "init_std": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(self, model="neumf", *, n_factors=16, layers=(64, 32, 16, 8), dropout=0.0,
                 loss="bce", reg=0.0, n_negatives=4, sampler="uniform", pretrain=False,
                 pretrain_iter=10, duplicates="mean", init_std=0.01, max_iter=20,
                 batch_size=1024, lr=0.001, weight_decay=0.0, optimizer="adam",
                 lr_schedule="constant", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, tol=1e-4, warm_start=False, device="auto",
                 random_state=None, verbose=0):
        self.model = model
        self.n_factors = n_factors
        self.layers = layers
        self.dropout = dropout
        self.loss = loss
        self.reg = reg
        self.n_negatives = n_negatives
        self.sampler = sampler
        self.pretrain = pretrain
        self.pretrain_iter = pretrain_iter
        self.duplicates = duplicates
        self.init_std = init_std
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

    @property
    def _user_param_names(self):
        names = []
        if self.model in ("neumf", "gmf"):
            names.append("gmf_user.weight")
        if self.model in ("neumf", "mlp"):
            names.append("mlp_user.weight")
        return tuple(names)

    # ---------------------------------------------------------- training
    def _build_module(self, data):
        return NCFModule(
            data.n_users, data.n_items, model=self.model, n_factors=self.n_factors,
            layers=tuple(self.layers), dropout=self.dropout, init_std=self.init_std,
            offset=self.global_mean_ if self._explicit() else 0.0, penalty=self.reg > 0,
        )

    def _init_module(self, data):
        module = super()._init_module(data)
        if self.pretrain and self.model == "neumf":
            seed = seed_from_random_state(self.random_state)
            parts, histories = {}, {}
            for shift, part in enumerate(("gmf", "mlp"), start=1):
                sub = self._pretrained_part(part, data, (seed + shift) % (2**63))
                parts[part] = sub.module_
                histories[part] = sub.history_
            module.load_pretrained(parts["gmf"], parts["mlp"], alpha=0.5)
            self.pretrain_history_ = histories
        else:  # a fresh fit without pretraining: no stale record of an earlier one
            self.__dict__.pop("pretrain_history_", None)
        return module

    def _pretrained_part(self, part, data, seed):
        """A GMF or MLP with this model's settings, fitted for ``pretrain_iter`` epochs."""
        sub = clone(self).set_params(model=part, pretrain=False, max_iter=self.pretrain_iter,
                                     warm_start=False, verbose=0, random_state=seed)
        for name in _SHARED_FITTED:
            if name in self.__dict__:
                setattr(sub, name, self.__dict__[name])
        sub.device_ = self.device_
        return sub._fit(data)
