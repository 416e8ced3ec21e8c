"""Run benchmark scripts and collect their JSON lines.

Usage::

    python benchmarks/run.py                       # every benchmarks/bench_*.py
    python benchmarks/run.py bench_baselines_ml100k  # only the named ones
    python benchmarks/run.py --out results.jsonl   # also append the lines to a file

Each script runs in its own subprocess with this Python interpreter (the
virtual environment's), with the project root on ``PYTHONPATH``. Its JSON
lines are passed through to stdout (and appended to ``--out``); any other
output goes to stderr, and a script that exits with an error is reported as
a JSON line ``{"benchmark": ..., "error": ...}``. The exit status is 1 when
any script failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def discover(names):
    """Paths of the scripts to run: all ``bench_*.py`` or the ones named."""
    if not names:
        return sorted(HERE.glob("bench_*.py"))
    paths = []
    for name in names:
        stem = Path(name).stem
        if not stem.startswith("bench_"):
            stem = "bench_" + stem
        path = HERE / f"{stem}.py"
        if not path.is_file():
            available = ", ".join(p.stem for p in sorted(HERE.glob("bench_*.py")))
            raise SystemExit(f"no benchmark named {name!r}; available: {available}")
        paths.append(path)
    return paths


def run_one(path, out_file=None):
    """Run one script; pass its JSON lines through. Returns True on success."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.Popen(
        [sys.executable, str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in proc.stdout:
        line = line.rstrip("\n")
        try:
            json.loads(line)
        except ValueError:
            print(line, file=sys.stderr, flush=True)
            continue
        _record(line, out_file)
    rc = proc.wait()
    if rc != 0:
        _record(json.dumps({"benchmark": path.stem, "error": f"exit status {rc}"}), out_file)
    return rc == 0


def _record(line, out_file):
    print(line, flush=True)
    if out_file is not None:
        out_file.write(line + "\n")
        out_file.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all bench_*.py)")
    parser.add_argument("--out", type=Path, help="also append the JSON lines to this file")
    args = parser.parse_args(argv)
    paths = discover(args.names)
    out_file = open(args.out, "a", encoding="utf-8") if args.out else None
    try:
        ok = [run_one(path, out_file) for path in paths]
    finally:
        if out_file is not None:
            out_file.close()
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
