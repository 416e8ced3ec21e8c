"""Reliability: ids keep their type, repeated candidates, fallback rows, interrupted fits.

One test (or a few) per kind of defect fixed for the "Reliability and
security" issue; the common checks (``check_bad_input_matrix``,
``check_interrupted_fit``, ...) run the same kinds over every estimator.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from skrec import ITEM, USER
from skrec._data import as_ids, check_interactions
from skrec.baselines import Popularity
from skrec.factorization import ALS, BPRMF
from skrec.utils import check_users
from skrec.utils import estimator_checks as ec


@pytest.fixture
def mixed():
    """Users "a" and 2 (a str and an int), items 10, 20, 30."""
    X = pd.DataFrame({USER: ["a", 2, "a", 2, 3, 3, 3], ITEM: [10, 20, 30, 10, 20, 10, 30]})
    return X


@pytest.fixture
def ints():
    return np.array([[1, 10], [2, 20], [1, 30], [3, 10], [3, 20]])


def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


# ---------------------------------------------------------- 1. ids keep their type
def test_as_ids_keeps_mixed_types_and_numeric_arrays():
    ids = as_ids(["a", 2], "users")
    assert ids.dtype == object and ids.tolist() == ["a", 2]
    assert type(ids[1]) is int
    assert as_ids([1, 2, 3], "users").dtype.kind == "i"
    assert as_ids(pd.Series(["x", "y"]), "users").tolist() == ["x", "y"]
    assert check_users(("a", 2)).tolist() == ["a", 2]
    import torch

    assert as_ids(torch.tensor([1, 2]), "users").tolist() == [1, 2]  # not 0-d tensors
    assert as_ids(pd.array([1, 2], dtype="Int64"), "users").tolist() == [1, 2]


def test_mixed_user_types_are_served_by_their_own_rows(mixed):
    model = Popularity().fit(mixed)
    items, scores, fallback = model.recommend(["a", 2], k=3, return_fallback=True)
    assert not fallback.any()
    # User 2 saw 20 and 10: only 30 is left; np.asarray(["a", 2]) made it "2" (unknown).
    assert items[1, 0] == 30 and np.isinf(scores[1, 1:]).all()
    np.testing.assert_array_equal(items[1], model.recommend([2], k=3)[0][0])


def test_list_of_rows_keeps_each_column_type():
    model = Popularity().fit([[1, "x"], [2, 5], ["u", 5]])
    assert model.item_ids_.tolist() == ["x", 5]
    assert [type(v) for v in model.item_ids_] == [str, int]
    assert [type(v) for v in model.user_ids_] == [int, int, str]
    items, _ = model.recommend([1], k=2, exclude_seen=False)
    assert items[0].tolist() == [5, "x"] and type(items[0, 0]) is int


def test_list_of_rows_and_positional_frame_keep_int_ids_next_to_float_features():
    table = check_interactions([[1, 10, 0.5], [2, 20, 1.5]])
    assert table.user.dtype.kind == "i" and table.item.dtype.kind == "i"
    assert table.features["x2"].dtype.kind == "f"
    frame = check_interactions(pd.DataFrame([[1, 10, 0.5], [2, 20, 1.5]]))
    assert frame.user.dtype.kind == "i" and frame.item.tolist() == [10, 20]


def test_ragged_list_of_rows_names_X():
    with pytest.raises(ValueError, match="X has rows of different lengths"):
        Popularity().fit([[1, 2], [3]])


def test_int_id_asked_as_str_warns(ints):
    model = Popularity().fit(ints)
    with pytest.warns(UserWarning, match=r"users holds user ids of type str.*type int"):
        _, _, fallback = model.recommend(["1"], k=2, return_fallback=True)
    assert fallback.tolist() == [True]  # still unknown: the warning says why
    with pytest.warns(UserWarning, match="users holds"):
        model.score_items(["1"])
    with pytest.warns(UserWarning, match="users holds"):
        model.encode_users(["1"])
    with pytest.warns(UserWarning, match="X holds user ids of type str"):
        model.predict(pd.DataFrame({USER: ["1"], ITEM: [10]}))
    with pytest.warns(UserWarning, match="candidates holds item ids of type str"):
        with pytest.raises(ValueError, match="candidates"):
            model.recommend([1], k=2, candidates=[10, "20"])
    hist = pd.DataFrame({USER: [1], ITEM: ["20"]})
    with pytest.warns(UserWarning, match="history holds item ids of type str"):
        model.recommend([1], k=2, history=hist)
    hist = pd.DataFrame({USER: ["1"], ITEM: [20]})
    with pytest.warns(UserWarning, match="history holds user ids of type str"):
        model.recommend([1], k=2, history=hist)


def test_new_id_of_another_type_does_not_warn(ints):
    model = Popularity().fit(ints)
    _, _, fallback = _no_warnings(lambda: model.recommend(["new", 2], k=2,
                                                         return_fallback=True))
    assert fallback.tolist() == [True, False]
    # floats that equal fitted ints match them (as in a pandas Index): no warning either
    _, _, fallback = _no_warnings(lambda: model.recommend([1.0], k=2, return_fallback=True))
    assert fallback.tolist() == [False]


def test_str_id_asked_as_int_warns():
    model = Popularity().fit(pd.DataFrame({USER: ["1", "2"], ITEM: ["a", "b"]}))
    with pytest.warns(UserWarning, match="users holds user ids of type int"):
        model.recommend([1], k=1)


@pytest.mark.parametrize("bad, exc, match", [
    ([[1]], ValueError, "users must be 1-D"),
    ([{1}], TypeError, "users must hold hashable ids.*set"),
    ([{"a": 1}], TypeError, "users must hold hashable ids.*dict"),
    ([(1, [10])], TypeError, "users must hold hashable ids.*tuple"),
    ({1, 2}, TypeError, "users must be an ordered"),
    ([1, None], ValueError, "users contains 1 missing id"),
    ([1, np.nan], ValueError, "users contains 1 missing id"),
    (1, ValueError, r"users must be a 1-D array-like.*pass \[1\]"),
])
def test_bad_users_name_users(ints, bad, exc, match):
    model = Popularity().fit(ints)
    with pytest.raises(exc, match=match):
        model.recommend(bad, k=2)


def test_tuple_ids_can_be_fitted_and_queried():
    X = pd.DataFrame({USER: [(1, 2), (3, 4), (1, 2), "s"],
                      ITEM: [("a", 1), ("b", 2), 7, ("a", 1)]})
    model = Popularity().fit(X)
    assert model.user_ids_.tolist() == [(1, 2), (3, 4), "s"]
    items, _, fallback = model.recommend([(1, 2), (3, 4)], k=2, return_fallback=True)
    assert not fallback.any()
    assert items[1].tolist() == [("a", 1), 7]  # (3, 4) saw ("b", 2)
    items, _ = model.recommend([(1, 2)], k=2, candidates=[("b", 2), 7], exclude_seen=False)
    assert items[0].tolist() == [("b", 2), 7]
    items, _ = model.recommend([(1, 2), "s"], k=1, exclude_seen=False,
                               candidates=[[("a", 1), 7], [7, ("b", 2)]])
    assert items.tolist() == [[("a", 1)], [7]]
    hist = pd.DataFrame({USER: [(9, 9)], ITEM: [("b", 2)]})
    *_, fallback = model.recommend([(9, 9)], k=1, history=hist, return_fallback=True)
    assert fallback.tolist() == [False]
    assert model.encode_items([("b", 2), ("z", 0)]).tolist() == [1, -1]
    # A list of rows with tuple ids too.
    assert Popularity().fit([[(1, 2), 10], [(3, 4), 20]]).user_ids_.tolist() == [(1, 2), (3, 4)]


def test_non_ascii_bytes_ids_are_kept_as_bytes():
    model = Popularity().fit(pd.DataFrame({USER: [b"\xff", b"a", "s"], ITEM: [1, 2, 1]}))
    assert model.user_ids_.tolist() == [b"\xff", b"a", "s"]
    items, _, fallback = model.recommend([b"\xff", "s"], k=2, return_fallback=True)
    assert not fallback.any() and items[0, 0] == 2
    with pytest.warns(UserWarning, match="users holds user ids of type str"):
        Popularity().fit(pd.DataFrame({USER: [b"a"], ITEM: [1]})).recommend(["a"], k=1)


def test_y_errors_name_y(mixed):
    with pytest.raises(ValueError, match="y must hold one number.*could not convert"):
        Popularity().fit(mixed, ["x"] * len(mixed))
    with pytest.raises(ValueError, match="y has 0 values for 1 interactions"):
        Popularity().fit(mixed.head(1), [])
    model = Popularity().fit(mixed)
    hist = pd.DataFrame({USER: ["a"], ITEM: [20]})
    with pytest.raises(ValueError, match="history_y must hold one number"):
        model.recommend(["a"], history=hist, history_y=["x"])


# --------------------------------------------------------- 2. repeated candidates
def test_repeated_candidates_are_refused(ints):
    model = Popularity().fit(ints)
    with pytest.raises(ValueError, match="candidates holds repeated item ids, e.g. 10"):
        model.recommend([1], k=3, candidates=[10, 10, 30])
    with pytest.raises(ValueError, match=r"repeated item ids \(row 1\), e.g. 20"):
        model.recommend([1, 2], k=2, candidates=[[10, 20], [20, 20]])
    with pytest.raises(ValueError, match="repeated"):
        model.score_items([1], [30, 30])
    # Distinct candidates: a seen item stays masked, nothing is repeated.
    items, scores = model.recommend([1], k=3, candidates=[10, 20, 30])
    assert items[0, 0] == 20 and np.isinf(scores[0, 1:]).all()
    items, _ = model.recommend([1, 2], k=2, candidates=[[10, 20], [30, 20]],
                               exclude_seen=False)
    assert all(len(set(row)) == 2 for row in items)


# ------------------------------------------------------------ 3. fallback rows
def test_fallback_rows_are_flagged_and_on_the_popularity_scale(ints):
    model = ALS(n_factors=2, max_iter=3, device="cpu", random_state=0).fit(ints)
    items, scores, fallback = model.recommend([1, 99999], k=2, exclude_seen=False,
                                              return_fallback=True)
    assert fallback.tolist() == [False, True]
    order = np.argsort(-model.item_popularity_, kind="stable")[:2]
    np.testing.assert_allclose(scores[1], model.item_popularity_[order])
    plain = model.recommend([1, 99999], k=2, exclude_seen=False)
    np.testing.assert_array_equal(plain[0], items)
    np.testing.assert_array_equal(plain[1], scores)
    s, fb = model.score_items([1, 99999], return_fallback=True)
    np.testing.assert_array_equal(fb, fallback)
    np.testing.assert_allclose(s[1], model.item_popularity_)
    # A new user with history is folded in, not a fallback.
    hist = pd.DataFrame({USER: [99999], ITEM: [10]})
    *_, fb = model.recommend([99999], k=2, history=hist, return_fallback=True)
    assert fb.tolist() == [False]
    empty = model.recommend([], k=2, return_fallback=True)
    assert len(empty) == 3 and empty[2].shape == (0,)


# ---------------------------------------- 4. one non-negativity check, shared by ALS
def test_als_negative_confidences_use_the_shared_check(ints):
    y = np.ones(len(ints))
    with pytest.raises(ValueError, match="y holds implicit-feedback confidences"):
        ALS(2, device="cpu").fit(ints, -y)
    with pytest.raises(ValueError, match="sample_weight"):
        ALS(2, device="cpu").fit(ints, y, sample_weight=-y)
    model = ALS(2, max_iter=2, device="cpu", random_state=0).fit(ints, y)
    hist = pd.DataFrame({USER: ["new"], ITEM: [10]})
    with pytest.raises(ValueError, match="history_y holds implicit-feedback confidences"):
        model.recommend(["new"], history=hist, history_y=[-1.0])


# ------------------------------------------------------------ 5. interrupted fits
@pytest.mark.parametrize("estimator", [
    Popularity(),
    ALS(n_factors=4, max_iter=3, device="cpu"),
    BPRMF(n_factors=4, max_iter=3, batch_size=64, device="cpu"),
], ids=lambda e: type(e).__name__)
def test_interrupted_fit_keeps_the_previous_model(estimator):
    ec.check_interrupted_fit(estimator)


def test_interrupt_inside_training_is_really_inside(ints):
    model = BPRMF(n_factors=4, max_iter=3, batch_size=2, device="cpu", random_state=0)
    patches = ec._interrupting(model, "inside")
    assert patches, "BPRMF has a training-loop hook"
    calls = []
    for name, fn in list(patches.items()):
        def spy(*a, _fn=fn, _name=name, **k):
            calls.append(_name)
            return _fn(*a, **k)
        patches[name] = spy
    ec._fit_interrupted(model, ints, None, patches)
    assert len(calls) >= 3  # two training steps ran before the interrupt
    assert not hasattr(model, "module_") and "_batch_loss" not in vars(model)
    with pytest.raises(NotFittedError):
        model.recommend([1], k=2)


@pytest.mark.parametrize("method", ["recommend", "score_items", "predict"])
def test_unfitted_raises_not_fitted(method, ints):
    arg = ints if method == "predict" else [1]
    with pytest.raises(NotFittedError):
        getattr(Popularity(), method)(arg)
    with pytest.raises(NotFittedError):  # before any argument check
        Popularity().recommend([1], k=0)


# ------------------------------------------------------------ 6. the bad-input matrix
def test_bad_input_matrix_size_and_pass():
    cases = ec._bad_input_cases(Popularity())
    assert len(cases) >= 60
    assert {arg for _, _, arg, _ in cases} >= {
        "X", "y", "users", "candidates", "history", "history_y", "k", "sample_weight"}
    ec.check_bad_input_matrix(Popularity())


def test_bad_input_matrix_catches_repeated_candidates_regression():
    class Lenient(Popularity):
        def _candidate_codes(self, candidates, n_users):
            if candidates is not None and np.ndim(candidates) == 1:
                candidates = pd.unique(np.asarray(candidates, dtype=object))
            return super()._candidate_codes(candidates, n_users)

    with pytest.raises(AssertionError, match="repeated candidates: no error"):
        ec.check_bad_input_matrix(Lenient())


def test_bad_input_matrix_catches_an_unclear_error():
    class Unclear(Popularity):
        def recommend(self, users, k=10, **kwargs):
            if not isinstance(k, int) or isinstance(k, bool) or k < 1:
                raise RuntimeError("bad")
            return super().recommend(users, k, **kwargs)

    with pytest.raises(AssertionError, match="k=0: raised RuntimeError"):
        ec.check_bad_input_matrix(Unclear())


def test_malformed_tables_check_runs():
    ec.check_malformed_tables(Popularity())


def test_new_checks_are_common_checks():
    names = {c.__name__ for c in ec.recommender_checks()}
    assert {"check_not_fitted", "check_interrupted_fit", "check_bad_input_matrix",
            "check_malformed_tables"} <= names


def test_failed_warm_start_leaves_the_module_as_it_was(ints):
    from skrec.factorization import MF

    y = np.arange(len(ints), dtype=float) + 1
    model = MF(n_factors=2, max_iter=3, batch_size=2, warm_start=True, device="cpu",
               random_state=0).fit(ints, y)
    before = model.score_items([1, 2])
    weights = {k: v.clone() for k, v in model.module_.state_dict().items()}

    def fail(data):  # training ran (in place on module_), then the fit fails
        raise KeyboardInterrupt

    model._after_fit = fail
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(ints, y)
    finally:
        del model._after_fit
    for k, v in model.module_.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), weights[k].numpy())
    np.testing.assert_array_equal(model.score_items([1, 2]), before)


class _Clicks(Popularity):
    """Test-only binary model: popularity of the clicked items."""

    def __skrec_tags__(self):
        from skrec.base import RecommenderTags

        return RecommenderTags(feedback="binary", fold_in=True)


def test_bad_input_matrix_for_a_binary_model():
    names = {label for label, *_ in ec._bad_input_cases(_Clicks())}
    assert {"binary model without y", "binary y outside {0, 1}",
            "binary history_y outside {0, 1}"} <= names
    ec.check_bad_input_matrix(_Clicks())
    ec.check_interrupted_fit(_Clicks())
