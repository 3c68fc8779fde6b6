"""The device agent prints receipts through the real stack: ``kiosk agent run`` with python-escpos
over a socat pty pair to the printer emulator process, started by kiosk.devstack (issue 9)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.agent.client import AgentClient, PrintOutcome
from kiosk.agent.errors import PrintKeyConflict
from kiosk.devstack import DeviceStack
from kiosk.receipts import InvalidReceipt, UnknownPrintJob, qr_payload, receipt_to_dict
from tests.kiosk.receipts.samples import SALE, TOPUP

GOLDEN = Path(__file__).parent / "receipts" / "golden"
RETRY_S = 0.2


def golden(name: str) -> str:
    return (GOLDEN / f"{name}-42.txt").read_text("utf-8").rstrip("\n")


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)
    return value


def new_key(kind: str = "sale") -> str:
    return f"{kind}:{uuid.uuid4()}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeviceStack]:
    root = tmp_path_factory.mktemp("print-stack")
    (root / "deck").mkdir()
    with DeviceStack(root / "run", root / "deck", print_retry_s=RETRY_S) as running:
        yield running


@pytest.fixture
def printer(stack: DeviceStack) -> Iterator[Any]:
    """The emulator with no faults; yields a function listing the receipts printed during the test."""
    if stack.printer is not None and not stack.printer.alive:
        stack.printer.start()
    stack.printer_control.reset()
    before = int(stack.printer_control.status()["receipts"])
    yield lambda: stack.printer_control.receipts(before)


@pytest.fixture
def client(stack: DeviceStack, printer: Any) -> Iterator[AgentClient]:
    with stack.agent_client() as c:
        wait_until(lambda: c.status()["printer"]["queued"] == 0)  # nothing left over from another test
        yield c


def printed_soon(client: AgentClient, key: str) -> PrintOutcome:
    return wait_until(lambda: (job := client.print_job(key)).printed and job)


def test_print_stores_exactly_the_receipt_and_its_qr(client: AgentClient, printer: Any) -> None:
    key = new_key()
    outcome = client.print_receipt(key, SALE)
    assert outcome.printed and not outcome.replayed and outcome.reason is None
    assert outcome.message_id == "Struk dicetak." and outcome.message_en == "The receipt was printed."
    [receipt] = printer()
    assert receipt["text"] == golden("sale") and receipt["errors"] == []
    assert receipt["qr"] == [qr_payload(SALE.header.proof)]
    status = client.status()["printer"]
    assert (status["online"], status["paper"], status["queued"], status["can_print"]) == (True, "ok", 0, True)
    assert client.print_job(key).printed_at == outcome.printed_at


def test_replayed_key_prints_once_and_another_receipt_conflicts(client: AgentClient, printer: Any) -> None:
    key = new_key()
    first = client.print_receipt(key, SALE)
    again = client.print_receipt(key, SALE)
    assert again.replayed and again.printed and again.job == first.job
    with pytest.raises(PrintKeyConflict) as conflict:
        client.print_receipt(key, TOPUP)
    assert conflict.value.fields == {"key": key} and conflict.value.message_id
    racing = new_key("topup")
    answers: list[PrintOutcome] = []
    threads = [threading.Thread(target=lambda: answers.append(client.print_receipt(racing, TOPUP))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a.job for a in answers}) == 1 and sum(not a.replayed for a in answers) == 1
    assert [r["text"] for r in printer()] == [golden("sale"), golden("topup")]


def test_printer_unplugged_mid_receipt_queues_it_then_prints_it_once(stack: DeviceStack, client: AgentClient,
                                                                     printer: Any) -> None:
    stack.printer_control.faults(offline="drop", after_bytes=300)  # the cable comes out 300 bytes in
    key = new_key()
    outcome = client.print_receipt(key, SALE)
    assert not outcome.printed and outcome.reason is not None
    assert (outcome.reason.code, outcome.reason.fields["reason"]) == ("printer_offline", "link_lost")
    assert "antrean" in outcome.message_id and "terputus" in outcome.message_id
    assert "queue" in outcome.message_en and "link to the printer was lost" in outcome.message_en
    assert [j.key for j in client.print_queue()] == [key] and client.status()["printer"]["queued"] == 1
    time.sleep(3 * RETRY_S)
    assert printer() == [] and not client.print_job(key).printed  # still unplugged: nothing
    stack.printer_control.faults(offline=False)  # plugged back in
    done = printed_soon(client, key)
    assert done.attempts == 1 and done.reason is None
    time.sleep(3 * RETRY_S)  # a few more rounds of the retry loop print nothing more
    [receipt] = printer()
    assert receipt["text"] == golden("sale") and receipt["qr"] == [qr_payload(SALE.header.proof)]
    assert client.print_queue() == [] and client.print_receipt(key, SALE).replayed
    assert len(printer()) == 1


def test_power_cut_mid_receipt_then_printed_once_when_the_emulator_is_back(stack: DeviceStack, client: AgentClient,
                                                                           printer: Any) -> None:
    stack.printer_control.faults(exit_after_bytes=300)
    key = new_key()
    assert not client.print_receipt(key, SALE).printed
    assert stack.printer is not None
    stack.printer.wait_exit()
    stack.printer.start()  # the same store: numbering goes on
    printed_soon(client, key)
    time.sleep(3 * RETRY_S)
    assert [r["text"] for r in printer()] == [golden("sale")]


def test_out_of_paper_queues_until_a_new_roll(stack: DeviceStack, client: AgentClient, printer: Any) -> None:
    stack.printer_control.faults(paper="out")
    key = new_key()
    outcome = client.print_receipt(key, SALE)
    assert not outcome.printed and outcome.reason is not None and outcome.reason.code == "paper_out"
    assert "Kertas struk habis" in outcome.message_id and "paper is out" in outcome.message_en
    status = client.status()["printer"]
    assert (status["paper"], status["online"], status["queued"]) == ("out", False, 1)
    time.sleep(3 * RETRY_S)
    assert client.print_job(key).attempts == 1  # the loop asks the status; it does not hammer the printer
    stack.printer_control.faults(paper="ok")
    printed_soon(client, key)
    assert [r["text"] for r in printer()] == [golden("sale")]


def test_reprint_is_a_copy_marked_salinan(client: AgentClient, printer: Any) -> None:
    key = new_key()
    client.print_receipt(key, SALE)
    copy_key = key + ":copy:1"
    copy = client.reprint(key, copy_key)
    assert copy.printed and copy.copy and copy.copy_of == key and copy.key == copy_key
    assert client.reprint(key, copy_key).replayed  # the same reprint request twice: one copy
    anonymous = client.reprint(key)  # without a key of its own: every call is a new copy
    assert anonymous.key and anonymous.key != copy_key and anonymous.printed
    texts = [r["text"] for r in printer()]
    assert texts == [golden("sale"), golden("copy"), golden("copy")]
    assert texts[1].splitlines()[0].strip() == "SALINAN / COPY"
    with pytest.raises(UnknownPrintJob):
        client.reprint(new_key())


def test_malformed_requests_are_refused_and_nothing_prints(stack: DeviceStack, client: AgentClient,
                                                           printer: Any) -> None:
    good = receipt_to_dict(SALE)
    full_nik = {**good, "header": {**good["header"], "farmer": {"name": "La Baco", "masked_nik": "7312010101800001"}}}
    bad_bodies: list[tuple[Any, str]] = [
        ({"key": "sale:1"}, "receipt"),
        ({"key": "no spaces", "receipt": good}, "key"),
        ({"receipt": good}, "key"),
        ({"key": "sale:x", "receipt": good, "copies": 2}, "copies"),
        ({"key": "sale:x", "receipt": full_nik}, "farmer.masked_nik"),
        ({"key": "sale:x", "receipt": {**good, "products": [{"name": "Urea", "kg": 50.5, "het": 1800}]}}, "products[0].kg"),
        ({"key": "sale:x", "receipt": {**good, "kind": "gift"}}, "kind"),
        ([1, 2], "body"),
    ]
    headers = {"Authorization": f"Bearer {stack.agent_token}"}
    for body, field in bad_bodies:
        response = httpx.post(stack.agent_url + "/v1/print", json=body, headers=headers, timeout=10)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["message_id"] and error["message_en"] and error["fields"]["field"] == field, error
    not_json = httpx.post(stack.agent_url + "/v1/print", content=b"{", headers=headers, timeout=10)
    assert not_json.status_code == 400
    with pytest.raises(InvalidReceipt):
        client._call("POST", "/v1/print", json={"key": "sale:y", "receipt": full_nik})
    with pytest.raises(UnknownPrintJob):
        client.print_job("sale:x")
    assert client.print_queue() == [] and printer() == []


def test_queue_and_keys_survive_an_agent_restart(stack: DeviceStack, client: AgentClient, printer: Any) -> None:
    stack.printer_control.faults(paper="out")
    key = new_key()
    assert not client.print_receipt(key, SALE).printed
    assert stack.agent is not None
    stack.agent.stop()
    stack.printer_control.faults(paper="ok")
    stack.agent.start()  # a new port; the same queue folder
    with stack.agent_client() as again:
        printed_soon(again, key)
        assert again.print_receipt(key, SALE).replayed
    assert [r["text"] for r in printer()] == [golden("sale")]
