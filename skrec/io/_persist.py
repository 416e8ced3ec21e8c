"""Safe persistence: estimators to and from a tree of plain values and tensors.

:func:`dump` turns an estimator into a *pure tree* (dict, list, str, int,
float, bool, None and CPU tensors; every other value becomes a small tagged
dict) and writes it with :func:`torch.save`. :func:`load` reads it back with
``torch.load(..., weights_only=True)``, whose unpickler only rebuilds
tensors and plain containers, and then rebuilds the objects of the tree
itself, for classes on an allow-list only (classes defined in ``skrec``,
``torch.nn`` modules). Nothing in the file can name a function to call.

Node kinds (a dict with the key ``"__kind__"``)::

    dict       {"items": [[key, value], ...]}      any plain dict
    tuple, set, frozenset {"items": [...]}
    ndarray    {"dtype", "shape", "data": tensor}   numeric/bool, via torch
    rawarray   {"dtype", "shape", "data": uint8 tensor}   other fixed-size dtypes
    objarray   {"shape", "items": [...]}            object arrays of scalar ids
    npscalar   {"dtype", "value"}
    np_dtype, torch_dtype, device  {"value": str}
    sparse     {"format", "class", "shape", "data", "indices", "indptr"}
    index      {"dtype", "values", "name"}     range_index {"start", "stop", "step", "name"}
    dataframe  {"index", "columns", "dtypes", "data"} (one array per column)
    tensor     {"data", "requires_grad"}
    parameter  {"id", "data", "requires_grad"}
    randomstate {"state": [...]}     generator {"state": uint8 tensor}
    object     {"id", "__class__", "state"}   a skrec object, rebuilt by __setstate__
    module     {"id", "__class__", "attrs", "parameters", "buffers",
                "non_persistent", "modules"}
    ref        {"id"}      a second reference to an object, module or parameter
"""

from __future__ import annotations

import importlib
import inspect
import io
import os
import pickle
import re
import tempfile
import zipfile

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

__all__ = ["FORMAT", "FORMAT_VERSION", "dump", "load"]

#: The ``format`` field of a skrec model file.
FORMAT = "skrec-estimator"
#: The version of the tree layout written by :func:`dump`; :func:`load` reads
#: this version and older ones.
FORMAT_VERSION = 1

_KIND = "__kind__"
_CLASS = "__class__"
_SCALARS = (str, int, float, bool, type(None))
# numpy dtypes torch stores natively (same bytes, same shape).
_TORCH_DTYPES = {
    np.dtype(np.bool_): torch.bool,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.int8): torch.int8,
    np.dtype(np.int16): torch.int16,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.complex64): torch.complex64,
    np.dtype(np.complex128): torch.complex128,
}
_SPARSE = {
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
}
# The attributes nn.Module.__init__ creates; rebuilt by it at load, not stored.
_MODULE_INTERNALS = frozenset(vars(torch.nn.Module()))
# Views of an RNN's parameters (weak references and a list of the same
# tensors), not state: torch's own pickling drops them too, and
# ``_init_flat_weights`` rebuilds them from the parameters at load.
_RNN_VIEWS = frozenset({"_flat_weight_refs", "_flat_weights"})
_HOOK_DICTS = tuple(
    k for k in _MODULE_INTERNALS if "hook" in k and k != "_is_full_backward_hook"
)
_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")
_TRUSTED_ONLY = (
    "skrec.io stores plain ids (str, int, float, bool, None, tuples of these), "
    "numbers, arrays, sparse matrices, tensors, torch modules and skrec objects; "
    "convert the value to plain ids, or use pickle/joblib for trusted use only."
)


