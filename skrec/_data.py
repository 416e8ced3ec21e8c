"""Reading interaction tables, encoding ids and building the user x item CSR.

Everything that turns user input (a DataFrame or a 2-D array of interactions,
targets, weights) into integer-coded arrays lives here, so that no estimator
maps ids by itself.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils import assert_all_finite
from sklearn.utils.validation import check_array, validate_data

from ._constants import ITEM, SESSION, TIME, USER

DUPLICATE_POLICIES = ("keep", "sum", "mean", "first", "last", "error")


@dataclass
class Table:
    """Columns of a validated interaction table, ids not yet encoded."""

    user: np.ndarray
    item: np.ndarray
    timestamp: np.ndarray | None = None
    session: np.ndarray | None = None
    features: pd.DataFrame | None = None

    def __len__(self):
        return len(self.user)


@dataclass
class Interactions:
    """Integer-coded training data handed to an estimator's ``_fit`` hook.

    Attributes
    ----------
    user, item : ndarray of int32 (int64 beyond 2**31 ids)
        Codes into ``user_ids_`` and ``item_ids_``, one per (kept) row.
    y : ndarray of float64 or None
        Target per row (rating, or confidence for implicit feedback).
    sample_weight : ndarray of float64 or None
        Weight per row.
    timestamp, session : ndarray or None
        Raw columns when the table had them.
    features : DataFrame or None
        Side-feature columns, row-aligned with ``user``.
    matrix : scipy.sparse.csr_array
        ``n_users x n_items`` matrix of the (aggregated) interactions.
    n_users, n_items : int
    """

    user: np.ndarray
    item: np.ndarray
    y: np.ndarray | None
    sample_weight: np.ndarray | None
    matrix: sp.csr_array
    n_users: int
    n_items: int
    timestamp: np.ndarray | None = None
    session: np.ndarray | None = None
    features: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)


def _sparse_message(name):
    return (
        f"{name} is a sparse matrix, but skrec reads an interaction table with one row per "
        "interaction (so that cross-validation splits interactions, not users). Convert a "
        "user x item matrix with `X, y = skrec.utils.from_csr(matrix)`."
    )


#: pandas' inferred types of object arrays that hold only hashable scalars.
_PURE_IDS = frozenset({"string", "bytes", "integer", "floating", "mixed-integer-float",
                       "boolean", "decimal", "empty"})


def _id_kind(value):
    """Coarse type of one id: ids of different kinds never match each other."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (numbers.Number, np.number)):
        return "int" if isinstance(value, (numbers.Integral, np.integer)) else "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bytes):
        return "bytes"
    return type(value).__name__


# pandas' inferred type of a homogeneous array -> the kind of its ids.
_INFERRED_KIND = {
    "integer": "int", "floating": "float", "mixed-integer-float": "float", "decimal": "float",
    "string": "str", "bytes": "bytes", "boolean": "bool",
}
# Kinds whose values compare equal across kinds (1 == 1.0 == True in an Index).
_NUMERIC_KINDS = frozenset({"int", "float"})


def id_kinds(values):
    """The set of id kinds (``"int"``, ``"float"``, ``"str"``, ...) in an id array or Index."""
    values = values.to_numpy() if isinstance(values, (pd.Index, pd.Series)) else values
    if len(values) == 0:
        return frozenset()
    if values.dtype.kind in "iu":
        return frozenset({"int"})
    if values.dtype.kind == "f":
        return frozenset({"float"})
    if values.dtype.kind == "b":
        return frozenset({"bool"})
    if values.dtype.kind == "U":
        return frozenset({"str"})
    if values.dtype.kind == "S":
        return frozenset({"bytes"})
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _INFERRED_KIND:
        return frozenset({_INFERRED_KIND[inferred]})
    return frozenset(_id_kind(v) for v in values)


