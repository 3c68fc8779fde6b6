"""RDKK import: a season's file -> registered farmers and quota-allocation journals (DESIGN §9).

Two streamed passes over the file (docs/fertilizer.md, "RDKK import"):

1. **check** (reads only): every row validated (:func:`fertilizer.rdkk.read_rdkk`, against the
   registry's reference data) and planned against the farmers' current quotas; a new quota below
   what a farmer already redeemed is a problem of that row (``quota_below_redeemed``, NIK masked).
   Any problem: the report lists them and **nothing** is written, not even a data key in the key
   store (keys live outside the database, so they are made only once the whole file is known good).
2. **write**, in a savepoint of the caller's transaction, chunk by chunk: new farmers registered,
   moved farmers re-placed, one allocation journal per farmer whose quotas change (the ledger's
   batch API), then one ``fertilizer.rdkk_imported`` audit entry. The file's SHA-256 up to each
   chunk must equal the check pass's, or the import stops (``rdkk_changed``) and nothing is kept.

Re-importing the same file changes no farmer, account or journal (the check pass finds nothing to
do, so there is no write pass; the audit entry still records the import). Memory: one chunk of rows plus the per-season NIK set of
:func:`read_rdkk` (about 60 bytes a farmer).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ContextManager, TypeAlias

from sqlalchemy.orm import Session

import ledger
from fertilizer import import_rows
from fertilizer import chart
from fertilizer.allocations import Writer
from fertilizer.bulk import plan_per_call
from fertilizer.clock import require_aware
from fertilizer.errors import RdkkFormatError, RdkkImportError
from fertilizer.keystore import KeyStore
from fertilizer.rdkk import RdkkRow, RowProblem, read_rdkk
from fertilizer.rdkk_reference import RdkkReference
from fertilizer.registry import reference_data
from fertilizer.seasons import DEFAULT_CALENDAR, SeasonCalendar
from fertilizer.settings import RdkkRules

log = logging.getLogger("fertilizer.rdkk_import")
CHUNK = 5_000
Source: TypeAlias = "os.PathLike[str] | Sequence[str] | Callable[[], Iterable[str]]"
Progress: TypeAlias = Callable[[str, int], None]  # (phase "check" | "write", rows done so far)


@dataclass
class ImportReport:
    """What an import found and did. ``written`` is False for a dry run or a refused file."""

    season: str
    file_sha256: str = ""
    rows: int = 0  # valid rows
    problems_total: int = 0
    bad_lines: int = 0
    problems: list[RowProblem] = field(default_factory=list)  # the first ``max_reported_problems``
    farmers_new: int = 0
    farmers_moved: int = 0  # registered farmers whose group, village or land changed
    farmers_changed: int = 0  # farmers with an allocation change (one journal each)
    farmers_listed: int = 0  # farmers not in this season's RDKK before (new farmers included)
    accounts_opened: int = 0
    kg: dict[str, int] = field(default_factory=lambda: dict.fromkeys(chart.CODES, 0))  # net kg allocated
    written: bool = False
    entry_id: uuid.UUID | None = None

    @property
    def ok(self) -> bool:
        return self.problems_total == 0

    @property
    def changes_anything(self) -> bool:
        return bool(self.farmers_new or self.farmers_moved or self.farmers_changed or self.farmers_listed)

    def add_problem(self, problem: RowProblem, limit: int, last_bad: int) -> int:
        self.problems_total += 1
        if problem.line != last_bad:
            self.bad_lines += 1
        if len(self.problems) < limit:
            self.problems.append(problem)
        return problem.line


def _opener(source: Source) -> Callable[[], ContextManager[Iterable[str]]]:
    """A way to read the file twice: a path, a re-iterable sequence of lines, or a function that
    returns a fresh iterable of lines each time it is called."""
    if isinstance(source, os.PathLike):
        path = Path(source)
        return lambda: path.open(encoding="utf-8", newline="")
    if callable(source):
        fresh = source
        return lambda: contextlib.nullcontext(fresh())
    if isinstance(source, (str, bytes, Iterator)):
        raise RdkkFormatError("rdkk_source", "Berkas RDKK dibaca dua kali: berikan Path, daftar baris, atau fungsi pembuka.",
                              "The RDKK file is read twice: pass a Path, a list of lines or a function that opens it.")
    lines = source
    return lambda: contextlib.nullcontext(lines)


class _Hashed:
    """Lines passed through SHA-256 (UTF-8 bytes as given, so a Path's digest is the file's)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines, self.sha = lines, hashlib.sha256()

    def __iter__(self) -> Iterator[str]:
        try:
            for line in self.lines:
                self.sha.update(line.encode("utf-8"))
                yield line
        except UnicodeDecodeError as exc:
            raise RdkkFormatError("rdkk_encoding", "Berkas RDKK bukan UTF-8.", "The RDKK file is not UTF-8.",
                                  position=exc.start) from None

    def digest(self) -> str:
        return self.sha.hexdigest()


@dataclass(frozen=True)
class _Settings:
    season: str
    rules: RdkkRules
    reference: RdkkReference
    calendar: SeasonCalendar
    chunk: int


