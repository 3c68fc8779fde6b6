"""The response-code table and the finality rule of DESIGN §8 (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bpjs_link import ClockOffset, Finality, PaymentState, PaymentStatus, final_status, not_found_final_at
from bpjs_link.codes import Case, ResponseCode, Service
from bpjs_link.errors import FINAL_PAYMENT_REFUSALS, BpjsRejected, RefusalReason, reason_for

T0 = datetime(2026, 12, 4, 2, 0, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=5)


def test_codes_are_unique_and_well_formed() -> None:
    assert len({(c.http, c.case) for c in Case}) == len(Case)
    assert len({s.code for s in Service}) == len(Service)
    assert str(ResponseCode.of(Case.SUCCESS, Service.PAYMENT)) == "2005400"
    assert str(ResponseCode.of(Case.CONFLICT, Service.PAYMENT)) == "4095400"
    assert str(ResponseCode.of(Case.INVALID_TOKEN, Service.ACCESS_TOKEN)) == "4017301"
    code = ResponseCode.parse("4045418")
    assert (code.http, code.service, code.case, code.known_case) == (404, "54", "18", Case.INCONSISTENT)
    for bad in ("200540", "20054000", "abcdefg", "6005400"):
        with pytest.raises(ValueError):
            ResponseCode.parse(bad)


def test_every_reason_has_both_languages() -> None:
    for case in Case:
        if case.http >= 400:
            err = BpjsRejected(ResponseCode.of(case, Service.PAYMENT), case.message)
            assert err.message_id and err.message_en and err.message_id != err.message_en
            assert err.fields["response_code"] == str(ResponseCode.of(case, Service.PAYMENT))


def test_only_business_refusals_are_final_for_a_payment() -> None:
    assert reason_for(ResponseCode.parse("4035414")) is RefusalReason.DEPOSIT_TOO_LOW
    assert RefusalReason.STALE_EXPECTATION in FINAL_PAYMENT_REFUSALS
    for undecided in (RefusalReason.UNAUTHORIZED, RefusalReason.EXPIRED, RefusalReason.CONFLICT, RefusalReason.DUPLICATE_REQUEST,
                      RefusalReason.OTHER):
        assert undecided not in FINAL_PAYMENT_REFUSALS


def _status(state: PaymentState, asked_at: datetime, low: float = -0.5, high: float = 0.5) -> PaymentStatus:
    clock = ClockOffset(timedelta(seconds=low), timedelta(seconds=high), asked_at)
    return PaymentStatus("J-1", state, asked_at, clock)


def test_booked_and_refused_are_final_at_once() -> None:
    assert final_status(_status(PaymentState.BOOKED, T0), payment_timestamp=T0, window=WINDOW) is Finality.BOOKED
    assert final_status(_status(PaymentState.REFUSED, T0), payment_timestamp=T0, window=WINDOW) is Finality.REFUSED


def test_not_found_is_final_only_after_window_plus_skew() -> None:
    margin = timedelta(seconds=2)
    for asked, expected in ((T0 + timedelta(seconds=10), Finality.PENDING),
                            (T0 + WINDOW + margin, Finality.PENDING),
                            (T0 + WINDOW + margin + timedelta(seconds=0.6), Finality.NOT_BOOKED)):
        got = final_status(_status(PaymentState.NOT_FOUND, asked), payment_timestamp=T0, window=WINDOW, margin=margin)
        assert got is expected, asked


def test_a_host_clock_behind_ours_delays_finality() -> None:
    asked = T0 + WINDOW + timedelta(seconds=30)
    behind = _status(PaymentState.NOT_FOUND, asked, low=-45, high=-44)
    assert final_status(behind, payment_timestamp=T0, window=WINDOW) is Finality.PENDING
    ahead = _status(PaymentState.NOT_FOUND, T0 + WINDOW, low=10, high=11)
    assert final_status(ahead, payment_timestamp=T0, window=WINDOW) is Finality.NOT_BOOKED
    assert not_found_final_at(T0, WINDOW, behind.host_clock) == T0 + WINDOW + timedelta(seconds=47)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        not_found_final_at(T0.replace(tzinfo=None), WINDOW, ClockOffset(timedelta(0), timedelta(0), T0))


def test_docs_list_every_case_and_service() -> None:
    from tests.support.bpjs import ROOT
    doc = (ROOT / "docs" / "bpjs.md").read_text(encoding="utf-8")
    for case in Case:
        assert f"| {case.http} | {case.case} | {case.message} | {case.message_id} | {case.meaning} |" in doc, case
    for service in Service:
        if service.path:
            assert service.path.rsplit("/", 1)[-1] in doc and f"{service.code}" in doc