def _converted(value, kinds):
    """``value`` written as each fitted kind it can be read as (``"1"`` -> ``1``, ``1.0``)."""
    out = []
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    for kind in kinds:
        try:
            if kind == "str":
                out.append(str(text))
            elif kind == "bytes":
                out.append(str(text).encode())
            elif kind == "int":
                f = float(text)
                if float(f).is_integer():
                    out.append(int(f))
            elif kind == "float":
                out.append(float(text))
        except (TypeError, ValueError, OverflowError):
            pass
    return out


def warn_id_kinds(values, index, fitted_kinds, name, what):
    """Warn when a query id matches a fitted id only once converted to the fitted type.

    ``recommend(["1"])`` on a model fit on int user ids would otherwise serve
    user ``1`` the popularity fallback without a word (ids of different
    types never match: ``1 != "1"``). A new id of another type (``"new"`` next
    to int ids, folded in from history) is not warned about.
    """
    if not len(values) or not fitted_kinds:
        return
    kinds = id_kinds(values)
    new = kinds - fitted_kinds
    if fitted_kinds & _NUMERIC_KINDS:
        new -= _NUMERIC_KINDS
    if not new:
        return
    odd = [v for v in pd.unique(np.asarray(values, dtype=object)) if _id_kind(v) in new]
    for v in odd:
        alt = _converted(v, fitted_kinds)
        if alt and (encode(np.array(alt, dtype=object), index) >= 0).any():
            warnings.warn(
                f"{name} holds {what} ids of type {_id_kind(v)} (e.g. {v!r}), but the model "
                f"was fit on {what} ids of type {'/'.join(sorted(fitted_kinds))}, and "
                f"{alt[0]!r} is one of them: ids of different types never match (1 != '1'), "
                "so these are treated as unseen at fit. Convert them to the fitted type.",
                UserWarning,
                stacklevel=3,
            )
            return


def is_scalar_like(value):
    """Whether ``value`` is one value rather than an array-like (no conversion attempted)."""
    if isinstance(value, np.ndarray):
        return value.ndim == 0
    return isinstance(value, (str, bytes)) or not (
        hasattr(value, "__iter__") or hasattr(value, "__len__") or hasattr(value, "__array__")
    )


