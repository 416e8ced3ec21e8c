"""A ColumnTransformer preset that encodes side features and keeps the id columns."""

from __future__ import annotations

from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OneHotEncoder, QuantileTransformer, StandardScaler

from .._constants import STRUCTURAL_COLUMNS

_SCALERS = ("standard", "quantile", "passthrough")


def _column_list(columns, name):
    if columns is None:
        return []
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    bad = [c for c in columns if not isinstance(c, str)]
    if bad:
        raise TypeError(f"{name} must be a list of column names (str), got {bad[:5]}.")
    if len(set(columns)) != len(columns):
        raise ValueError(f"{name} lists a column more than once: {columns}.")
    structural = [c for c in columns if c in STRUCTURAL_COLUMNS]
    if structural:
        raise ValueError(
            f"{name} lists {structural}, which the recommender reads by name; encoding them "
            "would remove them. They pass through unchanged: leave them out."
        )
    return columns


def _numeric_transformer(scaler):
    if isinstance(scaler, str):
        if scaler == "standard":
            return StandardScaler()
        if scaler == "quantile":
            return QuantileTransformer(output_distribution="uniform")
        if scaler == "passthrough":
            return "passthrough"
    elif hasattr(scaler, "fit") and hasattr(scaler, "transform"):
        return clone(scaler)
    raise ValueError(
        f"scaler must be one of {_SCALERS} or a transformer instance, got {scaler!r}."
    )


def make_side_feature_transformer(categorical=(), numeric=(), *, scaler="standard"):
    """A :class:`~sklearn.compose.ColumnTransformer` for side-feature columns.

    Categorical columns are one-hot encoded, numeric columns scaled, and
    every other column (``user``, ``item``, ``timestamp``, ``session`` and
    any column not listed) passes through under its own name, so a
    recommender placed after it still finds its id columns. The output is
    a DataFrame.

    Parameters
    ----------
    categorical : list of str, default=()
        Columns to one-hot encode with
        ``OneHotEncoder(handle_unknown="ignore", sparse_output=False)``:
        a category unseen at fit (or a missing value unseen at fit) is
        encoded as all zeros.
    numeric : list of str, default=()
        Columns to scale.
    scaler : {"standard", "quantile", "passthrough"} or transformer, default="standard"
        :class:`~sklearn.preprocessing.StandardScaler`,
        :class:`~sklearn.preprocessing.QuantileTransformer` (uniform
        output), no scaling, or a transformer of your own (cloned).
        Both presets keep ``NaN`` as ``NaN``, and every skrec model refuses
        ``NaN`` side features: when ids may be missing from the side tables
        (new users or items), impute them, e.g.
        ``scaler=make_pipeline(SimpleImputer(), StandardScaler())``.

    Returns
    -------
    ColumnTransformer
        Unfitted, with ``remainder="passthrough"``,
        ``verbose_feature_names_out=False`` and pandas output.

    See Also
    --------
    SideFeatureJoiner : Joins the side features this preset encodes.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.compose import make_side_feature_transformer
    >>> X = pd.DataFrame({"user": [1, 2, 3], "item": [7, 8, 7],
    ...                   "item__genre": ["rock", "jazz", "rock"],
    ...                   "user__age": [20.0, 30.0, 40.0]})
    >>> ct = make_side_feature_transformer(categorical=["item__genre"], numeric=["user__age"])
    >>> ct.fit_transform(X).round(3)
       item__genre_jazz  item__genre_rock  user__age  user  item
    0               0.0               1.0     -1.225     1     7
    1               1.0               0.0      0.000     2     8
    2               0.0               1.0      1.225     3     7
    """
    categorical = _column_list(categorical, "categorical")
    numeric = _column_list(numeric, "numeric")
    both = sorted(set(categorical) & set(numeric))
    if both:
        raise ValueError(f"Columns {both} are listed as both categorical and numeric.")
    if not categorical and not numeric:
        raise ValueError(
            "make_side_feature_transformer needs at least one column in categorical or numeric."
        )
    transformers = []
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, categorical))
    if numeric:
        transformers.append(("numeric", _numeric_transformer(scaler), numeric))
    elif not isinstance(scaler, str) or scaler not in _SCALERS:
        _numeric_transformer(scaler)  # validate even when unused
    ct = ColumnTransformer(
        transformers, remainder="passthrough", verbose_feature_names_out=False
    )
    return ct.set_output(transform="pandas")
