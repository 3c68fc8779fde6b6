"""After consent: one journal, then BPJS, then POST or VOID (DESIGN §1, §4, §8, §11).

* CONSENTED: the journal of fertilizer, contribution and agent-fee legs is submitted with the
  checkout's move in ONE database transaction — posted at once when nothing is owed to BPJS,
  PENDING (marked remote: it never expires by itself) when a payment must be made.
* PENDING: registration if needed, then the payment order is fixed and stored (PAYING) *before*
  it is sent; the answer books (BOOKED), refuses (REFUSED) or never comes (UNRESOLVED).
* UNRESOLVED / PAYING after a crash: payment-status under the finality rule; "not found" is final
  only after the acceptance window plus skew, so a late request can never book after a VOID.
* BOOKED -> POST with COMPLETED, REFUSED -> VOID with FAILED, each in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

import fertilizer
import ledger
from bpjs_link import (
    BpjsError,
    BpjsRejected,
    Finality,
    Month,
    PaymentOrder,
    final_status,
)
from kiosk import chart
from kiosk.checkout import store
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import Event, State
from ledger import IDR, JournalKind, JournalSpec, Leg, LedgerError, LimitExceeded

log = logging.getLogger("kiosk.checkout")

SHORTFALL_MESSAGES = {
    "card_balance": ("Saldo kartu tidak cukup (kurang {short}).", "The card balance is short by {short}."),
    "quota": ("Kuota {asset} tidak cukup (kurang {short}).", "The {asset} quota is short by {short}."),
    "stock": ("Stok {asset} di kios tidak cukup (kurang {short}).", "The kiosk's {asset} stock is short by {short}."),
    "bpjs_deposit": ("Deposit BPJS kios tidak cukup (kurang {short}); pemilik kios perlu menambah deposit.",
                     "The kiosk's BPJS deposit is short by {short}; the retailer must top it up."),
}


def _money_legs(s: Session, row: CheckoutRow, now: datetime) -> list[Leg]:
    acc = chart.kiosk_accounts(s, row.kiosk_code, now=now)
    if row.tender == "card":
        tender = chart.open_one(s, chart.card_balance(row.farmer or ""), now=now)
    else:
        tender = acc.cash
    legs: list[Leg] = []
    if row.fertilizer_total:
        legs.append(Leg(tender, acc.sales, IDR, row.fertilizer_total))
    if row.contribution:
        legs.append(Leg(tender, acc.collection, IDR, row.contribution))
        legs.append(Leg(acc.deposit, acc.bpjs_host, IDR, row.contribution))
        agent = (row.decision or {}).get("agent")
        if row.agent_fee and agent:
            legs.append(Leg(acc.fee_receivable, chart.open_one(s, chart.agent_fee(agent), now=now), IDR, row.agent_fee))
    return legs


def _spec(s: Session, row: CheckoutRow, now: datetime) -> JournalSpec:
    selection = row.selection or {}
    lines = {ln["product"]: ln["kg"] for ln in selection.get("lines", [])}
    legs = _money_legs(s, row, now)
    if lines:
        legs += fertilizer.redemption_legs(s, pseudonym=row.farmer or "", season=selection["season"],
                                           outlet_code=row.kiosk_code, lines=lines, now=now)
    consent = row.consent or {}
    card = row.card or {}
    memo = {
        "checkout": str(row.id),
        "document_sha256": ledger_hash(row.document or b""),
        "challenge": row.challenge or "",
        "consent_atc": str(consent.get("atc")),
        "consent_signature": consent.get("signature", ""),
        "card": card.get("number_masked", ""),
        "card_public_key": card.get("public_key", ""),
        "tender": row.tender or "",
    }
    owed = row.contribution > 0
    return JournalSpec(
        idempotency_key=f"checkout:{row.id}", kind=JournalKind.REDEMPTION if lines else JournalKind.CONTRIBUTION,
        legs=legs, kiosk=row.kiosk_code, farmer=row.farmer, remote_ref=str(row.journal_id) if owed else None,
        pending=owed, memo=memo, journal_id=row.journal_id,
    )


def ledger_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _shortfall(s: Session, err: LimitExceeded) -> tuple[str, str]:
    account = ledger.get_account(s, err.account_id) if not isinstance(err.account_id, str) else None
    kind = account.kind if account is not None else ""
    kind = "quota" if kind.startswith("quota") else "stock" if kind.startswith("stock") else kind
    short = f"Rp {err.shortfall:,}".replace(",", ".") if err.asset == IDR else f"{err.shortfall} kg"
    text_id, text_en = SHORTFALL_MESSAGES.get(kind, ("Saldo tidak cukup ({short}).", "Not enough ({short})."))
    asset = err.asset.removeprefix("KG:")
    return text_id.format(short=short, asset=asset), text_en.format(short=short, asset=asset)


def book_journal(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """CONSENTED -> COMPLETED (posted at once) or PENDING; refused journals -> FAILED, nothing taken."""
    deps.crashpoint("consented")
    try:
        with deps.sessions.begin() as s:
            now = deps.now()
            current = store.load(s, row.id, lock=True)
            result = ledger.submit(s, _spec(s, current, now), now=now)
            event = Event.JOURNAL_PENDING if result.state is ledger.JournalState.PENDING else Event.JOURNAL_POSTED
            store.move(s, current, event, actor=actor, now=now, detail={"journal": str(result.journal_id)})
    except (LedgerError, fertilizer.FertilizerError) as err:
        with deps.sessions.begin() as s:
            if isinstance(err, LimitExceeded):
                msg_id, msg_en = _shortfall(s, err)
            else:
                msg_id, msg_en = err.message_id, err.message_en
            current = store.load(s, row.id, lock=True)
            store.move(s, current, Event.JOURNAL_REFUSED, actor=actor, now=deps.now(), detail={"code": err.code},
                       error_code=err.code, error_id=msg_id, error_en=msg_en)
        return
    deps.crashpoint("journal_" + ("pending" if event is Event.JOURNAL_PENDING else "posted"))


def order_to_json(order: PaymentOrder) -> dict[str, Any]:
    return {"request_id": order.request_id, "kpj": order.kpj, "months": order.months, "amount": order.amount,
            "expected_paid_through": str(order.expected_paid_through), "external_id": order.external_id,
            "timestamp": order.timestamp.isoformat()}


def order_from_json(j: dict[str, Any]) -> PaymentOrder:
    return PaymentOrder(j["request_id"], j["kpj"], j["months"], j["amount"], Month.parse(j["expected_paid_through"]),
                        j["external_id"], datetime.fromisoformat(j["timestamp"]))


def _later(deps: CheckoutDeps, row: CheckoutRow) -> datetime:
    s = deps.settings
    delay = min(s.retry_max, s.retry_min * (2 ** min(row.attempts, 16)))
    return deps.now() + delay


def register(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """PENDING (no KPJ) -> REGISTERING -> PENDING with the KPJ. Registration is idempotent at the
    host (an already registered NIK answers with its KPJ), so an unknown outcome is simply retried."""
    if row.state is State.PENDING:
        with deps.sessions.begin() as s:
            store.move(s, store.load(s, row.id, lock=True), Event.REGISTRATION_SENT, actor=actor, now=deps.now())
    with deps.sessions() as s:
        person = fertilizer.reveal(s, deps.keys, row.farmer or "")
    try:
        reg = deps.bpjs.register(person.nik, person.name, person.birth_date)
    except BpjsRejected as err:
        _refused(deps, row, actor, err)
        return
    except BpjsError as err:
        _retry_later(deps, row, actor, err)
        return
    with deps.sessions.begin() as s:
        store.move(s, store.load(s, row.id, lock=True), Event.REGISTERED, actor=actor, now=deps.now(),
                   detail={"kpj": reg.kpj}, kpj=reg.kpj, paid_through_before=str(reg.paid_through), attempts=0,
                   next_attempt_at=None)
    deps.crashpoint("registered")


def pay(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """PENDING -> PAYING: the order is fixed and stored before it is first sent."""
    order = deps.bpjs.new_payment(
        request_id=str(row.journal_id), kpj=row.kpj or "", months=len((row.selection or {}).get("months", [])),
        amount=row.contribution, expected_paid_through=Month.parse(row.paid_through_before or ""),
    )
    with deps.sessions.begin() as s:
        store.move(s, store.load(s, row.id, lock=True), Event.PAYMENT_SENT, actor=actor, now=deps.now(),
                   detail={"external_id": order.external_id}, payment_order=order_to_json(order))
    _send(deps, row, actor, order)


def _send(deps: CheckoutDeps, row: CheckoutRow, actor: str, order: PaymentOrder) -> None:
    try:
        receipt = deps.bpjs.pay(order)
    except BpjsRejected as err:
        deps.crashpoint("payment_answered")
        _refused(deps, row, actor, err)
        return
    except BpjsError as err:
        _unknown(deps, row, actor, err)
        return
    deps.crashpoint("payment_answered")
    with deps.sessions.begin() as s:
        store.move(s, store.load(s, row.id, lock=True), Event.BOOKED, actor=actor, now=deps.now(),
                   detail={"reference": receipt.reference}, bpjs_reference=receipt.reference,
                   paid_through_after=str(receipt.paid_through))
    deps.crashpoint("booked")


def resolve(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """PAYING (resumed) / UNRESOLVED / EXCEPTION: ask payment-status; act only on a final answer.
    While the order is still young enough, the same order is re-sent (a replay is harmless)."""
    order = order_from_json(row.payment_order or {})
    deps.crashpoint("recovery")
    try:
        status = deps.bpjs.payment_status(order.request_id)
    except BpjsError as err:
        _unknown(deps, row, actor, err)
        return
    verdict = final_status(status, payment_timestamp=order.timestamp, window=deps.bpjs.config.acceptance_window)
    if verdict is Finality.BOOKED:
        with deps.sessions.begin() as s:
            store.move(s, store.load(s, row.id, lock=True), Event.BOOKED, actor=actor, now=deps.now(),
                       detail={"reference": status.reference, "via": "status"}, bpjs_reference=status.reference,
                       paid_through_after=str(status.paid_through) if status.paid_through else None)
        return
    if verdict in (Finality.REFUSED, Finality.NOT_BOOKED):
        code = status.refusal_code.value if status.refusal_code else "not_booked"
        _void_with(deps, row, actor, code, status.refusal_message or "")
        return
    if deps.now() - order.timestamp < deps.bpjs.config.acceptance_window - timedelta(seconds=30) and row.state is not State.EXCEPTION:
        _send(deps, row, actor, order)
        return
    _unknown(deps, row, actor, None)


def _refused(deps: CheckoutDeps, row: CheckoutRow, actor: str, err: BpjsRejected) -> None:
    _void_with(deps, row, actor, err.code, err.message_en, message_id=err.message_id)


def _void_with(deps: CheckoutDeps, row: CheckoutRow, actor: str, code: str, message_en: str, message_id: str | None = None) -> None:
    with deps.sessions.begin() as s:
        store.move(s, store.load(s, row.id, lock=True), Event.REFUSED, actor=actor, now=deps.now(),
                   detail={"code": code}, error_code=code,
                   error_id=message_id or f"BPJS menolak pembayaran ({code}). Tidak ada yang dipotong.",
                   error_en=message_en or f"BPJS refused the payment ({code}). Nothing was taken.")


def _unknown(deps: CheckoutDeps, row: CheckoutRow, actor: str, err: BpjsError | None) -> None:
    with deps.sessions.begin() as s:
        current = store.load(s, row.id, lock=True)
        attempts = current.attempts + 1
        detail = {"code": err.code if err else "pending", "attempt": attempts}
        if current.state is State.PAYING:
            store.move(s, current, Event.UNKNOWN, actor=actor, now=deps.now(), detail=detail)
        else:
            store.note(s, current, "status_unknown", actor=actor, now=deps.now(), detail=detail)
        current.attempts, current.next_attempt_at = attempts, _later(deps, current)
        age = deps.now() - current.created_at
        if current.state is State.UNRESOLVED and age > deps.settings.exception_after:
            store.move(s, current, Event.ESCALATED, actor=actor, now=deps.now(), detail={"age_s": int(age.total_seconds())})


def _retry_later(deps: CheckoutDeps, row: CheckoutRow, actor: str, err: BpjsError) -> None:
    with deps.sessions.begin() as s:
        current = store.load(s, row.id, lock=True)
        current.attempts += 1
        current.next_attempt_at = _later(deps, current)
        store.note(s, current, "retry_later", actor=actor, now=deps.now(), detail={"code": err.code})


def finish(deps: CheckoutDeps, row: CheckoutRow, actor: str) -> None:
    """BOOKED -> POST + COMPLETED; REFUSED -> VOID + FAILED (one transaction each)."""
    with deps.sessions.begin() as s:
        now = deps.now()
        current = store.load(s, row.id, lock=True)
        if current.journal_id is None:
            raise RuntimeError("a booked or refused checkout without a journal")
        journal = ledger.journal(s, current.journal_id)
        if current.state is State.BOOKED:
            if journal is not None and journal.state is ledger.JournalState.PENDING:
                ledger.post(s, current.journal_id, now=now)
            store.move(s, current, Event.JOURNAL_POSTED, actor=actor, now=now)
        else:
            if journal is not None and journal.state is ledger.JournalState.PENDING:
                ledger.void(s, current.journal_id, reason=current.error_code or "bpjs_refused", now=now)
            store.move(s, current, Event.JOURNAL_VOIDED, actor=actor, now=now)
