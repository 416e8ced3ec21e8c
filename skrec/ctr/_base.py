"""Shared machinery of the CTR family: the field encoder and the estimator base.

:class:`_FieldEncoder` turns the columns of an interaction table into
*fields*, the input of every factorization-machine style model:

- the user id and the item id are one-hot fields;
- a categorical column (object, string, category or bool dtype that is not
  numeric) is a one-hot field over the categories seen at fit; a category
  unseen at fit (or a missing value at scoring time) maps to the field's
  reserved "unknown" index with value 0, so it contributes nothing;
- a numeric column is a real-valued field ``x * v_f`` (standardized with the
  training mean and standard deviation);
- a multi-valued column (each entry a list, tuple, set or 1-D array, e.g.
  genres) is a bag: its values share the field and each gets weight
  ``1 / len(bag)`` (mean pooling); bags are cut to the longest bag seen at
  fit.

Each column belongs to an *owner*: ``user__*`` columns and columns constant
within each user belong to the user, ``item__*`` columns and columns
constant within each item to the item (checked first), and the rest are
*context* fields of the row (read at fit and by ``predict``, left out, i.e.
zero, when ranking the catalog). One feature row is kept per item from fit,
so the whole catalog is scored, and one per user; a user unseen at fit takes
the user columns of their latest ``history`` row that has them.

The encoder's output is a pair of arrays per owner, ``idx`` (int64 indices
into one shared embedding table) and ``val`` (float32 values), of shape
``(n_rows, n_slots)``: one slot per one-hot or numeric field and
``max_len`` slots per bag (padding has value 0). ``pool`` matrices map the
slots of an owner to its fields (``(n_slots, n_fields)``), for the models
that need one vector per field.
"""

from __future__ import annotations

import copy
import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.utils.validation import check_is_fitted

from .._data import check_interactions, check_n_features, encode, warn_id_kinds
from .._torch import PairwiseRecommender
from .._torch._docs import fill_engine_doc, fill_params_doc
from .._torch._pairs import LOSSES
from ..base import RecommenderTags
from ..utils._compat import Interval, StrOptions

OWNERS = ("user", "item", "context")
_BAG_TYPES = (list, tuple, set, frozenset, np.ndarray)


def _is_bag_column(col):
    if col.dtype != object:
        return False
    values = col.to_numpy()
    kinds = [isinstance(v, _BAG_TYPES) for v in values]
    if any(kinds) and not all(kinds):
        raise TypeError(
            f"Column {col.name!r} mixes multi-valued entries (lists) with single values; "
            "use a list in every row (an empty list for none)."
        )
    return bool(kinds) and all(kinds)


def _column_kind(col):
    """ "numeric", "categorical" or "bag" for a side-feature column (or a TypeError)."""
    if col.isna().all():
        raise ValueError(
            f"Side-feature column {col.name!r} is all NaN: it carries no information; drop it."
        )
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return "numeric"
    if (
        isinstance(col.dtype, pd.CategoricalDtype)
        or pd.api.types.is_string_dtype(col)
        and col.dtype != object
    ):
        return "categorical"
    if _is_bag_column(col):
        return "bag"
    values = col.to_numpy()
    try:
        pd.to_numeric(col)
        if all(isinstance(v, (numbers.Number, np.number)) for v in values):
            return "numeric"
    except (TypeError, ValueError):
        pass
    for v in values:
        if isinstance(v, (dict, list, set)) or not _hashable(v):
            raise TypeError(
                f"Side-feature column {col.name!r} holds {type(v).__name__} values, which are "
                "neither categories (str, int, bool, ...), numbers nor bags (lists); encode "
                "it first or drop it."
            )
    return "categorical"


def _hashable(v):
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _bag_key(v):
    return tuple(sorted(map(str, v)))


def _column_codes(col, kind):
    """Integer codes of a column's values (equal values, equal codes)."""
    if kind == "numeric":
        return pd.factorize(pd.to_numeric(col).to_numpy(dtype=np.float64))[0]
    if kind == "bag":
        return pd.factorize(pd.Series([_bag_key(v) for v in col], dtype=object))[0]
    return pd.factorize(col.astype(object))[0]