# =================================================================== dump
class _Encoder:
    def __init__(self):
        self.ids = {}  # id(obj) -> node id, for objects, modules and parameters
        self.keep = []  # keep encoded objects alive so that ids stay unique

    # ----------------------------------------------------------- helpers
    def _error(self, path, value, why=None):
        t = type(value)
        why = why or f"of type {t.__module__}.{t.__qualname__} cannot be saved safely"
        return TypeError(f"Cannot save {path}: a value {why}. {_TRUSTED_ONLY}")

    def _ref(self, obj):
        key = id(obj)
        if key in self.ids:
            return {_KIND: "ref", "id": self.ids[key]}, None
        self.ids[key] = len(self.ids)
        self.keep.append(obj)
        return None, self.ids[key]

    # ----------------------------------------------------------- values
    def encode(self, value, path):
        if isinstance(value, np.generic):
            return self._npscalar(value, path)
        if type(value) in _SCALARS:
            return value
        if type(value) is list:
            return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if type(value) in (tuple, set, frozenset):
            items = value if type(value) is tuple else _sorted_if_possible(value)
            return {_KIND: type(value).__name__,
                    "items": [self.encode(v, f"{path}[{i}]") for i, v in enumerate(items)]}
        if type(value) is dict or (isinstance(value, dict) and type(value).__module__ in (
                "collections", "builtins")):
            return {_KIND: "dict", "items": [
                [self.encode(k, f"{path} key {k!r}"), self.encode(v, f"{path}[{k!r}]")]
                for k, v in value.items()
            ]}
        if isinstance(value, np.ndarray):
            return self._ndarray(value, path)
        if isinstance(value, torch.nn.Parameter):
            ref, node_id = self._ref(value)
            if ref is not None:
                return ref
            return {_KIND: "parameter", "id": node_id, "data": _cpu_tensor(value, path, self),
                    "requires_grad": bool(value.requires_grad)}
        if isinstance(value, torch.Tensor):
            return {_KIND: "tensor", "data": _cpu_tensor(value, path, self),
                    "requires_grad": bool(value.requires_grad)}
        if isinstance(value, torch.device):
            return {_KIND: "device", "value": str(value)}
        if isinstance(value, torch.dtype):
            return {_KIND: "torch_dtype", "value": str(value).removeprefix("torch.")}
        if isinstance(value, np.dtype):
            if value.hasobject:
                raise self._error(path, value, "of dtype object (a numpy dtype)")
            return {_KIND: "np_dtype", "value": value.str}
        if sp.issparse(value):
            return self._sparse(value, path)
        if isinstance(value, pd.Index):
            return self._index(value, path)
        if type(value) is pd.DataFrame:
            return self._frame(value, path)
        if type(value) is np.random.RandomState:
            state = value.get_state(legacy=True)
            return {_KIND: "randomstate", "state": [self.encode(s, path) for s in state]}
        if isinstance(value, torch.Generator):
            if value.device.type != "cpu":
                raise self._error(path, value, f"a torch.Generator on {value.device} "
                                  "(only CPU generators can be saved)")
            return {_KIND: "generator", "state": value.get_state()}
        if isinstance(value, torch.nn.Module):
            return self._module(value, path)
        if _is_skrec_class(type(value)) and not inspect.isclass(value):
            return self._object(value, path)
        raise self._error(path, value)

    def _npscalar(self, value, path):
        if value.dtype.hasobject or value.dtype.kind == "V":
            raise self._error(path, value)
        if value.dtype.kind in "mM":  # datetime64 / timedelta64: keep the raw count
            return {_KIND: "npscalar", "dtype": value.dtype.str,
                    "value": int(value.view(np.int64))}
        return {_KIND: "npscalar", "dtype": value.dtype.str, "value": value.item()}

    def _ndarray(self, arr, path):
        if type(arr) is not np.ndarray:
            raise self._error(path, arr, f"of array subclass {type(arr).__name__}")
        dtype = arr.dtype
        if dtype.hasobject:
            if dtype.kind != "O":
                raise self._error(path, arr, "of a structured dtype holding objects")
            items = [self._id_scalar(v, f"{path}[{i}]")
                     for i, v in enumerate(arr.ravel(order="C"))]
            return {_KIND: "objarray", "shape": list(arr.shape), "items": items}
        arr = np.ascontiguousarray(arr)
        native = _TORCH_DTYPES.get(dtype.newbyteorder("=")) if dtype.isnative else None
        if native is not None and dtype.fields is None:
            if not arr.flags.writeable:  # torch.from_numpy wants a writable buffer
                arr = arr.copy()
            return {_KIND: "ndarray", "dtype": dtype.str, "shape": list(arr.shape),
                    "data": torch.from_numpy(arr.reshape(-1))}
        raw = arr.reshape(-1).view(np.uint8) if arr.size else np.empty(0, np.uint8)
        if not raw.flags.writeable:
            raw = raw.copy()
        return {_KIND: "rawarray", "dtype": _dtype_descr(dtype), "shape": list(arr.shape),
                "data": torch.from_numpy(raw)}

    def _id_scalar(self, value, path):
        """One element of an object array: a plain id (or a tuple of them)."""
        if isinstance(value, np.generic):
            return self._npscalar(value, path)
        if type(value) in _SCALARS or type(value) is bytes:
            return value
        if type(value) is tuple:
            return {_KIND: "tuple",
                    "items": [self._id_scalar(v, f"{path}[{i}]") for i, v in enumerate(value)]}
        raise self._error(path, value, f"of type {type(value).__module__}."
                          f"{type(value).__qualname__} in an object array")

    def _sparse(self, mat, path):
        name = type(mat).__name__
        if name not in _SPARSE:
            mat = (sp.csr_array if isinstance(mat, sp.sparray) else sp.csr_matrix)(mat)
            name = type(mat).__name__
        return {_KIND: "sparse", "class": name, "shape": [int(s) for s in mat.shape],
                "data": self._ndarray(mat.data, f"{path}.data"),
                "indices": self._ndarray(mat.indices, f"{path}.indices"),
                "indptr": self._ndarray(mat.indptr, f"{path}.indptr")}

    def _index(self, index, path):
        name = self.encode(index.name, f"{path}.name")
        if type(index) is pd.RangeIndex:
            return {_KIND: "range_index", "start": int(index.start), "stop": int(index.stop),
                    "step": int(index.step), "name": name}
        if type(index) is not pd.Index or isinstance(index.dtype, pd.CategoricalDtype):
            raise self._error(path, index, f"of type {type(index).__name__} (only a plain "
                              "pandas Index or RangeIndex can be saved)")
        values = index.to_numpy()
        return {_KIND: "index", "dtype": str(index.dtype),
                "values": self._ndarray(values, f"{path}.values"), "name": name}

    def _frame(self, frame, path):
        """A DataFrame as its index, column names, dtypes and one array per column."""
        return {_KIND: "dataframe",
                "index": self._index(frame.index, f"{path}.index"),
                "columns": [self.encode(c, f"{path}.columns") for c in frame.columns],
                "dtypes": [str(d) for d in frame.dtypes],
                "data": [self._ndarray(np.asarray(frame.iloc[:, j].to_numpy()),
                                       f"{path}[{frame.columns[j]!r}]")
                         for j in range(frame.shape[1])]}

    def _object(self, obj, path):
        ref, node_id = self._ref(obj)
        if ref is not None:
            return ref
        cls = type(obj)
        getstate = getattr(cls, "__getstate__", None)
        if getstate is not None and getstate is not object.__getstate__:
            state = obj.__getstate__()
        else:
            state = getattr(obj, "__dict__", None)
            if state is None:
                raise self._error(path, obj, f"of type {_class_path(cls)} without a __dict__")
        if state is None:
            state = {}
        if not isinstance(state, dict):
            raise self._error(path, obj, f"of type {_class_path(cls)} whose __getstate__ "
                              "does not return a dict")
        # The node id is registered before the state is encoded, so a reference
        # back to this object (a cycle) is stored as a "ref" node.
        encoded = {_KIND: "dict", "items": [
            [k, self.encode(v, f"{path}.{k}")] for k, v in state.items()
        ]}
        return {_KIND: "object", "id": node_id, _CLASS: _class_path(cls), "state": encoded}

    def _module(self, module, path):
        ref, node_id = self._ref(module)
        if ref is not None:
            return ref
        cls = type(module)
        if not _module_class_allowed(cls):
            raise self._error(path, module, f"a torch module of class {_class_path(cls)} "
                              "(only skrec and torch.nn modules can be saved)")
        hooks = [k for k in _HOOK_DICTS if getattr(module, k, None)]
        if hooks:
            raise self._error(path, module, f"a torch module with hooks ({hooks}); remove "
                              "them before saving")
        skip = _MODULE_INTERNALS | (_RNN_VIEWS if isinstance(module, torch.nn.RNNBase)
                                    else frozenset())
        attrs = {k: v for k, v in vars(module).items() if k not in skip}
        node = {
            _KIND: "module", "id": node_id, _CLASS: _class_path(cls),
            "training": bool(module.training),
            "attrs": {_KIND: "dict", "items": [
                [k, self.encode(v, f"{path}.{k}")] for k, v in attrs.items()]},
            "parameters": [
                [k, None if p is None else self.encode(p, f"{path}.{k}")]
                for k, p in module._parameters.items()],
            "buffers": [
                [k, None if b is None else _cpu_tensor(b, f"{path}.{k}", self)]
                for k, b in module._buffers.items()],
            "non_persistent": sorted(module._non_persistent_buffers_set),
            "modules": [
                [k, None if m is None else self._module(m, f"{path}.{k}")]
                for k, m in module._modules.items()],
        }
        return node


