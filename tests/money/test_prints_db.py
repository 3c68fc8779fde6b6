"""The web side's record of receipts handed to the device agent, against a fake agent that keeps the
agent's rules (a key prints once; the same key with another receipt conflicts; the printer may be
unplugged; the agent may be down). The real agent is the end-to-end tests' (test_receipts_e2e)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

import fertilizer
from kiosk.agent.client import PrintOutcome
from kiosk.agent.errors import AgentUnavailable, PrintKeyConflict
from kiosk.agent.print_types import PrintState
from kiosk.checkout.printing import print_completed, sale_key
from kiosk.money import prints
from kiosk.money.schema import ReceiptPrint
from kiosk.money.work import print_receipts
from kiosk.receipts import (
    PrinterOffline,
    Receipt,
    ReceiptError,
    SaleReceipt,
    UnknownPrintJob,
    receipt_to_dict,
)
from tests.money.small import NOON, SmallKiosk


class FakeAgent:
    """The agent's print API in miniature (same Protocol as ``AgentClient``)."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[Receipt, bool]] = {}
        self.paper: list[Receipt] = []
        self.down = False
        self.unplugged = False

    def _outcome(self, key: str, replayed: bool) -> PrintOutcome:
        receipt, printed = self.jobs[key]
        reason: ReceiptError | None = None if printed else PrinterOffline("link_lost")
        state = PrintState.PRINTED if printed else PrintState.QUEUED
        message = ("Struk dicetak.", "The receipt was printed.") if printed else ("Antrean.", "Queued.")
        return PrintOutcome(key, key, state, receipt.kind.value, str(receipt.header.proof.journal_id), receipt.header.copy,
                            None, 1, NOON, NOON if printed else None, reason, *message, replayed, False)

    def print_receipt(self, key: str, receipt: Receipt) -> PrintOutcome:
        if self.down:
            raise AgentUnavailable(detail="ConnectError")
        if key in self.jobs:
            if receipt_to_dict(self.jobs[key][0]) != receipt_to_dict(receipt):
                raise PrintKeyConflict(key=key)
            return self._outcome(key, True)
        self.jobs[key] = (receipt, not self.unplugged)
        if not self.unplugged:
            self.paper.append(receipt)
        return self._outcome(key, False)

    def print_job(self, key: str) -> PrintOutcome:
        if self.down:
            raise AgentUnavailable(detail="ConnectError")
        if key not in self.jobs:
            raise UnknownPrintJob()
        return self._outcome(key, False)

    def plug_in(self) -> None:
        self.unplugged = False
        for key, (receipt, printed) in list(self.jobs.items()):
            if not printed:
                self.jobs[key] = (receipt, True)
                self.paper.append(receipt)


def _deps(small: SmallKiosk, agent: FakeAgent, now: datetime = NOON):  # type: ignore[no-untyped-def]
    return dataclasses.replace(small.deps(now), agent=lambda _kiosk: agent)


def _state(small: SmallKiosk, key: str) -> str:
    with small.sessions() as s:
        row = s.get(ReceiptPrint, key)
        return row.state if row is not None else "none"


def test_fake_agent_satisfies_the_print_port() -> None:
    assert isinstance(FakeAgent(), prints.PrintPort)


def test_agent_down_then_back_prints_once_through_the_worker(small: SmallKiosk) -> None:
    agent = FakeAgent()
    person = small.at(small.kiosk)[0]
    sale = small.sell(person, {"UREA": min(20, small.quota(person)["UREA"])}, "card", now=NOON)
    key = sale_key(sale.journal_id)  # type: ignore[arg-type]
    agent.down = True
    status = print_completed(_deps(small, agent), sale.id)
    assert status is not None and status.state == "unsent" and status.reason_code == "agent_unavailable"
    assert "agen perangkat tidak menjawab" in status.message_id and status.attempts == 1
    assert print_receipts(_deps(small, agent)) == 0  # still down: nothing counted, no busy loop
    agent.down = False
    assert print_receipts(_deps(small, agent)) == 1
    assert _state(small, key) == "printed" and len(agent.paper) == 1
    printed = agent.paper[0]
    assert isinstance(printed, SaleReceipt) and printed.released and printed.header.proof.journal_id == sale.journal_id
    assert printed.header.farmer is not None and printed.header.farmer.masked_nik == fertilizer.mask_nik(person.nik)
    assert print_completed(_deps(small, agent), sale.id) is not None and len(agent.paper) == 1  # never twice
    assert print_receipts(_deps(small, agent)) == 0


