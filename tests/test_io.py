"""Tests for skrec.io: safe dump/load of every estimator."""

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

import skrec
import skrec.io
from skrec import ITEM, USER
from skrec.baselines import Popularity
from skrec.datasets import make_interactions
from skrec.factorization import MF
from skrec.io import _persist
from skrec.utils import all_estimators, get_recommender_tags

from ._instances import FAST_PARAMS

DATA = make_interactions(n_users=30, n_items=24, random_state=0)


def _make(cls):
    est = cls(**FAST_PARAMS.get(cls.__name__, {}))
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    return est


def _fit(est, X=None, y=None):
    X = DATA.X if X is None else X
    if get_recommender_tags(est).feedback == "explicit":
        y = DATA.y if y is None else y
    else:
        y = None
    return est.fit(X, y)


def _data_for(est):
    """The common checks' data for this estimator (feature columns, labels, ...)."""
    from skrec.utils.estimator_checks import _check_data

    return _check_data(est)


def _same_params(a, b):
    """get_params() equal, estimator-valued parameters (or lists of them) compared by repr."""
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    assert pa.keys() == pb.keys()
    for key in pa:
        if hasattr(pa[key], "get_params") or isinstance(pa[key], (list, tuple)):
            assert repr(pa[key]) == repr(pb[key]), key
        else:
            assert pa[key] == pb[key], key


def _round_trip(est, path):
    skrec.io.dump(est, path)
    return skrec.io.load(path)


def _assert_same_outputs(a, b, X):
    users = pd.unique(X[USER])
    for kwargs in ({}, {"exclude_seen": False}):
        ia, sa = a.recommend(users, k=5, **kwargs)
        ib, sb = b.recommend(users, k=5, **kwargs)
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_array_equal(sa, sb)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


def _write_payload(path, tree, **overrides):
    payload = {"format": _persist.FORMAT, "version": _persist.FORMAT_VERSION,
               "skrec_version": skrec.__version__, "tree": tree}
    payload.update(overrides)
    torch.save(payload, path)


ESTIMATORS = [cls for _name, cls, _family in all_estimators()]


