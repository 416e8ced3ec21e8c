"""Discovery of skrec's public estimators, like :func:`sklearn.utils.all_estimators`."""

from __future__ import annotations

import importlib
import inspect

#: The family packages, in the order of the docs. A package that does not
#: exist yet (a family still to come) is skipped.
FAMILIES = (
    "baselines",
    "neighbors",
    "factorization",
    "ncf",
    "autoencoders",
    "ctr",
    "sequential",
    "meta",
    "ensemble",
)


def all_estimators(family=None):
    """Every public skrec estimator, with its family and recommender tags.

    Families are imported on demand: asking only for ``"neighbors"`` does not
    import torch.

    Parameters
    ----------
    family : str or list of str, default=None
        Restrict the list to these families (names of ``skrec``'s
        sub-packages, e.g. ``"factorization"``); None lists all of them.

    Returns
    -------
    estimators : list of (name, class, family) tuples
        Sorted by family (in the order of the documentation), then by name.
        The tags of a class are ``skrec.utils.get_recommender_tags(cls())``.

    Examples
    --------
    >>> from skrec.utils import all_estimators
    >>> [name for name, cls, fam in all_estimators("neighbors")]
    ['ItemKNN', 'UserKNN']
    """
    if family is None:
        families = FAMILIES
    else:
        families = [family] if isinstance(family, str) else list(family)
        unknown = [f for f in families if f not in FAMILIES]
        if unknown:
            raise ValueError(f"Unknown family {unknown}; choose among {list(FAMILIES)}.")
    out = []
    for fam in families:
        try:
            module = importlib.import_module(f"skrec.{fam}")
        except ModuleNotFoundError as exc:
            if exc.name == f"skrec.{fam}":
                continue  # a family still to come
            raise
        found = []
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) and hasattr(obj, "recommend")
                    and not inspect.isabstract(obj) and not name.startswith("_")):
                found.append((name, obj, fam))
        out.extend(sorted(found))
    return out
