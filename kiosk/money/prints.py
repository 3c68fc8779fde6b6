"""Receipts handed to the device agent, and what became of them (``receipt_prints``).

The agent owns the printer and its queue (docs/receipts.md): ``POST /v1/print {key, receipt}``
prints at once or keeps the receipt queued until the printer is back, and a key never prints twice.
This module keeps the web side's record of each key so the operator screen can say "printed" or
"queued, and why", and so a receipt the agent never received (agent down, process died) is sent
again by the worker:

    record(...)  ─►  deliver(...)  ─►  agent  ─►  printed | queued (agent retries) | unsent | failed
                        └── refresh_queued(...) asks the agent about queued keys later

The receipt body is stored without the farmer's name and masked NIK (only the pseudonym); they are
read from the registry each time it is sent, so the same key always carries the same receipt and
crypto-shredding a farmer also erases them here. No transaction is held while the agent is called.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from card_reader import CardError
from fertilizer import FertilizerError, KeyStore
from kiosk.agent.client import PrintOutcome
from kiosk.agent.errors import NoPrinter
from kiosk.money import facts
from kiosk.money.errors import MoneyError, NotFound
from kiosk.money.schema import ReceiptPrint
from kiosk.receipts import (
    QueueError,
    Receipt,
    ReceiptError,
    as_copy,
    receipt_from_dict,
    receipt_to_dict,
)

log = logging.getLogger("kiosk.money")

UNSENT = ("Struk belum terkirim ke printer (agen perangkat tidak menjawab); struk dikirim ulang otomatis.",
          "The receipt has not reached the printer (the device agent does not answer); it is sent again by itself.")
WAITING = ("Struk sedang disiapkan.", "The receipt is being prepared.")


@runtime_checkable
class PrintPort(Protocol):
    """What printing needs of the device agent (``kiosk.agent.client.AgentClient`` is one)."""

    def print_receipt(self, key: str, receipt: Receipt) -> PrintOutcome: ...

    def print_job(self, key: str) -> PrintOutcome: ...


@dataclass(frozen=True)
class ReceiptStatus:
    key: str
    kind: str
    journal_id: uuid.UUID
    state: str  # printed | queued | unsent | failed
    message_id: str
    message_en: str
    reason_code: str | None
    attempts: int
    printed_at: datetime | None
    copy_of: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "journal_id": str(self.journal_id), "state": self.state,
                "message_id": self.message_id, "message_en": self.message_en, "reason": self.reason_code,
                "attempts": self.attempts, "printed_at": self.printed_at.isoformat() if self.printed_at else None,
                "copy_of": self.copy_of}


def status_of(row: ReceiptPrint) -> ReceiptStatus:
    return ReceiptStatus(row.key, row.kind, row.journal_id, row.state, row.message_id, row.message_en, row.reason_code,
                         row.attempts, row.printed_at, row.copy_of)


def _stored(receipt: Receipt) -> dict[str, Any]:
    body = receipt_to_dict(receipt)
    body["header"]["farmer"] = None
    return body


def record(session: Session, key: str, receipt: Receipt, *, kiosk: str, farmer: str | None, now: datetime,
           checkout_id: uuid.UUID | None = None, copy_of: str | None = None) -> ReceiptPrint:
    """The record of ``key`` (made now, state ``unsent``, or the one already made: the first wins)."""
    found = session.get(ReceiptPrint, key)
    if found is not None:
        return found
    row = ReceiptPrint(key=key, kind=receipt.kind.value, kiosk_code=kiosk, journal_id=receipt.header.proof.journal_id,
                       checkout_id=checkout_id, farmer=farmer, copy_of=copy_of, body=_stored(receipt), state="unsent",
                       reason_code=None, message_id=WAITING[0], message_en=WAITING[1], attempts=0, created_at=now,
                       updated_at=now, printed_at=None)
    session.add(row)
    session.flush()
    return row


def receipt_of(session: Session, keys: KeyStore, row: ReceiptPrint) -> Receipt:
    """The stored receipt with the farmer's name and masked NIK filled in from the registry."""
    body = copy.deepcopy(row.body)
    if row.farmer is not None:
        farmer = facts.farmer_of(session, keys, row.farmer)
        body["header"]["farmer"] = {"name": farmer.name, "masked_nik": farmer.masked_nik}
    return receipt_from_dict(body)


def _apply(row: ReceiptPrint, outcome: PrintOutcome | None, error: Exception | None, now: datetime) -> None:
    row.updated_at = now
    if outcome is not None:
        row.state = outcome.state.value
        row.message_id, row.message_en = outcome.message_id[:400], outcome.message_en[:400]
        row.reason_code = outcome.reason.code if outcome.reason is not None else None
        row.attempts = max(row.attempts, outcome.attempts)
        row.printed_at = outcome.printed_at
        return
    row.attempts += 1
    if isinstance(error, (MoneyError, ReceiptError, FertilizerError)) and not isinstance(error, QueueError):
        # refused for good (farmer erased, key conflict, no printer, invalid): a person must look
        row.state, row.reason_code = "failed", str(error.code)
        row.message_id, row.message_en = str(error.message_id)[:400], str(error.message_en)[:400]
        return
    row.state, row.reason_code = "unsent", getattr(error, "code", "agent_unavailable")
    row.message_id, row.message_en = UNSENT


