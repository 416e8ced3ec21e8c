"""Side-feature lookup tables and the transformer that joins them onto X."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._constants import ITEM, USER


def _as_lookup(frame, key):
    """The lookup frame indexed by ``key``: validated, integer/bool columns as float64."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"SideTable needs a pandas DataFrame with one row per id, got {type(frame).__name__}."
        )
    if not isinstance(key, str):
        raise TypeError(f"key must be a column name (str), got {key!r}.")
    if key in frame.columns:
        ids = frame[key]
        table = frame.drop(columns=[key])
    elif frame.index.name == key:
        ids = frame.index.to_series()
        table = frame
    else:
        raise ValueError(
            f"SideTable: the frame has no column {key!r} (key={key!r}); got columns "
            f"{list(frame.columns)[:10]} and index name {frame.index.name!r}. Pass the name of "
            "the id column as key=, or set it as the index name."
        )
    missing = ids.isna().to_numpy()
    if missing.any():
        raise ValueError(
            f"SideTable: the key column {key!r} holds {int(missing.sum())} missing id(s); every "
            "row needs an id."
        )
    dup = ids.duplicated(keep=False).to_numpy()
    if dup.any():
        examples = pd.unique(ids[dup])[:5].tolist()
        raise ValueError(
            f"SideTable: the key column {key!r} has {len(pd.unique(ids[dup]))} duplicated id(s), "
            f"e.g. {examples}; a lookup table needs one row per id. Aggregate or deduplicate it "
            "first (e.g. frame.drop_duplicates(subset=key))."
        )
    bad = [c for c in table.columns if not isinstance(c, str)]
    if bad:
        raise ValueError(f"SideTable: feature column names must be strings, got {bad[:5]}.")
    table = table.set_axis(pd.Index(ids.to_numpy(), name=key), axis=0)
    numeric = [
        c for c in table.columns
        if pd.api.types.is_integer_dtype(table[c]) or pd.api.types.is_bool_dtype(table[c])
    ]
    if numeric:
        table = table.astype(dict.fromkeys(numeric, np.float64))
    return table


class SideTable:
    """An immutable lookup table of side features, one row per id.

    Wrapping a DataFrame in a ``SideTable`` makes it a cheap parameter:
    :func:`sklearn.base.clone` (and :func:`copy.deepcopy`) return the same
    object instead of copying the frame, so a pipeline holding large
    user or item tables can be cloned by every fold of a search.

    Parameters
    ----------
    frame : DataFrame
        One row per id. The ids are in column ``key`` (or in the index,
        when the index is named ``key``); every other column is a feature.
    key : str
        Name of the id column, e.g. ``"user"`` or ``"movieId"``.

    Attributes
    ----------
    key : str
        Name of the id column.
    columns : list of str
        Feature columns, in order.

    Notes
    -----
    The table is validated once, at construction: ids must be present and
    unique. Integer and boolean columns are stored as float64 so that an id
    missing from the table can get ``NaN`` with a stable dtype. Later
    changes to ``frame`` do not reach the table (with pandas copy-on-write
    it shares memory with ``frame`` until then), and :attr:`frame` returns
    a copy.

    See Also
    --------
    SideFeatureJoiner : Joins user and item tables onto an interaction table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.compose import SideTable
    >>> items = pd.DataFrame({"item": ["a", "b"], "genre": ["rock", "jazz"], "year": [1990, 2001]})
    >>> table = SideTable(items, key="item")
    >>> table
    SideTable(key='item', n_ids=2, columns=['genre', 'year'])
    >>> table.lookup(["b", "zzz", "a"])
          genre    year
    item
    b      jazz  2001.0
    zzz     NaN     NaN
    a      rock  1990.0
    """

    __slots__ = ("_frame", "_key")

    def __init__(self, frame, *, key):
        object.__setattr__(self, "_frame", _as_lookup(frame, key))
        object.__setattr__(self, "_key", key)

    def __setattr__(self, name, value):
        raise AttributeError("SideTable is immutable; build a new one from a modified frame.")

    def __delattr__(self, name):
        raise AttributeError("SideTable is immutable; build a new one from a modified frame.")

    @property
    def key(self):
        return self._key

    @property
    def columns(self):
        return list(self._frame.columns)

    @property
    def frame(self):
        """A copy of the lookup frame, indexed by id."""
        return self._frame.copy()

    def __len__(self):
        return len(self._frame)

    def __repr__(self):
        cols = self.columns
        shown = repr(cols) if len(cols) <= 6 else repr(cols[:6])[:-1] + ", ...]"
        return f"SideTable(key={self._key!r}, n_ids={len(self)}, columns={shown})"

    def __sklearn_clone__(self):
        return self

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_rebuild_side_table, (self._frame, self._key))

    def lookup(self, ids):
        """Feature rows for ``ids``, in order; ``NaN`` for ids not in the table.

        Parameters
        ----------
        ids : array-like of shape (n,)

        Returns
        -------
        DataFrame of shape (n, len(columns))
            Indexed by ``ids`` (duplicates kept).
        """
        ids = np.asarray(ids, dtype=object) if not isinstance(ids, np.ndarray) else ids
        return self._frame.reindex(pd.Index(ids, name=self._key))


def _rebuild_side_table(frame, key):
    table = object.__new__(SideTable)
    object.__setattr__(table, "_frame", frame)
    object.__setattr__(table, "_key", key)
    return table


