"""DeepFM: a factorization machine and an MLP on shared embeddings."""

from __future__ import annotations

import numbers

from ..utils._compat import Interval
from ._base import _CTRBase, fill_ctr_doc
from ._modules import DeepFMModule

__all__ = ["DeepFM"]

_DEEP_CONSTRAINTS = {
    **_CTRBase._parameter_constraints,
    "hidden_layer_sizes": [tuple, list],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
}


@fill_ctr_doc
class DeepFM(_CTRBase):
    """DeepFM (Guo et al., 2017): an FM and an MLP sharing the field embeddings.

    The score (a logit for binary feedback) is the FM's plus the output of
    an MLP over the concatenated field vectors.

    Parameters
    ----------
    {ctr_params}
    {deep_params}
    {engine_params}

    Attributes
    ----------
    module_ : torch.nn.Module
        The fitted network.
    fields_ : list of tuple
        ``(column, kind, owner, n_values)`` of each side-feature field:
        ``kind`` is ``"categorical"``, ``"numeric"`` or ``"bag"``, ``owner``
        ``"user"``, ``"item"`` or ``"context"``.
    device_ : torch.device
    history_ : list of dict
    n_iter_ : int
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    FM, WideAndDeep, XDeepFM

    Notes
    -----
    The columns of ``X`` other than ``user``, ``item``, ``timestamp`` and
    ``session`` become fields (see :ref:`ctr`): categorical columns are
    one-hot (a category unseen at fit maps to a reserved "unknown" index
    that contributes nothing), numeric columns are standardized real values,
    columns of lists are bags (mean-pooled). Item-constant columns are kept
    per item to score the whole catalog; user-constant columns form the
    user's features, taken for a user unseen at fit from the latest row of
    their ``history`` that has them (plus a few gradient steps of their
    user-id embedding on that history). Columns that vary within users and
    within items are context fields, read at fit and by :meth:`predict`, and
    left out (zero) when ranking the catalog. :meth:`predict` scores a cold
    item (unseen at fit) from the item columns of its row. Pass
    ``history_y`` (0/1 labels) to ``recommend``/``score_items`` with binary
    feedback.

    References
    ----------
    .. [1] H. Guo, R. Tang, Y. Ye, Z. Li and X. He, "DeepFM: A Factorization-Machine
       based Neural Network for CTR Prediction", IJCAI 2017.
    .. [2] S. Rendle, "Factorization Machines", ICDM 2010.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skrec.ctr import DeepFM
    >>> rng = np.random.RandomState(0)
    >>> X = pd.DataFrame({"user": rng.randint(0, 20, 300), "item": rng.randint(0, 15, 300)})
    >>> X["genre"] = np.where(X["item"] % 2 == 0, "drama", "comedy")
    >>> y = (X["genre"] == "drama").astype(float).to_numpy()
    >>> model = DeepFM(max_iter=30, lr=0.02, device="cpu", random_state=0).fit(X, y)
    >>> proba = model.predict(X.head(3))
    >>> bool(((proba >= 0) & (proba <= 1)).all())
    True
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    _parameter_constraints: dict = _DEEP_CONSTRAINTS

    def __init__(
        self,
        n_factors=16,
        *,
        loss="bce",
        feedback=None,
        reg=1e-5,
        n_negatives=4,
        sampler="uniform",
        init_std=0.01,
        hidden_layer_sizes=(64, 32),
        dropout=0.0,
        max_iter=20,
        batch_size=1024,
        lr=0.005,
        weight_decay=0.0,
        optimizer="adam",
        lr_schedule="constant",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        warm_start=False,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_factors = n_factors
        self.loss = loss
        self.feedback = feedback
        self.reg = reg
        self.n_negatives = n_negatives
        self.sampler = sampler
        self.init_std = init_std
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
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

    def _make_module(self, encoder):
        return DeepFMModule(
            encoder, self.n_factors, tuple(self.hidden_layer_sizes), self.dropout, self.init_std
        )
