"""``similar_items`` and ``similar_users``: nearest neighbours in a model's own space.

A model offers them by implementing one hook per side:

``_item_vectors()`` / ``_user_vectors()``
    an (n, d) array of item (user) representations, compared by cosine;
``_item_similarities(idx)`` / ``_user_similarities(idx)``
    the similarity rows of the given items (users) to all of them, for
    models whose similarity is not a cosine of vectors (ItemKNN, EASE).

The methods exist only on models with a hook (``hasattr(model,
"similar_items")`` tells), like scikit-learn's ``available_if``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .utils._topk import as_tensor, mask_entries, topk
from .utils.validation import check_k, check_users

__all__ = ["SimilarityMixin"]

_ON_UNKNOWN = ("fallback", "error")


def _has(*names):
    return lambda est: any(
        getattr(type(est), n, None) is not getattr(SimilarityMixin, n, None) for n in names)


def _cosine_rows(vectors, idx):
    """Cosine similarity of ``vectors[idx]`` to every row of ``vectors``."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1)
    norms[norms == 0] = 1.0
    unit = v / norms[:, None]
    return unit[idx] @ unit.T


class SimilarityMixin:
    """Adds ``similar_items`` / ``similar_users`` to models that implement a hook."""

    def _item_vectors(self):  # pragma: no cover - hook
        raise NotImplementedError

    def _user_vectors(self):  # pragma: no cover - hook
        raise NotImplementedError

    def _item_similarities(self, idx):
        return _cosine_rows(self._item_vectors(), idx)

    def _user_similarities(self, idx):
        return _cosine_rows(self._user_vectors(), idx)

    def _neighbours(self, ids, k, side, on_unknown, as_frame):
        check_is_fitted(self)
        k = check_k(k)
        name = "items" if side == "item" else "users"
        ids = check_users(ids, name=name)
        if on_unknown not in _ON_UNKNOWN:
            raise ValueError(f"on_unknown must be one of {_ON_UNKNOWN}, got {on_unknown!r}.")
        codes = self.encode_items(ids) if side == "item" else self.encode_users(ids)
        universe = self.item_ids_ if side == "item" else self.user_ids_
        unknown = codes < 0
        if unknown.any() and on_unknown == "error":
            raise ValueError(
                f"{int(unknown.sum())} {side} id(s) unseen at fit in {name}, e.g. "
                f"{list(np.asarray(ids, dtype=object)[unknown][:5])}; pass known ids or "
                "on_unknown='fallback'."
            )
        n = len(universe)
        sims = np.empty((len(ids), n))
        known = np.flatnonzero(~unknown)
        if len(known):
            block = (self._item_similarities if side == "item" else self._user_similarities)(
                codes[known])
            sims[known] = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
        if unknown.any():  # the fallback: the most popular items (or most active users)
            fallback = (self.item_popularity_ if side == "item"
                        else np.asarray(self.seen_.getnnz(axis=1), dtype=np.float64))
            sims[unknown] = fallback / max(float(fallback.max()), 1.0) - 3.0  # in [-3, -2]
        scores = as_tensor(sims)
        rows = np.flatnonzero(~unknown)
        scores = mask_entries(scores.clone(), rows, codes[rows])  # never the item itself
        values, idx = topk(scores, min(k, max(n - 1, 1)))
        out_ids, out_scores = universe[idx], values
        if as_frame:
            return _long_frame(ids, out_ids, out_scores, side)
        return out_ids, out_scores

    @available_if(_has("_item_vectors", "_item_similarities"))
    def similar_items(self, items, k=10, *, on_unknown="fallback", as_frame=False):
        """The ``k`` items most similar to each of ``items``.

        Similarity is the model's own: cosine of the item factors for
        factorization models, the learned item-item weights for ItemKNN
        and EASE. The item itself is never in its list.

        Parameters
        ----------
        items : array-like of shape (n_items,)
            Item ids.
        k : int, default=10
        on_unknown : {"fallback", "error"}, default="fallback"
            An item unseen at fit gets the most popular items, with scores
            below -1 (every similarity here is at least -1, so the rows that
            fell back are recognisable), or raises.
        as_frame : bool, default=False
            Return a long DataFrame with columns ``item``, ``rank``,
            ``similar_item``, ``score`` instead of two arrays.

        Returns
        -------
        similar : ndarray of shape (n_items, k)
            Item ids, most similar first.
        scores : ndarray of float64, same shape
        """
        return self._neighbours(items, k, "item", on_unknown, as_frame)

    @available_if(_has("_user_vectors", "_user_similarities"))
    def similar_users(self, users, k=10, *, on_unknown="fallback", as_frame=False):
        """The ``k`` training users most similar to each of ``users``.

        Parameters
        ----------
        users : array-like of shape (n_users,)
            User ids seen at fit.
        k : int, default=10
        on_unknown : {"fallback", "error"}, default="fallback"
            A user unseen at fit gets the most active users, with scores
            below -1, or raises.
        as_frame : bool, default=False
            Return a long DataFrame with columns ``user``, ``rank``,
            ``similar_user``, ``score``.

        Returns
        -------
        similar : ndarray of shape (n_users, k)
        scores : ndarray of float64, same shape
        """
        return self._neighbours(users, k, "user", on_unknown, as_frame)


def _long_frame(ids, out_ids, scores, side):
    n, k = out_ids.shape
    return pd.DataFrame({
        side: np.repeat(np.asarray(ids, dtype=object), k),
        "rank": np.tile(np.arange(1, k + 1), n),
        f"similar_{side}": out_ids.ravel(),
        "score": scores.ravel(),
    })
