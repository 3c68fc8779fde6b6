"""End of day per kiosk and WITA day, from the ledger (DESIGN §4; docs/money.md).

``close_day`` reads every journal of the kiosk POSTED during the day (``finalized_at`` within the
WITA day) with its legs and the kinds of the accounts they move, summarizes them
(:mod:`kiosk.money.eod_core`), and keeps the report: a row of ``end_of_day_reports`` (append-only;
closing a day again adds a new row) holding the canonical JSON and its SHA-256, and an audit entry
``kiosk.end_of_day`` with that digest, so a kept report can be proven unchanged. The printable
receipt (``EndOfDayReceipt``; its QR carries the audit entry's id and leaf hash) is recorded under
``eod:<report id>``. Cash opening = the drawer's posted balance at the start of the day.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import WITA
from kiosk import chart
from kiosk.checkout.schema import CheckoutRow
from kiosk.money import facts, prints
from kiosk.money.eod_core import EndOfDay, LegFact, summarize
from kiosk.money.schema import EndOfDayReport
from kiosk.receipts import DayProduct, EndOfDayReceipt, Header, Proof
from ledger.audit import leaf_hash
from ledger.schema import accounts as A
from ledger.schema import journals as J
from ledger.schema import legs as L

ENTRY_KIND = "kiosk.end_of_day"
log = logging.getLogger("kiosk.money")


@dataclass(frozen=True)
class KeptReport:
    id: uuid.UUID
    kiosk: str
    day: date
    generated_at: datetime
    generated_by: str
    body: dict[str, Any]
    sha256: str
    entry_id: uuid.UUID

    @property
    def receipt_key(self) -> str:
        return f"eod:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "kiosk": self.kiosk, "day": self.day.isoformat(),
                "generated_at": self.generated_at.isoformat(), "generated_by": self.generated_by,
                "sha256": self.sha256, "entry_id": str(self.entry_id), "report": self.body}


def wita_window(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), WITA)
    return start, start + timedelta(days=1)


def _legs(session: Session, kiosk: str, start: datetime, end: datetime) -> list[LegFact]:
    debit, credit = A.alias("d"), A.alias("c")
    query = (sa.select(J.c.id, J.c.kind, L.c.asset, L.c.amount, debit.c.kind, credit.c.kind, credit.c.owner)
             .select_from(J.join(L, L.c.journal_id == J.c.id).join(debit, debit.c.id == L.c.debit_account_id)
                          .join(credit, credit.c.id == L.c.credit_account_id))
             .where(J.c.kiosk == kiosk, J.c.state == "posted", J.c.finalized_at >= start, J.c.finalized_at < end)
             .order_by(J.c.finalized_at, J.c.id, L.c.idx))
    return [LegFact(*row) for row in session.execute(query)]


def _memo_lines(memo: str) -> dict[str, int]:
    """A reversal's ``lines`` memo (``UREA:50:1800;NPK:25:1840``) as rupiah per product."""
    text = json.loads(memo).get("lines", "")
    out: dict[str, int] = {}
    for item in filter(None, text.split(";")):
        product, kg, price = item.split(":")
        out[product] = out.get(product, 0) + int(kg) * int(price)
    return out


def _amounts(session: Session, legs: list[LegFact]) -> dict[uuid.UUID, Mapping[str, int]]:
    sales = {leg.journal_id for leg in legs if leg.journal_kind == "redemption"}
    reversals = {leg.journal_id for leg in legs if leg.journal_kind == "reversal"}
    out: dict[uuid.UUID, Mapping[str, int]] = {}
    if sales:
        for journal_id, selection in session.execute(sa.select(CheckoutRow.journal_id, CheckoutRow.selection)
                                                     .where(CheckoutRow.journal_id.in_(sales))):
            out[journal_id] = {ln["product"]: int(ln["amount"]) for ln in (selection or {}).get("lines", [])}
    if reversals:
        for journal_id, memo in session.execute(sa.select(J.c.id, J.c.memo).where(J.c.id.in_(reversals))):
            out[journal_id] = _memo_lines(memo)
    return out


