"""A Hypothesis state machine: payments under injected faults against a trivially correct model.

Invariants after every step: each farmer's paid-through month and the partner deposit equal the
model's, and the number of booked payments equals the model's (no payment is ever booked twice).
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bpjs_link import BpjsClient, BpjsRejected, BpjsUnknownOutcome, Month, PaymentState, RefusalReason
from tests.support.bpjs import SandboxHandle

FARMERS = [f"731205010180{i:04d}" for i in range(100, 106)]
FAULTS = [None, "drop", "commit-then-drop", "error", "bad-signature"]


class PaymentMachine(RuleBasedStateMachine):
    host: SandboxHandle
    bpjs: BpjsClient

    @initialize()
    def load(self) -> None:
        self.paid = {nik: Month.parse(self.host.participant(nik)["paidThrough"]) for nik in FARMERS}
        state = self.host.state()
        self.deposit = int(state["deposits"][self.host.partner_id])
        self.booked = int(state["booked"])

    @rule(nik=st.sampled_from(FARMERS), extra=st.sampled_from([0, 3]), fault=st.sampled_from(FAULTS), stale=st.booleans())
    def pay(self, nik: str, extra: int, fault: str | None, stale: bool) -> None:
        p = self.bpjs.inquire(nik)
        assert p.kpj is not None and p.paid_through == self.paid[nik]
        months = len(p.months_due) + extra
        if months == 0 or (p.paid_through + months) - Month.of(p.as_of) > 12:
            return  # nothing due, or past the 12 months a participant may be paid ahead
        expected = p.paid_through + (-1) if stale else p.paid_through
        order = self.bpjs.new_payment(request_id=f"J-{uuid.uuid4()}", kpj=p.kpj, months=months, amount=months * 16_800,
                                      expected_paid_through=expected)
        if fault:
            self.host.fault("payment", fault)
        try:
            receipt = self.bpjs.pay(order)
            booked = True
            assert receipt.paid_through == p.paid_through + months and not stale
        except BpjsRejected as err:
            booked = False
            assert stale and err.reason is RefusalReason.STALE_EXPECTATION
        except BpjsUnknownOutcome:
            status = self.bpjs.payment_status(order.request_id)
            booked = status.state is PaymentState.BOOKED
            assert fault in ("drop", "commit-then-drop", "error", "bad-signature")
            assert booked == (fault in ("commit-then-drop", "bad-signature") and not stale)
        if booked:
            self.paid[nik] = p.paid_through + months
            self.deposit -= months * 16_800
            self.booked += 1

    @rule(nik=st.sampled_from(FARMERS), months=st.sampled_from([1, 3]))
    def paid_elsewhere(self, nik: str, months: int) -> None:
        self.paid[nik] = self.host.paid_elsewhere(nik, months)

    @invariant()
    def host_agrees_with_model(self) -> None:
        if not hasattr(self, "paid"):
            return
        state = self.host.state()
        assert int(state["deposits"][self.host.partner_id]) == self.deposit
        assert int(state["booked"]) == self.booked
        for nik, month in self.paid.items():
            assert Month.parse(self.host.participant(nik)["paidThrough"]) == month


@pytest.mark.slow
def test_payments_under_faults_match_the_model(sandbox: SandboxHandle) -> None:
    with sandbox.client(payment_attempts=1, read_timeout_s=5) as bpjs:
        PaymentMachine.host = sandbox
        PaymentMachine.bpjs = bpjs
        runner = PaymentMachine.TestCase
        runner.settings = settings(max_examples=8, stateful_step_count=10, deadline=None)
        runner().runTest()
