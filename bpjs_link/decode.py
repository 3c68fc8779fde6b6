"""Verified answers -> typed results (client side). A malformed answer is a BpjsBadAnswer."""

from __future__ import annotations

from datetime import date, datetime

from bpjs_link.codes import ResponseCode
from bpjs_link.errors import BpjsBadAnswer
from bpjs_link.results import (
    ClockOffset,
    Participant,
    PaymentOrder,
    PaymentReceipt,
    PaymentState,
    PaymentStatus,
    Registration,
    Settlement,
    SettlementLine,
)
from bpjs_link.transport import Answer
from bpjs_link.wire import STATUS_BOOKED, STATUS_FAILED


def participant(answer: Answer, nik_masked: str) -> Participant:
    b = answer.body
    as_of = b.day("asOf")
    prepay = b.integers("prepayMonths")
    if not b.boolean("registered"):
        return Participant(nik_masked, False, None, None, None, None, (), b.rupiah("contribution"), 0, None, True, prepay, as_of)
    due = b.months("monthsDue")
    return Participant(
        nik_masked=nik_masked, registered=True, kpj=b.text("kpj"), name=b.text("name"), status=b.status("status"),
        paid_through=b.month("paidThrough"), months_due=due, contribution=b.rupiah("contribution"),
        amount_due=b.rupiah("amountDue"), due_date=b.day("dueDate") if b.data.get("dueDate") else None,
        registration_required=b.boolean("registrationRequired"), prepay_months=prepay, as_of=as_of)


def registration(answer: Answer) -> Registration:
    b = answer.body
    return Registration(b.text("kpj"), b.status("status"), b.month("paidThrough"), b.boolean("alreadyRegistered"))


def receipt(answer: Answer, order: PaymentOrder) -> PaymentReceipt:
    b = answer.body
    got = PaymentReceipt(
        request_id=b.text("partnerReferenceNo"), reference=b.text("referenceNo"), kpj=b.text("kpj"), months=b.integer("months"),
        amount=b.rupiah("amount"), paid_through=b.month("paidThrough"), paid_at=b.timestamp("paidAt"),
        deposit_balance=b.rupiah("depositBalance"))
    if (got.request_id, got.kpj, got.months, got.amount) != (order.request_id, order.kpj, order.months, order.amount):
        raise BpjsBadAnswer("Jawaban pembayaran BPJS tidak cocok dengan permintaan",
                            "BPJS payment answer does not match the order", request_id=order.request_id)
    return got


def status(answer: Answer, request_id: str, asked_at: datetime, clock: ClockOffset) -> PaymentStatus:
    b = answer.body
    if b.text("originalPartnerReferenceNo") != request_id:
        raise BpjsBadAnswer("Jawaban status untuk permintaan lain", "status answer names another request", request_id=request_id)
    latest = b.text("latestTransactionStatus")
    if latest == STATUS_BOOKED:
        return PaymentStatus(request_id, PaymentState.BOOKED, asked_at, clock, reference=b.text("originalReferenceNo"),
                             paid_through=b.month("paidThrough"), amount=b.rupiah("amount"))
    if latest == STATUS_FAILED:
        try:
            code = ResponseCode.parse(b.text("originalResponseCode"))
        except ValueError:
            raise BpjsBadAnswer("Kode penolakan tidak terbaca", "originalResponseCode is not a SNAP code") from None
        return PaymentStatus(request_id, PaymentState.REFUSED, asked_at, clock, reference=b.text("originalReferenceNo"),
                             refusal_code=code, refusal_message=b.text("originalResponseMessage"))
    raise BpjsBadAnswer("Status transaksi tidak dikenal", f"unknown latestTransactionStatus {latest!r}", request_id=request_id)


def settlement(answer: Answer, day: date) -> Settlement:
    b = answer.body
    if b.day("date") != day:
        raise BpjsBadAnswer("Rekap untuk hari lain", "settlement answer is for another day", day=day.isoformat())
    lines = tuple(SettlementLine(
        reference=p.text("referenceNo"), request_id=p.text("partnerReferenceNo"), kpj=p.text("kpj"), months=p.integer("months"),
        amount=p.rupiah("amount"), paid_through=p.month("paidThrough"), paid_at=p.timestamp("paidAt")) for p in b.items("payments"))
    total = b.rupiah("totalAmount")
    if total != sum(line.amount for line in lines):
        raise BpjsBadAnswer("Total rekap tidak sama dengan jumlah rinciannya", "settlement total differs from its lines")
    return Settlement(day, lines, total, b.rupiah("depositBalance"))