def cash_at(session: Session, kiosk: str, moment: datetime) -> int:
    """The drawer's posted balance from journals finalized before ``moment`` (cash in minus out)."""
    account = ledger.account_by_key(session, chart.kiosk_specs(kiosk)["cash"].key)
    if account is None:
        return 0
    signed = sa.case((L.c.debit_account_id == account.id, L.c.amount), else_=-L.c.amount)
    total = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(signed), 0))
                           .select_from(L.join(J, J.c.id == L.c.journal_id))
                           .where(sa.or_(L.c.debit_account_id == account.id, L.c.credit_account_id == account.id),
                                  J.c.state == "posted", J.c.finalized_at < moment))
    return int(total or 0)


def summarize_day(session: Session, kiosk: str, day: date) -> EndOfDay:
    start, end = wita_window(day)
    legs = _legs(session, kiosk, start, end)
    return summarize(kiosk, day, legs, _amounts(session, legs), cash_opening=cash_at(session, kiosk, start),
                     product_order=[str(c) for c in fertilizer.PRODUCT_CODES])


def _kept(row: EndOfDayReport) -> KeptReport:
    return KeptReport(row.id, row.kiosk_code, row.day, row.generated_at, row.generated_by, json.loads(row.body),
                      row.body_sha256, row.entry_id)


def receipt_of(session: Session, report: EndOfDay, *, at: datetime, operator: str, proof: Proof) -> EndOfDayReceipt:
    products = tuple(DayProduct(fertilizer.product(p.product).name, p.sales, p.kg_net, p.rupiah_net)
                     for p in report.products if p.sales or p.kg_returned)
    header = Header(facts.kiosk_of(session, report.kiosk), at, facts.person_name(session, operator), None, proof)
    return EndOfDayReceipt(header, report.day, products, report.sales, report.fertilizer_net, report.reversals,
                           sum(report.refunded.values()), report.contributions, report.contribution_total,
                           sum(report.agent_fees.values()), report.topups, report.topped_up, report.paid_by("card"),
                           report.paid_by("cash"), report.cash_opening, report.cash_expected)


def close_day(session: Session, *, kiosk: str, day: date, actor: str, now: datetime) -> KeptReport:
    """Summarize the day, keep the report (row + audit entry) and record its receipt."""
    report = summarize_day(session, kiosk, day)
    body = report.to_dict()
    encoded = ledger.canonical(body)
    digest = hashlib.sha256(encoded).hexdigest()
    report_id = ledger.new_journal_id(now)
    entry = ledger.append_entry(session, ENTRY_KIND, {"report": str(report_id), "kiosk": kiosk, "day": day.isoformat(),
                                                      "sha256": digest, "actor": actor[:96]}, now=now)
    row = EndOfDayReport(id=report_id, kiosk_code=kiosk, day=day, generated_at=now, generated_by=actor[:96],
                         body=encoded.decode("utf-8"), body_sha256=digest, entry_id=entry.id)
    session.add(row)
    session.flush()
    kept = _kept(row)
    receipt = receipt_of(session, report, at=now, operator=actor, proof=Proof(entry.id, leaf_hash(entry.body)))
    prints.record(session, kept.receipt_key, receipt, kiosk=kiosk, farmer=None, now=now)
    log.info("event=day_closed kiosk=%s day=%s report=%s sha256=%s journals=%d cash_expected=%d", kiosk, day, report_id,
             digest, report.journals, report.cash_expected)
    return kept


def kept_reports(session: Session, kiosk: str, day: date) -> list[KeptReport]:
    rows = session.scalars(sa.select(EndOfDayReport).where(EndOfDayReport.kiosk_code == kiosk, EndOfDayReport.day == day)
                           .order_by(EndOfDayReport.generated_at))
    return [_kept(r) for r in rows]


def today_wita(now: datetime) -> date:
    return now.astimezone(WITA).date()
