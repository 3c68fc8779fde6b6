"""50 farmers pay at once through one client while the host drops, fails and loses answers."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bpjs_link import BpjsClient, BpjsUnknownOutcome, Finality, PaymentReceipt, final_status
from tests.bpjs_link.conftest import demo_and_farmers, host_today, this_month
from tests.support.bpjs import running_sandbox, write_seed

FARMERS = 50


def pay_like_the_kiosk(bpjs: BpjsClient, nik: str) -> tuple[str, int]:
    """Inquire, pay, resolve an unknown outcome by status; a final 'not booked' starts a new journal.

    Returns (the booked request id, how many journals it took).
    """
    for journal in range(1, 6):
        p = bpjs.inquire(nik)
        assert p.kpj is not None and p.paid_through is not None
        order = bpjs.new_payment(request_id=f"J-{uuid.uuid4()}", kpj=p.kpj, months=len(p.months_due), amount=p.amount_due,
                                 expected_paid_through=p.paid_through)
        try:
            receipt: PaymentReceipt = bpjs.pay(order)
            return receipt.request_id, journal
        except BpjsUnknownOutcome:
            pass
        while True:
            verdict = final_status(bpjs.payment_status(order.request_id), payment_timestamp=order.timestamp,
                                   window=bpjs.config.acceptance_window)
            if verdict is Finality.BOOKED:
                return order.request_id, journal
            if verdict is Finality.NOT_BOOKED:
                break
            assert verdict is Finality.PENDING
            time.sleep(0.5)
    raise AssertionError("five journals in a row were never booked")


@pytest.mark.slow
def test_fifty_concurrent_payments_each_booked_once(tmp_path: Path) -> None:
    seed = write_seed(tmp_path / "seed.csv", demo_and_farmers(FARMERS))
    faults = ["--error-rate", "0.1", "--commit-then-drop-rate", "0.15", "--drop-rate", "0.05", "--fault-seed", "11",
              "--window-s", "4"]
    with running_sandbox(tmp_path / "host", seed=seed, args=faults) as host, \
            host.client(acceptance_window_s=4, resend_margin_s=1, payment_attempts=3, read_attempts=6,
                        retry_backoff_s=0.05) as bpjs:
        niks = [f"731205010180{i:04d}" for i in range(1, FARMERS + 1)]
        with ThreadPoolExecutor(max_workers=FARMERS) as pool:
            results = list(pool.map(lambda nik: pay_like_the_kiosk(bpjs, nik), niks))
        booked_ids = {rid for rid, _ in results}
        assert len(booked_ids) == FARMERS
        for nik in niks:
            assert host.participant(nik)["paidThrough"] == str(this_month())
        state = host.state()
        assert state["booked"] == FARMERS
        assert state["deposits"][host.partner_id] == 10_000_000 - FARMERS * 33_600
        settlement = bpjs.settlement(host_today().date())
        assert {line.request_id for line in settlement.payments} == booked_ids
        assert len({line.kpj for line in settlement.payments}) == FARMERS
        assert settlement.total == FARMERS * 33_600
        assert sum(host.stats()["faultsFired"].values()) > 0