def _constant_within(codes, owner, n_owners):
    first = np.full(n_owners, -2, dtype=np.int64)
    order = np.arange(len(owner))[::-1]
    first[owner[order]] = codes[order]
    return bool(np.all(first[owner] == codes))


class _Field:
    """One field: its column, kind, owner and place in the embedding table."""

    def __init__(self, name, kind, owner, offset, size, n_slots, vocab=None, mean=0.0, scale=1.0):
        self.name, self.kind, self.owner = name, kind, owner
        self.offset, self.size, self.n_slots = offset, size, n_slots
        self.vocab, self.mean, self.scale = vocab, mean, scale

    @property
    def unknown(self):
        """Index of the reserved "unknown" entry (one-hot and bag fields)."""
        return self.offset + self.size - 1

    def encode(self, col):
        """(idx, val) of shape (n, n_slots) for a column (None: the field left out)."""
        n = len(col) if col is not None else 0
        idx = np.full(
            (n, self.n_slots),
            self.unknown if self.kind != "numeric" else self.offset,
            dtype=np.int64,
        )
        val = np.zeros((n, self.n_slots), dtype=np.float32)
        if col is None:
            return idx, val
        if self.kind == "numeric":
            x = pd.to_numeric(pd.Series(col), errors="coerce").to_numpy(dtype=np.float64)
            x = (x - self.mean) / self.scale
            ok = np.isfinite(x)
            val[ok, 0] = x[ok]
        elif self.kind == "categorical":
            codes = self.vocab.get_indexer(pd.Series(col).astype(object))
            ok = codes >= 0
            idx[ok, 0] = self.offset + codes[ok]
            val[ok, 0] = 1.0
        else:  # bag: every row's values at once
            bags = [b if isinstance(b, _BAG_TYPES) else () for b in col]
            lengths = np.fromiter(map(len, bags), dtype=np.int64, count=n)
            flat = [v for b in bags for v in b]
            if flat:
                codes = self.vocab.get_indexer(pd.Index(flat, dtype=object))
                rows = np.repeat(np.arange(n), lengths)
                keep = codes >= 0
                rows, codes = rows[keep], codes[keep]
                count = np.bincount(rows, minlength=n)
                starts = np.cumsum(count) - count
                rank = np.arange(len(rows)) - starts[rows]
                fit = rank < self.n_slots
                used = np.minimum(count, self.n_slots)
                idx[rows[fit], rank[fit]] = self.offset + codes[fit]
                val[rows[fit], rank[fit]] = 1.0 / used[rows[fit]]
        return idx, val