def as_ids(values, name, *, check_missing=True):
    """The one validation path for a 1-D array of ids.

    Lists and other sequences are read element by element, so that mixed
    types are kept as they are (``["a", 2]`` stays a str and an int, where
    ``np.asarray`` would make ``"2"``); homogeneous numbers stay a numeric
    array. Tuples are ids like any hashable value: a list of tuples is a
    1-D array of tuple ids (``np.asarray`` would make it 2-D, so that a
    tuple id could be fitted but never queried). Missing ids (NaN or None)
    and unhashable ids (list, dict, set) are refused, naming ``name``; a
    nested list is a ``ValueError`` (not 1-D).

    Parameters
    ----------
    values : array-like of shape (n,)
        Ids: a list, tuple, ndarray, pandas Series or Index.
    name : str
        Argument name used in the messages.
    check_missing : bool, default=True
        Whether NaN / None ids are refused.

    Returns
    -------
    ids : ndarray of shape (n,)
        A numeric or string ndarray for homogeneous input, else an object
        array holding the original values.

    Raises
    ------
    ValueError
        ``values`` is a scalar or not 1-D, or holds missing or infinite ids.
    TypeError
        A sparse matrix or unhashable ids.
    """
    if sp.issparse(values):
        raise TypeError(f"{name} must be a 1-D array-like of ids, got a sparse matrix.")
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    if isinstance(values, (dict, set, frozenset)) or is_scalar_like(values):
        raise ValueError(
            f"{name} must be a 1-D array-like of ids, got the {type(values).__name__} "
            f"{values!r}; pass [{values!r}] for one id."
        )
    if not isinstance(values, (np.ndarray, list, tuple)) and hasattr(values, "__array__"):
        values = np.asarray(values)  # a tensor, a pandas array: elements would not be ids
    if isinstance(values, np.ndarray):
        arr = values
    else:
        seq = list(values)
        # element by element: no coercion ("2" of 2), no broadcasting of nested lists
        arr = np.fromiter(seq, dtype=object, count=len(seq))
        inferred = pd.api.types.infer_dtype(arr, skipna=False) if len(arr) else "empty"
        if inferred not in _PURE_IDS:
            for i, v in enumerate(seq):
                if isinstance(v, (list, np.ndarray, pd.Series)):
                    raise ValueError(
                        f"{name} must be 1-D, got a nested sequence (element {i} is a "
                        f"{type(v).__name__}: {v!r}); each id must be a scalar (int, str, ...)."
                    )
        if inferred in ("integer", "floating", "boolean"):  # ints next to floats stay as given
            native = np.asarray(seq)
            if native.dtype.kind in "biuf" and native.ndim == 1:
                arr = native
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got an array of shape {arr.shape}.")
    if arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {arr.dtype}.")
    n_inf = 0
    pure = arr.dtype == object and len(arr) and (
        pd.api.types.infer_dtype(arr, skipna=True) in _PURE_IDS)
    if pure:  # only hashable scalars (and maybe NaN / None): no loop needed
        if pd.api.types.infer_dtype(arr, skipna=True) in ("floating", "mixed-integer-float"):
            finite = ~pd.isna(arr)
            n_inf = int(np.isinf(arr[finite].astype(np.float64)).sum())
    elif arr.dtype == object:
        for v in arr:
            if isinstance(v, (float, np.floating)) and np.isinf(v):
                n_inf += 1
                continue
            try:
                hash(v)
            except TypeError:
                raise TypeError(
                    f"{name} must hold hashable ids (int, str, ...); found an unhashable "
                    f"{type(v).__name__}: {v!r}."
                ) from None
    if check_missing:
        missing = pd.isna(arr)
        if np.any(missing):
            first = int(np.flatnonzero(missing)[0])
            raise ValueError(
                f"{name} contains {int(missing.sum())} missing id(s) (NaN or None), first at "
                f"position {first}. Drop or fill those rows first."
            )
    if arr.dtype.kind == "f":
        n_inf = int(np.isinf(arr).sum())
    if n_inf:
        raise ValueError(f"Input {name} contains infinity ({n_inf} id(s)); ids must be finite.")
    return arr


def check_ids(values, name):
    """Check a 1-D column of ids: no missing values, all hashable (see :func:`as_ids`)."""
    return as_ids(values, name)


def _empty_message(name, shape):
    return (
        f"{name} is empty: 0 sample(s) (shape={shape}) while a minimum of 1 is required; "
        "it needs at least one interaction."
    )


def _check_finite_ids(values, name):
    """:func:`as_ids`: missing, infinite, unhashable and container ids refused."""
    return as_ids(values, name)


def _check_side_features(features, name, *, by_name):
    """Refuse NaN / None (any column) and infinity (numeric columns) in side features."""
    for j, col in enumerate(features.columns):
        values = features[col]
        label = f"{name}[{col!r}]" if by_name else f"{name}[:, {j + 2}]"
        if values.dtype.kind in "biuf":
            bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
        else:
            bad = pd.isna(values).to_numpy()
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"Input {label} contains NaN or infinity ({int(bad.sum())} value(s), first at "
                f"row {first}): side features must be finite for every model. Impute or drop "
                "them first (e.g. SimpleImputer in a ColumnTransformer), or drop the column."
            )


