"""Discovery of public estimators and the fast settings used by the common checks.

A new estimator needs an entry here only when its defaults are too slow for
the checks (a few hundred interactions, well under a second per fit) or when
a check does not apply to it; discovery finds it by itself.
"""

from skrec.factorization import MF

# Settings that make each estimator fit in well under a second in the checks.
FAST_PARAMS = {
    "BPRMF": {"n_factors": 8, "max_iter": 20, "lr": 0.05, "batch_size": 64, "device": "cpu"},
    "MF": {"n_factors": 8, "max_iter": 20, "batch_size": 64, "lr": 0.05, "device": "cpu"},
    "MixtureOfTastesMF": {"n_factors": 8, "n_tastes": 2, "max_iter": 20, "lr": 0.05,
                          "batch_size": 64, "device": "cpu"},
    "VariationalMF": {"n_factors": 8, "max_iter": 20, "batch_size": 64, "lr": 0.05,
                      "device": "cpu"},
    # The defaults (reg 50, alpha 6) are chosen on MovieLens; the checks' data is tiny.
    "ALS": {"n_factors": 8, "max_iter": 5, "reg": 0.01, "alpha": 1.0, "device": "cpu"},
    "NCF": {"n_factors": 8, "layers": (16, 8), "max_iter": 20, "lr": 0.01, "init_std": 0.1,
            "batch_size": 64, "device": "cpu"},
    "EASE": {"reg": 10.0, "device": "cpu"},
    "EDLAE": {"p": 0.25, "reg": 10.0, "device": "cpu"},
    "DLAE": {"p": 0.25, "reg": 10.0, "device": "cpu"},
    "MultVAE": {"hidden_dims": (32,), "latent_dim": 16, "max_iter": 30, "batch_size": 16,
                "lr": 1e-2, "total_anneal_steps": 100, "device": "cpu"},
    "MultDAE": {"hidden_dims": (32,), "latent_dim": 16, "max_iter": 30, "batch_size": 16,
                "lr": 1e-2, "device": "cpu"},
    "CDAE": {"n_factors": 16, "max_iter": 30, "batch_size": 16, "lr": 1e-2, "device": "cpu"},
    "RBM": {"n_factors": 32, "max_iter": 100, "batch_size": 64, "lr": 5e-2, "device": "cpu"},
    "AutoRec": {"n_factors": 16, "max_iter": 30, "batch_size": 8, "lr": 1e-2, "reg": 1.0,
                "device": "cpu"},
    "GRU4Rec": {"hidden_size": 16, "n_sample": 16, "max_iter": 5, "batch_size": 16, "lr": 0.1,
                "device": "cpu"},
    "Caser": {"hidden_size": 16, "L": 3, "max_len": 10, "max_iter": 5, "batch_size": 32,
              "lr": 0.01, "dropout": 0.0, "device": "cpu"},
    "HRNN": {"hidden_size": 16, "n_sample": 16, "max_iter": 5, "batch_size": 16, "lr": 0.1,
             "device": "cpu"},
    "SASRec": {"hidden_size": 16, "max_len": 10, "max_iter": 5, "batch_size": 32, "lr": 0.01,
               "dropout": 0.0, "device": "cpu"},
    "MAMLRecommender": {
        "estimator": MF(n_factors=4, max_iter=2, device="cpu"),
        "n_support": 3, "n_query": 5, "meta_batch_size": 8, "max_iter": 10, "meta_lr": 0.05,
        "device": "cpu",
    },
    # Two small rating models (explicit feedback: the gate is learned on ratings).
    "GatedBlend": {
        "estimators": [MF(n_factors=4, max_iter=10, batch_size=64, lr=0.05, device="cpu",
                          random_state=0),
                       MF(n_factors=2, biases=False, max_iter=10, batch_size=64, lr=0.05,
                          device="cpu", random_state=1)],
        "random_state": 0,
    },
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

_NEXT_ITEM_ON_BAGS = (
    "a next-item model scores from the end of the ordered history, and in the planted data "
    "each user's rows are sorted by item id with the out-of-block noise rows appended last, "
    "so the prefix ends on noise (or on the block's highest item, never followed by anything "
    "in training); tests/test_sequential.py has the known-answer tests on planted sequences"
)

# {class name: {check name: reason}}: checks expected to fail, with the reason.
EXPECTED_FAILED = {
    "Caser": {"check_beats_popularity": _NEXT_ITEM_ON_BAGS},
    "GRU4Rec": {"check_beats_popularity": _NEXT_ITEM_ON_BAGS},
    "HRNN": {"check_beats_popularity": _NEXT_ITEM_ON_BAGS},
    "SASRec": {"check_beats_popularity": _NEXT_ITEM_ON_BAGS},
    "SessionKNN": {"check_beats_popularity": _NEXT_ITEM_ON_BAGS},
    "SPop": {
        "check_beats_popularity": (
            "its signal is the items of the current session, which recommend() excludes by "
            "default; what is left is the popularity ranking itself"
        ),
    },
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
_STOCHASTIC_ROWS = (
    "trained by mini-batch SGD over user rows with random initialisation and dropout: dropping "
    "the zero-weight rows can remove users or items, which changes the network's shapes, its "
    "random initialisation and the batches (the weighted rows themselves give the same matrix)"
)
_SEQUENCE_WEIGHTS = (
    "a row is an event inside a sequence: a zero-weight row still sits in its session as the "
    "input before the next event (so weighting is not removal), and training is mini-batch "
    "SGD with sampled negatives"
)
_NO_TASK = (
    "scikit-learn's generic data has one interaction per user (float ids), so no user has the "
    "n_support + 1 rows of a meta-learning task, and MAMLRecommender refuses a fit with nothing "
    "to meta-learn (ValueError naming n_support); skrec's own checks cover these properties"
)
_IDS_ONLY = (
    "the check fits a two-column table (ids only); ContentBased needs item feature columns "
    "and refuses it with a clear error"
)
# {class name: {scikit-learn check name: reason}}: scikit-learn checks expected to fail.
SKLEARN_EXPECTED_FAILED = {
    "MAMLRecommender": {
        "check_fit_score_takes_y": _NO_TASK,
        "check_estimators_overwrite_params": _NO_TASK,
        "check_dont_overwrite_parameters": _NO_TASK,
        "check_estimators_fit_returns_self": _NO_TASK,
        "check_readonly_memmap_input": _NO_TASK,
        "check_n_features_in_after_fitting": _NO_TASK,
        "check_estimators_dtypes": _NO_TASK,
        "check_sample_weights_list": _NO_TASK,
        "check_sample_weights_shape": _NO_TASK,
        "check_sample_weights_not_overwritten": _NO_TASK,
        "check_sample_weight_equivalence_on_dense_data": _NO_TASK,
        "check_dtype_object": _NO_TASK,
        "check_pipeline_consistency": _NO_TASK,
        "check_estimators_nan_inf": _NO_TASK,
        "check_estimators_pickle": _NO_TASK,
        "check_f_contiguous_array_estimator": _NO_TASK,
        "check_methods_sample_order_invariance": _NO_TASK,
        "check_methods_subset_invariance": _NO_TASK,
        "check_fit2d_1sample": _NO_TASK,
        "check_dict_unchanged": _NO_TASK,
        "check_fit_idempotent": _NO_TASK,
        "check_fit_check_is_fitted": _NO_TASK,
        "check_n_features_in": _NO_TASK,
        "check_fit2d_predict1d": _NO_TASK,
    },
    "Caser": {"check_sample_weight_equivalence_on_dense_data": _SEQUENCE_WEIGHTS},
    "GRU4Rec": {"check_sample_weight_equivalence_on_dense_data": _SEQUENCE_WEIGHTS},
    "HRNN": {"check_sample_weight_equivalence_on_dense_data": _SEQUENCE_WEIGHTS},
    "SASRec": {"check_sample_weight_equivalence_on_dense_data": _SEQUENCE_WEIGHTS},
    "SPop": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the score counts the events of the current session, a sequence of events; "
            "sample_weight weighs only the global popularity that breaks ties"
        ),
    },
    "MultVAE": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_ROWS},
    "MultDAE": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_ROWS},
    "CDAE": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_ROWS},
    "RBM": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_ROWS},
    "AutoRec": {
        "check_sample_weight_equivalence_on_dense_data": (
            "a repeated (user, item) rating is one entry of the rating matrix "
            "(duplicates='mean'), not a weight of 2, and a zero-weight rating still feeds the "
            "encoder's input vector (weights act on the loss only); SGD on top"
        ),
    },
    "BPRMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "MF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "MixtureOfTastesMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "VariationalMF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    "NCF": {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD},
    **{name: {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_SGD}
       for name in ("FM", "DeepFM", "WideAndDeep", "NFM", "DLRM", "XDeepFM")},
    "GatedBlend": {
        "check_sample_weight_equivalence_on_dense_data": (
            "the held-out split that learns the gate is drawn over the rows, so dropping the "
            "zero-weight rows changes which rows are held out; the inner MFs are SGD-trained "
            "too (see MF)"
        ),
    },
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