class _FieldEncoder:
    """Turns side-feature columns into fields (see the module docstring).

    ``fit(features, user, item, n_users, n_items)`` learns the fields from
    the training rows and keeps one slot row per user and per item
    (``user_table``, ``item_table``: pairs ``(idx, val)``; the item table
    starts with the item-id slot). ``transform(features, owner)`` encodes
    rows for one owner. The user id is not in the shared table: models keep
    it in their own user embedding (so that fold-in can replace it).
    """

    def fit(self, features, user, item, n_users, n_items):
        user = np.asarray(user, dtype=np.int64)
        item = np.asarray(item, dtype=np.int64)
        fields = []
        # The item id: a one-hot field first in the table, "unknown" last.
        offset = n_items + 1
        self.item_id_field = _Field("item", "categorical", "item", 0, n_items + 1, 1)
        columns = [] if features is None else list(features.columns)
        for name in columns:
            col = features[name]
            kind = _column_kind(col)
            codes = _column_codes(col, kind)
            sname = str(name)
            if sname.startswith("user__"):
                owner = "user"
            elif sname.startswith("item__") or _constant_within(codes, item, n_items):
                owner = "item"
            elif _constant_within(codes, user, n_users):
                owner = "user"
            else:
                owner = "context"
            if kind == "numeric":
                x = pd.to_numeric(col).to_numpy(dtype=np.float64)
                mean = float(np.nanmean(x))
                scale = float(np.nanstd(x)) or 1.0
                field = _Field(name, kind, owner, offset, 1, 1, mean=mean, scale=scale)
            elif kind == "categorical":
                vocab = pd.Index(pd.unique(col.dropna().astype(object)))
                field = _Field(name, kind, owner, offset, len(vocab) + 1, 1, vocab=vocab)
            else:
                flat = [v for bag in col for v in bag]
                vocab = pd.Index(pd.unique(pd.Series(flat, dtype=object)))
                max_len = max(1, max(len(bag) for bag in col))
                field = _Field(name, kind, owner, offset, len(vocab) + 1, max_len, vocab=vocab)
            offset += field.size
            fields.append(field)
        self.fields = fields
        self.n_features = offset
        self.n_users, self.n_items = n_users, n_items
        # One row per user / item: the first training row of each (their columns are
        # constant within the owner).
        first_u = _first_rows(user, n_users)
        first_i = _first_rows(item, n_items)
        uf = None if features is None else features.iloc[first_u].reset_index(drop=True)
        itf = None if features is None else features.iloc[first_i].reset_index(drop=True)
        self.user_table = self.transform(uf, "user", n=n_users)
        idx, val = self.transform(itf, "item", n=n_items)
        self.item_table = (
            np.concatenate([np.arange(n_items)[:, None], idx], axis=1),
            np.concatenate([np.ones((n_items, 1), np.float32), val], axis=1),
        )
        return self

    def owner_fields(self, owner):
        return [f for f in self.fields if f.owner == owner]

    def has_columns(self, frame, owner):
        """Whether ``frame`` holds every column of the owner's fields."""
        if frame is None:
            return False
        cols = set(map(str, frame.columns))
        return all(str(f.name) in cols for f in self.owner_fields(owner))

    def transform(self, features, owner, n=None):
        """(idx, val) arrays of shape (n_rows, n_slots) of the owner's fields.

        A column absent from ``features`` leaves its field out (value 0).
        """
        fields = self.owner_fields(owner)
        if n is None:
            n = 0 if features is None else len(features)
        names = {} if features is None else {str(c): c for c in features.columns}
        idxs, vals = [np.zeros((n, 0), np.int64)], [np.zeros((n, 0), np.float32)]
        for f in fields:
            col = features[names[str(f.name)]] if str(f.name) in names else None
            if col is None:
                i, v = f.encode(pd.Series([np.nan] * n, dtype=object))
                v[:] = 0.0
            else:
                i, v = f.encode(col.reset_index(drop=True))
            idxs.append(i)
            vals.append(v)
        return np.concatenate(idxs, axis=1), np.concatenate(vals, axis=1)

    def item_rows(self, features, item_codes):
        """Item slots of rows: the fitted table for known items, the row's columns else."""
        item_codes = np.asarray(item_codes, dtype=np.int64)
        idx, val = self.transform(features, "item", n=len(item_codes))
        idx = np.concatenate([np.full((len(item_codes), 1), self.n_items), idx], axis=1)
        val = np.concatenate([np.zeros((len(item_codes), 1), np.float32), val], axis=1)
        known = item_codes >= 0
        idx[known] = self.item_table[0][item_codes[known]]
        val[known] = self.item_table[1][item_codes[known]]
        return idx, val

    def pool(self, owner):
        """(n_slots, n_fields) 0/1 matrix from the owner's slots to its fields.

        The user's matrix counts the user-id slot first; the item's the
        item-id slot first.
        """
        sizes = [f.n_slots for f in self.owner_fields(owner)]
        if owner in ("user", "item"):
            sizes = [1] + sizes
        out = np.zeros((sum(sizes), len(sizes)), dtype=np.float32)
        start = 0
        for j, s in enumerate(sizes):
            out[start : start + s, j] = 1.0
            start += s
        return out

    def describe(self):
        """A list of (column, kind, owner, n_values) for each side field."""
        return [(f.name, f.kind, f.owner, f.size - (f.kind != "numeric")) for f in self.fields]


def _has_user_columns(rows, fields):
    """Per owner of ``rows``: whether one of its rows has a user feature column set."""
    names = {str(c): c for c in rows.features.columns}
    cols = [names[str(f.name)] for f in fields if str(f.name) in names]
    if not cols:
        return np.zeros(len(rows.indptr) - 1, dtype=bool)
    present = rows.features[cols].notna().any(axis=1).to_numpy()
    counts = np.add.reduceat(np.r_[present, False].astype(np.int64), rows.indptr[:-1]) \
        if len(present) else np.zeros(len(rows.indptr) - 1, dtype=np.int64)
    return (counts > 0) & (rows.lengths() > 0)


