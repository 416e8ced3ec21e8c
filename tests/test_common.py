"""The common checks over every public estimator (skrec's and scikit-learn's)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks as sk_parametrize

from skrec.utils.estimator_checks import parametrize_with_checks

from ._instances import expected_failed, instances, public_estimators, sklearn_expected_failed

# scikit-learn checks that cannot apply to a recommender, with the reason.
SKLEARN_EXPECTED_FAILED = {
    "check_n_features_in_after_fitting": (
        "collaborative filtering reads only the user and item columns; extra columns "
        "at predict are not an error"
    ),
    "check_dataframe_column_names_consistency": (
        "collaborative filtering reads only the user and item columns by name"
    ),
    "check_fit2d_1feature": "an interaction table needs two columns (user, item)",
    "check_fit1d": "an interaction table is 2-D",
    "check_estimators_nan_inf": (
        "side-feature columns are ignored by pure CF models, so NaN there is not an error"
    ),
    "check_fit2d_predict1d": "an interaction table is 2-D",
    "check_methods_sample_order_invariance": (
        "ids are encoded in order of first appearance, so shuffling rows changes the "
        "encoding and the random initialisation of factor models"
    ),
    "check_complex_data": "ids may be any hashable value, complex numbers included",
    "check_estimators_empty_data_messages": (
        "an interaction table needs two columns; the error says so instead of scikit-learn's "
        "'0 feature(s)' wording"
    ),
}


def test_discovery_finds_estimators():
    assert len(public_estimators()) >= 1


@parametrize_with_checks(instances(), expected_failed_checks=expected_failed)
def test_recommender_checks(estimator, check):
    check(estimator)


def _sklearn_expected(estimator):
    return {**SKLEARN_EXPECTED_FAILED, **sklearn_expected_failed(estimator)}


@sk_parametrize(instances(), expected_failed_checks=_sklearn_expected, legacy=True)
def test_sklearn_checks(estimator, check):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            check(estimator)
        except pytest.xfail.Exception:
            raise