def check_n_features(estimator, X, *, reset):
    """Record (``reset=True``) or check ``n_features_in_`` / ``feature_names_in_``.

    scikit-learn's own ``validate_data`` does the work, so a table with a
    different number of columns, or DataFrame columns in another order or
    under other names than at fit, gets scikit-learn's messages. Inputs that
    are not 2-D are left to :func:`check_interactions`, whose message is
    clearer for them.
    """
    if sp.issparse(X):
        return
    ndim = getattr(X, "ndim", None)
    if ndim is None:
        try:
            ndim = np.asarray(X).ndim
        except (ValueError, TypeError):  # ragged nested lists and the like
            return
    if ndim == 2:
        validate_data(estimator, X, reset=reset, skip_check_array=True)


class _PositionalColumns:
    """Columns of a table read by position (a DataFrame without column names)."""

    def __init__(self, columns, shape):
        self.columns = columns
        self.shape = shape

    def __len__(self):
        return self.shape[0]


def _read_rows(X, name):
    """Columns of a list-like table, read row by row into object columns.

    ``np.asarray`` would coerce a list of rows with mixed types to one dtype
    (``[[1, "x"]]`` becomes strings); each column is instead kept as given
    and turned into a native array only when it is homogeneous.
    """
    rows = list(X)
    if not rows:
        return [], (0,)
    if any(is_scalar_like(r) for r in rows):
        return [], (len(rows),)
    try:
        rows = [list(r) for r in rows]
    except TypeError:
        return [], (len(rows),)
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(
            f"{name} has rows of different lengths {sorted(widths)[:5]}; every row of an "
            "interaction table has the same columns (user, item, then side features)."
        )
    width = widths.pop()
    columns = []
    for j in range(width):
        col = np.empty(len(rows), dtype=object)
        for i, r in enumerate(rows):
            col[i] = r[j]
        inferred = pd.api.types.infer_dtype(col, skipna=False)
        numeric = ("integer", "floating", "boolean")
        if j >= 2:  # a side feature: ints next to floats are numbers; an id keeps its type
            numeric += ("mixed-integer-float",)
        if inferred in numeric:
            native = np.asarray(col.tolist())
            if native.dtype.kind in "biuf" and native.ndim == 1:
                col = native
        elif inferred == "complex":
            raise ValueError(f"Complex data not supported: {name} has complex values.")
        columns.append(col)
    return columns, (len(rows), width)


