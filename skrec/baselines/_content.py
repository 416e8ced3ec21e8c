"""Content-based ranking: item profiles from item features, cosine to the user's taste."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from ..base import BaseRecommender, RecommenderTags
from ..utils._compat import Interval

__all__ = ["ContentBased"]

_BAGS = (list, tuple, set, frozenset, np.ndarray)


def _per_item_mean(matrix, item, n_items):
    """Mean of the rows of ``matrix`` (sparse, one row per interaction) per item."""
    counts = np.bincount(item, minlength=n_items).astype(np.float64)
    owner = sp.csr_array(
        (np.ones(len(item)), (item, np.arange(len(item)))), shape=(n_items, len(item))
    )
    out = owner @ matrix
    return sp.csr_array(sp.diags_array(1.0 / np.maximum(counts, 1.0)) @ out)


class ContentBased(BaseRecommender):
    """Rank items by the cosine of their feature profile to the user's profile.

    Each item's profile is built from the item's side-feature columns in
    ``X``: categorical columns one-hot, columns of lists (e.g. genres)
    multi-hot, numeric columns standardized, and an optional text column as
    TF-IDF (scikit-learn's :class:`~sklearn.feature_extraction.text.TfidfVectorizer`);
    a column that varies within an item is averaged over the item's rows.
    Each block is scaled to unit norm per item and weighted (``text_weight``
    for the text block), then the profile is L2-normalized. A user's profile
    is the mean of the profiles of the items in H(u), weighted by their
    confidences; items are ranked by cosine similarity to it. A user unseen
    at fit is described by their ``history``; the items are those seen at
    fit. Columns named ``user__*`` are user features and are ignored.
    Items unseen at fit are ranked too when their feature rows are passed as
    ``item_features=`` to ``recommend``/``score_items`` (values unseen at
    fit add nothing to their profile).

    Parameters
    ----------
    text_column : str or None, default=None
        Name of a column of free text (one string per row) to encode with
        TF-IDF; None uses no text.
    text_weight : float, default=1.0
        Weight of the TF-IDF block against the other feature blocks.
    max_features : int or None, default=None
        Vocabulary size of the TF-IDF vectorizer (most frequent terms).
    min_df : int, default=1
        Minimum number of items a term must appear in.

    Attributes
    ----------
    item_profiles_ : scipy.sparse.csr_array of shape (n_items_, n_profile_features)
        L2-normalized item profiles.
    vectorizer_ : TfidfVectorizer or None
        The fitted vectorizer of ``text_column``.
    user_ids_, item_ids_, n_users_, n_items_, seen_, item_popularity_ : see
        :class:`~skrec.base.BaseRecommender`.

    See Also
    --------
    skrec.ctr.FM : learns how features interact from the feedback itself.
    Popularity : the non-personalized yardstick.

    References
    ----------
    .. [1] M. J. Pazzani and D. Billsus, "Content-Based Recommendation Systems",
       The Adaptive Web, LNCS 4321, 2007.

    Examples
    --------
    >>> import pandas as pd
    >>> from skrec.baselines import ContentBased
    >>> X = pd.DataFrame({"user": [0, 0, 1, 1, 2], "item": ["a", "b", "c", "d", "a"],
    ...                   "genre": ["drama", "drama", "comedy", "comedy", "drama"]})
    >>> model = ContentBased().fit(X)
    >>> items, scores = model.recommend([2], k=1)
    >>> items.tolist()
    [['b']]
    """

    _parameter_constraints: dict = {
        "text_column": [str, None],
        "text_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "max_features": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "min_df": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, text_column=None, text_weight=1.0, max_features=None, min_df=1):
        self.text_column = text_column
        self.text_weight = text_weight
        self.max_features = max_features
        self.min_df = min_df

    def __skrec_tags__(self):
        return RecommenderTags(feedback="implicit", fold_in=True, side_features=True,
                               cold_items=True)

    def _fit(self, data):
        feats = data.features
        if feats is None or not len(feats.columns):
            raise ValueError(
                "ContentBased builds item profiles from side-feature columns of X, but X has "
                "only ids. Join item attributes first (skrec.compose.SideFeatureJoiner)."
            )
        item, n_items = data.item, data.n_items
        blocks, vectorizer, encoders = [], None, []
        for name in feats.columns:
            if str(name).startswith("user__"):
                continue
            col = feats[name]
            if name == self.text_column:
                vectorizer = TfidfVectorizer(max_features=self.max_features, min_df=self.min_df)
                text = col.astype(str).groupby(item).first()
                docs = pd.Series("", index=range(n_items))
                docs[text.index] = text.to_numpy()
                block = sp.csr_array(vectorizer.fit_transform(docs.to_numpy()))
                blocks.append(normalize(block) * self.text_weight)
                encoders.append((name, ("text",)))
                continue
            matrix, state = self._encode_column(col)
            encoders.append((name, state))
            blocks.append(normalize(_per_item_mean(matrix, item, n_items)))
        if self.text_column is not None and vectorizer is None:
            raise ValueError(
                f"text_column={self.text_column!r} is not a column of X; its side-feature "
                f"columns are {list(feats.columns)}."
            )
        if not blocks:
            raise ValueError("ContentBased found no item feature column (only user__* columns).")
        self.item_profiles_ = sp.csr_array(normalize(sp.hstack(blocks, format="csr")))
        self.vectorizer_ = vectorizer
        self._column_encoders = encoders  # to build the profile of an item unseen at fit
        return self

    @staticmethod
    def _encode_column(col):
        """One row per interaction: one-hot, multi-hot or the standardized number.

        Returns the sparse rows and the state that encodes new rows alike
        (:meth:`_encode_with`).
        """
        n = len(col)
        values = col.to_numpy()
        if col.dtype == object and len(values) and all(isinstance(v, _BAGS) for v in values):
            flat = [v for bag in values for v in bag]
            codes, uniques = pd.factorize(pd.Series(flat, dtype=object))
            rows = np.repeat(np.arange(n), [len(b) for b in values])
            return sp.csr_array(
                (np.ones(len(flat)), (rows, codes)), shape=(n, max(codes.max(initial=-1) + 1, 1))
            ), ("bag", pd.Index(uniques, dtype=object))
        numeric = pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)
        if not numeric and col.dtype == object:
            converted = pd.to_numeric(col, errors="coerce")
            numeric = bool(converted.notna().all())
            col = converted if numeric else col
        if numeric:
            x = col.to_numpy(dtype=np.float64)
            mean, std = x.mean(), (x.std() or 1.0)
            return sp.csr_array(((x - mean) / std)[:, None]), ("numeric", mean, std)
        for v in values:
            try:
                hash(v)
            except TypeError:
                raise TypeError(
                    f"Side-feature column {col.name!r} holds {type(v).__name__} values, which "
                    "are neither categories, numbers nor lists; encode it or drop it."
                ) from None
        codes, uniques = pd.factorize(col.astype(object))
        return (sp.csr_array((np.ones(n), (np.arange(n), codes)), shape=(n, len(uniques))),
                ("categorical", pd.Index(uniques, dtype=object)))

    @staticmethod
    def _encode_with(col, state):
        n, kind = len(col), state[0]
        if kind == "numeric":
            x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
            x = np.nan_to_num((x - state[1]) / state[2])
            return sp.csr_array(x[:, None])
        vocab = state[1]
        if kind == "bag":
            bags = [b if isinstance(b, _BAGS) else () for b in col.to_numpy()]
            flat = [v for b in bags for v in b]
            rows = np.repeat(np.arange(n), [len(b) for b in bags])
            codes = vocab.get_indexer(pd.Index(flat, dtype=object)) if flat else np.empty(0, int)
        else:
            rows = np.arange(n)
            codes = vocab.get_indexer(col.astype(object))
        ok = codes >= 0  # values unseen at fit have no column: they add nothing
        return sp.csr_array((np.ones(int(ok.sum())), (rows[ok], codes[ok])),
                            shape=(n, max(len(vocab), 1)))

    def _new_profiles(self, frame):
        """L2-normalized profiles of items described by feature rows (unseen at fit)."""
        names = {str(c): c for c in frame.columns}
        blocks = []
        for name, state in self._column_encoders:
            if str(name) not in names:
                raise ValueError(
                    f"item_features lacks the column {name!r} that ContentBased was fitted "
                    f"with; pass rows with the columns of X ({list(frame.columns)[:10]} given)."
                )
            col = frame[names[str(name)]]
            if state[0] == "text":
                text = col.astype(str).to_numpy()
                blocks.append(normalize(sp.csr_array(self.vectorizer_.transform(text)))
                              * self.text_weight)
            else:
                blocks.append(normalize(self._encode_with(col, state)))
        return sp.csr_array(normalize(sp.hstack(blocks, format="csr")))

    def _score_items(self, context, item_idx):
        check_is_fitted(self, "item_profiles_")
        profiles = self.item_profiles_
        users = sp.csr_array(normalize(context.matrix @ profiles))
        if context.new_items is not None:  # items unseen at fit, profiled from their rows
            profiles = sp.csr_array(sp.vstack([profiles, self._new_profiles(context.new_items)]))
        cand = profiles if item_idx is None else profiles[item_idx]
        return np.asarray((users @ cand.T).toarray(), dtype=np.float64)

    def _predict_pairs(self, user_idx, item_idx, features=None):
        check_is_fitted(self, "item_profiles_")
        user_idx = np.asarray(user_idx, dtype=np.int64)
        uniq, inverse = np.unique(user_idx, return_inverse=True)
        users = sp.csr_array(normalize(self.seen_[uniq] @ self.item_profiles_))
        left = users[inverse]
        right = self.item_profiles_[np.asarray(item_idx, dtype=np.int64)]
        return np.asarray(left.multiply(right).sum(axis=1), dtype=np.float64).ravel()
