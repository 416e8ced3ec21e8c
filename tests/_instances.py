"""Discovery of public estimators and the fast settings used by the common checks.

A new estimator needs an entry here only when its defaults are too slow for
the checks (a few hundred interactions, well under a second per fit) or when
a check does not apply to it; discovery finds it by itself.
"""

# Settings that make each estimator fit in well under a second in the checks.
FAST_PARAMS = {
    "BPRMF": {"n_factors": 8, "max_iter": 20, "lr": 0.05, "batch_size": 64, "device": "cpu"},
    "MF": {"n_factors": 8, "max_iter": 20, "batch_size": 64, "lr": 0.05, "device": "cpu"},
    "MixtureOfTastesMF": {"n_factors": 8, "n_tastes": 2, "max_iter": 20, "lr": 0.05,
                          "batch_size": 64, "device": "cpu"},
    "VariationalMF": {"n_factors": 8, "max_iter": 20, "batch_size": 64, "lr": 0.05,
                      "device": "cpu"},
    "ALS": {"n_factors": 8, "max_iter": 5, "device": "cpu"},
    "EASE": {"reg": 10.0, "device": "cpu"},
    # The CTR models' default is binary feedback (0/1 labels), which the common
    # checks' data does not have: they are checked as implicit rankers.
    "FM": {"n_factors": 8, "loss": "bpr", "max_iter": 20, "lr": 0.05, "batch_size": 64,
           "device": "cpu"},
    "DeepFM": {"n_factors": 8, "feedback": "implicit", "hidden_layer_sizes": (16,),
               "max_iter": 20, "lr": 0.02, "batch_size": 64, "device": "cpu"},
    "WideAndDeep": {"n_factors": 8, "loss": "bpr", "hidden_layer_sizes": (16,), "max_iter": 20,
                    "lr": 0.05, "batch_size": 64, "device": "cpu"},
    "NFM": {"n_factors": 8, "feedback": "implicit", "hidden_layer_sizes": (16,),
            "max_iter": 20, "lr": 0.02, "batch_size": 64, "device": "cpu"},
    "DLRM": {"n_factors": 8, "loss": "bpr", "hidden_layer_sizes": (16,), "max_iter": 20,
             "lr": 0.05, "batch_size": 64, "device": "cpu"},
    "XDeepFM": {"n_factors": 8, "feedback": "implicit", "hidden_layer_sizes": (16,),
                "cin_layer_sizes": (8,), "max_iter": 20, "lr": 0.02, "batch_size": 64,
                "device": "cpu"},
}

# {class name: {check name: reason}}: checks expected to fail, with the reason.
EXPECTED_FAILED = {
    "Popularity": {
        "check_beats_popularity": "it is the popularity baseline itself",
    },
    "ContentBased": {
        "check_beats_popularity": "the planted data has ids only; ContentBased needs item "
        "feature columns and refuses a table without them",
    },
}


_STOCHASTIC_SGD = (
    "trained by mini-batch SGD with sampled data: a weight of 2 is not the same random "
    "trajectory as a repeated row"
)
_IDS_ONLY = (
    "the check fits a two-column table (ids only); ContentBased needs item feature columns "
    "and refuses it with a clear error"
)
# {class name: {scikit-learn check name: reason}}: scikit-learn checks expected to fail.
SKLEARN_EXPECTED_FAILED = {
    "BPRMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "MF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "MixtureOfTastesMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "VariationalMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    **{name: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD}
       for name in ("FM", "DeepFM", "WideAndDeep", "NFM", "DLRM", "XDeepFM")},
    "ContentBased": {
        name: _IDS_ONLY
        for name in (
            "check_estimators_overwrite_params", "check_estimators_fit_returns_self",
            "check_readonly_memmap_input", "check_sample_weights_pandas_series",
            "check_sample_weights_not_an_array", "check_sample_weights_shape",
            "check_sample_weights_not_overwritten", "check_fit_idempotent",
            "check_fit_check_is_fitted", "check_n_features_in",
        )
    },
    "ALS": {
        "check_sample_weight_equivalence_on_dense_data": (
            "dropping zero-weight rows changes the order of first appearance of ids, hence "
            "the random initial factors, and a non-convex ALS fit agrees only to ~1e-4"
        ),
    },
}


def public_estimators():
    """Every public recommender class, found by :func:`skrec.utils.all_estimators`."""
    from skrec.utils import all_estimators

    return [cls for _name, cls, _family in all_estimators()]


def instances():
    return [cls(**FAST_PARAMS.get(cls.__name__, {})) for cls in public_estimators()]


def expected_failed(estimator):
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


def sklearn_expected_failed(estimator):
    return SKLEARN_EXPECTED_FAILED.get(type(estimator).__name__, {})
