"""similar_items / similar_users on every model with item or user representations."""

import numpy as np
import pytest

from skrec.baselines import Popularity
from skrec.datasets import make_checkerboard

from ._instances import FAST_PARAMS, instances


def _fitted(cls):
    data = make_checkerboard(n_users=36, n_items=30, n_blocks=3, density=0.6, random_state=0)
    est = cls(**FAST_PARAMS.get(cls.__name__, {}))
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    y = None
    from skrec.utils import get_recommender_tags

    tags = get_recommender_tags(est)
    if tags.feedback != "implicit" or tags.requires_timestamp or tags.requires_session:
        pytest.skip("planted data here is implicit (user, item) only")
    return est.fit(data.X, y), data


ITEM_MODELS = [type(e) for e in instances() if hasattr(e, "similar_items")]
USER_MODELS = [type(e) for e in instances() if hasattr(e, "similar_users")]


def test_popularity_has_no_similarity():
    assert not hasattr(Popularity(), "similar_items")
    assert not hasattr(Popularity(), "similar_users")


@pytest.mark.parametrize("cls", ITEM_MODELS, ids=lambda c: c.__name__)
def test_similar_items_recover_blocks(cls):
    est, data = _fitted(cls)
    items = est.item_ids_[:6]
    similar, scores = est.similar_items(items, k=5)
    assert similar.shape == scores.shape == (6, 5)
    for r, i in enumerate(items):
        assert i not in similar[r], "an item is never its own neighbour"
        assert np.all(np.diff(scores[r]) <= 1e-9)
    same_block = data.item_block[similar.astype(int)] == data.item_block[items.astype(int)][:, None]
    assert same_block.mean() >= 0.8, (cls.__name__, same_block.mean())
    frame = est.similar_items(items, k=3, as_frame=True)
    assert list(frame.columns) == ["item", "rank", "similar_item", "score"]
    assert len(frame) == 18 and frame["rank"].tolist()[:3] == [1, 2, 3]


@pytest.mark.parametrize("cls", USER_MODELS,
                         ids=lambda c: c.__name__)
def test_similar_users_recover_blocks(cls):
    est, data = _fitted(cls)
    users = est.user_ids_[:6]
    similar, _ = est.similar_users(users, k=4)
    for r, u in enumerate(users):
        assert u not in similar[r]
    same = data.user_block[similar.astype(int)] == data.user_block[users.astype(int)][:, None]
    assert same.mean() >= 0.8, (cls.__name__, same.mean())


def test_unknown_item_falls_back_or_raises():
    from skrec.factorization import ALS

    est, _ = _fitted(ALS)
    similar, scores = est.similar_items(np.array(["__nope__", est.item_ids_[0]], dtype=object), k=3)
    order = np.argsort(-est.item_popularity_, kind="stable")[:3]
    np.testing.assert_array_equal(similar[0], est.item_ids_[order])
    assert (scores[0] < -1).all() and (scores[1] >= -1 - 1e-9).all()
    with pytest.raises(ValueError, match="__nope__"):
        est.similar_items(["__nope__"], k=3, on_unknown="error")
