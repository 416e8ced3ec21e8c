"""Repository-wide pytest set-up: it applies to ``tests/`` and to the doctests of ``skrec``."""

import os

import pytest

# Figures drawn by the tests and doctests (skrec.plot) never open a window.
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    """Skip the doctests of skrec.plot when matplotlib (the ``plot`` extra) is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        skip = pytest.mark.skip(reason="matplotlib is not installed (pip install "
                                       "skrec-learn[plot])")
        for item in items:
            if isinstance(item, pytest.DoctestItem) and item.name.startswith("skrec.plot"):
                item.add_marker(skip)
