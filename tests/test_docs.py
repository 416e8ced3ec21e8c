"""The code in the documentation and the README runs and shows what it claims."""

import contextlib
import doctest
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RST_PAGES = sorted((ROOT / "docs").glob("*.rst"))
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@pytest.mark.parametrize("page", RST_PAGES, ids=[p.name for p in RST_PAGES])
def test_rst_page_doctests(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, verbose=False)
    assert result.failed == 0


def _python_blocks(markdown):
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def _chunks(block):
    """Split a block into (code, expected output) pairs.

    The ``# ...`` comment lines right after a ``print(`` line are that
    print's expected output.
    """
    chunks, code, lines = [], [], block.splitlines()
    i = 0
    while i < len(lines):
        code.append(lines[i])
        if lines[i].startswith("print("):
            expected = []
            while i + 1 < len(lines) and lines[i + 1].startswith("# "):
                i += 1
                expected.append(lines[i][2:])
            chunks.append(("\n".join(code), "\n".join(expected) if expected else None))
            code = []
        i += 1
    if code:
        chunks.append(("\n".join(code), None))
    return chunks


def test_readme_python_blocks_run():
    """Every ```python block of README.md runs (in order, one namespace) and prints
    what its comments say."""
    blocks = _python_blocks((ROOT / "README.md").read_text())
    assert blocks, "README.md has no python code block"
    namespace = {"__name__": "readme"}
    for i, block in enumerate(blocks):
        for code, expected in _chunks(block):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"README.md python block {i}", "exec"), namespace)
            if expected is not None:
                assert out.getvalue().split() == expected.split(), (
                    f"README.md python block {i}: expected\n{expected}\ngot\n{out.getvalue()}"
                )
