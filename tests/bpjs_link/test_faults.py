"""The network lies: timeouts, lost answers, 5xx, forged answers, payments made elsewhere, no deposit."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from bpjs_link import (
    BpjsBadSignature,
    BpjsClient,
    BpjsRejected,
    BpjsUnknownOutcome,
    Finality,
    PaymentOrder,
    PaymentState,
    RefusalReason,
    final_status,
)
from bpjs_link.wire import payment_body
from tests.bpjs_link.conftest import this_month
from tests.bpjs_link.raw import Raw
from tests.support.bpjs import SandboxHandle, running_sandbox

AMOUNT = 33_600  # the module's farmers are two months behind


def order_for(bpjs: BpjsClient, serial: int, months: int = 2) -> PaymentOrder:
    p = bpjs.inquire(f"731205010180{serial:04d}")
    assert p.kpj is not None and p.paid_through is not None
    return bpjs.new_payment(request_id=f"J-{uuid.uuid4()}", kpj=p.kpj, months=months, amount=months * 16_800,
                            expected_paid_through=p.paid_through)


def booked_count(sandbox: SandboxHandle) -> int:
    return int(sandbox.state()["booked"])


def test_payment_timeout_is_unknown_then_status_resolves(sandbox: SandboxHandle) -> None:
    with sandbox.client(read_timeout_s=0.4, payment_attempts=2, retry_backoff_s=0.05) as bpjs:
        order = order_for(bpjs, 20)
        deposit, booked = sandbox.deposit(), booked_count(sandbox)
        sandbox.fault("payment", "latency", count=2, latency_ms=1500)
        with pytest.raises(BpjsUnknownOutcome) as err:
            bpjs.pay(order)
        assert err.value.fields["sends"] == 2 and err.value.fields["request_id"] == order.request_id
        first = bpjs.payment_status(order.request_id)
        window = bpjs.config.acceptance_window
        if first.state is PaymentState.NOT_FOUND:  # still held up at the host: not final, ask again
            assert final_status(first, payment_timestamp=order.timestamp, window=window) is Finality.PENDING
        deadline = time.monotonic() + 10
        while (st := bpjs.payment_status(order.request_id)).state is PaymentState.NOT_FOUND and time.monotonic() < deadline:
            time.sleep(0.2)
        assert final_status(st, payment_timestamp=order.timestamp, window=window) is Finality.BOOKED
        time.sleep(1.6)  # let the second, slower send arrive too: a replay, not a second payment
        assert sandbox.deposit() == deposit - AMOUNT and booked_count(sandbox) == booked + 1


def test_commit_then_drop_is_resent_and_answered_by_replay(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    order = order_for(bpjs, 21)
    deposit = sandbox.deposit()
    sandbox.fault("payment", "commit-then-drop")
    receipt = bpjs.pay(order)  # first send booked and its answer lost; the re-send gets the first answer
    assert receipt.paid_through == this_month() and sandbox.deposit() == deposit - AMOUNT
    assert bpjs.payment_status(order.request_id).reference == receipt.reference


def test_commit_then_drop_without_resend_is_unknown_and_status_shows_booked(sandbox: SandboxHandle) -> None:
    with sandbox.client(payment_attempts=1) as bpjs:
        order = order_for(bpjs, 22)
        deposit, booked = sandbox.deposit(), booked_count(sandbox)
        sandbox.fault("payment", "commit-then-drop")
        with pytest.raises(BpjsUnknownOutcome):
            bpjs.pay(order)
        st = bpjs.payment_status(order.request_id)
        assert final_status(st, payment_timestamp=order.timestamp, window=bpjs.config.acceptance_window) is Finality.BOOKED
        receipt = bpjs.pay(order)  # the kiosk may send the stored order again: never paid twice
        assert receipt.reference == st.reference
        assert sandbox.deposit() == deposit - AMOUNT and booked_count(sandbox) == booked + 1


def test_server_errors_are_retried_for_reads_and_resent_for_payments(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    sandbox.fault("participant-inquiry", "error", count=2)
    assert bpjs.inquire("7312050101800023").registered  # third attempt
    order = order_for(bpjs, 23)
    deposit = sandbox.deposit()
    sandbox.fault("payment", "error")
    assert bpjs.pay(order).amount == AMOUNT and sandbox.deposit() == deposit - AMOUNT
    sandbox.fault("payment-status", "drop", count=3)
    from bpjs_link import BpjsUnavailable
    with pytest.raises(BpjsUnavailable) as err:
        bpjs.payment_status(order.request_id)
    assert err.value.fields["attempts"] == 3 and err.value.message_id


def test_forged_answer_signature_is_caught(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    sandbox.fault("participant-inquiry", "bad-signature")
    with pytest.raises(BpjsBadSignature):
        bpjs.inquire("7312050101800024")
    order = order_for(bpjs, 24)
    deposit = sandbox.deposit()
    sandbox.fault("payment", "bad-signature")
    receipt = bpjs.pay(order)  # the untrusted answer is ignored; the re-send's replay is signed properly
    assert receipt.amount == AMOUNT and sandbox.deposit() == deposit - AMOUNT


def test_paid_elsewhere_between_inquiry_and_payment_is_not_charged_twice(bpjs: BpjsClient, sandbox: SandboxHandle) -> None:
    order = order_for(bpjs, 25)
    sandbox.paid_elsewhere("7312050101800025", months=2)  # at Alfamart, meanwhile
    deposit = sandbox.deposit()
    with pytest.raises(BpjsRejected) as err:
        bpjs.pay(order)
    assert err.value.reason is RefusalReason.STALE_EXPECTATION and str(err.value.response_code) == "4045418"
    assert "tempat lain" in err.value.message_id and "elsewhere" in err.value.message_en
    assert sandbox.deposit() == deposit
    st = bpjs.payment_status(order.request_id)
    assert final_status(st, payment_timestamp=order.timestamp, window=bpjs.config.acceptance_window) is Finality.REFUSED
    assert bpjs.inquire("7312050101800025").months_due == ()


def test_deposit_exhausted_is_a_clear_refusal(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, args=["--deposit", "20000"]) as host, host.client() as bpjs:
        p = bpjs.inquire("7312020808700003")
        order = bpjs.new_payment(request_id="J-deposit-1", kpj=p.kpj or "", months=2, amount=33_600,
                                 expected_paid_through=p.paid_through or this_month())
        before = bpjs.inquire("7312020808700003")
        with pytest.raises(BpjsRejected) as err:
            bpjs.pay(order)
        assert err.value.reason is RefusalReason.DEPOSIT_TOO_LOW and str(err.value.response_code) == "4035414"
        assert "deposit" in err.value.message_id and "top it up" in err.value.message_en
        assert host.deposit() == 20_000 and bpjs.inquire("7312020808700003") == before
        host.set_deposit(100_000)
        second = bpjs.new_payment(request_id="J-deposit-2", kpj=p.kpj or "", months=2, amount=33_600,
                                  expected_paid_through=p.paid_through or this_month())
        assert bpjs.pay(second).deposit_balance == 100_000 - 33_600


def test_lost_request_is_final_only_after_the_window(tmp_path: Path) -> None:
    """A dropped request is 'not found'; that becomes final once the host can no longer accept it."""
    with running_sandbox(tmp_path, args=["--window-s", "2"]) as host, \
            host.client(acceptance_window_s=2, resend_margin_s=0, payment_attempts=1) as bpjs:
        p = bpjs.inquire("7312020808700003")
        order = bpjs.new_payment(request_id="J-lost-1", kpj=p.kpj or "", months=2, amount=33_600,
                                 expected_paid_through=p.paid_through or this_month())
        host.fault("payment", "drop")
        with pytest.raises(BpjsUnknownOutcome):
            bpjs.pay(order)
        window, margin = bpjs.config.acceptance_window, timedelta(seconds=1)
        st = bpjs.payment_status(order.request_id)
        assert final_status(st, payment_timestamp=order.timestamp, window=window, margin=margin) is Finality.PENDING
        time.sleep(4.2)  # 2 s window + 1 s margin + up to 1 s of Date-header rounding
        st = bpjs.payment_status(order.request_id)
        assert final_status(st, payment_timestamp=order.timestamp, window=window, margin=margin) is Finality.NOT_BOOKED
        # ... and the host indeed refuses the original request now, whoever sends it:
        with pytest.raises(BpjsUnknownOutcome) as err:
            bpjs.pay(order)
        assert err.value.fields["sends"] == 0
        raw = Raw(host)
        r = raw.post("/snap/v1.0/bpu/payment", payment_body(order), external_id=order.external_id,
                     when=order.timestamp.isoformat())
        assert r.json()["responseCode"] == "4035400"
        raw.close()
        assert host.state()["booked"] == 0 and host.deposit() == 10_000_000


def test_host_clock_offset_is_measured(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, args=["--clock-offset-s", "90"]) as host, host.client() as bpjs:
        st = bpjs.payment_status("J-nothing")
        offset = bpjs.clock_offset
        assert offset is not None and offset.low <= timedelta(seconds=90) <= offset.high
        assert 88 < offset.estimate.total_seconds() < 92 and st.host_clock == offset


def test_fault_draws_are_deterministic_with_a_seed(tmp_path: Path) -> None:
    def codes(run: str) -> list[str]:
        args = ["--error-rate", "0.5", "--fault-seed", "7"]
        with running_sandbox(tmp_path / run, args=args) as host:
            raw = Raw(host)
            out = [raw.post("/snap/v1.0/bpu/participant-inquiry", {"nik": "7312011705800001"}).json()["responseCode"]
                   for _ in range(12)]
            raw.close()
            return out

    first, second = codes("a"), codes("b")
    assert first == second and {"2009000", "5009001"} == set(first)


def test_latency_of_the_latest_answer_is_measured(sandbox: SandboxHandle) -> None:
    with sandbox.client() as bpjs:
        assert bpjs.last_latency_ms is None
        bpjs.inquire("7312050101800023")
        quick = bpjs.last_latency_ms
        assert quick is not None and quick < 2000
        sandbox.fault("participant-inquiry", "latency", count=1, latency_ms=400)
        bpjs.inquire("7312050101800023")
        assert bpjs.last_latency_ms is not None and bpjs.last_latency_ms >= 400
