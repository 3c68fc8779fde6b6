"""Every BPU service through the real client against the sandbox running as a subprocess."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from bpjs_link import BpjsClient, BpjsInvalidInput, BpjsRejected, Month, ParticipantStatus, PaymentState, RefusalReason, Service
from tests.bpjs_link.conftest import host_today, this_month
from tests.support.bpjs import DEMO, SandboxHandle, running_sandbox


def rid() -> str:
    return f"J-{uuid.uuid4()}"


def test_inquiry_for_each_kind_of_participant(bpjs: BpjsClient) -> None:
    m = this_month()
    up = bpjs.inquire(DEMO["paid_up"])
    assert up.registered and up.status is ParticipantStatus.ACTIVE and up.paid_through == m and up.months_due == ()
    assert up.amount_due == 0 and up.contribution == 16_800 and up.prepay_months == (3, 6, 12)
    two = bpjs.inquire(DEMO["two_behind"])
    assert two.months_due == (m + (-1), m) and two.amount_due == 33_600 and two.due_date == (m + (-1)).day(15)
    assert bpjs.inquire(DEMO["one_behind"]).months_due == (m,)
    gone = bpjs.inquire(DEMO["inactive"])
    assert gone.status is ParticipantStatus.INACTIVE and gone.months_due == (m,) and not gone.registration_required
    ahead = bpjs.inquire(DEMO["paid_ahead"])
    assert ahead.paid_through == m + 3 and ahead.months_due == ()
    nobody = bpjs.inquire(DEMO["unregistered"])
    assert not nobody.registered and nobody.registration_required and nobody.kpj is None
    assert nobody.nik_masked == "7312********0006"
    assert up.as_of == host_today().date()


def test_client_refuses_malformed_input_without_sending(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    before = sandbox.stats()["calls"]
    for call in (lambda: bpjs.inquire("12345"), lambda: bpjs.register("7312011705800001", " ", date(1980, 1, 1)),
                 lambda: bpjs.new_payment(request_id="bad id!", kpj="26011700001", months=1, amount=16800,
                                          expected_paid_through=this_month())):
        with pytest.raises(BpjsInvalidInput) as err:
            call()
        assert err.value.message_id and err.value.message_en
    assert sandbox.stats()["calls"] == before


def test_registration_new_then_already_registered(bpjs: BpjsClient) -> None:
    nik = "7312015506950107"
    first = bpjs.register(nik, "Wa Ode Sitti", date(1995, 6, 15))
    assert not first.already_registered and first.paid_through == this_month() + (-1)
    again = bpjs.register(nik, "Wa Ode Sitti", date(1995, 6, 15))
    assert again.already_registered and again.kpj == first.kpj
    p = bpjs.inquire(nik)
    assert p.kpj == first.kpj and p.months_due == (this_month(),)


def test_payment_books_once_and_debits_the_deposit(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    nik = "7312050101800001"
    p = bpjs.inquire(nik)
    deposit = sandbox.deposit()
    order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=len(p.months_due), amount=p.amount_due,
                             expected_paid_through=p.paid_through or this_month())
    receipt = bpjs.pay(order)
    assert receipt.paid_through == this_month() and receipt.amount == 33_600 and receipt.request_id == order.request_id
    assert receipt.deposit_balance == deposit - 33_600 == sandbox.deposit()
    assert bpjs.inquire(nik).months_due == ()
    again = bpjs.pay(order)  # the same order again: the host's first answer, nothing more paid
    assert again == receipt and sandbox.deposit() == deposit - 33_600
    status = bpjs.payment_status(order.request_id)
    assert status.state is PaymentState.BOOKED and status.reference == receipt.reference and status.amount == 33_600


def test_prepayment_package(bpjs: BpjsClient) -> None:
    p = bpjs.inquire("7312050101800002")  # two behind: 2 arrears + 3 ahead
    order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=5, amount=5 * 16_800,
                             expected_paid_through=p.paid_through or this_month())
    assert bpjs.pay(order).paid_through == this_month() + 3


@pytest.mark.parametrize(("months", "amount", "reason"), [
    (2, 33_000, RefusalReason.WRONG_AMOUNT),
    (3, 3 * 16_800, RefusalReason.MONTHS_NOT_ALLOWED),
])
def test_business_refusals_are_final_and_recorded(bpjs: BpjsClient, sandbox: SandboxHandle, months: int, amount: int,
                                                  reason: RefusalReason) -> None:
    p = bpjs.inquire("7312050101800003")
    before = sandbox.deposit()
    order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=months, amount=amount,
                             expected_paid_through=p.paid_through or this_month())
    with pytest.raises(BpjsRejected) as err:
        bpjs.pay(order)
    assert err.value.reason is reason and err.value.response_code.service == Service.PAYMENT.code
    assert sandbox.deposit() == before and bpjs.inquire("7312050101800003").paid_through == p.paid_through
    status = bpjs.payment_status(order.request_id)
    assert status.state is PaymentState.REFUSED and status.refusal_code == err.value.response_code


def test_unknown_kpj_is_refused(bpjs: BpjsClient) -> None:
    order = bpjs.new_payment(request_id=rid(), kpj="99999999999", months=1, amount=16_800, expected_paid_through=this_month())
    with pytest.raises(BpjsRejected) as err:
        bpjs.pay(order)
    assert err.value.reason is RefusalReason.UNKNOWN_PARTICIPANT


def test_status_of_an_unknown_request_is_not_found(bpjs: BpjsClient) -> None:
    status = bpjs.payment_status(rid())
    assert status.state is PaymentState.NOT_FOUND and status.reference is None
    assert bpjs.clock_offset is not None and abs(bpjs.clock_offset.estimate.total_seconds()) < 2


def test_inactive_participant_returns_by_paying_again(bpjs: BpjsClient) -> None:
    p = bpjs.inquire(DEMO["inactive"])
    order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=1, amount=16_800,
                             expected_paid_through=p.paid_through or this_month())
    assert bpjs.pay(order).paid_through == this_month()
    assert bpjs.inquire(DEMO["inactive"]).status is ParticipantStatus.ACTIVE


def test_settlement_lists_the_days_payments(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, seed="demo") as host, host.client() as bpjs:
        paid = []
        for nik in (DEMO["one_behind"], DEMO["two_behind"]):
            p = bpjs.inquire(nik)
            paid.append(bpjs.pay(bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=len(p.months_due),
                                                  amount=p.amount_due, expected_paid_through=p.paid_through or this_month())))
        host.paid_elsewhere(DEMO["paid_up"])  # another channel's payment is not ours to settle
        day = host_today().date()
        s = bpjs.settlement(day)
        assert sorted(line.reference for line in s.payments) == sorted(r.reference for r in paid)
        assert s.total == sum(r.amount for r in paid) == 16_800 * 3
        assert s.deposit_balance == host.deposit() == 10_000_000 - s.total
        assert bpjs.settlement(date(2020, 1, 1)).payments == ()


def test_register_again_mode(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, seed="demo", args=["--return-mode", "register-again"]) as host, host.client() as bpjs:
        p = bpjs.inquire(DEMO["inactive"])
        assert p.registration_required and p.months_due == ()
        order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=1, amount=16_800,
                                 expected_paid_through=p.paid_through or this_month())
        with pytest.raises(BpjsRejected) as err:
            bpjs.pay(order)
        assert err.value.reason is RefusalReason.PARTICIPANT_INACTIVE
        assert "daftar ulang" in err.value.message_id and "register again" in err.value.message_en
        back = bpjs.register(DEMO["inactive"], "Hj. Sitti Rahmah", date(1975, 1, 1))
        assert not back.already_registered and back.kpj == p.kpj and back.paid_through == this_month() + (-1)
        p = bpjs.inquire(DEMO["inactive"])
        assert p.status is ParticipantStatus.ACTIVE and p.months_due == (this_month(),)
        order = bpjs.new_payment(request_id=rid(), kpj=p.kpj or "", months=1, amount=16_800,
                                 expected_paid_through=p.paid_through or this_month())
        assert bpjs.pay(order).paid_through == this_month()
        assert Month.parse(host.participant(DEMO["inactive"])["paidThrough"]) == this_month()
