"""Alternating least squares: explicit ALS and implicit weighted ALS (torch)."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import scipy.sparse as sp

from .._torch._state import TorchStateMixin
from ..base import BaseRecommender, RecommenderTags
from ..utils._compat import Interval, StrOptions
from ..utils._torch import resolve_device, seed_from_random_state

__all__ = ["ALS"]

#: Size of the user factors above which the item side of CG on the CPU reads
#: the users' CSR in place (see _TransposedSide) instead of a transposed copy.
_CACHE_BYTES = 8 * 2**20
#: Entries per SDDMM call (bounds the int64 index copy each call makes).
_SDDMM_CHUNK = 2**22
#: Upper bound on the gathered (users x items x factors) elements per block
#: of the exact solver.
_BLOCK_ELEMENTS = 2**22


# ------------------------------------------------------------------ helpers
def _torch_dtype(name):
    import torch

    return {"float32": torch.float32, "float64": torch.float64}[name]


def _csr_tensor(indptr, indices, values, shape, device):
    """A torch CSR tensor (int32 indices when they fit, which is faster on CPU)."""
    import torch

    small = max(shape[0], shape[1], len(indices)) < 2**31 - 1
    idx = torch.int32 if small else torch.int64
    crow = torch.from_numpy(np.ascontiguousarray(indptr)).to(device=device, dtype=idx)
    col = torch.from_numpy(np.ascontiguousarray(indices)).to(device=device, dtype=idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(
            crow, col, values.to(device), size=tuple(shape), check_invariants=False
        )


def _weights(values, feedback, alpha, sample_weight=None, dtype=np.float64):
    """Per-entry (w, b) for the normal equations from stored values ``r``.

    Implicit (Hu et al. 2008): confidence ``c = 1 + alpha * r``, preference
    ``p = [r > 0]``; the system of a row is ``Y^T Y + Y^T (C - I) Y + reg I``
    and its right-hand side ``Y^T C p``, so ``w = c - 1`` and ``b = c p``.
    Explicit: ridge over observed entries, ``w`` the weight and ``b = w r``.
    """
    values = np.asarray(values, dtype=dtype)
    if feedback == "implicit":
        with np.errstate(over="ignore"):  # an overflow is reported as divergence later
            w = values * dtype(alpha)
            b = (w + dtype(1.0)) * (values > 0)
        return w, b
    w = np.ones_like(values) if sample_weight is None else sample_weight.astype(dtype)
    b = w * values
    return w, b


class _Side:
    """One side of the problem: rows to solve for against fixed column factors."""

    def __init__(self, matrix, w, b, dtype, device):
        import torch

        self.shape = matrix.shape
        self.matrix = matrix  # scipy CSR (structure only is read)
        self.indptr = np.asarray(matrix.indptr, dtype=np.int64)
        self.indices = matrix.indices  # int32 from scipy; kept for the exact solver
        tw = torch.from_numpy(np.asarray(w)).to(device=device, dtype=dtype)
        self.w = tw
        self.b_values = torch.from_numpy(np.asarray(b)).to(device=device, dtype=dtype)
        # The pattern's values are never read (SDDMM with beta=0): share w's storage.
        self.pattern = _csr_tensor(self.indptr, self.indices, tw, self.shape, device)
        self.chunks = None
        nnz = len(self.indices)
        if nnz > _SDDMM_CHUNK:
            # SDDMM in row blocks: each call allocates int64 copies of its
            # indices, which would otherwise double the memory of the pattern.
            crow, col = self.pattern.crow_indices(), self.pattern.col_indices()
            cuts = np.searchsorted(self.indptr, np.arange(0, nnz, _SDDMM_CHUNK), side="right")
            bounds = np.unique(np.r_[0, cuts - 1, self.shape[0]])
            self.chunks = []
            for r0, r1 in zip(bounds[:-1], bounds[1:], strict=True):
                c0, c1 = int(self.indptr[r0]), int(self.indptr[r1])
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    pat = torch.sparse_csr_tensor(
                        crow[r0 : r1 + 1] - crow[r0], col[c0:c1], tw[c0:c1],
                        size=(int(r1 - r0), self.shape[1]), check_invariants=False,
                    )
                self.chunks.append((int(r0), int(r1), c0, c1, pat))

    def sddmm(self, P, Q):
        """Values of ``P Q^T`` on the pattern, in CSR order."""
        import torch

        if self.chunks is None:
            return torch.sparse.sampled_addmm(self.pattern, P, Q.T, beta=0.0).values()
        out = torch.empty(len(self.indices), dtype=P.dtype, device=P.device)
        for r0, r1, c0, c1, pat in self.chunks:
            out[c0:c1] = torch.sparse.sampled_addmm(pat, P[r0:r1], Q.T, beta=0.0).values()
        return out

    def spmm(self, vals, Q):
        """``S Q`` for the CSR matrix ``S`` with the pattern and values ``vals``."""
        import torch

        # Rebuilt on the pattern's own (int32) indices: SDDMM returns int64 ones,
        # with which the SpMM is slower on the CPU.
        S = torch.sparse_csr_tensor(
            self.pattern.crow_indices(), self.pattern.col_indices(), vals,
            size=self.shape, check_invariants=False,
        )
        return torch.sparse.mm(S, Q)


class _TransposedSide:
    """The other side of a :class:`_Side`, without a transposed copy (CPU only).

    Values stay in the order of the other side's CSR. The SpMM ``S^T Q`` runs
    as scipy's CSC product, which walks the other side's rows and scatters
    into the (small) output: when ``Q`` is too large for the caches this is
    several times faster than torch's CSR SpMM over the transposed pattern,
    and it halves the memory.
    """

    def __init__(self, other):
        self.other = other
        self.shape = other.shape[::-1]
        self.w = other.w
        self.b_values = other.b_values

    def sddmm(self, P, Q):
        return self.other.sddmm(Q, P)

    def spmm(self, vals, Q):
        import torch

        m = self.other.matrix
        S = sp.csr_array((vals.numpy(), m.indices, m.indptr), shape=m.shape)
        return torch.from_numpy(np.ascontiguousarray(S.T @ Q.numpy()))


def _conjugate_gradient(side, X, Y, gram0, steps):
    """``steps`` CG steps on every row's system at once, warm-started at ``X``.

    The product ``A x`` for all rows is ``x gram0 + (W o (x Y^T)|R) Y``: an
    SDDMM on R's pattern followed by an SpMM (Takacs et al. 2011).
    """
    import torch

    def spmm(vals):
        return side.spmm(vals, Y)

    def sddmm(P):
        return side.sddmm(P, Y)

    def matvec(P):
        return torch.addmm(spmm(sddmm(P).mul_(side.w)), P, gram0)

    x = X.clone()
    # r = b - A x in one SDDMM + SpMM: (b - W o (x Y^T)) Y - x gram0.
    r = torch.addmm(spmm(torch.addcmul(side.b_values, sddmm(x), side.w, value=-1.0)), x, gram0,
                    alpha=-1.0)
    p = r.clone()
    rs = (r * r).sum(1, keepdim=True)
    zero = torch.zeros((), dtype=X.dtype, device=X.device)
    for _ in range(steps):
        Ap = matvec(p)
        pAp = (p * Ap).sum(1, keepdim=True)
        a = torch.where(pAp > 0, rs / torch.where(pAp > 0, pAp, 1.0), zero)
        x.add_(a * p)
        r.sub_(a * Ap)
        rs_new = (r * r).sum(1, keepdim=True)
        beta = torch.where(rs > 0, rs_new / torch.where(rs > 0, rs, 1.0), zero)
        p = r + beta * p
        rs = rs_new
    return x


def _exact_solve(indptr, indices, w, b, Y, gram0, rows=None):
    """Exact solution of every row's k x k system by batched Cholesky.

    The per-row Gram ``Y_u^T diag(w_u) Y_u`` is built in blocks of rows of
    similar length: the row's items are gathered into a padded
    ``(block, length, k)`` tensor and multiplied with a batched matmul.

    Parameters
    ----------
    indptr, indices : ndarray of int64
        CSR structure of the rows.
    w, b : torch.Tensor of shape (nnz,)
        Weights of the Gram and of the right-hand side.
    Y : torch.Tensor of shape (n_cols, k)
        Fixed factors.
    gram0 : torch.Tensor of shape (k, k)
        Term shared by every row (``Y^T Y + reg I`` or ``reg I``).
    rows : ndarray of int, default=None
        Rows to solve (all when None).

    Returns
    -------
    torch.Tensor of shape (len(rows), k)
    """
    import torch

    n_rows = len(indptr) - 1
    rows = np.arange(n_rows) if rows is None else np.asarray(rows)
    k = Y.shape[1]
    device, dtype = Y.device, Y.dtype
    out = torch.zeros((len(rows), k), dtype=dtype, device=device)
    if len(rows) == 0:
        return out
    lengths = indptr[rows + 1] - indptr[rows]
    order = np.argsort(-lengths, kind="stable")  # longest first: a block's first row is its longest
    Y_pad = torch.cat([Y, torch.zeros((1, k), dtype=dtype, device=device)])
    pad_col = Y.shape[0]
    indices_t = torch.from_numpy(np.r_[indices, pad_col].astype(np.int64)).to(device)
    w_pad = torch.cat([w, torch.zeros(1, dtype=dtype, device=device)])
    b_pad = torch.cat([b, torch.zeros(1, dtype=dtype, device=device)])
    sentinel = len(indices)  # position of the padding entry in indices_t / w_pad
    start = 0
    while start < len(rows):
        longest = max(int(lengths[order[start]]), 1)
        stop = min(len(rows), start + max(1, _BLOCK_ELEMENTS // (k * longest)))
        block = order[start:stop]
        length = max(int(lengths[block].max()), 1)
        starts = indptr[rows[block]]
        offs = np.arange(length)
        pos = starts[:, None] + offs[None, :]
        valid = offs[None, :] < lengths[block][:, None]
        pos = np.where(valid, pos, sentinel)
        pos_t = torch.from_numpy(pos).to(device)
        Yg = Y_pad[indices_t[pos_t]]  # (B, L, k)
        A = torch.matmul((Yg * w_pad[pos_t].unsqueeze(-1)).transpose(1, 2), Yg) + gram0
        rhs = torch.matmul(b_pad[pos_t].unsqueeze(1), Yg).transpose(1, 2)  # (B, k, 1)
        L, info = torch.linalg.cholesky_ex(A)
        if bool((info != 0).any()):
            raise FloatingPointError(
                "ALS: a per-user or per-item system is not positive definite (too few "
                "interactions for n_factors, or non-finite values). Increase reg, lower "
                "n_factors, or use dtype='float64'."
            )
        out[torch.from_numpy(block).to(device)] = torch.cholesky_solve(rhs, L).squeeze(-1)
        start = stop
    return out


def _check_finite(tensor, what, iteration):
    import torch

    if not bool(torch.isfinite(tensor).all()):
        raise FloatingPointError(
            f"ALS diverged: non-finite {what} factors at iteration {iteration}. Lower alpha or "
            "the confidences/ratings y, raise reg, or use dtype='float64'."
        )


# ------------------------------------------------------------------- class
class ALS(TorchStateMixin, BaseRecommender):
    """Matrix factorization by alternating least squares, on CPU or GPU.

    With ``feedback="implicit"`` (the default) it is the weighted ALS of
    Hu, Koren and Volinsky (2008): every user-item pair is a preference
    ``p = [r > 0]`` with confidence ``c = 1 + alpha * r`` for a stored value
    ``r`` (the summed ``y``, 1 per interaction when ``y`` is None) and
    ``c = 1`` for unobserved pairs. With ``feedback="explicit"`` it is the
    ridge factorization of observed ratings only (``y`` required). Each
    half-iteration solves one ``n_factors x n_factors`` least-squares system
    per user (then per item) with the other side fixed, either exactly
    (``solver="cholesky"``) or by ``cg_steps`` warm-started conjugate-gradient
    steps (``solver="cg"``, Takacs, Pilaszy and Tikk 2011), written with
    sparse torch kernels so that ``device`` is honoured.

    Parameters
    ----------
    n_factors : int, default=64
        Dimension of the user and item factors.
    reg : float, default=50.0
        L2 penalty added to every per-user and per-item system (``reg * I``).
    alpha : float, default=6.0
        Confidence scale of implicit feedback: ``c = 1 + alpha * r``. Ignored
        when ``feedback="explicit"``.
    feedback : {"implicit", "explicit"}, default="implicit"
        Weighted implicit ALS, or ridge ALS on the observed ratings ``y``.
    solver : {"cg", "cholesky"}, default="cg"
        Conjugate gradient (fast, approximate per half-iteration) or the exact
        batched Cholesky solve.
    max_iter : int, default=15
        Number of alternating iterations (users then items).
    cg_steps : int, default=3
        Conjugate-gradient steps per half-iteration (``solver="cg"``).
    init_std : float, default=0.01
        Standard deviation of the normal initial factors.
    tol : float, default=0.0
        Stop when an iteration lowers the objective by less than ``tol``
        times its value (0 runs all ``max_iter`` iterations).
    dtype : {"float32", "float64"}, default="float32"
        Floating-point precision of the computation and of the factors.
    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
        Where to compute; ``"auto"`` uses CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial factors (a local ``torch.Generator``; the global
        RNG is untouched).
    verbose : int, default=0
        Show a progress bar over iterations when positive.

    Attributes
    ----------
    user_factors_ : ndarray of shape (n_users_, n_factors)
        Learned user factors (numpy, so pickles load on any machine).
    item_factors_ : ndarray of shape (n_items_, n_factors)
        Learned item factors.
    n_iter_ : int
        Iterations run.
    history_ : list of dict
        One dict per iteration, with the keys of the torch models' history:
        ``epoch``, ``train_loss`` (the objective, including the L2 term,
        divided by the number of stored interactions), ``val_loss`` (None)
        and ``time`` (seconds).
    device_ : torch.device
        The resolved device.
    user_ids_, item_ids_ : ndarray
        Ids seen at fit, in order of first appearance.
    n_users_, n_items_ : int
    seen_ : scipy.sparse.csr_array of shape (n_users_, n_items_)
        Training interactions.

    See Also
    --------
    skrec.autoencoders.EASE : Closed-form item-item model.

    Notes
    -----
    The defaults (64 factors, ``reg=50``, ``alpha=6``, 15 CG iterations)
    were chosen on real data (``benchmarks/bench_als_defaults.py``): NDCG@10
    .444 on MovieLens 100K (per-user 80/20; the tuned optimum of
    ``bench_ranking_ml100k.py`` is the same setting) and Recall@20 .2734 on
    the ML-1M LCF split (EASE .2759). ``implicit``'s defaults (``reg=0.01``,
    ``alpha=1``) score .361 and .264 there.

    A user's (or an item's) system with implicit feedback is
    ``(Y^T Y + Y^T (C_u - I) Y + reg I) x_u = Y^T C_u p_u``; the CG product for
    all users at once is ``X (Y^T Y + reg I) + ((C - 1) o (X Y^T)|_R) Y``, an
    SDDMM on the pattern of the interactions then an SpMM, so one iteration
    costs ``O((cg_steps + 1) * nnz * n_factors)``. The exact solver builds
    each user's Gram in blocks and costs ``O(nnz * n_factors^2)``.

    Users unseen at fit (and known users given extra ``history``) are folded
    in by the exact solve of their system against the fixed item factors.
    Explicit ALS fits the raw ratings (no bias terms). Note that the
    ``implicit`` library's ``alpha`` scales ``r`` directly (``c = alpha * r``):
    its ``alpha = 1 + a`` matches ``ALS(alpha=a)`` on binary data.

    References
    ----------
    .. [1] Y. Hu, Y. Koren and C. Volinsky, "Collaborative Filtering for
       Implicit Feedback Datasets", ICDM 2008.
    .. [2] G. Takacs, I. Pilaszy and D. Tikk, "Applications of the conjugate
       gradient method for implicit feedback collaborative filtering",
       RecSys 2011.
    .. [3] Y. Zhou, D. Wilkinson, R. Schreiber and R. Pan, "Large-Scale
       Parallel Collaborative Filtering for the Netflix Prize", AAIM 2008.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> from skrec.factorization import ALS
    >>> data = make_interactions(n_users=50, n_items=20, random_state=0)
    >>> model = ALS(n_factors=4, max_iter=5, device="cpu", random_state=0).fit(data.X)
    >>> model.user_factors_.shape, model.item_factors_.shape
    ((50, 4), (20, 4))
    >>> items, scores = model.recommend([0, 1], k=3)
    >>> items.shape
    (2, 3)
    """

    _drop_on_pickle = ("_device_factors",)
    _parameter_constraints: dict = {
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "feedback": [StrOptions({"implicit", "explicit"})],
        "solver": [StrOptions({"cg", "cholesky"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "cg_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "init_std": [Interval(numbers.Real, 0, None, closed="neither")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "dtype": [StrOptions({"float32", "float64"})],
        "device": "no_validation",  # checked by resolve_device at fit
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_factors=64,
        *,
        reg=50.0,
        alpha=6.0,
        feedback="implicit",
        solver="cg",
        max_iter=15,
        cg_steps=3,
        init_std=0.01,
        tol=0.0,
        dtype="float32",
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.n_factors = n_factors
        self.reg = reg
        self.alpha = alpha
        self.feedback = feedback
        self.solver = solver
        self.max_iter = max_iter
        self.cg_steps = cg_steps
        self.init_std = init_std
        self.tol = tol
        self.dtype = dtype
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __skrec_tags__(self):
        feedback = self.feedback if self.feedback in ("implicit", "explicit") else "implicit"
        return RecommenderTags(feedback=feedback, fold_in=True, torch=True)

    # ----------------------------------------------------------------- fit
    def _fit(self, data):
        import torch

        device = resolve_device(self.device)
        dtype = _torch_dtype(self.dtype)
        R = data.matrix
        # y, sample_weight and history_y are checked non-negative by the base class.
        sw = None
        if self.feedback == "explicit" and data.sample_weight is not None:
            sw = _aligned(R, data.user, data.item, data.sample_weight)
        np_dtype = np.float32 if self.dtype == "float32" else np.float64
        w, b = _weights(R.data, self.feedback, self.alpha, sw, dtype=np_dtype)
        users = _Side(R, w, b, dtype, device)
        itemsize = 4 if self.dtype == "float32" else 8
        if (device.type == "cpu" and self.solver == "cg"
                and R.shape[0] * self.n_factors * itemsize > _CACHE_BYTES):
            items = _TransposedSide(users)
        else:
            RT, perm = _transpose(R)
            items = _Side(RT, w[perm], b[perm], dtype, device)
            del perm, RT
        del w, b

        gen = torch.Generator(device="cpu").manual_seed(seed_from_random_state(self.random_state))
        k = self.n_factors
        X = torch.randn((R.shape[0], k), generator=gen, dtype=dtype) * self.init_std
        Y = torch.randn((R.shape[1], k), generator=gen, dtype=dtype) * self.init_std
        X, Y = X.to(device), Y.to(device)
        eye = torch.eye(k, dtype=dtype, device=device) * self.reg
        history = []
        iterations = range(self.max_iter)
        bar = None
        if self.verbose:
            from tqdm.auto import tqdm

            bar = iterations = tqdm(iterations, desc="ALS", unit="it")
        try:
            for it in iterations:
                t0 = time.perf_counter()
                X = self._half_step(users, X, Y, eye)
                _check_finite(X, "user", it + 1)
                Y = self._half_step(items, Y, X, eye)
                _check_finite(Y, "item", it + 1)
                loss = self._objective(users, X, Y)
                history.append({"epoch": it + 1, "train_loss": loss, "val_loss": None,
                                "time": time.perf_counter() - t0})
                if bar is not None:
                    bar.set_postfix(train_loss=f"{loss:.4g}")
                if (self.tol > 0 and len(history) > 1
                        and history[-2]["train_loss"] - loss < self.tol * abs(loss)):
                    break
        finally:
            if bar is not None:
                bar.close()
        self.history_ = history
        self.n_iter_ = len(history)
        self.device_ = device
        self.user_factors_ = X.cpu().numpy()
        self.item_factors_ = Y.cpu().numpy()
        self._device_factors = (X, Y)
        return self

    def _objective(self, side, X, Y):
        """The training objective per stored interaction (one SDDMM).

        Implicit: ``sum_all c (p - x.y)^2 + reg (|X|^2 + |Y|^2)``, with the
        unobserved pairs' ``sum (x.y)^2 = trace(X^T X Y^T Y)``; explicit: the
        weighted squared error over the observed ratings plus the same L2 term.
        """
        s = side.sddmm(X, Y)
        w, b = side.w, side.b_values
        # Observed entries: c (p - s)^2 - s^2 = b - 2 b s + w s^2 (implicit, p in {0, 1});
        # w (r - s)^2 = b r - 2 b s + w s^2 (explicit, b = w r).
        if self.feedback == "implicit":
            const = b.sum()
            total = (X.T @ X * (Y.T @ Y)).sum()
        else:
            const = (b * b / w.clamp_min(1e-30)).sum()
            total = 0.0
        total = total + const + (w * s * s - 2.0 * b * s).sum()
        total = total + self.reg * ((X * X).sum() + (Y * Y).sum())
        return float(total) / max(len(s), 1)

    def _item_vectors(self):
        return self.item_factors_

    def _user_vectors(self):
        return self.user_factors_

    def _gram0(self, Y, eye):
        return Y.T @ Y + eye if self.feedback == "implicit" else eye

    def _half_step(self, side, X, Y, eye):
        gram0 = self._gram0(Y, eye)
        if self.solver == "cg":
            return _conjugate_gradient(side, X, Y, gram0, self.cg_steps)
        return _exact_solve(side.indptr, side.indices, side.w, side.b_values, Y, gram0)

    # ------------------------------------------------------------- scoring
    def _factors(self):
        """Device copies of (user, item) factors, rebuilt after unpickling."""
        import torch

        cached = getattr(self, "_device_factors", None)
        if cached is None:
            device = self.device_
            cached = (
                torch.from_numpy(self.user_factors_).to(device),
                torch.from_numpy(self.item_factors_).to(device),
            )
            self._device_factors = cached
        return cached

    def _fold_in(self, history):
        """Factors of users from their interactions, against fixed item factors.

        Parameters
        ----------
        history : scipy.sparse CSR matrix of shape (n_users, n_items_)
            One row per user: confidences ``r`` (implicit) or ratings
            (explicit) over the internal item index.

        Returns
        -------
        factors : torch.Tensor of shape (n_users, n_factors)
            The exact least-squares solution of each user's system.
        """
        import torch

        X, Y = self._factors()
        history = sp.csr_array(history)
        history.sort_indices()
        np_dtype = np.float32 if Y.dtype == torch.float32 else np.float64
        w, b = _weights(history.data, self.feedback, self.alpha, dtype=np_dtype)
        eye = torch.eye(Y.shape[1], dtype=Y.dtype, device=Y.device) * self.reg
        return _exact_solve(
            np.asarray(history.indptr, dtype=np.int64),
            np.asarray(history.indices, dtype=np.int64),
            torch.from_numpy(w).to(device=Y.device, dtype=Y.dtype),
            torch.from_numpy(b).to(device=Y.device, dtype=Y.dtype),
            Y,
            self._gram0(Y, eye),
        )

    def _score_items(self, context, item_idx):
        import torch

        X, Y = self._factors()
        user_idx, history = context.codes, context.matrix
        refold = context.extended  # unknown users, and known ones with extra history
        U = X[torch.from_numpy(np.maximum(user_idx, 0)).to(X.device)]
        if refold.any():
            rows = np.flatnonzero(refold)
            U[torch.from_numpy(rows).to(X.device)] = self._fold_in(history[rows])
        V = Y if item_idx is None else Y[torch.from_numpy(np.asarray(item_idx)).to(Y.device)]
        return U @ V.T

    def _predict_pairs(self, user_idx, item_idx, features=None):
        U = self.user_factors_[user_idx].astype(np.float64)
        V = self.item_factors_[item_idx].astype(np.float64)
        return np.einsum("ij,ij->i", U, V)


def _transpose(R):
    """R^T as a CSR structure, and the permutation from R's entries to its entries."""
    idx = np.int32 if R.nnz < 2**31 - 1 else np.int64
    T = sp.csr_array((np.arange(R.nnz, dtype=idx), R.indices, R.indptr), shape=R.shape).T.tocsr()
    T.sort_indices()
    perm = T.data
    T.data = R.data[perm]
    return T, perm


def _aligned(R, user, item, values):
    """Values per row summed onto R's sorted CSR entries."""
    M = sp.csr_array((np.asarray(values, dtype=np.float64), (user, item)), shape=R.shape)
    M.sum_duplicates()
    M.sort_indices()
    return M.data
