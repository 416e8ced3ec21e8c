"""A search on a Dask cluster through joblib gives the results of n_jobs=1.

The recipe of docs/scaling.rst: ``joblib.parallel_config(backend="dask")``
around ``GridSearchCV.fit`` with a ``distributed.Client`` connected. The
``LocalCluster`` here listens on 127.0.0.1 only and runs its two
single-threaded workers in this process (fast to start; a real cluster runs
them as processes on other machines). Skipped when ``distributed`` is not
installed (it is in the ``dev`` extra).
"""

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import skrec  # noqa: E402
from skrec.datasets import make_interactions  # noqa: E402
from skrec.metrics import make_ranking_scorer  # noqa: E402
from skrec.model_selection import UserHoldoutSplit  # noqa: E402
from skrec.neighbors import ItemKNN  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A two-worker cluster on 127.0.0.1, without dashboard, closed after the module."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
        host="127.0.0.1", protocol="tcp", silence_logs=50,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def _search(n_jobs):
    return GridSearchCV(
        ItemKNN(), {"n_neighbors": [5, 20]}, scoring=make_ranking_scorer("ndcg@10"),
        cv=UserHoldoutSplit(n_splits=2, random_state=0), n_jobs=n_jobs,
    )


def test_grid_search_on_dask_equals_sequential(client):
    X = make_interactions(n_users=120, n_items=60, random_state=0).X
    local = _search(n_jobs=1).fit(X)
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_config(backend="dask"):
            remote = _search(n_jobs=-1).fit(X)
    # The fits ran as tasks on the cluster's workers.
    assert len(stream.data) > 0
    assert len(client.scheduler_info()["workers"]) == 2
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    for key in ["mean_test_score", "std_test_score", "split0_test_score",
                "split1_test_score", "rank_test_score"]:
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key],
                                   rtol=1e-12, err_msg=key)
    assert np.isfinite(local.cv_results_["mean_test_score"]).all()
    assert remote.best_params_ == local.best_params_
    items, _ = skrec.recommend(remote, X.user.iloc[:3], k=5)
    assert items.shape == (3, 5)
