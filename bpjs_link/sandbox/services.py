"""The host's BPU services over one database session (the caller owns the transaction).

Each handler reads its fields (a :class:`~bpjs_link.sandbox.fields.Problem` for a malformed
request) and returns an :class:`Outcome`: the SNAP case and the answer's body fields. Payment
refusals by a business rule are recorded, so payment-status can report them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpjs_link import wire
from bpjs_link.bpu import BpuRules, Month, ParticipantStatus, PaymentCheck, Standing, check_payment, standing
from bpjs_link.codes import Case, ResponseCode, Service
from bpjs_link.sandbox.fields import Fields, Problem
from bpjs_link.sandbox.schema import DepositRow, ParticipantRow, PaymentRow
from bpjs_link.signing import WIB, format_timestamp

ELSEWHERE = "*elsewhere*"


@dataclass(frozen=True)
class Ctx:
    partner_id: str
    now: datetime
    rules: BpuRules
    initial_deposit: int
    external_id: str = ""
    request_timestamp: datetime | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(WIB).date()


@dataclass(frozen=True)
class Outcome:
    case: Case
    body: dict[str, Any] = field(default_factory=dict)
    detail: str = ""


def participant_standing(row: ParticipantRow, ctx: Ctx) -> Standing:
    return standing(Month.parse(row.paid_through), ParticipantStatus(row.status), ctx.today, ctx.rules)


def deposit(session: Session, partner_id: str, initial: int) -> DepositRow:
    row = session.get(DepositRow, partner_id)
    if row is None:
        row = DepositRow(partner_id=partner_id, balance=initial)
        session.add(row)
        session.flush()
    return row


def inquiry(session: Session, ctx: Ctx, f: Fields) -> Outcome:
    nik = f.text("nik", wire.NIK)
    row = session.get(ParticipantRow, nik)
    common = {"contribution": wire.amount(ctx.rules.contribution), "prepayMonths": sorted(ctx.rules.prepay_months),
              "asOf": ctx.today.isoformat()}
    if row is None:
        return Outcome(Case.SUCCESS, {"registered": False, "registrationRequired": True, **common})
    st = participant_standing(row, ctx)
    due_date = st.months_due[0].day(ctx.rules.due_day).isoformat() if st.months_due else None
    return Outcome(Case.SUCCESS, {
        "registered": True, "kpj": row.kpj, "name": row.name, "status": st.status.value, "paidThrough": row.paid_through,
        "monthsDue": [str(m) for m in st.months_due], "amountDue": wire.amount(st.amount_due(ctx.rules)), "dueDate": due_date,
        "registrationRequired": st.registration_required, **common})


def _new_kpj(session: Session) -> str:
    while True:
        kpj = f"26{secrets.randbelow(10**9):09d}"
        if session.scalar(select(ParticipantRow.nik).where(ParticipantRow.kpj == kpj)) is None:
            return kpj


def registration(session: Session, ctx: Ctx, f: Fields) -> Outcome:
    nik, name, birth = f.text("nik", wire.NIK), f.name("name"), f.day("birthDate")
    if birth >= ctx.today or birth.year < 1900:
        raise Problem(Case.INVALID_FIELD_FORMAT, "{birthDate}")
    start = Month.of(ctx.today) + (-1)
    row = session.get(ParticipantRow, nik)
    already = row is not None and participant_standing(row, ctx).status is ParticipantStatus.ACTIVE
    if row is None:
        row = ParticipantRow(nik=nik, name=name, birth_date=birth, kpj=_new_kpj(session), paid_through=str(start),
                             status="active", registered_at=ctx.now)
        session.add(row)
    elif not already:  # an inactive participant registers again: coverage restarts this month
        row.paid_through, row.status = str(start), "active"
    session.flush()
    return Outcome(Case.SUCCESS, {"kpj": row.kpj, "status": "active", "paidThrough": row.paid_through, "alreadyRegistered": already})


_REFUSAL_BY_CHECK = {PaymentCheck.MUST_REGISTER: Case.INACTIVE, PaymentCheck.MONTHS_NOT_ALLOWED: Case.NOT_PERMITTED,
                     PaymentCheck.WRONG_AMOUNT: Case.INVALID_AMOUNT}


def payment(session: Session, ctx: Ctx, f: Fields) -> Outcome:
    ref = f.text("partnerReferenceNo", wire.REQUEST_ID)
    kpj, months = f.text("kpj", wire.KPJ), f.integer("months", 1, 36)
    amount, expected = f.rupiah("amount"), f.month("expectedPaidThrough")
    taken = select(PaymentRow.reference_no).where(PaymentRow.partner_id == ctx.partner_id, PaymentRow.partner_reference_no == ref)
    if session.scalar(taken) is not None:
        return Outcome(Case.DUPLICATE_REFERENCE)
    row = session.scalar(select(ParticipantRow).where(ParticipantRow.kpj == kpj))
    new_paid: Month | None = None
    case = Case.SUCCESS
    if row is None:
        case = Case.INVALID_ACCOUNT
    elif Month.parse(row.paid_through) != expected:
        case = Case.INCONSISTENT
    else:
        verdict, new_paid = check_payment(participant_standing(row, ctx), months, amount, ctx.rules)
        case = _REFUSAL_BY_CHECK.get(verdict, Case.SUCCESS)
    dep = deposit(session, ctx.partner_id, ctx.initial_deposit)
    if case is Case.SUCCESS and dep.balance < amount:
        case = Case.INSUFFICIENT_FUNDS
    record = PaymentRow(
        reference_no=f"BPU{ctx.today:%Y%m%d}{secrets.randbelow(10**12):012d}", partner_id=ctx.partner_id, partner_reference_no=ref,
        external_id=ctx.external_id, kpj=kpj, months=months, amount=amount, expected_paid_through=str(expected), paid_through=None,
        state="refused", response_code=str(ResponseCode.of(case, Service.PAYMENT)), response_message=case.message,
        request_timestamp=ctx.request_timestamp or ctx.now, processed_at=ctx.now)
    session.add(record)
    if case is not Case.SUCCESS or row is None or new_paid is None:
        session.flush()
        return Outcome(case)
    dep.balance -= amount
    row.paid_through, row.status = str(new_paid), "active"
    record.state, record.paid_through = "booked", str(new_paid)
    session.flush()
    return Outcome(Case.SUCCESS, {
        "referenceNo": record.reference_no, "partnerReferenceNo": ref, "kpj": kpj, "months": months, "amount": wire.amount(amount),
        "paidThrough": str(new_paid), "paidAt": format_timestamp(ctx.now), "depositBalance": wire.amount(dep.balance)})


def payment_status(session: Session, ctx: Ctx, f: Fields) -> Outcome:
    ref = f.text("originalPartnerReferenceNo", wire.REQUEST_ID)
    if f.text("serviceCode", wire.EXTERNAL_ID) != Service.PAYMENT.code:
        raise Problem(Case.INVALID_FIELD_FORMAT, "{serviceCode}")
    rec = session.scalar(select(PaymentRow).where(PaymentRow.partner_id == ctx.partner_id, PaymentRow.partner_reference_no == ref))
    if rec is None:
        return Outcome(Case.NOT_FOUND)
    body: dict[str, Any] = {"originalPartnerReferenceNo": ref, "originalReferenceNo": rec.reference_no, "kpj": rec.kpj,
                            "months": rec.months, "amount": wire.amount(rec.amount)}
    if rec.state == "booked":
        return Outcome(Case.SUCCESS, {**body, "latestTransactionStatus": wire.STATUS_BOOKED, "transactionStatusDesc": "Success",
                                      "paidThrough": rec.paid_through, "paidAt": format_timestamp(rec.processed_at)})
    return Outcome(Case.SUCCESS, {**body, "latestTransactionStatus": wire.STATUS_FAILED, "transactionStatusDesc": "Failed",
                                  "originalResponseCode": rec.response_code, "originalResponseMessage": rec.response_message})


def settlement(session: Session, ctx: Ctx, f: Fields) -> Outcome:
    day = f.day("date")
    start = datetime.combine(day, time(0), WIB)
    rows = session.scalars(select(PaymentRow).where(
        PaymentRow.partner_id == ctx.partner_id, PaymentRow.state == "booked", PaymentRow.processed_at >= start,
        PaymentRow.processed_at < start + timedelta(days=1)).order_by(PaymentRow.processed_at, PaymentRow.reference_no)).all()
    lines = [{"referenceNo": r.reference_no, "partnerReferenceNo": r.partner_reference_no, "kpj": r.kpj, "months": r.months,
              "amount": wire.amount(r.amount), "paidThrough": r.paid_through, "paidAt": format_timestamp(r.processed_at)} for r in rows]
    balance = deposit(session, ctx.partner_id, ctx.initial_deposit).balance
    return Outcome(Case.SUCCESS, {"date": day.isoformat(), "payments": lines, "count": len(lines),
                                  "totalAmount": wire.amount(sum(r.amount for r in rows)), "depositBalance": wire.amount(balance)})


HANDLERS: dict[Service, Callable[[Session, Ctx, Fields], Outcome]] = {
    Service.PARTICIPANT_INQUIRY: inquiry, Service.REGISTRATION: registration, Service.PAYMENT: payment,
    Service.PAYMENT_STATUS: payment_status, Service.SETTLEMENT: settlement,
}


def paid_elsewhere(session: Session, ctx: Ctx, nik: str, months: int) -> Month:
    """A payment through another channel (Alfamart, BRILink, ...): the participant's paid-through moves."""
    row = session.get(ParticipantRow, nik)
    if row is None:
        raise Problem(Case.INVALID_ACCOUNT)
    first = participant_standing(row, ctx).first_payable or Month.of(ctx.today)
    new_paid = first + (months - 1)
    session.add(PaymentRow(
        reference_no=f"ALF{ctx.today:%Y%m%d}{secrets.randbelow(10**12):012d}", partner_id=ELSEWHERE,
        partner_reference_no=secrets.token_hex(8), external_id="0", kpj=row.kpj, months=months, amount=months * ctx.rules.contribution,
        expected_paid_through=row.paid_through, paid_through=str(new_paid), state="booked", response_code="2005400",
        response_message="Successful", request_timestamp=ctx.now, processed_at=ctx.now))
    row.paid_through, row.status = str(new_paid), "active"
    session.flush()
    return new_paid
