"""The web side's agent client and settings, without devices: error envelopes become the same
CardErrors, a dead agent is AgentUnavailable, and the settings refuse what they must."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from card_reader import NoCard, WrongPin
from card_reader.errors import CardError, PinEntryCancelled, error_from_dict
from kiosk.agent.client import AgentClient
from kiosk.agent.config import load_agent_settings, load_link_settings
from kiosk.agent.errors import AgentRefused, AgentUnavailable, NoPrinter, PrintKeyConflict
from kiosk.agent.print_types import PrintState
from kiosk.cli.agent import agent_group
from kiosk.receipts import PaperOut, UnknownPrintJob, receipt_to_dict
from kiosk.settings import ConfigError
from tests.kiosk.receipts.samples import SALE

TOKEN = "t" * 40


def client_for(handler: Any) -> AgentClient:
    return AgentClient("http://agent.test", TOKEN, transport=httpx.MockTransport(handler))


def test_error_envelopes_become_card_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        if request.url.path == "/v1/card/read":
            return httpx.Response(409, json={"error": NoCard().to_dict()})
        return httpx.Response(200, json={"operation": "x", "state": "failed", "result": None,
                                         "error": WrongPin(1).to_dict()})

    with client_for(handler) as client:
        with pytest.raises(NoCard):
            client.read_card(bytes(16))
        with pytest.raises(WrongPin) as err:
            client.wait_pin("x", 1)
        assert err.value.fields == {"tries_left": 1} and "Sisa percobaan: 1" in err.value.message_id


def test_cancel_pin_posts_and_returns_the_operation() -> None:
    cancelled = PinEntryCancelled("Pengisian PIN dibatalkan oleh kios.", "PIN entry was cancelled by the kiosk.", by="kiosk")

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        if request.url.path == "/v1/pin/op1/cancel":
            return httpx.Response(200, json={"operation": "op1", "state": "failed", "result": None,
                                             "error": cancelled.to_dict()})
        if request.url.path == "/v1/pin/op2/cancel":
            return httpx.Response(200, json={"operation": "op2", "state": "done"})  # no result: a bad answer
        return httpx.Response(404, json={"error": AgentRefused(field="operation").to_dict()})

    with client_for(handler) as client:
        op = client.cancel_pin("op1")
        assert (op.id, op.state, op.answer) == ("op1", "failed", None)
        assert isinstance(op.error, PinEntryCancelled) and op.error.fields == {"by": "kiosk"}
        assert op.error.message_en == "PIN entry was cancelled by the kiosk."
        with pytest.raises(AgentRefused):
            client.cancel_pin("op2")
        with pytest.raises(AgentRefused) as unknown:
            client.cancel_pin("op3")
        assert unknown.value.fields == {"field": "operation"}


@pytest.mark.parametrize("response", [
    httpx.Response(502, text="<html>bad gateway</html>"),
    httpx.Response(500, json=["not", "an", "envelope"]),
    httpx.Response(200, json={"insertion": 1, "records": ["zz", "00", "00"], "card_check": {"atc": 1, "signature": ""}}),
    httpx.Response(200, json={"insertion": 1}),
])
def test_unexpected_answers_are_card_errors(response: httpx.Response) -> None:
    with client_for(lambda _r: response) as client, pytest.raises(CardError):
        client.read_card(bytes(16))


def test_dead_agent_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with AgentClient(f"http://127.0.0.1:{port}", TOKEN, timeout_s=1) as client, pytest.raises(AgentUnavailable) as err:
        client.status()
    assert "kiosk agent run" in err.value.message_en and err.value.message_id


def test_error_round_trip() -> None:
    for error in (NoCard(), WrongPin(2), AgentRefused(field="x"), AgentUnavailable()):
        again = error_from_dict(json.loads(json.dumps(error.to_dict())))
        assert type(again) is type(error) and again.fields == error.fields
    assert error_from_dict({"code": "never-heard-of"}).code == "card_error"
    assert error_from_dict("nonsense").code == "malformed_answer"


def test_agent_settings(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    settings = load_agent_settings({"KIOSK_AGENT_TOKEN_FILE": str(token_file), "KIOSK_AGENT_READER": "Virtual PCD 00 01",
                                    "KIOSK_AGENT_PINPAD": "/dev/ttyUSB0"})
    assert (settings.token, settings.host, settings.port, settings.reader) == (TOKEN, "127.0.0.1", 8765, "Virtual PCD 00 01")
    assert TOKEN not in repr(settings)
    for env in ({}, {"KIOSK_AGENT_TOKEN": "short"}, {"KIOSK_AGENT_TOKEN_FILE": str(tmp_path / "missing")},
                {"KIOSK_AGENT_TOKEN": TOKEN, "KIOSK_AGENT_LISTEN": "0.0.0.0:8765"},
                {"KIOSK_AGENT_TOKEN": TOKEN, "KIOSK_AGENT_LISTEN": "nonsense"},
                {"KIOSK_AGENT_TOKEN": TOKEN, "KIOSK_AGENT_PINPAD_BAUD": "fast"}):
        with pytest.raises(ConfigError):
            load_agent_settings(env)
    link = load_link_settings({"KIOSK_AGENT_TOKEN": TOKEN, "KIOSK_KEYS_DIR": str(tmp_path)})
    assert link.url == "http://127.0.0.1:8765" and link.issuer_keys_dir == tmp_path / "issuers"


def test_token_command(tmp_path: Path) -> None:
    out = tmp_path / "agent.token"
    result = CliRunner().invoke(agent_group, ["token", "--out", str(out)])
    assert result.exit_code == 0 and out.stat().st_mode & 0o777 == 0o600
    token = out.read_text().strip()
    assert len(token) >= 32 and token not in result.output
    assert CliRunner().invoke(agent_group, ["token", "--out", str(out)]).exit_code != 0
    refused = CliRunner().invoke(agent_group, ["run"], env={"KIOSK_AGENT_TOKEN": "", "KIOSK_AGENT_TOKEN_FILE": ""})
    assert refused.exit_code == 2 and "token" in refused.output


# ---- printing --------------------------------------------------------------------------------


def test_print_settings(tmp_path: Path) -> None:
    base = {"KIOSK_AGENT_TOKEN": TOKEN}
    plain = load_agent_settings(base)
    assert plain.printer.device == "" and plain.print_retry_s == 2.0 and plain.print_keep_days == 30
    settings = load_agent_settings({**base, "KIOSK_PRINTER": "/dev/ttyUSB1", "KIOSK_PRINTER_WIDTH": "32",
                                    "KIOSK_INSTANCE_PATH": str(tmp_path), "KIOSK_PRINT_RETRY_S": "0.5"})
    assert (settings.printer.device, settings.printer.width, settings.print_retry_s) == ("/dev/ttyUSB1", 32, 0.5)
    assert settings.printer.queue_dir == str(tmp_path / "print-queue")
    for env in ({"KIOSK_PRINTER_WIDTH": "50"}, {"KIOSK_PRINT_RETRY_S": "0"}, {"KIOSK_PRINT_RETRY_S": "soon"},
                {"KIOSK_PRINT_KEEP_DAYS": "-1"}, {"KIOSK_PRINTER_BAUD": "fast"}):
        with pytest.raises(ConfigError):
            load_agent_settings({**base, **env})


def job_json(**changes: Any) -> dict[str, Any]:
    body = {"key": "sale:1", "job": "01a2", "state": "queued", "kind": "sale", "journal_id": "0190f3a2",
            "copy": False, "copy_of": None, "attempts": 1, "created_at": "2026-12-04T06:05:30+00:00",
            "printed_at": None, "reason": PaperOut().to_dict(), "message_id": "Struk ... antrean",
            "message_en": "kept in the queue", "replayed": False, "paper_near_end": False}
    return {**body, **changes}


def test_print_answers_and_refusals_become_outcomes_and_receipt_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/print" and request.method == "POST":
            sent = json.loads(request.content)
            assert sent["key"] == "sale:1" and sent["receipt"] == receipt_to_dict(SALE)
            return httpx.Response(202, json=job_json())
        if path == "/v1/print/sale:1/reprint":
            return httpx.Response(409, json={"error": PrintKeyConflict(key="copy:1").to_dict()})
        if path == "/v1/print/sale:2":
            return httpx.Response(404, json={"error": UnknownPrintJob(key="sale:2").to_dict()})
        if path == "/v1/print/sale:3":
            return httpx.Response(200, json={"key": "sale:3"})
        return httpx.Response(409, json={"error": NoPrinter().to_dict()})

    with client_for(handler) as client:
        outcome = client.print_receipt("sale:1", SALE)
        assert outcome.state is PrintState.QUEUED and not outcome.printed
        assert isinstance(outcome.reason, PaperOut) and outcome.reason.message_en.startswith("The receipt paper is out")
        with pytest.raises(PrintKeyConflict) as conflict:
            client.reprint("sale:1", "copy:1")
        assert conflict.value.fields == {"key": "copy:1"}
        with pytest.raises(UnknownPrintJob):
            client.print_job("sale:2")
        with pytest.raises(AgentRefused):
            client.print_job("sale:3")  # an answer of the wrong shape
        with pytest.raises(NoPrinter):
            client.print_queue()


def test_agent_with_an_unusable_print_queue_folder_exits_with_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "queue"
    not_a_folder.write_text("a file where the folder should be")
    env = {**os.environ, "KIOSK_AGENT_TOKEN": TOKEN, "KIOSK_PRINTER": str(tmp_path / "tty"),
           "KIOSK_PRINT_QUEUE_DIR": str(not_a_folder)}
    result = subprocess.run([sys.executable, "-m", "kiosk.cli", "agent", "run", "--listen", "127.0.0.1:0"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "Antrean cetak" in result.stderr and "print queue" in result.stderr
    assert TOKEN not in result.stderr + result.stdout