def check_interactions(
    X, *, name="X", require_time=False, require_session=False, allow_empty=False
):
    """Validate an interaction table and split it into its columns.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_interactions, n_columns)
        A DataFrame is read by column name (``user``, ``item``, optional
        ``timestamp`` and ``session``, every other column a side feature).
        A 2-D array (or a DataFrame without any string column name) has the
        user in column 0, the item in column 1 and side features after them.
    name : str, default="X"
        Name used in error messages.
    require_time, require_session : bool, default=False
        Whether the ``timestamp`` / ``session`` column must be present.
    allow_empty : bool, default=False
        Whether a table without rows is accepted (``history`` may be empty).

    Returns
    -------
    Table

    Raises
    ------
    ValueError
        With the wording scikit-learn's own validation uses, so that
        scikit-learn's estimator checks and users read the same messages: a
        1-D array ("Reshape your data"), fewer than two columns ("1
        feature(s) (shape=...) while a minimum of 2 is required"), no rows
        ("0 sample(s)"), complex values ("Complex data not supported"),
        missing or infinite ids, and **NaN or infinite values in any side
        feature column**. Side features are refused with missing values for
        every model, pure collaborative filtering included, so that a
        pipeline behaves the same whichever model ends it: impute them
        first (e.g. after :class:`~skrec.compose.SideFeatureJoiner`, which
        gives unknown ids NaN features).
    TypeError
        A sparse matrix (convert it with :func:`skrec.utils.from_csr`),
        or unhashable ids (see :func:`as_ids`).

    Notes
    -----
    A list of rows is read row by row into one column per position, so ids
    keep their type (``np.asarray`` would turn ``[[1, "x"]]`` into strings);
    a DataFrame without column names is read column by column for the same
    reason.
    """
    if sp.issparse(X):
        raise TypeError(_sparse_message(name))
    if isinstance(X, pd.DataFrame) and not any(isinstance(c, str) for c in X.columns):
        # unnamed columns (e.g. pd.DataFrame(array)): read by position, column by column
        # so that each column keeps its dtype (int ids stay ints next to float features)
        X = _PositionalColumns([X.iloc[:, j].to_numpy() for j in range(X.shape[1])], X.shape)
    if isinstance(X, pd.DataFrame):
        missing = [c for c in (USER, ITEM) if c not in X.columns]
        if missing:
            raise ValueError(
                f"{name} must have the columns {USER!r} and {ITEM!r}; missing {missing}. "
                f"Got columns {list(X.columns)[:10]}. Rename them, e.g. "
                f"X.rename(columns={{'userId': skrec.USER, 'movieId': skrec.ITEM}})."
            )
        if len(X) == 0 and not allow_empty:
            raise ValueError(_empty_message(name, X.shape))
        user = _check_finite_ids(X[USER].to_numpy(), f"{name}[{USER!r}]")
        item = _check_finite_ids(X[ITEM].to_numpy(), f"{name}[{ITEM!r}]")
        timestamp = X[TIME].to_numpy() if TIME in X.columns else None
        session = X[SESSION].to_numpy() if SESSION in X.columns else None
        side = [c for c in X.columns if c not in (USER, ITEM, TIME, SESSION)]
        features = X[side].reset_index(drop=True) if side else None
    else:
        if isinstance(X, (str, bytes)) or not (hasattr(X, "__len__") or hasattr(X, "__array__")):
            raise TypeError(
                f"{name} must be a DataFrame or a 2-D array of interactions, got "
                f"{type(X).__name__}."
            )
        if isinstance(X, _PositionalColumns):
            columns, shape, dtype = X.columns, X.shape, None
        elif isinstance(X, np.ndarray) or (
            hasattr(X, "__array__") and not isinstance(X, (list, tuple))
        ):
            X = np.asarray(X)
            columns, shape, dtype = None, X.shape, X.dtype
        else:
            columns, shape = _read_rows(X, name)
            dtype = None
        if len(shape) != 2:
            raise ValueError(
                f"{name} must be 2-D (one row per interaction, user in column 0 and item in "
                f"column 1), got shape {shape}. Reshape your data, e.g. "
                "np.column_stack([users, items])."
            )
        if dtype is not None and dtype.kind == "c":
            raise ValueError(
                f"Complex data not supported: {name} has dtype {dtype}; ids and side "
                "features must be real numbers or other hashable values."
            )
        if shape[0] == 0 and not allow_empty:
            raise ValueError(_empty_message(name, shape))
        if shape[1] < 2:
            raise ValueError(
                f"{name} has {shape[1]} feature(s) (shape={shape}) while a minimum of "
                "2 is required: an interaction table has the user in column 0 and the item "
                "in column 1."
            )
        if columns is None:  # an ndarray: one dtype for every column
            if dtype.kind == "f":
                assert_all_finite(X, input_name=name)
            columns = [X[:, j] for j in range(shape[1])]
        user = _check_finite_ids(columns[0], f"{name}[:, 0] (user)")
        item = _check_finite_ids(columns[1], f"{name}[:, 1] (item)")
        timestamp = session = None
        features = None
        if shape[1] > 2:
            features = pd.DataFrame(
                {f"x{j}": columns[j] for j in range(2, shape[1])}, index=range(shape[0])
            )
    if require_time and timestamp is None:
        raise ValueError(
            f"{name} needs a {TIME!r} column for this estimator; pass a DataFrame with "
            f"column skrec.TIME."
        )
    if require_session and session is None:
        raise ValueError(
            f"{name} needs a {SESSION!r} column for this estimator; pass a DataFrame with "
            f"column skrec.SESSION."
        )
    if timestamp is not None:
        _check_finite_ids(timestamp, f"{name}[{TIME!r}]")
    if session is not None:
        _check_finite_ids(session, f"{name}[{SESSION!r}]")
    if features is not None:
        _check_side_features(features, name, by_name=isinstance(X, pd.DataFrame))
    return Table(user=user, item=item, timestamp=timestamp, session=session, features=features)