class SideFeatureJoiner(TransformerMixin, BaseEstimator):
    """Left-join user and item side features onto an interaction table.

    Each row of ``X`` gets the features of its user (columns prefixed
    ``user__``) and of its item (``item__``). Rows are never dropped or
    reordered: the output has exactly the rows of ``X``, in order, with
    its index, and the columns of ``X`` followed by the joined ones.

    Parameters
    ----------
    user_features : SideTable, default=None
        Features looked up by the ``user`` column of ``X``.
    item_features : SideTable, default=None
        Features looked up by the ``item`` column of ``X``.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` at fit.
    feature_names_in_ : ndarray of str
        Column names of ``X`` at fit.

    Notes
    -----
    An id missing from its table (a user or item unseen when the table was
    built) gets ``NaN`` in every joined column; nothing is dropped.
    Whether to impute (e.g. with :class:`~sklearn.impute.SimpleImputer`) or
    let a model handle missing values is the user's choice.
    :class:`~sklearn.preprocessing.OneHotEncoder` with
    ``handle_unknown="ignore"`` and :class:`~sklearn.preprocessing.StandardScaler`
    pass such rows through (all-zero codes and ``NaN`` respectively).

    ``X`` must be a DataFrame: the ``user`` and ``item`` columns are read by
    name, so they keep their names after the join and any later
    ``ColumnTransformer`` built with
    :func:`make_side_feature_transformer`. The output is a DataFrame;
    ``set_output(transform="pandas")`` is supported and changes nothing.

    See Also
    --------
    SideTable : The lookup tables this transformer joins.
    make_side_feature_transformer : Encodes the joined columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.compose import SideFeatureJoiner, SideTable
    >>> users = SideTable(pd.DataFrame({"user": [1, 2], "age": [30, 40]}), key="user")
    >>> items = SideTable(pd.DataFrame({"item": ["a", "b"], "genre": ["rock", "jazz"]}),
    ...                   key="item")
    >>> X = pd.DataFrame({"user": [2, 1, 3], "item": ["a", "a", "b"]})
    >>> joiner = SideFeatureJoiner(user_features=users, item_features=items)
    >>> joiner.fit_transform(X)
       user item  user__age item__genre
    0     2    a       40.0        rock
    1     1    a       30.0        rock
    2     3    b        NaN        jazz
    >>> joiner.get_feature_names_out().tolist()
    ['user', 'item', 'user__age', 'item__genre']
    """

    def __init__(self, user_features=None, item_features=None):
        self.user_features = user_features
        self.item_features = item_features

    def _tables(self):
        """(id column of X, prefix, SideTable) for each table given."""
        for column in (USER, ITEM):
            table = getattr(self, f"{column}_features")
            if table is not None and not isinstance(table, SideTable):
                raise TypeError(
                    f"{column}_features must be a SideTable or None, got "
                    f"{type(table).__name__}. Wrap a lookup DataFrame as "
                    f"SideTable(frame, key={column!r}) (with the name of its id column): "
                    "clone then shares it instead of copying it."
                )
        out = []
        if self.user_features is not None:
            out.append((USER, f"{USER}__", self.user_features))
        if self.item_features is not None:
            out.append((ITEM, f"{ITEM}__", self.item_features))
        return out

    def _check_frame(self, X):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(
                "SideFeatureJoiner reads the user and item columns by name, so X must be a "
                f"pandas DataFrame, got {type(X).__name__}. Build one with "
                "pd.DataFrame(X, columns=[skrec.USER, skrec.ITEM, ...])."
            )
        for column, _, table in self._tables():
            if column not in X.columns:
                raise ValueError(
                    f"X has no {column!r} column, but {column}_features={table!r} is looked up "
                    f"by it; got columns {list(X.columns)[:10]}. Rename the id column to "
                    f"skrec.{column.upper()} or drop {column}_features."
                )

    def _joined_names(self, existing):
        names = []
        for _, prefix, table in self._tables():
            names.extend(prefix + c for c in table.columns)
        clash = sorted(set(names) & set(existing))
        if clash:
            raise ValueError(
                f"X already has the column(s) {clash[:5]} that SideFeatureJoiner would add; "
                "rename or drop them first."
            )
        return names

    def fit(self, X, y=None):
        """Check ``X`` and the tables; nothing is learned.

        Parameters
        ----------
        X : DataFrame of shape (n_interactions, n_columns)
            Interaction table with a ``user`` column (when ``user_features``
            is given) and an ``item`` column (when ``item_features`` is).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._tables()  # parameter check first
        self._check_frame(X)
        validate_data(self, X, reset=True, skip_check_array=True)
        self._joined_names(list(X.columns))
        return self

    def transform(self, X):
        """Return ``X`` with the looked-up features appended.

        Parameters
        ----------
        X : DataFrame of shape (n_interactions, n_columns)
            Same columns as at fit.

        Returns
        -------
        X_out : DataFrame of shape (n_interactions, n_columns + n_joined)
            The rows of ``X`` in order, with its index; ``NaN`` features for
            ids missing from a table.
        """
        check_is_fitted(self)
        self._check_frame(X)
        validate_data(self, X, reset=False, skip_check_array=True)
        self._joined_names(list(X.columns))
        joined = {}
        for column, prefix, table in self._tables():
            feats = table.lookup(X[column].to_numpy())
            for c in table.columns:
                joined[prefix + c] = feats[c].array  # positional: no index alignment
        if not joined:
            return X.copy()
        return pd.concat([X, pd.DataFrame(joined, index=X.index)], axis=1)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the input names, then the joined ones.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Must match ``feature_names_in_`` when given.

        Returns
        -------
        feature_names_out : ndarray of str
        """
        # The input names, checked against feature_names_in_ as scikit-learn's
        # one-to-one transformers do.
        names = OneToOneFeatureMixin.get_feature_names_out(self, input_features)
        return np.asarray(list(names) + self._joined_names(list(names)), dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = True
        tags.requires_fit = True
        return tags
