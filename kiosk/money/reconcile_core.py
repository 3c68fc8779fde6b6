"""Matching the ledger's BPJS payments with BPJS's settlement list for one day. Pure.

Both sides are keyed by the **request id** (the kiosk's journal id, sent as ``partnerReferenceNo``):

* every payment on BPJS's list for the day is ``matched`` (a POSTED journal with the same amount),
  an ``amount_mismatch`` (a POSTED journal with another amount), or ``missing_in_ledger`` (no
  journal, or one that is still PENDING or was VOIDED: BPJS took money the ledger did not post);
* every journal of ours POSTED during the day whose request id BPJS's list of that day does not
  hold is ``missing_at_host`` (we say BPJS was paid, BPJS does not) — unless it is on the previous
  day's list: a payment booked just before midnight (WIB) and posted just after belongs there.

Settlement days are WIB days (the host's clock, docs/bpjs.md).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


class Status(enum.StrEnum):
    MATCHED = "matched"
    AMOUNT_MISMATCH = "amount_mismatch"
    MISSING_IN_LEDGER = "missing_in_ledger"
    MISSING_AT_HOST = "missing_at_host"


@dataclass(frozen=True)
class HostPayment:
    request_id: str
    reference: str
    kpj: str
    months: int
    amount: int
    paid_at: datetime


@dataclass(frozen=True)
class LedgerPayment:
    request_id: str
    journal_id: uuid.UUID
    kiosk: str | None
    amount: int  # what the journal says BPJS drew from the deposit
    state: str  # pending | posted | voided


@dataclass(frozen=True)
class Line:
    status: Status
    request_id: str
    journal_id: uuid.UUID | None
    ledger_state: str | None
    kiosk: str | None
    kpj: str | None
    reference: str | None
    host_amount: int | None
    ledger_amount: int | None
    paid_at: datetime | None

    @property
    def difference(self) -> int:
        """Host minus ledger (a missing side counts as zero)."""
        return (self.host_amount or 0) - (self.ledger_amount or 0)


def _host_line(h: HostPayment, ours: LedgerPayment | None) -> Line:
    if ours is None or ours.state != "posted":
        status = Status.MISSING_IN_LEDGER
    elif ours.amount != h.amount:
        status = Status.AMOUNT_MISMATCH
    else:
        status = Status.MATCHED
    return Line(status, h.request_id, ours.journal_id if ours else None, ours.state if ours else None,
                ours.kiosk if ours else None, h.kpj, h.reference, h.amount, ours.amount if ours else None, h.paid_at)


def reconcile(host: Sequence[HostPayment], ours_by_request: Mapping[str, LedgerPayment],
              posted_during_day: Iterable[LedgerPayment], previous_day_ids: Iterable[str]) -> list[Line]:
    """Every host payment once, then every journal posted that day that BPJS does not list."""
    lines = [_host_line(h, ours_by_request.get(h.request_id)) for h in host]
    listed = {h.request_id for h in host} | set(previous_day_ids)
    seen: set[str] = set()
    for ours in sorted(posted_during_day, key=lambda p: p.request_id):
        if ours.request_id in listed or ours.request_id in seen:
            continue
        seen.add(ours.request_id)
        lines.append(Line(Status.MISSING_AT_HOST, ours.request_id, ours.journal_id, ours.state, ours.kiosk, None, None,
                          None, ours.amount, None))
    return lines


def counts(lines: Sequence[Line]) -> dict[str, int]:
    return {status.value: sum(1 for line in lines if line.status is status) for status in Status}
