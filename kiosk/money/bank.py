"""Card top-ups by bank transfer, imported from the bank's settlement file (docs/money.md).

All or nothing, idempotent twice over:

* **by file**: a file whose SHA-256 was imported before is answered with the first import's report
  and changes nothing;
* **by line**: each transfer is a ``topup`` journal ``bank:settlement`` -> ``card:<farmer>`` with the
  idempotency key ``bank:<reference>``. A reference already imported (from another file) with the
  same farmer and amount is reported as such and not booked again; with another farmer or amount it
  is a problem, and the file is refused.

Any problem (malformed line, unknown NIK, conflicting reference) refuses the whole file: every
problem is listed with its line, and nothing is written. The NIK is used only to find the farmer by
keyed hash; it is never stored, and problems show it masked.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import WITA, KeyStore, mask_nik
from kiosk import chart
from kiosk.money.bank_file import BankRow, Problem, read_bank_file
from kiosk.money.errors import BankFileRefused
from kiosk.money.schema import BankImport
from ledger import IDR, JournalKind, JournalSpec, Leg

ENTRY_KIND = "kiosk.bank_import"
log = logging.getLogger("kiosk.money")


@dataclass(frozen=True)
class BankImportReport:
    id: uuid.UUID
    sha256: str
    filename: str
    rows: int
    new_rows: int
    total: int
    total_new: int
    actor: str
    imported_at: datetime
    replayed: bool  # this very file was imported before: nothing was done now
    lines: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "sha256": self.sha256, "filename": self.filename, "rows": self.rows,
                "new_rows": self.new_rows, "already_imported_rows": self.rows - self.new_rows, "total": self.total,
                "total_new": self.total_new, "actor": self.actor, "imported_at": self.imported_at.isoformat(),
                "replayed": self.replayed, "lines": list(self.lines)}


def _report(row: BankImport, replayed: bool) -> BankImportReport:
    return BankImportReport(row.id, row.sha256, row.filename, row.rows, row.new_rows, row.total, row.total_new, row.actor,
                            row.imported_at, replayed, tuple(row.report.get("lines", [])))


def journal_key(reference: str) -> str:
    return f"bank:{reference}"


def _spec(row: BankRow, farmer: str, source: uuid.UUID, card: uuid.UUID) -> JournalSpec:
    return JournalSpec(journal_key(row.reference), JournalKind.TOPUP, [Leg(source, card, IDR, row.amount)], farmer=farmer,
                       memo={"source": "bank", "reference": row.reference, "value_date": row.value_date.isoformat()})


def _farmers(session: Session, keys: KeyStore, rows: tuple[BankRow, ...]) -> tuple[dict[int, str], list[Problem]]:
    found: dict[int, str] = {}
    problems: list[Problem] = []
    for row in rows:
        farmer = fertilizer.find_by_nik(session, keys, row.nik)
        if farmer is None or farmer.erased:
            masked = mask_nik(row.nik)
            problems.append(Problem(row.line, "nik", "unknown_farmer", f"NIK {masked} tidak terdaftar di registri petani.",
                                    f"NIK {masked} is not in the farmer registry."))
        else:
            found[row.line] = farmer.pseudonym
    return found, problems


def _earlier(session: Session, rows: tuple[BankRow, ...], farmers: dict[int, str]) -> tuple[set[int], list[Problem]]:
    """Lines whose reference was imported before: the same transfer (skipped) or a conflict."""
    same: set[int] = set()
    problems: list[Problem] = []
    for row in rows:
        journal = ledger.journal_by_key(session, journal_key(row.reference))
        if journal is None:
            continue
        if journal.farmer == farmers.get(row.line) and journal.legs[0].amount == row.amount:
            same.add(row.line)
        else:
            problems.append(Problem(row.line, "reference", "reference_conflict",
                                    "Referensi ini sudah diimpor dengan petani atau jumlah lain.",
                                    "This reference was imported before with another farmer or amount."))
    return same, problems


def _refuse(problems: list[Problem], sha256: str) -> BankFileRefused:
    return BankFileRefused([p.to_dict() for p in sorted(problems, key=lambda p: p.line)], sha256)


def _book(session: Session, rows: list[BankRow], farmers: dict[int, str], now: datetime) -> list[ledger.JournalResult]:
    if not rows:
        return []
    source = chart.open_one(session, chart.BANK_SETTLEMENT, now=now)
    names = sorted({farmers[r.line] for r in rows})
    cards = {name: account.id for name, account in
             zip(names, ledger.open_accounts(session, [chart.card_balance(n) for n in names], now=now), strict=True)}
    specs = [_spec(r, farmers[r.line], source, cards[farmers[r.line]]) for r in rows]
    try:
        return ledger.submit_batch(session, specs, now=now)
    except ledger.BatchRefused as err:
        row = rows[err.index]
        raise _refuse([Problem(row.line, "row", err.cause.code, err.cause.message_id, err.cause.message_en)],
                      "") from None


def import_bank_file(session: Session, keys: KeyStore, data: bytes, *, filename: str, actor: str,
                     now: datetime) -> BankImportReport:
    """Import the file in the caller's transaction, or raise :class:`BankFileRefused` (nothing written)."""
    parsed = read_bank_file(data, today=now.astimezone(WITA).date())
    earlier = session.scalar(sa.select(BankImport).where(BankImport.sha256 == parsed.sha256))
    if earlier is not None:
        log.info("event=bank_import_replayed sha256=%s import=%s", parsed.sha256, earlier.id)
        return _report(earlier, True)
    if parsed.problems:
        log.info("event=bank_import_refused sha256=%s problems=%d", parsed.sha256, len(parsed.problems))
        raise _refuse(list(parsed.problems), parsed.sha256)
    farmers, problems = _farmers(session, keys, parsed.rows)
    same, conflicts = _earlier(session, parsed.rows, farmers)
    if problems or conflicts:
        raise _refuse(problems + conflicts, parsed.sha256)
    new = [r for r in parsed.rows if r.line not in same]
    results = dict(zip((r.line for r in new), _book(session, new, farmers, now), strict=True))
    lines = tuple({"line": r.line, "reference": r.reference, "amount": r.amount, "farmer": farmers[r.line],
                   "new": r.line in results,
                   "journal_id": str(results[r.line].journal_id) if r.line in results else None} for r in parsed.rows)
    row = BankImport(id=ledger.new_journal_id(now), sha256=parsed.sha256, filename=filename[:200], rows=len(parsed.rows),
                     new_rows=len(new), total=sum(r.amount for r in parsed.rows), total_new=sum(r.amount for r in new),
                     actor=actor[:96], imported_at=now, report={"lines": list(lines)})
    session.add(row)
    session.flush()
    ledger.append_entry(session, ENTRY_KIND, {"import": str(row.id), "sha256": row.sha256, "rows": row.rows,
                                              "new_rows": row.new_rows, "total_new": row.total_new, "actor": row.actor},
                        now=now)
    log.info("event=bank_imported sha256=%s import=%s rows=%d new=%d total_new=%d", row.sha256, row.id, row.rows,
             row.new_rows, row.total_new)
    return _report(row, False)