def _sorted_if_possible(values):
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _dtype_descr(dtype):
    if dtype.fields is not None:
        raise TypeError(f"Cannot save an array of structured dtype {dtype}. {_TRUSTED_ONLY}")
    return dtype.str


def _cpu_tensor(t, path, enc):
    if t.layout != torch.strided:
        raise enc._error(path, t, f"a {t.layout} tensor (only dense tensors can be saved)")
    if t.is_quantized or t.is_meta:
        raise enc._error(path, t, "a quantized or meta tensor")
    return t.detach().to("cpu")


def _class_path(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_skrec_class(cls):
    module = getattr(cls, "__module__", "") or ""
    return module == "skrec" or module.startswith("skrec.")


def _module_class_allowed(cls):
    return issubclass(cls, torch.nn.Module) and (
        _is_skrec_class(cls) or cls.__module__.startswith("torch.nn.modules."))


def dump(estimator, path):
    """Save an estimator to a file that :func:`load` reads without running code.

    The estimator (fitted or not) is turned into a tree of plain values
    (dict, list, str, int, float, bool, None), numbers and CPU tensors: numpy
    arrays, scipy sparse matrices, pandas indexes, torch modules (their
    weights, moved to the CPU) and skrec objects are stored by their data and
    the dotted name of their class. The tree is written with
    :func:`torch.save`; reading it back never unpickles an arbitrary object.

    Parameters
    ----------
    estimator : skrec estimator
        A skrec recommender, fitted or not. Its parameters and fitted
        attributes must be storable: ids that are str, int, float, bool,
        None or tuples of these (numpy scalars included), numbers, arrays,
        tensors, torch modules and other skrec objects (for example the
        ``estimator`` of a meta-estimator).
    path : str, path-like or writable binary file
        Where to write. A file at ``path`` is replaced only once the new one
        is complete.

    Returns
    -------
    None

    Raises
    ------
    TypeError
        When an attribute holds a value that cannot be stored safely (a
        function, an arbitrary Python object, an id of another type); the
        message names the attribute.

    See Also
    --------
    load : Read the file back.

    Notes
    -----
    Files written by :mod:`pickle` or :mod:`joblib` can run any code when
    they are loaded: only load those from sources you trust. Files written
    by :func:`dump` are safe to load from anyone (they can still hold a
    model that scores badly).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import skrec.io
    >>> from skrec.datasets import make_interactions
    >>> from skrec.baselines import Popularity
    >>> data = make_interactions(n_users=20, n_items=10, random_state=0)
    >>> model = Popularity().fit(data.X)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "model.skrec")
    ...     skrec.io.dump(model, path)
    ...     loaded = skrec.io.load(path)
    >>> loaded
    Popularity()
    >>> items, scores = loaded.recommend([0, 1], k=3)
    >>> bool(np.array_equal(items, model.recommend([0, 1], k=3)[0]))
    True
    """
    if not _is_skrec_class(type(estimator)) or inspect.isclass(estimator):
        raise TypeError(
            f"skrec.io.dump saves skrec estimators, got {type(estimator).__name__}; "
            "use pickle or joblib for other objects (trusted use only)."
        )
    import skrec

    tree = _Encoder().encode(estimator, type(estimator).__name__)
    payload = {"format": FORMAT, "version": FORMAT_VERSION,
               "skrec_version": skrec.__version__, "tree": tree}
    if not isinstance(path, (str, os.PathLike)):
        torch.save(payload, path)
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skrec-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


# =================================================================== load
class _Decoder:
    def __init__(self, where):
        self.where = where
        self.refs = {}

    def _bad(self, what):
        return ValueError(f"{self.where} is not a valid skrec model file: {what}.")

    def decode(self, node):
        if type(node) in _SCALARS:
            return node
        if type(node) is list:
            return [self.decode(v) for v in node]
        if type(node) is not dict:
            raise self._bad(f"unexpected value of type {type(node).__name__} in the tree")
        kind = node.get(_KIND)
        method = getattr(self, f"_k_{kind}", None) if isinstance(kind, str) else None
        if method is None:
            raise self._bad(f"unknown node kind {kind!r}")
        try:
            return method(node)
        except (KeyError, TypeError, IndexError, AttributeError, RuntimeError) as exc:
            raise ValueError(
                f"{self.where} is not a valid skrec model file: a {kind!r} node is "
                f"malformed ({type(exc).__name__}: {exc})."
            ) from exc

    def _tensor_field(self, node, key):
        t = node[key]
        if not isinstance(t, torch.Tensor):
            raise self._bad(f"field {key!r} of a {node[_KIND]!r} node is not a tensor")
        return t

    def _k_dict(self, node):
        return {self.decode(k): self.decode(v) for k, v in node["items"]}

    def _k_tuple(self, node):
        return tuple(self.decode(v) for v in node["items"])

    def _k_set(self, node):
        return {self.decode(v) for v in node["items"]}

    def _k_frozenset(self, node):
        return frozenset(self.decode(v) for v in node["items"])

    def _np_dtype(self, descr):
        if not isinstance(descr, str):
            raise self._bad(f"dtype {descr!r} is not a string")
        dtype = np.dtype(descr)
        if dtype.hasobject or dtype.fields is not None:
            raise self._bad(f"dtype {descr!r} is not a plain fixed-size dtype")
        return dtype

    def _shape(self, node):
        shape = tuple(node["shape"])
        if not all(type(s) is int and s >= 0 for s in shape):
            raise self._bad(f"bad array shape {shape!r}")
        return shape

    def _k_ndarray(self, node):
        dtype = self._np_dtype(node["dtype"])
        t = self._tensor_field(node, "data")
        arr = t.detach().cpu().numpy()
        if arr.dtype != dtype.newbyteorder("="):
            raise self._bad(f"array data of dtype {arr.dtype} where {dtype} was recorded")
        return arr.astype(dtype, copy=False).reshape(self._shape(node))

    def _k_rawarray(self, node):
        dtype = self._np_dtype(node["dtype"])
        raw = self._tensor_field(node, "data")
        if raw.dtype != torch.uint8:
            raise self._bad("raw array data is not uint8")
        buf = raw.cpu().numpy()
        shape = self._shape(node)
        if buf.size == 0:
            return np.empty(shape, dtype=dtype)
        return np.frombuffer(buf.tobytes(), dtype=dtype).reshape(shape).copy()

    def _k_objarray(self, node):
        items = [self.decode(v) for v in node["items"]]
        shape = self._shape(node)
        out = np.empty(len(items), dtype=object)
        out[:] = items if items else []
        return out.reshape(shape)

    def _k_npscalar(self, node):
        dtype = self._np_dtype(node["dtype"])
        value = node["value"]
        if type(value) not in _SCALARS or value is None:
            raise self._bad(f"numpy scalar value {value!r}")
        if dtype.kind in "mM":
            return np.array(value, dtype=np.int64).view(dtype)[()]
        return dtype.type(value)

    def _k_np_dtype(self, node):
        return self._np_dtype(node["value"])

    def _k_torch_dtype(self, node):
        name = node["value"]
        dtype = getattr(torch, name, None) if isinstance(name, str) else None
        if not isinstance(dtype, torch.dtype):
            raise self._bad(f"unknown torch dtype {name!r}")
        return dtype

    def _k_device(self, node):
        return torch.device(str(node["value"]))

    def _k_sparse(self, node):
        cls = _SPARSE.get(node["class"])
        if cls is None:
            raise self._bad(f"unknown sparse class {node['class']!r}")
        parts = [self.decode(node[k]) for k in ("data", "indices", "indptr")]
        if not all(isinstance(p, np.ndarray) for p in parts):
            raise self._bad("sparse parts are not arrays")
        try:
            return cls(tuple(parts), shape=tuple(node["shape"]))
        except ValueError as exc:
            raise self._bad(f"inconsistent sparse matrix ({exc})") from exc

    def _k_index(self, node):
        values = self.decode(node["values"])
        dtype = pd.api.types.pandas_dtype(str(node["dtype"]))
        return pd.Index(values, dtype=dtype, name=self.decode(node["name"]), copy=False)

    def _k_dataframe(self, node):
        index = self.decode(node["index"])
        columns = [self.decode(c) for c in node["columns"]]
        data = [self.decode(d) for d in node["data"]]
        if not (len(columns) == len(data) == len(node["dtypes"])
                and all(isinstance(d, np.ndarray) and len(d) == len(index) for d in data)):
            raise self._bad("inconsistent DataFrame columns")
        frame = pd.DataFrame(dict(zip(range(len(data)), data, strict=True)), index=index)
        frame.columns = columns
        for j, dtype in enumerate(node["dtypes"]):
            if str(frame.dtypes.iloc[j]) != dtype:
                frame[frame.columns[j]] = frame.iloc[:, j].astype(
                    pd.api.types.pandas_dtype(str(dtype)))
        return frame

    def _k_range_index(self, node):
        bounds = [node["start"], node["stop"], node["step"]]
        if not all(type(b) is int for b in bounds):
            raise self._bad("RangeIndex bounds are not integers")
        return pd.RangeIndex(*bounds, name=self.decode(node["name"]))

    def _k_tensor(self, node):
        t = self._tensor_field(node, "data")
        return t.requires_grad_(bool(node["requires_grad"])) if t.is_floating_point() else t

    def _k_parameter(self, node):
        t = self._tensor_field(node, "data")
        p = torch.nn.Parameter(t, requires_grad=bool(node["requires_grad"]))
        self._remember(node, p)
        return p

    def _k_randomstate(self, node):
        state = tuple(self.decode(v) for v in node["state"])
        rs = np.random.RandomState()
        try:
            rs.set_state(state)
        except (ValueError, TypeError) as exc:
            raise self._bad(f"bad RandomState state ({exc})") from exc
        return rs

    def _k_generator(self, node):
        g = torch.Generator()
        g.set_state(self._tensor_field(node, "state"))
        return g

    def _k_ref(self, node):
        key = node["id"]
        if key not in self.refs:
            raise self._bad(f"reference to unknown object {key!r}")
        return self.refs[key]

    def _remember(self, node, obj):
        key = node["id"]
        if type(key) is not int or key in self.refs:
            raise self._bad(f"bad or repeated object id {key!r}")
        self.refs[key] = obj

    def _k_object(self, node):
        cls = _resolve_class(node[_CLASS], self.where, module=False)
        obj = cls.__new__(cls)
        self._remember(node, obj)
        if node["state"].get(_KIND) != "dict":
            raise self._bad("object state is not a dict node")
        state = self.decode(node["state"])
        if not all(isinstance(k, str) for k in state):
            raise self._bad(f"attribute names of {node[_CLASS]} are not all strings")
        if getattr(cls, "__setstate__", None) is not None:
            obj.__setstate__(state)
        else:
            obj.__dict__.update(state)
        return obj

    def _k_module(self, node):
        cls = _resolve_class(node[_CLASS], self.where, module=True)
        module = cls.__new__(cls)
        torch.nn.Module.__init__(module)  # the bookkeeping dicts of this torch version
        self._remember(node, module)
        attrs = self.decode(node["attrs"])
        if not isinstance(attrs, dict) or not all(isinstance(k, str) for k in attrs):
            raise self._bad(f"attributes of {node[_CLASS]} are not a dict of names")
        bad = sorted(set(attrs) & _MODULE_INTERNALS)
        if bad:
            raise self._bad(f"module attributes {bad} are torch internals")
        module.__dict__.update(attrs)
        module.training = bool(node["training"])
        for name, value in node["parameters"]:
            p = None if value is None else self.decode(value)
            if p is not None and not isinstance(p, torch.nn.Parameter):
                raise self._bad(f"parameter {name!r} of {node[_CLASS]} is not a Parameter")
            module._parameters[str(name)] = p
        for name, value in node["buffers"]:
            if value is not None and not isinstance(value, torch.Tensor):
                raise self._bad(f"buffer {name!r} of {node[_CLASS]} is not a tensor")
            module._buffers[str(name)] = value
        module._non_persistent_buffers_set.update(str(n) for n in node["non_persistent"])
        for name, value in node["modules"]:
            child = None if value is None else self.decode(value)
            if child is not None and not isinstance(child, torch.nn.Module):
                raise self._bad(f"child {name!r} of {node[_CLASS]} is not a module")
            module._modules[str(name)] = child
        if isinstance(module, torch.nn.RNNBase):
            module._init_flat_weights()  # the views _RNN_VIEWS left out
        return module


def _resolve_class(name, where, *, module):
    """The class named ``name``, if it is on the allow-list; else ValueError.

    Only modules named ``skrec.*`` or ``torch.nn.modules.*`` are imported
    (they are part of skrec or torch, never user code), the name is looked
    up attribute by attribute without evaluating anything, and the result
    must be a class defined in that module: a skrec class, or a torch.nn
    module class for module nodes.
    """
    refusal = ValueError(
        f"{where} names {name!r}, which is not a class skrec can load safely: only "
        "classes defined in skrec (and torch.nn module classes) are rebuilt. The file "
        "may be corrupt or crafted; it was not loaded and nothing in it was run."
    )
    if not isinstance(name, str) or not _DOTTED.match(name):
        raise refusal
    allowed = ("skrec.", "torch.nn.modules.") if module else ("skrec.",)
    if not name.startswith(allowed):
        raise refusal
    parts = name.split(".")
    obj = None
    for split in range(len(parts) - 1, 0, -1):  # the longest importable module prefix
        mod_name = ".".join(parts[:split])
        if not mod_name.startswith(allowed) and mod_name != "skrec":
            continue
        try:
            obj = importlib.import_module(mod_name)
        except ImportError:
            continue
        for attr in parts[split:]:
            obj = inspect.getattr_static(obj, attr, None)
            if obj is None:
                break
        if obj is not None and inspect.isclass(obj) and obj.__module__ == mod_name:
            break
        obj = None
    if obj is None or not inspect.isclass(obj) or _class_path(obj) != name:
        raise refusal
    if module:
        if not _module_class_allowed(obj):
            raise refusal
    elif not _is_skrec_class(obj) or issubclass(obj, torch.nn.Module):
        raise refusal
    return obj


def load(path):
    """Load an estimator saved by :func:`dump`, without running code from the file.

    The file is read with ``torch.load(..., weights_only=True,
    map_location="cpu")``, which rebuilds only tensors and plain containers;
    skrec then rebuilds the estimator from that tree, accepting only classes
    defined in skrec and torch.nn module classes. Tensors are loaded on the
    CPU, then moved to the estimator's ``device_`` when it is available: a
    model trained on a GPU loads on a machine without CUDA (with a warning,
    on the CPU).

    Parameters
    ----------
    path : str, path-like or readable binary file
        A file written by :func:`dump`.

    Returns
    -------
    estimator : skrec estimator
        The estimator, fitted if it was fitted when saved.

    Raises
    ------
    ValueError
        When the file is not a skrec model file (truncated, corrupt, another
        format), was written by a newer skrec file format, or names a class
        that is not on the allow-list. Nothing from such a file is run.

    See Also
    --------
    dump : Write the file, with an example.
    """
    where = repr(os.fspath(path)) if isinstance(path, (str, os.PathLike)) else repr(path)
    where = f"The file {where}"
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except FileNotFoundError:
        raise
    except pickle.UnpicklingError as exc:
        if "global" in str(exc).lower():  # torch's unpickler refused to import a name
            raise ValueError(
                f"{where} holds an object that is not a class skrec can load safely; it was "
                f"refused and nothing in it was run ({exc})."
            ) from exc
        raise ValueError(
            f"{where} is not a readable skrec model file (truncated, corrupt or of another "
            f"format); nothing in it was run ({exc})."
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError, KeyError,
            io.UnsupportedOperation) as exc:
        raise ValueError(
            f"{where} is not a readable skrec model file (truncated, corrupt or of "
            f"another format): {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else type(payload).__name__
        raise ValueError(
            f"{where} is not a skrec model file: expected format {FORMAT!r}, found "
            f"{found!r}. Write model files with skrec.io.dump."
        )
    missing = [k for k in ("version", "skrec_version", "tree") if k not in payload]
    if missing:
        raise ValueError(f"{where} is not a complete skrec model file: missing {missing}.")
    version = payload["version"]
    import skrec

    if type(version) is not int or version < 1:
        raise ValueError(f"{where} has an invalid format version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where} was written by skrec {payload['skrec_version']} in file format "
            f"version {version}; this skrec ({skrec.__version__}) reads format versions up "
            f"to {FORMAT_VERSION}. Upgrade skrec to load it."
        )
    tree = payload["tree"]
    if not isinstance(tree, dict) or tree.get(_KIND) != "object":
        raise ValueError(f"{where} is not a valid skrec model file: the tree holds no "
                         "estimator.")
    return _Decoder(where).decode(tree)
