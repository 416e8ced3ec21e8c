"""The common checks over every public estimator (skrec's and scikit-learn's).

scikit-learn's checks are parametrized here from
:func:`~sklearn.utils.estimator_checks.estimator_checks_generator` rather
than with its ``parametrize_with_checks``, whose expected failures are
non-strict before scikit-learn 1.8: every declared failure is a strict
``xfail`` with its reason, so a check that starts passing must be
undeclared.
"""

import functools
import warnings

import pytest
from sklearn.utils.estimator_checks import estimator_checks_generator

from skrec.utils.estimator_checks import parametrize_with_checks

from ._instances import expected_failed, instances, public_estimators, sklearn_expected_failed

# scikit-learn checks that cannot apply to any recommender, with the reason.
SKLEARN_EXPECTED_FAILED: dict[str, str] = {}


def _sklearn_expected(estimator):
    return {**SKLEARN_EXPECTED_FAILED, **sklearn_expected_failed(estimator)}


def _check_name(check):
    func = check.func if isinstance(check, functools.partial) else check
    return func.__name__


def _check_id(estimator, check):
    name = _check_name(check)
    if isinstance(check, functools.partial) and check.keywords:
        name += "(" + ",".join(f"{k}={v}" for k, v in check.keywords.items()) + ")"
    return f"{type(estimator).__name__}-{name}"


def _sklearn_params():
    params = []
    for est in instances():
        expected = _sklearn_expected(est)
        for estimator, check in estimator_checks_generator(est, legacy=True, mark=None):
            name = _check_name(check)
            marks = ()
            if name in expected:
                marks = pytest.mark.xfail(strict=True, reason=expected[name])
            params.append(pytest.param(estimator, check, id=_check_id(est, check), marks=marks))
    return params


def test_discovery_finds_estimators():
    assert len(public_estimators()) >= 1


@parametrize_with_checks(instances(), expected_failed_checks=expected_failed)
def test_recommender_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator, check", _sklearn_params())
def test_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


@pytest.mark.parametrize("estimator", instances(), ids=lambda est: type(est).__name__)
def test_declared_sklearn_failures_exist(estimator):
    """Every declared scikit-learn failure names a check that scikit-learn runs."""
    names = {_check_name(c) for _, c in estimator_checks_generator(estimator, mark=None)}
    for name, reason in _sklearn_expected(estimator).items():
        assert name in names, f"{name} is declared but scikit-learn has no such check"
        assert reason.strip(), f"{name} needs a reason"
