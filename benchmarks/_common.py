"""Shared helpers for benchmark scripts: timing, peak memory, JSON lines, data.

Every benchmark script prints one JSON object per line (``emit``) so that
``benchmarks/run.py`` and other tools can collect results.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SKREC_SHARED_DATA", ROOT.parent / "shared" / "data")).resolve()


def peak_rss_mb():
    """Peak resident memory of this process so far, in MiB (Linux ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, *args, repeat=3, **kwargs):
    """Run ``fn`` ``repeat`` times; return (last result, list of seconds)."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return result, times


def median(values):
    return float(statistics.median(values))


def emit(**record):
    """Print one JSON line with the machine facts added."""
    record.setdefault("python", platform.python_version())
    record.setdefault("cpus", os.cpu_count())
    print(json.dumps(record, default=_default), flush=True)


def _default(obj):
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def require_shared(name):
    """Path of ``../shared/data/<name>``, or exit cleanly when absent."""
    path = SHARED_DATA / name
    if not path.is_dir():
        emit(benchmark=Path(sys.argv[0]).stem, skipped=f"{path} not found")
        sys.exit(0)
    return path
