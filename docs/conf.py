"""Sphinx configuration of the skrec documentation (``make docs``).

The docs import the real, installed package (nothing is mocked), run every
``examples/plot_*.py`` through sphinx-gallery and build with ``-W``: any
warning fails the build.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout even when not installed

import skrec  # noqa: E402

os.environ.setdefault("MPLBACKEND", "agg")


def _write_estimator_list():
    """One autosummary per family, from all_estimators(), in two generated files.

    autosummary resolves a ``:toctree:`` path against the document being
    read, but generates the stubs against the file that holds the
    directive, so one file cannot serve both: ``generated/estimators.inc``
    (not a source file: no stubs from it) is included by ``api.rst``, whose
    ``generated/`` it names; ``generated/estimators.rst`` (an orphan page)
    holds the same lists with ``:toctree: .`` so that the stubs are written
    into ``generated/`` too.
    """
    from skrec.utils import all_estimators

    out = Path(__file__).parent / "generated"
    out.mkdir(exist_ok=True)
    lines = []
    families = []
    for name, _cls, family in all_estimators():
        if family not in families:
            families.append(family)
            title = f"``skrec.{family}``"
            lines += ["", title, "-" * len(title), "", ".. autosummary::",
                      "   :toctree: {toctree}", "   :nosignatures:", ""]
        lines.append(f"   skrec.{family}.{name}")
    text = "\n".join(lines) + "\n"
    for target, content in [
        (out / "estimators.inc", text.format(toctree="generated/")),
        (out / "estimators.rst", ":orphan:\n" + text.format(toctree=".")),
    ]:
        if not target.exists() or target.read_text() != content:  # keep mtimes stable
            target.write_text(content)


_write_estimator_list()

project = "skrec"
author = "skrec developers"
copyright = "skrec developers"  # noqa: A001
version = release = skrec.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "literal"

# -- API reference: one generated page per public object ----------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False  # the class template lists members itself
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- Gallery -------------------------------------------------------------------
# Every .py in examples/ appears in the gallery; only plot_*.py files are run
# (keep them to a few seconds each). examples/demo.py is the `make demo`
# script, not a gallery page.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"[\\/]plot_",
    "ignore_pattern": r"(__init__|[\\/]demo|[\\/]_[^\\/]*)\.py$",
    "doc_module": ("skrec",),
    "reference_url": {"skrec": None},
    "backreferences_dir": "generated/backreferences",
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "matplotlib_animations": False,
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skrec {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
html_show_sourcelink = False
html_context = {"default_mode": "light"}


# -- scikit-learn boilerplate ----------------------------------------------------
# Members every scikit-learn estimator inherits whose docstrings point into
# scikit-learn's own documentation (metadata routing, set_output): they are
# documented there, and their cross-references cannot resolve here.
_SKLEARN_BOILERPLATE = {"get_metadata_routing", "set_output"}


def _skip_sklearn_boilerplate(app, what, name, obj, skip, options):
    if name in _SKLEARN_BOILERPLATE or (name.startswith("set_") and name.endswith("_request")):
        return True
    return None


# A fitted attribute named in a type, as in ``seen_ : csr_array of shape
# (n_users_, n_items_)``, would read as an RST link target ``n_users_``:
# escape the trailing underscore in the type part of parameter lines.
_PARAM_LINE = re.compile(r"^(\s*\*{0,2}[\w., ]+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![\\\w])([A-Za-z_]\w*)_(?![\w`])")


def _escape_attribute_names_in_types(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match:
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"\1\\_", match.group(2))


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_boilerplate)
    # Before numpydoc (priority 500) parses the docstring.
    app.connect("autodoc-process-docstring", _escape_attribute_names_in_types, priority=100)
