"""skrec: recommender systems as scikit-learn estimators.

The package root holds the column-name constants of the interaction table and
the free functions :func:`recommend` and :func:`score_items`, which also work
on a :class:`~sklearn.pipeline.Pipeline`, a fitted search object or a
:class:`~sklearn.frozen.FrozenEstimator`. torch is imported only by the models
that need it.
"""

def _check_no_clash():
    """Fail clearly when scikit-rec, which also installs a package ``skrec``, is present.

    The PyPI name ``skrec`` is an alias that installs scikit-rec; both
    libraries write an import package called ``skrec`` into the same place,
    so one silently overwrites the other.
    """
    from importlib import metadata

    try:
        other = metadata.distribution("scikit-rec")
    except metadata.PackageNotFoundError:
        return
    raise ImportError(
        f"scikit-rec {other.version} is installed in this environment and also provides an "
        "import package named 'skrec', which clashes with skrec-learn (this library). "
        "Uninstall both and reinstall this one: `pip uninstall -y scikit-rec skrec "
        "skrec-learn && pip install skrec-learn` (or `make test` from a checkout), or use "
        "separate virtual environments."
    )


_check_no_clash()

from ._api import recommend, score_items  # noqa: E402
from ._constants import ITEM, SESSION, TIME, USER  # noqa: E402

__version__ = "0.1.0.dev0"

__all__ = ["ITEM", "SESSION", "TIME", "USER", "__version__", "recommend", "score_items"]