def _chunks(lines: _Hashed, s: _Settings, report: ImportReport | None) -> Iterator[tuple[list[RdkkRow], str]]:
    """Valid rows in chunks, each with the file's digest up to its end; problems go to ``report``."""
    rows: list[RdkkRow] = []
    last_bad = -1
    for item in read_rdkk(lines, rules=s.rules, reference=s.reference, season=s.season, calendar=s.calendar):
        if isinstance(item, RdkkRow):
            rows.append(item)
            if len(rows) >= s.chunk:
                yield rows, lines.digest()
                rows = []
        elif report is not None:
            last_bad = report.add_problem(item, s.rules.max_reported_problems, last_bad)
        else:
            raise RdkkImportError("rdkk_changed", "Berkas RDKK berubah selama impor.", "The RDKK file changed during the import.")
    yield rows, lines.digest()


def import_rdkk(session: Session, keys: KeyStore, lines: Source, *, season: str, now: datetime,
                progress: Progress | None = None, actor: str = "system", rules: RdkkRules | None = None,
                dry_run: bool = False, chunk: int = CHUNK, calendar: SeasonCalendar = DEFAULT_CALENDAR) -> ImportReport:
    """Check, then (unless ``dry_run`` or a problem was found) import an RDKK file for ``season``.

    Returns the report; file-level faults (header, CSV quoting, encoding) raise RdkkFormatError.
    The caller owns the transaction; the write pass runs in a savepoint, all or nothing.
    """
    require_aware(now, "now")
    s = _Settings(calendar.parse(season).id, rules or RdkkRules(), RdkkReference.from_registry(reference_data(session)),
                  calendar, max(1, chunk))
    open_file = _opener(lines)
    plan_per_call(session.connection())
    report, digests = _check(session, keys, open_file, s, progress)
    if not report.ok or dry_run:
        log.info("event=rdkk_checked season=%s rows=%d problems=%d dry_run=%s", s.season, report.rows,
                 report.problems_total, dry_run)
        return report
    with session.begin_nested():
        written = _write(session, keys, open_file, s, digests, now, progress) if report.changes_anything \
            else _unchanged(report)
        written.entry_id = ledger.append_entry(session, "fertilizer.rdkk_imported", _entry(written, actor), now=now).id
    log.info("event=rdkk_imported season=%s rows=%d new=%d changed=%d sha256=%s", s.season, written.rows,
             written.farmers_new, written.farmers_changed, written.file_sha256)
    return written


def _check(session: Session, keys: KeyStore, open_file: Callable[[], ContextManager[Iterable[str]]], s: _Settings,
           progress: Progress | None) -> tuple[ImportReport, list[str]]:
    report, digests = ImportReport(s.season), []
    lookup = keys.lookup_key()
    with open_file() as raw:
        hashed = _Hashed(raw)
        for rows, digest in _chunks(hashed, s, report):
            digests.append(digest)
            planned = import_rows.check_chunk(session, lookup, s.season, rows)
            for problem in planned.problems:
                report.add_problem(problem, s.rules.max_reported_problems, -1)
            _add(report, planned.stats, len(rows))
            if progress is not None:
                progress("check", report.rows)
        report.file_sha256 = hashed.digest()
    return report, digests


def _write(session: Session, keys: KeyStore, open_file: Callable[[], ContextManager[Iterable[str]]], s: _Settings,
           digests: list[str], now: datetime, progress: Progress | None) -> ImportReport:
    report = ImportReport(s.season)
    expected = iter(digests)
    with open_file() as raw:
        hashed = _Hashed(raw)
        writer = Writer(session, s.season, now=now, memo={"source": "rdkk"})
        for rows, digest in _chunks(hashed, s, None):
            if digest != next(expected, None):
                raise RdkkImportError("rdkk_changed", "Berkas RDKK berubah selama impor; tidak ada yang disimpan.",
                                      "The RDKK file changed during the import; nothing was kept.")
            stats = import_rows.write_chunk(session, keys, writer, rows, now=now, nik_regions=s.rules.nik_regions)
            _add(report, stats, len(rows))
            if progress is not None:
                progress("write", report.rows)
        report.file_sha256 = hashed.digest()
    report.accounts_opened = writer.stats.accounts_opened
    report.written = True
    return report


def _unchanged(checked: ImportReport) -> ImportReport:
    """The check pass found nothing to write (a re-import of the same file): no second pass. The
    check ran in this transaction, so on SQLite nothing can have changed since; on PostgreSQL the
    import is ordered before any change committed meanwhile, when it was indeed a no-op."""
    checked.written = True
    return checked


def _add(report: ImportReport, stats: import_rows.ChunkStats, rows: int) -> None:
    report.rows += rows
    report.farmers_new += stats.farmers_new
    report.farmers_moved += stats.farmers_moved
    report.farmers_changed += stats.farmers_changed
    report.farmers_listed += stats.farmers_listed
    for code, kg in stats.kg.items():
        report.kg[code] += kg


def _entry(report: ImportReport, actor: str) -> dict[str, object]:
    return {
        "actor": actor, "season": report.season, "file_sha256": report.file_sha256, "rows": report.rows,
        "farmers_new": report.farmers_new, "farmers_moved": report.farmers_moved,
        "farmers_changed": report.farmers_changed, "farmers_listed": report.farmers_listed, "kg": dict(report.kg),
    }
