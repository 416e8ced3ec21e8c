"""Progress bars (tqdm) for fits made of a few long stages."""

from __future__ import annotations

import contextlib


class _Stages:
    def __init__(self, bar):
        self.bar = bar

    def done(self, label):
        """Mark the stage ``label`` as finished."""
        if self.bar is not None:
            self.bar.set_postfix_str(label)
            self.bar.update(1)


@contextlib.contextmanager
def stage_progress(verbose, name, n_stages):
    """A tqdm bar over ``n_stages`` stages when ``verbose``, else a no-op.

    Examples
    --------
    >>> from skrec.utils._progress import stage_progress
    >>> with stage_progress(0, "EASE", 2) as stages:
    ...     stages.done("gram")
    ...     stages.done("solve")
    """
    bar = None
    if verbose:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_stages, desc=name, unit="stage")
    try:
        yield _Stages(bar)
    finally:
        if bar is not None:
            bar.close()
