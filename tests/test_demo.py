"""The demo's model list: every model it runs can fit the demo's kind of data (ids only)."""

import importlib.util
from pathlib import Path

import pytest

from skrec.datasets import make_interactions

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo.py"


@pytest.fixture(scope="module")
def demo():
    spec = importlib.util.spec_from_file_location("skrec_demo", DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_demo_model_fits_ids_only_data(demo):
    data = make_interactions(n_users=40, n_items=30, n_interactions=400, random_state=0)
    X = data.X[["user", "item"]]
    models = demo.models()
    assert len(models) >= 10
    for model in models:
        fast = {k: v for k, v in {"max_iter": 1, "device": "cpu"}.items()
                if k in model.get_params()}
        model.set_params(**fast).fit(X)  # raises for a model that needs other columns
        items, _ = model.recommend(X["user"].unique()[:3], k=5)
        assert items.shape == (3, 5)