def test_unplugged_printer_queues_and_the_worker_sees_it_printed_later(small: SmallKiosk) -> None:
    agent = FakeAgent()
    agent.unplugged = True
    person = small.at(small.kiosk)[1]
    sale = small.sell(person, {"UREA": min(20, small.quota(person)["UREA"])}, "cash", now=NOON)
    status = print_completed(_deps(small, agent), sale.id)
    assert status is not None and status.state == "queued" and status.reason_code == "printer_offline"
    assert print_receipts(_deps(small, agent)) == 0 and agent.paper == []
    agent.plug_in()
    assert print_receipts(_deps(small, agent)) == 1
    assert _state(small, sale_key(sale.journal_id)) == "printed" and len(agent.paper) == 1  # type: ignore[arg-type]


def test_a_refused_receipt_is_failed_and_says_why(small: SmallKiosk) -> None:
    agent = FakeAgent()
    person = small.at(small.kiosk)[2]
    sale = small.sell(person, {"UREA": min(20, small.quota(person)["UREA"])}, "card", now=NOON)
    key = sale_key(sale.journal_id)  # type: ignore[arg-type]
    other = small.sell(small.at(small.kiosk)[3], {"UREA": 1}, "card", now=NOON)
    print_completed(_deps(small, agent), other.id)
    agent.jobs[key] = agent.jobs.pop(sale_key(other.journal_id))  # type: ignore[arg-type]  # the key was taken
    status = print_completed(_deps(small, agent), sale.id)
    assert status is not None and status.state == "failed" and status.reason_code == "print_key_conflict"
    assert status.message_id and status.message_en


def test_a_copy_has_its_own_key_stable_per_request(small: SmallKiosk) -> None:
    agent = FakeAgent()
    person = small.at(small.kiosk)[0]
    sale = small.sell(person, {"UREA": min(5, small.quota(person)["UREA"])}, "card", now=NOON)
    deps = _deps(small, agent)
    print_completed(deps, sale.id)
    key = sale_key(sale.journal_id)  # type: ignore[arg-type]
    with small.sessions.begin() as s:
        first = prints.record_copy(s, small.keys(), key, "request-1", now=NOON)
    with small.sessions.begin() as s:
        assert prints.record_copy(s, small.keys(), key, "request-1", now=NOON + timedelta(minutes=1)) == first
        second = prints.record_copy(s, small.keys(), key, "request-2", now=NOON)
    assert first != second and first.startswith("copy-")
    for k in (first, first, second):
        prints.deliver(deps.sessions, deps.agent, deps.keys, k, now=deps.now)
    assert [r.header.copy for r in agent.paper] == [False, True, True]
    with small.sessions() as s:
        assert prints.copies_of(s, key) == 2


def test_an_erased_farmer_cannot_be_named_on_paper(small: SmallKiosk) -> None:
    agent = FakeAgent()
    agent.down = True
    person = small.at(small.kiosk)[1]
    sale = small.sell(person, {"UREA": min(5, small.quota(person)["UREA"])}, "card", now=NOON)
    print_completed(_deps(small, agent), sale.id)
    with small.sessions.begin() as s:
        fertilizer.erase_farmer(s, small.keys(), fertilizer.ledger_audit_sink(), person.pseudonym, actor="test",
                                now=datetime.now(UTC), reason="permintaan petani")
    agent.down = False
    deps = _deps(small, agent)
    status = prints.deliver(deps.sessions, deps.agent, deps.keys, sale_key(sale.journal_id), now=deps.now)  # type: ignore[arg-type]
    assert status.state == "failed" and status.reason_code == "farmer_erased" and agent.paper == []


@pytest.mark.parametrize("state", ["printed", "queued"])
def test_a_receipt_the_agent_has_is_not_sent_again(small: SmallKiosk, state: str) -> None:
    agent = FakeAgent()
    agent.unplugged = state == "queued"
    person = small.at(small.kiosk)[0]
    sale = small.sell(person, {"UREA": 1}, "card", now=NOON)
    print_completed(_deps(small, agent), sale.id)
    agent.down = True  # would raise if asked to print again
    deps = _deps(small, agent)
    again = prints.deliver(deps.sessions, deps.agent, deps.keys, sale_key(sale.journal_id), now=deps.now)  # type: ignore[arg-type]
    assert again.state == state
