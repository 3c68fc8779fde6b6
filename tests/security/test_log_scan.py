"""The log and output scan: a real end-to-end checkout (private pcscd, card emulator, PIN pad and
printer on ptys, device agent, BPJS sandbox process, the web app), with a wrong PIN first and a
contribution paid to BPJS, then a NIK view by an admin and the farmer's erasure with the audit log
verified. Every log line is kept — Python logging at DEBUG for all our packages (plus SQLAlchemy's
SQL log, so a plaintext NIK sent to the database would show), the device processes' log files at
DEBUG, the agent's and the BPJS sandbox's logs — and the test's own stdout and stderr, what the
operator's screen got and the printed receipts. None may hold a PIN or PIN block, a private key or
secret, or a full NIK. A planted PIN and NIK are then caught by the same pipeline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from kiosk.devstack import DeviceStack
from kiosk.models import Role
from tests.security.audit_cli import AuditCli
from tests.security.scan import Secrets, read_logs, scan
from tests.support.bpjs import running_sandbox
from tests.support.kiosk_stack import DemoFarmer, KioskWorld, kiosk_world, pick, staff
from tests.support.stack_fixtures import population_stack

OUR_PACKAGES = ("kiosk", "ledger", "fertilizer", "bpjs_link", "card_reader", "firmware_stubs")
WRONG_PIN = "135790"
pytestmark = pytest.mark.slow


class Capture(logging.Handler):
    """Every record that reaches the root logger, formatted with its traceback if any."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def every_log() -> Iterator[Capture]:
    handler = Capture()
    names = (*OUR_PACKAGES, "sqlalchemy.engine", "")
    saved = {name: logging.getLogger(name).level for name in names}
    for name in OUR_PACKAGES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # SQL and its parameters
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture(scope="module")
def debug_stack(tmp_path_factory: pytest.TempPathFactory, population_files: dict[str, Path]) -> Iterator[DeviceStack]:
    """A device stack of this module's own, its emulators logging at DEBUG."""
    with population_stack(tmp_path_factory, population_files, "debug-stack", log_level="DEBUG") as running:
        yield running


def _checkout(world: KioskWorld, farmer: DemoFarmer) -> tuple[dict[str, str], str]:
    """Wrong PIN, then the right one; contribution and Urea in one journal. Returns what the operator saw."""
    client, checkout = world.swipe(farmer)
    assert checkout["decision"]["contribution"]["amount"] > 0, checkout["decision"]
    world.stack.queue_pin(WRONG_PIN)
    world.stack.queue_pin(farmer.pin)
    assert world.confirm(client, checkout["id"], {"UREA": 50}).status_code == 202
    done = world.wait(client, checkout["id"], until=("completed",), timeout=60)
    assert done["state"] == "completed", done["state"]
    seen = {"operator: checkout JSON": client.get(f"/api/v1/checkouts/{checkout['id']}").get_data(as_text=True),
            "operator: farmer panel": client.get(f"/operator/checkouts/{checkout['id']}/farmer").get_data(as_text=True),
            "operator: checkout list": client.get("/api/v1/checkouts").get_data(as_text=True),
            "printer: receipts": json.dumps(world.stack.printed_receipts(), ensure_ascii=False)}
    return seen, done["farmer"]["pseudonym"]


def _view_and_erase(world: KioskWorld, farmer: DemoFarmer, pseudonym: str, audit: AuditCli) -> None:
    from datetime import datetime

    import fertilizer

    admin = staff(world, Role.ADMIN, "admin-scan")
    answer = admin.get(f"/api/v1/farmers/{pseudonym}/identity?purpose=Verifikasi data KTP petani")
    assert answer.status_code == 200 and answer.get_json()["nik"] == farmer.nik  # shown to the admin, never logged
    audit.init_key()
    audit.checkpoint()
    with world.session() as s, s.begin():
        fertilizer.erase_farmer(s, world.app.extensions["kiosk.services"].keys(), fertilizer.ledger_audit_sink(),
                                pseudonym, actor="admin-scan", now=datetime.now(UTC), reason="permintaan petani")
    audit.checkpoint()
    assert audit.ok("audit", "verify").startswith("OK:")


def _secrets(world: KioskWorld, stack: DeviceStack, bpjs: Any, everyone: list[DemoFarmer], farmer: DemoFarmer,
             instance: Path) -> Secrets:
    found = Secrets(pins={farmer.pin, WRONG_PIN}, niks={f.nik for f in everyone})
    for pem in sorted(Path(stack.options.issuer_keys_dir or "").glob("*.key.pem")):
        found.add_private_key_file(f"issuer key {pem.name}", pem)
    found.add_private_key_file("ledger key", instance / "keys" / "ledger" / "ledger.key.pem")
    found.add_private_key_file("BPJS partner key", Path(bpjs.keys.private_key))
    found.add_secret("BPJS client secret", json.loads(Path(bpjs.keys.client_config).read_text())["client_secret"])
    keys_dir = Path(world.settings.farmer_keys_dir)
    found.add_bytes("farmer master key", (keys_dir / "master.key").read_bytes())
    found.add_bytes("NIK lookup key", (keys_dir / "lookup.key").read_bytes())
    found.add_secret("agent token", stack.agent_token)
    found.add_secret("Flask SECRET_KEY", world.settings.secret_key)
    return found


def test_no_pin_key_or_full_nik_in_any_log_or_output(every_log: Capture, debug_stack: DeviceStack,
                                                     population: list[DemoFarmer], db_url: str,
                                                     population_files: dict[str, Path], tmp_path: Path,
                                                     capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    farmer = pick(population, "one_behind")
    debug_stack.remove_card(wait=True)
    audit = AuditCli(monkeypatch, db_url, tmp_path / "cli")
    with running_sandbox(tmp_path / "bpjs", seed=population_files["bpjs"]) as bpjs:
        with kiosk_world(db_url, tmp_path / "kiosk", debug_stack, bpjs, tmp_path / "seed") as world:
            seen, pseudonym = _checkout(world, farmer)
            _view_and_erase(world, farmer, pseudonym, audit)
            secrets = _secrets(world, debug_stack, bpjs, population, farmer, tmp_path / "cli")
        sandbox_log = Path(bpjs.log)
    out, err = capfd.readouterr()
    texts = {"python logging": "\n".join(every_log.lines), **read_logs(debug_stack.logs),
             "BPJS sandbox log": sandbox_log.read_text(errors="replace"), "test stdout": out, "test stderr": err, **seen}
    loggers = {line.split(" ", 2)[1] for line in every_log.lines}
    assert {"kiosk.auth", "kiosk.pii", "fertilizer.farmers", "sqlalchemy.engine.Engine"} <= loggers, sorted(loggers)
    assert any("INSERT INTO checkouts" in line for line in every_log.lines)
    assert {"agent.log", "card.log", "pinpad.log", "printer.log"} <= {Path(p).name for p in texts}
    findings = scan(texts, secrets)
    assert not findings, "secrets in logs or output:\n" + "\n".join(map(str, findings[:50]))

    # the same pipeline catches a planted PIN and NIK
    logging.getLogger("kiosk.checkout").debug("event=planted pin=%s farmer=%s", farmer.pin, farmer.nik)
    planted = scan({"python logging": "\n".join(every_log.lines)}, secrets)
    assert sorted(f.kind for f in planted) == ["PIN", "full NIK"]
