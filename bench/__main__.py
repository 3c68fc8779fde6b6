"""``python -m bench`` (``make bench``): run every benchmark module in bench/ in one run.

Each benchmark is a module ``bench/<name>.py`` with ``main() -> dict[str, float]`` that prints a
table and returns its figures; this runner writes ``bench/results/<name>.json`` (flat: figure ->
number, plus the core count). ``python -m bench NAME ...`` runs only those.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
NOT_BENCHMARKS = {"__main__", "common"}


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name not in NOT_BENCHMARKS and not m.name.startswith("_"))


def run(name: str) -> dict[str, float]:
    module = importlib.import_module(f"bench.{name}")
    started = time.monotonic()
    figures: dict[str, float] = module.main()
    figures = {**figures, "cores": float(os.cpu_count() or 1), "wall_seconds": round(time.monotonic() - started, 2)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return figures


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    if not names:
        print("no benchmarks yet")
        return 0
    for name in names:
        print(f"== bench {name} ==", flush=True)
        run(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