def check_target(y, n_rows, *, required=False, name="y"):
    """Validate ``y``: None or one finite float per interaction."""
    if y is None:
        if required:
            raise ValueError(
                f"This estimator learns from explicit or binary feedback: it requires {name} to "
                f"be passed, but the target {name} is None. Pass one rating (or 0/1 label) per "
                "interaction."
            )
        return None
    if sp.issparse(y):
        raise TypeError(f"{name} must be a dense 1-D array, got a sparse matrix.")
    if isinstance(y, (str, bytes)):
        raise TypeError(f"{name} must be a 1-D array-like of numbers, got the string {y!r}.")
    try:
        y_arr = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} could not be read as a 1-D array of numbers: {exc}") from None
    if y_arr.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one value per interaction, got shape {y_arr.shape}."
        )
    if len(y_arr) != n_rows:  # before the dtype check: y=[] for one row names y
        raise ValueError(
            f"{name} has {len(y_arr)} values for {n_rows} interactions; pass one per row."
        )
    try:
        y_arr = check_array(
            y_arr, ensure_2d=False, dtype=np.float64, ensure_all_finite=True, input_name=name,
            ensure_min_samples=0,
        )
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        if f"Input {name} " not in msg:  # "could not convert string to float" names nothing
            raise type(exc)(
                f"{name} must hold one number per interaction (a rating, a confidence or a "
                f"0/1 label): {msg}"
            ) from None
        raise
    return y_arr


def check_feedback_values(y, feedback, name="y"):
    """Check targets against the model's kind of feedback (the one place it is checked).

    Implicit confidences must be non-negative (a negative confidence would
    reverse a model's ranking); binary labels must be 0 or 1.
    """
    if y is None or len(y) == 0:
        return y
    if feedback == "implicit" and y.min() < 0:
        raise ValueError(
            f"{name} holds implicit-feedback confidences, which must be non-negative; got "
            f"{int((y < 0).sum())} negative value(s) (min {y.min():g}). For ratings use an "
            "explicit model (e.g. MF(loss='mse')); for clicks and non-clicks a binary one."
        )
    if feedback == "binary" and not np.isin(y, (0.0, 1.0)).all():
        bad = np.unique(y[~np.isin(y, (0.0, 1.0))])[:5]
        raise ValueError(
            f"{name} holds binary labels (1 a positive, 0 an observed negative) and must be 0 "
            f"or 1; got {bad.tolist()}. Threshold ratings first, e.g. y = (ratings >= 4)."
        )
    return y


