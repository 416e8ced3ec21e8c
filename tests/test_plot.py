"""The displays of skrec.plot draw the numbers they compute (Agg backend)."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skrec.baselines import Popularity  # noqa: E402
from skrec.datasets import make_interactions  # noqa: E402
from skrec.metrics import make_ranking_scorer  # noqa: E402
from skrec.model_selection import ColdStartUserSplit  # noqa: E402
from skrec.neighbors import ItemKNN  # noqa: E402
from skrec.plot import (  # noqa: E402
    ColdStartDisplay,
    MetricAtKDisplay,
    PopularityDisplay,
    TrainingHistoryDisplay,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    X = make_interactions(n_users=80, n_items=40, random_state=0).X
    return X, X.iloc[:700], X.iloc[700:]


def test_import_does_not_import_matplotlib_or_torch():
    code = "import sys, skrec.plot; print('matplotlib' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False False"


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install skrec-learn\[plot\]"):
        MetricAtKDisplay.from_predictions([1, 2], {"a": [0.1, 0.2]})
    # from_estimator fails before fitting or scoring anything.
    for call in [lambda: MetricAtKDisplay.from_estimator(object(), None),
                 lambda: ColdStartDisplay.from_estimator(object(), None),
                 lambda: PopularityDisplay.from_estimator(object()),
                 lambda: TrainingHistoryDisplay.from_estimator(object())]:
        with pytest.raises(ImportError, match=r"skrec-learn\[plot\]"):
            call()


def test_metric_at_k_lines_are_the_scorer_values(data):
    _, train, test = data
    models = [Popularity().fit(train), ItemKNN(n_neighbors=10).fit(train)]
    disp = MetricAtKDisplay.from_estimator(models, test, metric="ndcg", k_max=8)
    assert list(disp.lines_) == ["Popularity", "ItemKNN"]
    assert len(disp.ax_.get_lines()) == 2
    assert disp.figure_ is disp.ax_.figure
    assert disp.ax_.get_xlabel().startswith("k")
    assert disp.ax_.get_ylabel() == "ndcg@k"
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == ["Popularity",
                                                                         "ItemKNN"]
    for model, name in zip(models, ["Popularity", "ItemKNN"]):
        line = disp.lines_[name]
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 9))
        expected = [make_ranking_scorer(f"ndcg@{k}")(model, test) for k in range(1, 9)]
        np.testing.assert_allclose(line.get_ydata(), expected)
        np.testing.assert_allclose(disp.values_by_name[name], expected)
    assert disp.line_ is disp.lines_["ItemKNN"]


def test_metric_at_k_names_dict_and_ax(data):
    _, train, test = data
    fig, ax = plt.subplots()
    disp = MetricAtKDisplay.from_estimator(
        {"pop": Popularity().fit(train)}, test, metric="recall", k_max=3, ax=ax,
        scorer_params={"exclude_seen": True})
    assert disp.ax_ is ax and disp.figure_ is fig
    assert list(disp.lines_) == ["pop"]
    disp = MetricAtKDisplay.from_estimator([Popularity().fit(train)] * 2, test, k_max=2)
    assert list(disp.lines_) == ["Popularity", "Popularity (2)"]
    disp = MetricAtKDisplay.from_estimator(Popularity().fit(train), test, k_max=2,
                                           names=["baseline"])
    assert list(disp.lines_) == ["baseline"]
    with pytest.raises(ValueError, match="without @K"):
        MetricAtKDisplay.from_estimator(Popularity().fit(train), test, metric="ndcg@10")
    with pytest.raises(ValueError, match="names has 2 entries"):
        MetricAtKDisplay.from_estimator(Popularity().fit(train), test, names=["a", "b"])


def test_metric_at_k_from_predictions_round_trips():
    k = [1, 5, 10]
    values = {"a": [0.1, 0.2, 0.3], "b": [0.05, 0.25, 0.4]}
    disp = MetricAtKDisplay.from_predictions(k, values, metric="recall")
    again = MetricAtKDisplay.from_predictions(disp.k, disp.values_by_name, metric=disp.metric)
    for name in values:
        np.testing.assert_array_equal(disp.lines_[name].get_xdata(), k)
        np.testing.assert_array_equal(again.lines_[name].get_ydata(), values[name])
    assert again.ax_.get_ylabel() == "recall@k"
    with pytest.raises(ValueError, match="shape"):
        MetricAtKDisplay.from_predictions([1, 2], {"a": [0.1]})
    with pytest.raises(TypeError, match="dict"):
        MetricAtKDisplay.from_predictions([1, 2], [0.1, 0.2])


def test_training_history_draws_train_and_validation_loss(data):
    from skrec.factorization import BPRMF

    X, _, _ = data
    model = BPRMF(n_factors=4, max_iter=3, early_stopping=True, n_iter_no_change=10,
                  device="cpu", random_state=0).fit(X)
    disp = TrainingHistoryDisplay.from_estimator(model)
    epochs = [row["epoch"] for row in model.history_]
    np.testing.assert_array_equal(disp.train_line_.get_xdata(), epochs)
    np.testing.assert_allclose(disp.train_line_.get_ydata(),
                               [row["train_loss"] for row in model.history_])
    np.testing.assert_allclose(disp.val_line_.get_ydata(),
                               [row["val_loss"] for row in model.history_])
    assert set(disp.lines_) == {"train", "validation"}
    assert (disp.ax_.get_xlabel(), disp.ax_.get_ylabel()) == ("epoch", "loss")
    assert [t.get_text() for t in disp.ax_.get_legend().get_texts()] == [
        "BPRMF train", "BPRMF validation"]


def test_training_history_without_validation_and_errors(data):
    from skrec.factorization import ALS

    X, _, _ = data
    model = ALS(n_factors=4, max_iter=4, device="cpu", random_state=0).fit(X)
    disp = TrainingHistoryDisplay.from_estimator(model, name="als")
    assert disp.val_line_ is None and list(disp.lines_) == ["train"]
    np.testing.assert_allclose(disp.train_line_.get_ydata(),
                               [row["train_loss"] for row in model.history_])
    again = TrainingHistoryDisplay(disp.epochs, disp.train_loss, disp.val_loss).plot()
    np.testing.assert_array_equal(again.train_line_.get_ydata(),
                                  disp.train_line_.get_ydata())
    with pytest.raises(AttributeError, match="history_"):
        TrainingHistoryDisplay.from_estimator(Popularity().fit(X))


def test_popularity_display_long_tail_and_coverage(data):
    X, _, _ = data
    model = ItemKNN(n_neighbors=10).fit(X)
    disp = PopularityDisplay.from_estimator(model, k=5)
    pop = np.sort(model.item_popularity_)[::-1]
    np.testing.assert_array_equal(disp.popularity, pop)
    np.testing.assert_allclose(disp.popularity_line_.get_ydata(), pop / pop.sum())
    items, scores = model.recommend(model.user_ids_, k=5)
    n_slots = np.isfinite(scores).sum()
    assert disp.recommended_counts.sum() == n_slots
    np.testing.assert_allclose(disp.recommended_line_.get_ydata().sum(), 1.0)
    # The coverage is the scorer's coverage@5 over every user of the training table.
    assert disp.coverage_ == pytest.approx(make_ranking_scorer("coverage@5")(model, X))
    assert "coverage" in disp.recommended_line_.get_label()
    assert disp.ax_.get_xlabel() == "item rank by training popularity"
    assert len(disp.ax_.get_lines()) == 2


def test_popularity_from_predictions_round_trips():
    disp = PopularityDisplay.from_predictions([5, 20, 1, 10], ["b", "d", "b"],
                                              item_ids=["a", "b", "c", "d"], k=2)
    assert disp.popularity.tolist() == [20, 10, 5, 1]
    assert disp.recommended_counts.tolist() == [2, 1, 0, 0]
    assert disp.coverage_ == 0.5
    again = PopularityDisplay(disp.popularity, disp.recommended_counts, k=2).plot()
    np.testing.assert_array_equal(again.recommended_line_.get_ydata(),
                                  disp.recommended_line_.get_ydata())
    with pytest.raises(ValueError, match="not in item_ids"):
        PopularityDisplay.from_predictions([1, 2], ["z"], item_ids=["a", "b"])
    with pytest.raises(ValueError, match="positions"):
        PopularityDisplay.from_predictions([1, 2], [2])


def test_cold_start_values_are_the_fold_in_scores(data):
    X, _, _ = data
    cv = ColdStartUserSplit(n_splits=2, random_state=0)
    sizes = (1, 3, 5)
    models = {"pop": Popularity(), "knn": ItemKNN(n_neighbors=10)}
    disp = ColdStartDisplay.from_estimator(models, X, support_sizes=sizes,
                                           metric="recall@10", cv=cv)
    assert list(disp.lines_) == ["pop", "knn"]
    assert len(disp.ax_.get_lines()) == 2 and len(disp.fill_between_) == 2
    assert disp.ax_.get_ylabel() == "recall@10"
    assert "support" in disp.ax_.get_xlabel()
    for name, est in models.items():
        per_fold = []
        for train, test in cv.split(X):
            fitted = clone(est).fit(X.iloc[train])
            per_fold.append([
                make_ranking_scorer("recall@10", cold_users="fold_in", n_support=s)(
                    fitted, X.iloc[test]) for s in sizes])
        np.testing.assert_array_equal(disp.lines_[name].get_xdata(), sizes)
        np.testing.assert_allclose(disp.lines_[name].get_ydata(), np.mean(per_fold, axis=0))
        np.testing.assert_allclose(disp.std_by_name[name], np.std(per_fold, axis=0))
    # Popularity ignores the history; ItemKNN uses it.
    assert np.ptp(disp.values_by_name["knn"]) > 0


def test_cold_start_from_predictions_round_trips():
    values = {"a": [0.1, 0.2], "b": [0.3, 0.3]}
    disp = ColdStartDisplay.from_predictions([1, 5], values, metric="ndcg@10")
    again = ColdStartDisplay.from_predictions(disp.support_sizes, disp.values_by_name,
                                              metric=disp.metric)
    for name in values:
        np.testing.assert_array_equal(again.lines_[name].get_ydata(), values[name])
    assert again.fill_between_ == {}
    band = ColdStartDisplay.from_predictions([1, 5], values, std_by_name={"a": [0.01, 0.02]})
    assert list(band.fill_between_) == ["a"]
    with pytest.raises(ValueError, match="non-negative ints"):
        ColdStartDisplay.from_estimator(Popularity(), make_interactions(
            n_users=10, n_items=5, random_state=0).X, support_sizes=[1.5])
