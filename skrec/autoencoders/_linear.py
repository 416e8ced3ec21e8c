"""Dropout-regularized linear autoencoders: DLAE and EDLAE (Steck, NeurIPS 2020).

Both are closed forms on the Gram matrix ``G = X^T X`` and share EASE's torch
kernels (:func:`~skrec.autoencoders._ease._gram`, the blocked Cholesky
inverse) and scoring (``h_u B``).

Training a linear autoencoder ``X B`` on inputs corrupted by dropout with
probability ``p`` (kept entries scaled by ``1 / (1 - p)``) is, in
expectation, the ridge problem

    ``||X - X B||^2 + ||Lambda^{1/2} B||^2``,  ``Lambda = p / (1 - p) diag(G) + reg I``

(the dropout noise penalizes each row of ``B`` by the popularity of its
input item). Its minimizer is DLAE's ``B = (G + Lambda)^{-1} G = I - P
Lambda`` with ``P = (G + Lambda)^{-1}``. EDLAE puts the full emphasis on the
dropped-out entries (the model must predict an item from the others only),
which removes the diagonal from the objective: the solution is EASE's
Lagrangian one with ``Lambda`` in place of ``reg I``, ``B = I - P
diag(1 / diag(P))``, zero diagonal.
"""

from __future__ import annotations

import numbers

from ..utils._compat import Interval, StrOptions
from ._ease import _dlae_weights, _dropout_penalty, _ease_weights, _ItemItemAutoencoder

__all__ = ["DLAE", "EDLAE"]

_COMMON_DOC = """
    Parameters
    ----------
    p : float in [0, 1), default={p}
        Dropout probability of the input entries; ``Lambda = p / (1 - p)
        diag(X^T X) + reg I``.
    reg : float, default={reg}
        Constant L2 penalty ``lambda`` added to every item's penalty.
    device : {{"auto", "cpu", "cuda", "cuda:N"}} or torch.device, default="auto"
        Where the inverse and the scoring run.
    dtype : {{"float32", "float64"}}, default="float32"
        Precision of the inverse and of ``B``.
    verbose : int, default=0
        Show a progress bar over the stages of the fit when positive.

    Attributes
    ----------
    B_ : ndarray of shape (n_items_, n_items_)
        The item-item weights (numpy, so pickles load on any machine).
    device_ : torch.device
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.
"""


class _DropoutLinearAE(_ItemItemAutoencoder):
    _parameter_constraints: dict = {
        "p": [Interval(numbers.Real, 0, 1, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "device": "no_validation",  # checked by resolve_device at fit
        "dtype": [StrOptions({"float32", "float64"})],
        "verbose": ["verbose"],
    }

    def __init__(self, p=0.33, reg=300.0, *, device="auto", dtype="float32", verbose=0):
        self.p = p
        self.reg = reg
        self.device = device
        self.dtype = dtype
        self.verbose = verbose

    def _penalty(self, G):
        return _dropout_penalty(G, float(self.p), float(self.reg))


class DLAE(_DropoutLinearAE):
    __doc__ = """Denoising linear autoencoder (dropout-trained, closed form).

    ``B = (X^T X + Lambda)^{-1} X^T X`` with ``Lambda = p / (1 - p)
    diag(X^T X) + reg I``: the expected least-squares solution of ``X B``
    reconstructing ``X`` from inputs dropped out with probability ``p``.
    Unlike EASE, the diagonal of ``B`` is not constrained; the dropout
    penalty alone keeps ``B`` away from the identity. Scores are ``h_u B``,
    so any user with history is folded in without refitting.
    """ + _COMMON_DOC.format(p=0.5, reg=100.0) + """
    See Also
    --------
    EDLAE : The same penalty with the emphasized (zero-diagonal) solution.
    EASE : The zero-diagonal model with a constant penalty.

    Notes
    -----
    With ``p = 0`` and ``reg = lambda`` this is the ridge autoencoder
    ``(G + lambda I)^{-1} G = I - lambda P``, which tends to the identity as
    ``lambda -> 0``; the dropout term ``p / (1 - p) G_jj`` grows with the
    item's popularity, so popular items are shrunk most.

    References
    ----------
    .. [1] H. Steck, "Autoencoders that don't overfit towards the Identity",
       NeurIPS 2020.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import DLAE
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = DLAE(p=0.25, reg=10.0, device="cpu").fit(data.X)
    >>> model.B_.shape
    (30, 30)
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    def __init__(self, p=0.5, reg=100.0, *, device="auto", dtype="float32", verbose=0):
        super().__init__(p=p, reg=reg, device=device, dtype=dtype, verbose=verbose)

    def _solve(self, G):
        pen = self._penalty(G).clone()
        if float(pen.min()) <= 0:
            pen = pen.clamp_min(1e-6)  # an item with no interaction and reg = 0
        return _dlae_weights(G, pen)


class EDLAE(_DropoutLinearAE):
    __doc__ = """Emphasized denoising linear autoencoder (closed form, zero diagonal).

    Trained with dropout probability ``p`` and the full emphasis on the
    dropped-out entries, the linear autoencoder cannot learn the identity,
    and its solution is EASE's with an item-specific penalty: ``B = I - P
    diag(1 / diag(P))`` with ``P = (X^T X + Lambda)^{-1}`` and ``Lambda =
    p / (1 - p) diag(X^T X) + reg I``, so ``diag(B) = 0``. With ``p = 0``
    it is EASE with ``reg``. Scores are ``h_u B``: any user with history is
    folded in without refitting.
    """ + _COMMON_DOC.format(p=0.33, reg=300.0) + """
    See Also
    --------
    DLAE : The same penalty without the zero diagonal.
    EASE : ``p = 0``.

    Notes
    -----
    The defaults come from a grid on MovieLens 1M (the LCF split, see
    ``benchmarks/bench_autoencoders_ml1m_lcf.py``), where EDLAE beats EASE's
    best constant penalty: the penalty growing with popularity acts like
    EASE with popularity-dependent shrinkage.

    References
    ----------
    .. [1] H. Steck, "Autoencoders that don't overfit towards the Identity",
       NeurIPS 2020.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.autoencoders import EDLAE
    >>> data = make_interactions(n_users=50, n_items=30, random_state=0)
    >>> model = EDLAE(p=0.25, reg=10.0, device="cpu").fit(data.X)
    >>> bool((model.B_.diagonal() == 0).all())
    True
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    def __init__(self, p=0.33, reg=300.0, *, device="auto", dtype="float32", verbose=0):
        super().__init__(p=p, reg=reg, device=device, dtype=dtype, verbose=verbose)

    def _solve(self, G):
        pen = self._penalty(G).clone()
        if float(pen.min()) <= 0:
            pen = pen.clamp_min(1e-6)
        return _ease_weights(G, pen)
