"""Synthetic interaction data with planted structure."""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state, check_scalar

from .._constants import ITEM, SESSION, TIME, USER
from ..utils.validation import check_int


def _check_positive_int(value, name, minimum=1):
    return check_int(value, name, minimum)


def _check_finite_real(value, name, min_val=None):
    """A finite real number, at least ``min_val``: ValueError/TypeError naming ``name``."""
    value = check_scalar(value, name, numbers.Real, min_val=min_val)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    return float(value)


def _user_counts(n_users, n_items, n_interactions, min_per_user, rng):
    """Interactions per user: log-normal spread, exact total, each in [min, n_items]."""
    weights = rng.lognormal(0.0, 1.0, size=n_users)
    spare = n_interactions - n_users * min_per_user
    counts = np.full(n_users, min_per_user, dtype=np.int64)
    while spare > 0:
        room = n_items - counts
        w = np.where(room > 0, weights, 0.0)
        add = rng.multinomial(spare, w / w.sum())
        add = np.minimum(add, room)
        counts += add
        spare -= int(add.sum())
    return counts


def make_interactions(
    n_users=100,
    n_items=50,
    n_interactions=None,
    *,
    n_factors=4,
    popularity_exponent=1.0,
    signal=4.0,
    min_per_user=2,
    rating_noise=0.5,
    n_user_features=2,
    n_item_features=2,
    session_length=5.0,
    id_type="int",
    random_state=None,
):
    """Generate interactions from planted low-rank preferences.

    Each user ``u`` and item ``i`` gets a latent vector (rows of
    ``user_factors`` and ``item_factors``); an item also gets a Zipf-like
    popularity bias ``-popularity_exponent * log(rank_i)``. A user picks
    items without replacement with probability proportional to
    ``exp(signal * <p_u, q_i> + bias_i)`` (Gumbel top-k sampling), so a
    model that recovers the factors ranks held-out items far better than
    popularity does.

    Parameters
    ----------
    n_users, n_items : int, default=100, 50
    n_interactions : int, default=None
        Total number of rows; ``max(10, min_per_user) * n_users`` (capped
        at ``n_users * n_items``) when None. The per-user counts are log-normally spread,
        at least ``min_per_user``.
    n_factors : int, default=4
        Rank of the planted preferences.
    popularity_exponent : float, default=1.0
        Strength of the Zipf-like popularity bias (0 for none).
    signal : float, default=4.0
        Scale of the preference term: higher means more personal choices.
    min_per_user : int, default=2
    rating_noise : float, default=0.5
        Standard deviation of the noise on the latent rating before it is
        rounded to 1..5.
    n_user_features, n_item_features : int, default=2
        Numeric side features: noisy projections of the true factors. A
        categorical column (``segment`` for users, ``genre`` for items, the
        factor with the largest value) is always added.
    session_length : float >= 1, default=5.0
        Mean number of interactions per session of a user.
    id_type : {"int", "str"}, default="int"
        ``"str"`` gives ids like ``"u12"`` and ``"i3"``.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        - ``X``: DataFrame with columns ``user``, ``item``, ``timestamp``
          (increasing within each user) and ``session``;
        - ``y``: ndarray of ratings in 1..5 (float), one per row;
        - ``user_features``, ``item_features``: DataFrames with one row per
          id, in id order, with a ``user`` / ``item`` column;
        - ``user_factors``, ``item_factors``, ``item_bias``: the truth;
        - ``user_ids``, ``item_ids``.

    Examples
    --------
    >>> from skrec.datasets import make_interactions
    >>> data = make_interactions(n_users=30, n_items=20, random_state=0)
    >>> data.X.columns.tolist()
    ['user', 'item', 'timestamp', 'session']
    >>> len(data.X) == len(data.y) == 300
    True
    """
    n_users = _check_positive_int(n_users, "n_users")
    n_items = _check_positive_int(n_items, "n_items")
    n_factors = _check_positive_int(n_factors, "n_factors")
    min_per_user = _check_positive_int(min_per_user, "min_per_user")
    if id_type not in ("int", "str"):
        raise ValueError(f"id_type must be 'int' or 'str', got {id_type!r}.")
    if min_per_user > n_items:
        raise ValueError(f"min_per_user={min_per_user} exceeds n_items={n_items}.")
    n_user_features = _check_positive_int(n_user_features, "n_user_features", minimum=0)
    n_item_features = _check_positive_int(n_item_features, "n_item_features", minimum=0)
    signal = _check_finite_real(signal, "signal")
    popularity_exponent = _check_finite_real(popularity_exponent, "popularity_exponent")
    rating_noise = _check_finite_real(rating_noise, "rating_noise", min_val=0.0)
    session_length = _check_finite_real(session_length, "session_length", min_val=1.0)
    if n_interactions is None:
        n_interactions = min(max(10, min_per_user) * n_users, n_users * n_items)
    n_interactions = _check_positive_int(n_interactions, "n_interactions")
    if not n_users * min_per_user <= n_interactions <= n_users * n_items:
        raise ValueError(
            f"n_interactions must lie in [n_users * min_per_user, n_users * n_items] = "
            f"[{n_users * min_per_user}, {n_users * n_items}], got {n_interactions}."
        )
    rng = check_random_state(random_state)

    P = rng.normal(0.0, 1.0, size=(n_users, n_factors)) / np.sqrt(n_factors)
    Q = rng.normal(0.0, 1.0, size=(n_items, n_factors)) / np.sqrt(n_factors)
    # Popularity rank is random so that item ids carry no information.
    rank = rng.permutation(n_items) + 1
    bias = -popularity_exponent * np.log(rank)
    counts = _user_counts(n_users, n_items, n_interactions, min_per_user, rng)

    users, items, affinities = [], [], []
    step = max(1, 2**22 // n_items)
    for start in range(0, n_users, step):
        stop = min(n_users, start + step)
        aff = P[start:stop] @ Q.T
        logits = signal * aff + bias
        keys = logits + rng.gumbel(size=logits.shape)
        order = np.argsort(-keys, axis=1)
        for r in range(stop - start):
            c = counts[start + r]
            chosen = order[r, :c]
            users.append(np.full(c, start + r, dtype=np.int64))
            items.append(chosen)
            affinities.append(aff[r, chosen])
    user = np.concatenate(users)
    item = np.concatenate(items)
    aff = np.concatenate(affinities)

    # Ratings: a standardized affinity mapped to the 1..5 scale, plus noise.
    z = (aff - aff.mean()) / (aff.std() + 1e-12)
    y = np.clip(np.rint(3.2 + 1.1 * z + rng.normal(0, rating_noise, size=len(z))), 1, 5)

    # Timestamps: each user's rows in a random order over a random window.
    n = len(user)
    start_time = 1_600_000_000 + rng.randint(0, 3600 * 24 * 365, size=n_users)
    gaps = rng.exponential(3600.0, size=n).astype(np.int64) + 1
    perm = rng.permutation(n)
    user, item, y, aff = user[perm], item[perm], y[perm], aff[perm]
    gaps = gaps[perm]
    order = np.lexsort((np.arange(n), user))
    user, item, y, gaps = user[order], item[order], y[order], gaps[order]
    first = np.r_[True, user[1:] != user[:-1]]
    csum = np.cumsum(gaps)
    group_start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    offset = csum - csum[group_start]
    timestamp = start_time[user] + offset
    # Sessions: a new session starts with probability 1 / session_length.
    new_session = first | (rng.random_sample(n) < 1.0 / max(session_length, 1.0))
    session = np.cumsum(new_session) - 1

    # Present rows in global time order, as a log would be.
    tord = np.argsort(timestamp, kind="stable")
    user, item, y, timestamp, session = (
        user[tord], item[tord], y[tord], timestamp[tord], session[tord]
    )

    if id_type == "str":
        user_ids = np.array([f"u{j}" for j in range(n_users)], dtype=object)
        item_ids = np.array([f"i{j}" for j in range(n_items)], dtype=object)
    else:
        user_ids = np.arange(n_users)
        item_ids = np.arange(n_items)
    X = pd.DataFrame(
        {USER: user_ids[user], ITEM: item_ids[item], TIME: timestamp, SESSION: session}
    )

    user_features = pd.DataFrame({USER: user_ids})
    item_features = pd.DataFrame({ITEM: item_ids})
    Wu = rng.normal(size=(n_factors, n_user_features))
    Wi = rng.normal(size=(n_factors, n_item_features))
    for j in range(n_user_features):
        user_features[f"uf{j}"] = P @ Wu[:, j] + rng.normal(0, 0.1, n_users)
    for j in range(n_item_features):
        item_features[f"if{j}"] = Q @ Wi[:, j] + rng.normal(0, 0.1, n_items)
    user_features["segment"] = pd.Categorical([f"s{j}" for j in np.argmax(P, axis=1)])
    item_features["genre"] = pd.Categorical([f"g{j}" for j in np.argmax(Q, axis=1)])

    return Bunch(
        X=X,
        y=y.astype(np.float64),
        user_features=user_features,
        item_features=item_features,
        user_factors=P,
        item_factors=Q,
        item_bias=bias,
        user_ids=user_ids,
        item_ids=item_ids,
    )


def make_checkerboard(n_users=20, n_items=20, *, n_blocks=2, density=0.5, random_state=None):
    """Block-diagonal implicit data with a known right answer.

    Users and items are split into ``n_blocks`` groups; each user interacts
    with a random ``density`` fraction of the items of their own group and
    with nothing else. A personalized model should recommend the unseen
    items of the user's group first; popularity cannot tell groups apart.

    Parameters
    ----------
    n_users, n_items : int, default=20
    n_blocks : int, default=2
    density : float in (0, 1], default=0.5
        Fraction of the items of their own group each user interacts with:
        ``max(1, round(density * group size))`` items per user.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (DataFrame of ``user``, ``item``), ``y`` (None),
        ``user_block`` and ``item_block`` (group of each id), and
        ``relevant`` (boolean matrix: item in the user's group).

    Examples
    --------
    >>> from skrec.datasets import make_checkerboard
    >>> data = make_checkerboard(n_users=4, n_items=4, density=1.0, random_state=0)
    >>> data.relevant.astype(int)
    array([[1, 1, 0, 0],
           [1, 1, 0, 0],
           [0, 0, 1, 1],
           [0, 0, 1, 1]])
    """
    n_users = _check_positive_int(n_users, "n_users")
    n_items = _check_positive_int(n_items, "n_items")
    n_blocks = _check_positive_int(n_blocks, "n_blocks")
    if n_blocks > min(n_users, n_items):
        raise ValueError(f"n_blocks={n_blocks} exceeds min(n_users, n_items).")
    density = _check_finite_real(density, "density")
    if not 0.0 < density <= 1.0:
        raise ValueError(f"density must be in (0, 1], got {density!r}.")
    rng = check_random_state(random_state)
    user_block = np.arange(n_users) * n_blocks // n_users
    item_block = np.arange(n_items) * n_blocks // n_items
    relevant = user_block[:, None] == item_block[None, :]
    rows, cols = [], []
    for u in range(n_users):
        own = np.flatnonzero(relevant[u])
        c = max(1, int(round(density * len(own))))
        chosen = np.sort(rng.choice(own, size=c, replace=False))
        rows.append(np.full(c, u))
        cols.append(chosen)
    X = pd.DataFrame({USER: np.concatenate(rows), ITEM: np.concatenate(cols)})
    return Bunch(X=X, y=None, user_block=user_block, item_block=item_block, relevant=relevant)
