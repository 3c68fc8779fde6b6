"""P4 (DESIGN §12): the RDKK import.

1. **55,289 farmers** (Soppeng's count, the demo generator's file): a fresh database at the newest
   schema with the demo reference data (kecamatan, villages, groups, outlets; not timed), then
   ``fertilizer.import_rdkk`` in one transaction, timed from the call to the end of the COMMIT:
   both passes (check: validation and planning; write: key creation, registration with AES-GCM
   sealing, ~141,000 quota accounts and 55,289 allocation journals through ``ledger.open_accounts``
   and ``ledger.submit_batch``, the audit entry). The time spent inside those two ledger calls is
   reported apart. Then the same file again (re-import: nothing changes). SQLite (a file, WAL,
   synchronous=FULL) and PostgreSQL (a scratch database on ``KIOSK_BENCH_PG_URL``).
2. **1,000,000 rows streamed**: a generated 1M-row RDKK file through ``import_rdkk(dry_run=True)``
   in a separate process against the SQLite database of step 1 (55,289 of its farmers are
   registered there): reading, full validation, NIK lookup hashes, registry look-ups and quota
   planning for every row; nothing written. Peak RSS is that process's high-water mark (VmHWM).
   ``KIOSK_BENCH_IMPORT_WRITE_1M=1`` also writes the 1M rows (long: minutes).

``python -m bench import``; ``KIOSK_BENCH_IMPORT_FARMERS`` / ``KIOSK_BENCH_IMPORT_STREAM_ROWS``
change the sizes.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

import ledger
from fertilizer.generator import GeneratorConfig, reference, write_csvs
from fertilizer.keystore import FileKeyStore
from fertilizer.rdkk_import import import_rdkk
from fertilizer.registry import add_reference
from kiosk import migrate
from ledger.storage import create_engine

FARMERS = int(os.environ.get("KIOSK_BENCH_IMPORT_FARMERS", "55289"))
STREAM_ROWS = int(os.environ.get("KIOSK_BENCH_IMPORT_STREAM_ROWS", "1000000"))
WRITE_1M = os.environ.get("KIOSK_BENCH_IMPORT_WRITE_1M") == "1"
PG_ADMIN = os.environ.get("KIOSK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parent.parent


class LedgerClock:
    """Seconds spent inside the ledger's bulk calls (wrapped for the duration of one import)."""

    NAMES = ("open_accounts", "submit_batch", "balances")

    def __init__(self) -> None:
        self.seconds = 0.0
        self._saved: dict[str, Callable[..., Any]] = {}

    def __enter__(self) -> LedgerClock:
        for name in self.NAMES:
            original = self._saved[name] = getattr(ledger, name)
            setattr(ledger, name, self._timed(original))
        return self

    def _timed(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed

    def __exit__(self, *_exc: object) -> None:
        for name, fn in self._saved.items():
            setattr(ledger, name, fn)


def _status_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process from /proc, in MB. Not ``ru_maxrss``:
    Linux carries that across fork and exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def prepare(url: str, config: GeneratorConfig) -> None:
    migrate.upgrade(url)
    engine = create_engine(url)
    try:
        with sessionmaker(engine).begin() as s:
            add_reference(s, reference(config))
    finally:
        engine.dispose()


def timed_import(url: str, keys_dir: Path, csv: Path, season: str, *, dry_run: bool = False) -> dict[str, float]:
    """One import in one transaction; seconds total (to the end of COMMIT), per pass and in the ledger."""
    engine = create_engine(url)
    keys = FileKeyStore(keys_dir)
    marks: dict[str, float] = {}
    try:
        with LedgerClock() as clock:
            started = time.perf_counter()
            with sessionmaker(engine).begin() as s:
                report = import_rdkk(s, keys, csv, season=season, now=NOW, dry_run=dry_run,
                                     progress=lambda phase, _rows: marks.__setitem__(phase, time.perf_counter()))
            total = time.perf_counter() - started
    finally:
        keys.close()
        engine.dispose()
    if not report.ok:
        raise RuntimeError(f"the benchmark file was refused: {report.problems[:3]}")
    check = marks["check"] - started
    return {"seconds": total, "check_seconds": check, "write_seconds": total - check, "ledger_seconds": clock.seconds,
            "rows": float(report.rows), "farmers_new": float(report.farmers_new), "journals": float(report.farmers_changed)}


def import_55k(url: str, work: Path, csv: Path, season: str, prefix: str) -> dict[str, float]:
    keys = work / f"keys-{prefix}"
    first = timed_import(url, keys, csv, season)
    again = timed_import(url, keys, csv, season)
    return {
        f"{prefix}_import_seconds": round(first["seconds"], 2),
        f"{prefix}_check_pass_seconds": round(first["check_seconds"], 2),
        f"{prefix}_write_pass_seconds": round(first["write_seconds"], 2),
        f"{prefix}_in_ledger_seconds": round(first["ledger_seconds"], 2),
        f"{prefix}_farmers_per_s": round(first["farmers_new"] / first["seconds"], 1),
        f"{prefix}_journals": first["journals"],
        f"{prefix}_reimport_seconds": round(again["seconds"], 2),
        f"{prefix}_reimport_journals": again["journals"],
    }


def stream_child(url: str, keys_dir: str, csv: str, season: str, dry_run: bool) -> None:
    """Run in a fresh process: one import (a dry run by default); prints figures as JSON."""
    start_rss = _status_mb("VmRSS")
    figures = timed_import(url, Path(keys_dir), Path(csv), season, dry_run=dry_run)
    figures.update(start_rss_mb=start_rss, peak_rss_mb=_status_mb("VmHWM"))
    print(json.dumps(figures))


def stream_1m(url: str, work: Path, season: str, keys_dir: Path, *, write: bool) -> dict[str, float]:
    config = GeneratorConfig(farmers=STREAM_ROWS)
    csv = write_csvs(config, work / "stream")["rdkk"]
    code = ("import importlib, sys; importlib.import_module('bench.import').stream_child("
            f"{url!r}, {str(keys_dir)!r}, {str(csv)!r}, {season!r}, {not write!r})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    tag = "write" if write else "stream"
    return {
        f"{tag}_rows": figures["rows"],
        f"{tag}_seconds": round(figures["seconds"], 1),
        f"{tag}_rows_per_s": round(figures["rows"] / figures["seconds"], 1),
        f"{tag}_peak_rss_mb": round(figures["peak_rss_mb"], 1),
        f"{tag}_start_rss_mb": round(figures["start_rss_mb"], 1),
    }


def bench_postgres(work: Path, csv: Path, config: GeneratorConfig) -> dict[str, float]:
    admin_url = sa.make_url(PG_ADMIN)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"bench_import_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        prepare(url, config)
        return import_55k(url, work, csv, config.season_id, "pg")
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        config = GeneratorConfig(farmers=FARMERS)
        csv = write_csvs(config, work / "demo")["rdkk"]
        sqlite_url = f"sqlite:///{work / 'kiosk.sqlite3'}"
        prepare(sqlite_url, config)
        figures = import_55k(sqlite_url, work, csv, config.season_id, "sqlite")
        figures.update(bench_postgres(work, csv, config))
        figures.update(stream_1m(sqlite_url, work, config.season_id, work / "keys-sqlite", write=False))
        if WRITE_1M:
            figures.update(stream_1m(sqlite_url, work, config.season_id, work / "keys-sqlite", write=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures.update(farmers=float(FARMERS), goal_import_seconds=10.0, goal_stream_peak_rss_mb=300.0)
    width = max(len(k) for k in figures)
    print(f"{'figure':<{width}}  value")
    for key, value in figures.items():
        print(f"{key:<{width}}  {value:,.2f}")
    return figures