def _send(port: Callable[[str], object], kiosk: str, key: str, receipt: Receipt) -> PrintOutcome | Exception:
    try:
        agent = port(kiosk)
        if not isinstance(agent, PrintPort):
            return NoPrinter()
        return agent.print_receipt(key, receipt)
    except (CardError, ReceiptError) as err:  # the agent is down or refused: the record says so
        return err


def _locked(session: Session, key: str) -> ReceiptPrint:
    row = session.get(ReceiptPrint, key, populate_existing=True, with_for_update=True)
    if row is None:
        raise NotFound("receipt_not_found", "Struk tidak ditemukan.", "No such receipt.", key=key)
    return row


def deliver(sessions: sessionmaker[Session], port: Callable[[str], object], keys: KeyStore, key: str, *,
            now: Callable[[], datetime]) -> ReceiptStatus:
    """Send ``key``'s receipt to the agent unless the agent already has it. The printer and the
    agent never make this raise: the sale or top-up stands whatever happens to its receipt."""
    with sessions.begin() as s:
        row = _locked(s, key)
        if row.state in ("printed", "queued"):
            return status_of(row)
        kiosk = row.kiosk_code
        try:
            receipt: Receipt | None = receipt_of(s, keys, row)
            answer: PrintOutcome | Exception | None = None
        except (MoneyError, ReceiptError, FertilizerError) as err:
            receipt, answer = None, err
    if receipt is not None:
        answer = _send(port, kiosk, key, receipt)
    with sessions.begin() as s:
        row = _locked(s, key)
        if isinstance(answer, PrintOutcome):
            _apply(row, answer, None, now())
        else:
            _apply(row, None, answer, now())
        log.info("event=receipt_delivered key=%s state=%s reason=%s", key, row.state, row.reason_code)
        return status_of(row)


def refresh(sessions: sessionmaker[Session], port: Callable[[str], object], key: str, *,
            now: Callable[[], datetime]) -> ReceiptStatus | None:
    """Ask the agent about a queued receipt (it prints queued ones by itself once the printer is back)."""
    with sessions() as s:
        row = s.get(ReceiptPrint, key)
        if row is None or row.state != "queued":
            return status_of(row) if row is not None else None
        kiosk = row.kiosk_code
    try:
        agent = port(kiosk)
        outcome = agent.print_job(key) if isinstance(agent, PrintPort) else None
    except (CardError, ReceiptError) as err:
        log.info("event=receipt_refresh_failed key=%s code=%s", key, getattr(err, "code", "?"))
        return None
    if outcome is None:
        return None
    with sessions.begin() as s:
        row = _locked(s, key)
        _apply(row, outcome, None, now())
        return status_of(row)


def copy_key(original: str, request_key: str) -> str:
    """The print key of a reprint: stable for one request key (a replayed reprint prints once)."""
    return "copy-" + hashlib.sha256(f"{original}\n{request_key}".encode()).hexdigest()[:40]


def record_copy(session: Session, keys: KeyStore, original: str, request_key: str, *, now: datetime) -> str:
    """A reprint of ``original`` marked "SALINAN / COPY", under its own key; returns that key."""
    row = session.get(ReceiptPrint, original)
    if row is None:
        raise NotFound("receipt_not_found", "Struk asli tidak ditemukan.", "No original receipt.", key=original)
    key = copy_key(original, request_key)
    receipt = as_copy(receipt_of(session, keys, row))
    record(session, key, receipt, kiosk=row.kiosk_code, farmer=row.farmer, now=now, checkout_id=row.checkout_id,
           copy_of=original)
    return key


def latest_for_journal(session: Session, journal_id: uuid.UUID) -> ReceiptPrint | None:
    """The original (not a copy) receipt of a journal."""
    return session.scalar(sa.select(ReceiptPrint).where(ReceiptPrint.journal_id == journal_id,
                                                         ReceiptPrint.copy_of.is_(None)))


def copies_of(session: Session, key: str) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(ReceiptPrint).where(ReceiptPrint.copy_of == key)) or 0)


def waiting(session: Session, *, limit: int = 20) -> list[str]:
    """Keys the worker should look after: never sent (or the agent was down) and still queued."""
    rows = session.scalars(sa.select(ReceiptPrint.key).where(ReceiptPrint.state.in_(("unsent", "queued")))
                           .order_by(ReceiptPrint.updated_at).limit(limit))
    return list(rows)