# ------------------------------------------------------------ round trips
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_round_trip_every_estimator(cls, tmp_path):
    X, y = _data_for(_make(cls))
    est = _make(cls).fit(X, y)
    loaded = _round_trip(est, tmp_path / "model.skrec")
    assert type(loaded) is cls
    _same_params(loaded, est)
    _assert_same_outputs(est, loaded, X)
    # Fitted attributes keep their types and values.
    for name in ("user_ids_", "item_ids_", "item_popularity_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(est, name))
        assert getattr(loaded, name).dtype == getattr(est, name).dtype
    assert type(loaded.seen_) is type(est.seen_)
    assert (loaded.seen_ != est.seen_).nnz == 0
    # A loaded model can be saved again, and refitted.
    again = _round_trip(loaded, tmp_path / "again.skrec")
    _assert_same_outputs(est, again, X)
    loaded.fit(X, y)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_round_trip_unfitted(cls, tmp_path):
    est = _make(cls)
    loaded = _round_trip(est, tmp_path / "model.skrec")
    assert type(loaded) is cls
    _same_params(loaded, est)
    assert not hasattr(loaded, "user_ids_")
    # Fitting the loaded copy gives the same model as fitting the original.
    X, y = _data_for(est)
    _assert_same_outputs(est.fit(X, y), loaded.fit(X, y), X)


def test_torch_module_and_device(tmp_path):
    est = _fit(_make(MF))
    loaded = _round_trip(est, tmp_path / "m.skrec")
    assert isinstance(loaded.module_, type(est.module_))
    assert loaded.device_ == torch.device("cpu")
    for (ka, va), (kb, vb) in zip(est.module_.state_dict().items(),
                                  loaded.module_.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(va, vb, rtol=0, atol=0)
    assert all(p.requires_grad for p in loaded.module_.parameters())
    assert loaded.module_.training == est.module_.training
    assert loaded.history_ == est.history_


@pytest.mark.parametrize("cls_name", ["Popularity", "ItemKNN", "MF", "ALS", "EASE"])
def test_string_and_tuple_ids_keep_their_types(cls_name, tmp_path):
    cls = dict((name, c) for name, c, _ in all_estimators())[cls_name]
    X = DATA.X.copy()
    users = X[USER].to_numpy()
    # String users; items are tuples mixing str and int, plus a numpy int64 id.
    X[USER] = ["u" + str(u) for u in users]
    item_map = {i: (f"i{i}", i) if i % 3 else (i, f"i{i}", 1.5) for i in range(24)}
    item_map[5] = np.int64(5)
    items = np.empty(len(X), dtype=object)
    items[:] = [item_map[i] for i in X[ITEM]]
    X[ITEM] = items
    est = _fit(_make(cls), X)
    loaded = _round_trip(est, tmp_path / "ids.skrec")
    assert [type(v) for v in loaded.user_ids_] == [type(v) for v in est.user_ids_]
    assert [type(v) for v in loaded.item_ids_] == [type(v) for v in est.item_ids_]
    assert list(loaded.item_ids_) == list(est.item_ids_)
    assert loaded._user_index.equals(est._user_index)
    assert loaded._user_index.dtype == est._user_index.dtype
    _assert_same_outputs(est, loaded, X)
    items_a, _ = est.recommend(["u0", "u1"], k=3)
    items_b, _ = loaded.recommend(["u0", "u1"], k=3)
    assert [type(v) for v in items_b.ravel()] == [type(v) for v in items_a.ravel()]


def test_unstorable_id_is_a_clear_type_error(tmp_path):
    class Token:  # hashable but not a plain id
        def __init__(self, name):
            self.name = name

    X = DATA.X.copy()
    tokens = {u: Token(str(u)) for u in X[USER].unique()}
    col = np.empty(len(X), dtype=object)
    col[:] = [tokens[u] for u in X[USER]]
    X[USER] = col
    est = Popularity().fit(X)
    path = tmp_path / "m.skrec"
    with pytest.raises(TypeError, match=r"Popularity\.user_ids_\[0\].*plain ids.*pickle"):
        skrec.io.dump(est, path)
    assert not path.exists()
    assert os.listdir(tmp_path) == []  # no temporary file left behind


@pytest.mark.parametrize("value, where", [
    (lambda: 0, "function"),
    (object(), "builtins.object"),
    ({"ok": 1, "bad": print}, r"\['bad'\]"),
])
def test_unstorable_attribute_is_a_clear_type_error(value, where, tmp_path):
    est = Popularity().fit(DATA.X)
    est.extra_ = value
    with pytest.raises(TypeError, match=rf"Popularity\.extra_.*{where}"):
        skrec.io.dump(est, tmp_path / "m.skrec")


def test_dump_refuses_non_skrec_objects(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(TypeError, match="skrec estimators"):
        skrec.io.dump(Ridge(), tmp_path / "m.skrec")
    with pytest.raises(TypeError, match="skrec estimators"):
        skrec.io.dump(Popularity, tmp_path / "m.skrec")


def test_many_value_kinds_round_trip(tmp_path):
    est = Popularity().fit(DATA.X)
    lin = torch.nn.Linear(3, 3)
    extra = {
        "u32": np.arange(5, dtype=np.uint32),
        "u64": np.array([2**63 + 5], dtype=np.uint64),
        "f16": np.linspace(0, 1, 4, dtype=np.float16),
        "big_endian": np.arange(3, dtype=">i4"),
        "dates": np.array(["2020-01-01T10:00", "NaT"], dtype="M8[ns]"),
        "text": np.array(["ab", "c"]),
        "empty": np.empty((0, 3)),
        "strided": np.arange(12.0).reshape(3, 4)[:, ::2],
        "readonly": np.frombuffer(b"\x01\x02", dtype=np.uint8),
        "scalars": (np.float32(1.5), np.int8(-3), np.bool_(True), np.str_("s"),
                    np.datetime64("2021-05-01")),
        "csc": sp.csc_matrix(np.eye(3)),
        "index": pd.Index(["x", "y"], name="ids"),
        "range": pd.RangeIndex(2, 10, 3),
        "device": torch.device("cpu"),
        "dtype": (torch.float16, np.dtype(np.int32)),
        "containers": [{1: "a", (2, "b"): None}, {3, 4}, frozenset({"z"}), ()],
        "tensor": torch.arange(4.0).requires_grad_(True),
        "rng": np.random.RandomState(3),
        "gen": torch.Generator().manual_seed(5),
        "tied": torch.nn.Sequential(lin, torch.nn.ReLU(), lin),
        "big_int": 2**70,
    }
    est.extra_ = extra
    est.alias_ = extra["tied"]
    loaded = _round_trip(est, tmp_path / "m.skrec").extra_
    for key in ("u32", "u64", "f16", "big_endian", "dates", "text", "empty", "strided",
                "readonly"):
        np.testing.assert_array_equal(loaded[key], extra[key])
        assert loaded[key].dtype == extra[key].dtype, key
        assert loaded[key].shape == extra[key].shape, key
    for a, b in zip(loaded["scalars"], extra["scalars"]):
        assert type(a) is type(b) and a == b
    assert type(loaded["csc"]) is sp.csc_matrix
    np.testing.assert_array_equal(loaded["csc"].toarray(), np.eye(3))
    assert loaded["index"].equals(extra["index"]) and loaded["index"].name == "ids"
    assert loaded["range"].equals(extra["range"]) and type(loaded["range"]) is pd.RangeIndex
    assert loaded["device"] == torch.device("cpu")
    assert loaded["dtype"] == (torch.float16, np.dtype(np.int32))
    assert loaded["containers"] == extra["containers"]
    assert type(loaded["containers"][2]) is frozenset
    assert loaded["tensor"].requires_grad
    assert loaded["rng"].randint(1000) == np.random.RandomState(3).randint(1000)
    assert torch.rand(1, generator=loaded["gen"]) == torch.rand(
        1, generator=torch.Generator().manual_seed(5))
    seq = loaded["tied"]
    assert seq[0] is seq[2]  # shared modules stay shared
    x = torch.randn(4, 3)
    torch.testing.assert_close(seq(x), extra["tied"](x))
    assert loaded["big_int"] == 2**70
    est_loaded = skrec.io.load(tmp_path / "m.skrec")
    assert est_loaded.alias_ is est_loaded.extra_["tied"]


def test_cycles_round_trip(tmp_path):
    a = torch.nn.Sequential(torch.nn.Linear(2, 2))
    a.add_module("again", a)
    est = Popularity().fit(DATA.X)
    est.extra_ = a
    est.me_ = [est]
    loaded = _round_trip(est, tmp_path / "m.skrec")
    assert loaded.extra_.again is loaded.extra_
    assert loaded.me_[0] is loaded


def test_file_objects(tmp_path):
    import io

    est = Popularity().fit(DATA.X)
    buf = io.BytesIO()
    skrec.io.dump(est, buf)
    buf.seek(0)
    _assert_same_outputs(est, skrec.io.load(buf), DATA.X)


# ------------------------------------------------------------ safety
_RAN = []


def _mark(*args):
    _RAN.append(args)
    return None


class _Evil:
    def __reduce__(self):
        return (_mark, ("ran",))


def _object_node(class_path, state=None):
    return {"__kind__": "object", "id": 0, "__class__": class_path,
            "state": {"__kind__": "dict", "items": list((state or {}).items())}}


@pytest.mark.parametrize("class_path", [
    "os.system",
    "builtins.eval",
    "subprocess.Popen",
    "skrec.io._persist.os",  # a module re-exported in skrec
    "skrec.base.BaseEstimator",  # a scikit-learn class imported into skrec
    "skrec.base.np.ndarray",
    "skrec.factorization._mf.MF.fit",
    "skrec.factorization._modules.MFModule",  # a torch module as a plain object
    "torch.nn.modules.linear.Linear",  # torch classes only as module nodes
    "skrec.__import__",
    "skrec;import os",
    "",
])
def test_crafted_class_names_are_refused(class_path, tmp_path, monkeypatch):
    path = tmp_path / "evil.skrec"
    _write_payload(path, _object_node(class_path, {"x": 1}))
    with pytest.raises(ValueError, match="not a class skrec can load safely"):
        skrec.io.load(path)


@pytest.mark.parametrize("class_path", ["os.system", "builtins.eval", "skrec.base.BaseEstimator",
                                        "skrec.factorization._mf.MF"])
def test_crafted_module_nodes_are_refused(class_path, tmp_path):
    est = _fit(_make(MF))
    tree = _persist._Encoder().encode(est, "MF")
    items = tree["state"]["items"]
    module_node = next(v for k, v in items if k == "module_")
    module_node["__class__"] = class_path
    path = tmp_path / "evil.skrec"
    _write_payload(path, tree)
    with pytest.raises(ValueError, match="not a class skrec can load safely"):
        skrec.io.load(path)


def test_pickled_callables_are_refused_and_never_run(tmp_path):
    path = tmp_path / "evil.skrec"
    _write_payload(path, _object_node("skrec.baselines._popularity.Popularity",
                                      {"x": _Evil()}))
    with pytest.raises(ValueError, match="not a class skrec can load safely"):
        skrec.io.load(path)
    path2 = tmp_path / "evil2.skrec"
    torch.save(_Evil(), path2)
    with pytest.raises(ValueError, match="nothing in it was run"):
        skrec.io.load(path2)
    assert _RAN == []


def test_unknown_node_kind_is_refused(tmp_path):
    path = tmp_path / "odd.skrec"
    _write_payload(path, _object_node("skrec.baselines._popularity.Popularity",
                                      {"x": {"__kind__": "exec", "code": "1"}}))
    with pytest.raises(ValueError, match="unknown node kind 'exec'"):
        skrec.io.load(path)
    _write_payload(path, _object_node("skrec.baselines._popularity.Popularity",
                                      {"x": {"__kind__": "ndarray", "dtype": "O",
                                             "shape": [1], "data": torch.zeros(1)}}))
    with pytest.raises(ValueError, match="not a plain fixed-size dtype"):
        skrec.io.load(path)


def test_truncated_or_corrupt_file(tmp_path):
    est = _fit(_make(MF))
    path = tmp_path / "m.skrec"
    skrec.io.dump(est, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"m\.skrec.*truncated, corrupt"):
        skrec.io.load(path)
    path.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ValueError, match="not a readable skrec model file"):
        skrec.io.load(path)
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a readable skrec model file"):
        skrec.io.load(path)
    with pytest.raises(FileNotFoundError):
        skrec.io.load(tmp_path / "missing.skrec")


def test_wrong_format_missing_keys_and_versions(tmp_path):
    path = tmp_path / "m.skrec"
    torch.save({"weights": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match=r"m\.skrec.*expected format 'skrec-estimator'"):
        skrec.io.load(path)
    torch.save([1, 2], path)
    with pytest.raises(ValueError, match="not a skrec model file"):
        skrec.io.load(path)
    torch.save({"format": "skrec-estimator", "version": 1}, path)
    with pytest.raises(ValueError, match=r"missing \['skrec_version', 'tree'\]"):
        skrec.io.load(path)
    tree = _persist._Encoder().encode(Popularity(), "Popularity")
    _write_payload(path, tree, version=2, skrec_version="9.0")
    with pytest.raises(ValueError, match=(
            r"written by skrec 9\.0 in file format version 2; this skrec "
            rf"\({re.escape(skrec.__version__)}\) reads format versions up to 1")):
        skrec.io.load(path)
    _write_payload(path, tree, version="1")
    with pytest.raises(ValueError, match="invalid format version '1'"):
        skrec.io.load(path)


def test_cuda_trained_model_loads_on_cpu(tmp_path, monkeypatch):
    est = _fit(_make(MF))
    expected = est.recommend([0, 1, 2], k=5)
    est.device_ = torch.device("cuda:0")  # as if trained on a GPU
    path = tmp_path / "gpu.skrec"
    skrec.io.dump(est, path)
    tree = torch.load(path, weights_only=True)
    assert "cuda" in repr(tree["tree"])
    monkeypatch.setattr("skrec.utils._torch.cuda_available", lambda: False)
    with pytest.warns(UserWarning, match="trained on cuda:0, but that device is not available"):
        loaded = skrec.io.load(path)
    assert loaded.device_ == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    got = loaded.recommend([0, 1, 2], k=5)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])


@pytest.mark.parametrize("cls_name", ["ALS", "EASE"])
def test_gpu_fitted_closed_form_models_load_on_cpu(cls_name, tmp_path):
    cls = dict((name, c) for name, c, _ in all_estimators())[cls_name]
    est = _fit(_make(cls))
    expected = est.recommend([0, 1, 2], k=5)
    est.device_ = torch.device("cuda:0")
    for cache in ("_device_factors", "_device_B"):
        est.__dict__.pop(cache, None)
    path = tmp_path / "gpu.skrec"
    skrec.io.dump(est, path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = skrec.io.load(path)
        got = loaded.recommend([0, 1, 2], k=5)
    if not torch.cuda.is_available():
        assert any("not available here" in str(w.message) for w in caught)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1], rtol=1e-6)


def test_no_unsafe_loaders_in_skrec_io():
    root = Path(skrec.__file__).parent
    pattern = re.compile(r"pickle\.loads?\b|joblib\.load\b|weights_only\s*=\s*False")
    hits = []
    for path in sorted((root / "io").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                hits.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert hits == []
    # The loader uses weights_only=True.
    source = (root / "io" / "_persist.py").read_text(encoding="utf-8")
    assert "weights_only=True" in source
    # Elsewhere in skrec, no code unpickles files either (an in-memory round trip
    # of an object skrec itself just pickled, as in the estimator checks, is fine).
    elsewhere = [
        f"{p.relative_to(root)}:{n}"
        for p in sorted(root.rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line.replace("pickle.loads(pickle.dumps(", ""))
    ]
    assert elsewhere == []