def encode_fit(values):
    """Integer codes (int32) in order of first appearance, and the id index."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # int32 codes halve the memory of large tables (20M rows: 160 MB per column).
    dtype = np.int32 if len(uniques) < 2**31 else np.int64
    return codes.astype(dtype, copy=False), pd.Index(uniques)


def encode(values, index):
    """Codes of ``values`` in ``index``; -1 marks unknown ids."""
    if len(values) == 0:
        return np.empty(0, dtype=np.int64)
    return index.get_indexer(values).astype(np.int64)


def aggregate_duplicates(user, item, y, policy, *, name="X"):
    """Apply a duplicates policy to (user, item) pairs.

    Returns the row indices to keep (in original order; None when every row
    is kept) and the aggregated targets for those rows (None when ``y`` is
    None).
    """
    if policy not in DUPLICATE_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATE_POLICIES}, got {policy!r}.")
    n = len(user)
    if policy == "keep":
        return None, y
    key = user.astype(np.int64) * (int(item.max()) + 1) + item
    frame = pd.DataFrame({"key": key, "row": np.arange(n)})
    grouped = frame.groupby("key", sort=False)["row"]
    if policy == "error":
        sizes = grouped.size()
        if (sizes > 1).any():
            dup_rows = frame.loc[frame["key"].isin(sizes.index[sizes > 1]), "row"].to_numpy()
            raise ValueError(
                f"{name} has {int((sizes > 1).sum())} (user, item) pair(s) that occur more than "
                f"once (e.g. rows {dup_rows[:4].tolist()}), and duplicates='error'. Use "
                "duplicates='mean', 'last', 'first' or 'sum', or deduplicate the table."
            )
        return None, y
    rows = (grouped.first() if policy == "first" else grouped.last()).to_numpy()
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    if y is None:
        return rows, None
    ys = pd.Series(y).groupby(key, sort=False)
    if policy == "mean":
        agg = ys.mean().to_numpy()[order]
    elif policy == "sum":
        agg = ys.sum().to_numpy()[order]
    else:
        agg = y[rows]
    return rows, agg.astype(np.float64)


def to_csr(user, item, values, shape):
    """A float64 CSR array with duplicate entries summed and indices sorted.

    ``values=None`` counts the pairs. The coordinates are cast to int32 when
    they fit and counts are summed in float32 (exact up to 2**24 repeats of a
    pair) before the final cast: at 20M interactions this halves the peak
    memory of the conversion.
    """
    small = max(shape) < 2**31 and len(user) < 2**31
    idx = np.int32 if small else np.int64
    if values is None:
        data = np.ones(len(user), dtype=np.float32)
    else:
        data = np.asarray(values, dtype=np.float64)
    mat = sp.csr_array(
        (data, (user.astype(idx, copy=False), item.astype(idx, copy=False))), shape=shape
    )
    mat.sum_duplicates()
    mat.sort_indices()
    if mat.dtype != np.float64:
        mat = mat.astype(np.float64)
    return mat


def position_in_group(groups, order=None):
    """Rank of each row inside its group, and the size of that group.

    The one vectorized implementation of "position within user / session"
    (holdouts, leave-last-out, support/query splits, next-item positions).

    Parameters
    ----------
    groups : array-like of shape (n_rows,)
        Group of each row (user, session): any hashable values without
        missing ones.
    order : array-like of shape (n_rows,), default=None
        Sort key inside each group (a timestamp, random numbers); ties, and
        every row when None, keep the row order. Non-numeric keys (strings,
        Timestamps) are compared through their sorted codes.

    Returns
    -------
    positions : ndarray of int64 of shape (n_rows,)
        ``0 .. size - 1``: the row's rank inside its group by ``order``.
    sizes : ndarray of int64 of shape (n_rows,)
        Number of rows in the row's group.

    Examples
    --------
    >>> from skrec._data import position_in_group
    >>> pos, size = position_in_group(["a", "b", "a", "a"], order=[3, 1, 1, 2])
    >>> pos.tolist(), size.tolist()
    ([2, 0, 0, 1], [3, 1, 3, 3])
    """
    groups = np.asarray(groups) if not isinstance(groups, pd.Series) else groups.to_numpy()
    n = len(groups)
    codes, uniques = pd.factorize(groups)
    if (codes < 0).any():
        raise ValueError("groups has missing values (NaN or None).")
    if order is None:
        rows = np.argsort(codes, kind="stable")
    else:
        key = np.asarray(order)
        if len(key) != n:
            raise ValueError(f"order has {len(key)} values for {n} rows.")
        if key.dtype.kind not in "biuf":
            key = pd.factorize(key, sort=True)[0]
        rows = np.lexsort((key, codes))  # by group, then key; lexsort is stable
    counts = np.bincount(codes, minlength=len(uniques))
    starts = np.cumsum(counts) - counts
    positions = np.empty(n, dtype=np.int64)
    positions[rows] = np.arange(n) - starts[codes[rows]]
    return positions, counts[codes].astype(np.int64)