def _first_rows(owner, n):
    first = np.zeros(n, dtype=np.int64)
    order = np.arange(len(owner))[::-1]
    first[owner[order]] = order
    return first


# -------------------------------------------------------------- estimator base
_FEEDBACK_OF_LOSS = {"mse": "explicit", "bce": "binary", "bpr": "implicit"}


class _CTRBase(PairwiseRecommender):
    """Base of the CTR estimators: fields from the table, pairwise training.

    Subclasses store their parameters and write ``_make_module(encoder)``.
    """

    _parameter_constraints: dict = {
        **PairwiseRecommender._parameter_constraints,
        "n_factors": [Interval(numbers.Integral, 1, None, closed="left")],
        "loss": [StrOptions(set(LOSSES))],
        "feedback": [StrOptions({"explicit", "binary", "implicit"}), None],
        "reg": [Interval(numbers.Real, 0, None, closed="left")],
        "init_std": [Interval(numbers.Real, 0, None, closed="neither")],
    }
    _module_inputs = ("u_idx", "u_val", "c_idx", "c_val")
    _user_param_names = ("user_emb.weight", "user_bias.weight")
    _fold_in_steps = 20
    _fold_in_lr = 0.05

    # ------------------------------------------------------------ tags
    def _feedback_kind(self):
        fb = getattr(self, "feedback", None)
        if fb is not None:
            return fb
        return _FEEDBACK_OF_LOSS.get(getattr(self, "loss", "bce"), "binary")

    def __skrec_tags__(self):
        return RecommenderTags(
            feedback=self._feedback_kind(), fold_in=True, side_features=True, torch=True,
            cold_items=True, user_features=True,
        )

    def _check_loss(self):
        kind, loss = self._feedback_kind(), self.loss
        allowed = {"explicit": ("mse",), "binary": ("bce",), "implicit": ("bce", "bpr")}[kind]
        if loss not in allowed:
            raise ValueError(
                f"loss={loss!r} does not fit feedback={kind!r}: explicit ratings take "
                "loss='mse', binary 0/1 labels loss='bce', implicit feedback (sampled "
                "negatives) loss='bce' or 'bpr'."
            )

    # ---------------------------------------------------------- training
    def _prepare_fit(self, data):
        self._check_loss()
        super()._prepare_fit(data)
        enc = _FieldEncoder().fit(data.features, data.user, data.item, data.n_users, data.n_items)
        self._encoder = enc
        self.fields_ = enc.describe()

    def _build_module(self, data):
        module = self._make_module(self._encoder)
        if self._feedback_kind() == "explicit":  # start from the mean rating
            with torch.no_grad():
                module.w0.fill_(float(np.mean(data.y)))
        return module

    def _training_rows(self, data):
        rows = super()._training_rows(data)
        if "y" in rows:  # a read-only view (pandas copy-on-write) upsets torch.as_tensor
            rows["y"] = np.array(rows["y"], dtype=np.float64)
        enc = self._encoder
        rows["u_idx"] = enc.user_table[0][data.user]
        rows["u_val"] = enc.user_table[1][data.user]
        c_idx, c_val = enc.transform(data.features, "context", n=len(data.user))
        rows["c_idx"], rows["c_val"] = c_idx, c_val
        return rows

    # ----------------------------------------------------------- scoring
    def _context_user_slots(self, context):
        """User slots of a context's users: training rows, else the latest history row."""
        enc = self._encoder
        n = len(context)
        idx, val = enc.transform(None, "user", n=n)
        known = context.known
        idx[known] = enc.user_table[0][context.codes[known]]
        val[known] = enc.user_table[1][context.codes[known]]
        rows = context.rows
        fields = enc.owner_fields("user")
        if fields and rows is not None and rows.features is not None and (~known).any():
            names = {str(c): c for c in rows.features.columns}
            cols = [names[str(f.name)] for f in fields if str(f.name) in names]
            if cols:
                present = rows.features[cols].notna().any(axis=1).to_numpy()
                picks, owners = [], []
                for r in np.flatnonzero(~known):
                    ok = np.flatnonzero(present[rows.indptr[r] : rows.indptr[r + 1]])
                    if len(ok):
                        picks.append(rows.indptr[r] + ok[-1])
                        owners.append(r)
                if picks:
                    frame = rows.features.iloc[picks].reset_index(drop=True)
                    i, v = enc.transform(frame, "user")
                    idx[owners], val[owners] = i, v
        given = context.features
        if fields and given is not None:  # user_features=: for unknown users without them
            have = np.zeros(n, dtype=bool)
            if rows is not None and rows.features is not None:
                have = _has_user_columns(rows, fields)
            pick = np.flatnonzero(~known & ~have & given.notna().any(axis=1).to_numpy())
            if len(pick):
                i, v = enc.transform(given.iloc[pick].reset_index(drop=True), "user")
                idx[pick], val[pick] = i, v
        return idx, val

    def _forward_extras(self, context):
        idx, val = self._context_user_slots(context)
        extras = {
            "u_idx": torch.as_tensor(idx, device=self.device_),
            "u_val": torch.as_tensor(val, device=self.device_),
        }
        if context.new_items is not None:  # items unseen at fit: slots from their features
            n_new = len(context.new_items)
            i_idx, i_val = self._encoder.item_rows(context.new_items, np.full(n_new, -1))
            extras["new_i_idx"] = torch.as_tensor(i_idx, device=self.device_)
            extras["new_i_val"] = torch.as_tensor(i_val, device=self.device_)
        return extras

    def _catalog(self, module, users, item_idx, extras):
        """Scores of fitted items (the engine's) and of new items (from their slots)."""
        extras = dict(extras)
        new_idx, new_val = extras.pop("new_i_idx", None), extras.pop("new_i_val", None)
        if new_idx is None or item_idx is None:
            return super()._catalog(module, users, item_idx, extras)
        item_idx = np.asarray(item_idx, dtype=np.int64)
        old = np.flatnonzero(item_idx < self.n_items_)
        cold = np.flatnonzero(item_idx >= self.n_items_)
        parts, where = [], []
        if len(old):
            parts.append(super()._catalog(module, users, item_idx[old], extras))
            where.append(old)
        n = len(users)
        width = max(1, (1 << 20) // max(n * new_idx.shape[1] * getattr(module, "k", 1), 1))
        for start in range(0, len(cold), width):
            sel = cold[start:start + width]
            codes = torch.as_tensor(item_idx[sel] - self.n_items_, device=self.device_)
            m = len(sel)
            block = torch.zeros((n, m), dtype=torch.long, device=self.device_)
            scores, _ = module(
                users, block,
                i_idx=new_idx[codes].unsqueeze(0).expand(n, -1, -1),
                i_val=new_val[codes].unsqueeze(0).expand(n, -1, -1),
                **extras,
            )
            parts.append(scores)
            where.append(sel)
        out = torch.empty((n, len(item_idx)), dtype=parts[0].dtype, device=parts[0].device)
        for part, cols in zip(parts, where):
            out[:, torch.as_tensor(cols, device=out.device)] = part
        return out

    def _history_rows(self, context):
        rows = context.rows
        enc = self._encoder
        owner = np.repeat(np.arange(len(context)), rows.lengths())
        out = {"user": owner, "item": np.asarray(rows.items, dtype=np.int64)}
        kind = self._feedback_kind()
        if kind in ("explicit", "binary"):
            out["y"] = np.asarray(rows.y, dtype=np.float64)
        u_idx, u_val = self._context_user_slots(context)
        out["u_idx"], out["u_val"] = u_idx[owner], u_val[owner]
        out["c_idx"], out["c_val"] = enc.transform(rows.features, "context", n=len(owner))
        return out

    def predict(self, X):
        """Predict each row of ``X`` from its user, item and feature columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_interactions, n_columns)
            Rows read like the ``X`` of :meth:`fit`. A user or item unseen
            at fit is predicted from the row's own feature columns (its id
            field is left out), so a cold item is scored from its
            attributes; known users and items use their fitted features.

        Returns
        -------
        y_pred : ndarray of float64, shape (n_interactions,)
            The click probability (``feedback="binary"``), the rating
            (``"explicit"``, clipped to the training range) or the
            relevance score (``"implicit"``).
        """
        check_is_fitted(self, "module_")
        check_n_features(self, X, reset=False)
        table = check_interactions(X)
        warn_id_kinds(table.user, self._user_index, self._fitted_id_kinds(0), "X", "user")
        warn_id_kinds(table.item, self._item_index, self._fitted_id_kinds(1), "X", "item")
        enc = self._encoder
        u = encode(table.user, self._user_index)
        i = encode(table.item, self._item_index)
        feats = table.features
        n = len(u)
        u_idx, u_val = enc.transform(feats, "user", n=n)
        ku = u >= 0
        u_idx[ku] = enc.user_table[0][u[ku]]
        u_val[ku] = enc.user_table[1][u[ku]]
        i_idx, i_val = enc.item_rows(feats, i)
        c_idx, c_val = enc.transform(feats, "context", n=n)
        # In float64: float32 matrix products differ in the last bits with the batch
        # shape, and a row's prediction must not depend on the rows around it.
        module = copy.deepcopy(self.module_).double()
        module.eval()
        out = np.empty(n, dtype=np.float64)
        step = 1 << 15
        dev = self.device_
        with torch.no_grad():
            for s in range(0, n, step):
                sl = slice(s, s + step)
                t = {
                    k: torch.as_tensor(
                        v[sl], device=dev, dtype=torch.float64 if v.dtype.kind == "f" else None
                    )
                    for k, v in dict(
                        u_idx=u_idx, u_val=u_val, i_idx=i_idx, i_val=i_val, c_idx=c_idx, c_val=c_val
                    ).items()
                }
                pred, _ = module(
                    torch.as_tensor(np.maximum(u[sl], 0), device=dev),
                    torch.as_tensor(np.maximum(i[sl], 0), device=dev),
                    u_on=torch.as_tensor(ku[sl], dtype=torch.float64, device=dev),
                    **t,
                )
                out[sl] = pred.double().cpu().numpy()
        kind = self._feedback_kind()
        if kind == "binary":
            return 1.0 / (1.0 + np.exp(-out))
        if kind == "explicit":
            return np.clip(out, *self._y_range)
        return out


# ------------------------------------------------------------------ docs
#: The parameters every CTR model shares, documented once (``{ctr_params}``).
CTR_PARAMS = {
    "n_factors": (
        'int',
        'Dimension ``k`` of every field embedding.',
    ),
    "loss": (
        '{"bce", "mse", "bpr"}',
        '``"bce"``: log loss on 0/1 labels (``feedback="binary"``, the default) or of '
        'positives against sampled negatives (``feedback="implicit"``); ``"mse"``: '
        'squared error on ratings (explicit feedback); ``"bpr"``: the pairwise BPR loss '
        'against sampled negatives (implicit).',
    ),
    "feedback": (
        '{"binary", "implicit", "explicit"} or None',
        'What ``y`` holds. None derives it from ``loss``: ``"bce"`` -> binary (``y`` '
        'required, 0/1 labels: click logs), ``"mse"`` -> explicit (ratings), ``"bpr"`` ->'
        ' implicit. Set ``feedback="implicit"`` with ``loss="bce"`` to learn from '
        'positives only with sampled negatives.',
    ),
    "reg": (
        'float',
        'L2 penalty per training row on the squared norms of the vectors the row uses '
        "(user, item and context fields) and of the user's linear weight; about 0.1 suits"
        ' ratings, clicks want less.',
    ),
    "n_negatives": (
        'int',
        'Negatives sampled per positive (implicit feedback only).',
    ),
    "sampler": (
        '{"uniform", "popularity"}',
        'Distribution of the sampled negatives.',
    ),
    "init_std": (
        'float',
        'Standard deviation of the initial embeddings.',
    ),
}
#: The MLP parameters of the deep CTR models (``{deep_params}``).
DEEP_PARAMS = {
    "hidden_layer_sizes": (
        'tuple of int',
        'Widths of the hidden ReLU layers of the MLP.',
    ),
    "dropout": (
        'float in [0, 1)',
        'Dropout after each hidden layer.',
    ),
}


def fill_ctr_doc(cls):
    """Class decorator: fill the ``{ctr_params}``, ``{deep_params}`` and
    ``{engine_params}`` lines of the docstring (each with the class's defaults)."""
    cls = fill_params_doc(cls, "ctr_params", CTR_PARAMS)
    cls = fill_params_doc(cls, "deep_params", DEEP_PARAMS)
    return fill_engine_doc(cls)
