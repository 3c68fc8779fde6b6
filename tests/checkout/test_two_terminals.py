"""One card at two kiosk terminals at once on one database (issue 8, test 8): a perfect clone of
the card is in the second reader, behind its own device agent and PIN pad. The ATC record that
every terminal shares catches the clone, and quota and balance never go below zero."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

import fertilizer
from kiosk import create_app
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.devstack import DeviceStack
from kiosk.devstack.agent import AgentOptions, AgentProcess
from kiosk.devstack.controls import PinPadControl
from kiosk.devstack.emulators import PinPadEmulator, PtyPair
from kiosk.money import card_balance
from kiosk.models import Role
from kiosk.settings import to_environ
from tests.support.kiosk_stack import PASSWORD, KioskWorld, pick, snapshot

pytestmark = pytest.mark.slow


class SecondTerminal:
    """Reader 1 of the shared pcscd/card emulator, with its own PIN pad and device agent."""

    def __init__(self, stack: DeviceStack, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.link = PtyPair(root / "pad", root / "host", log_path=root / "link.log")
        self.link.start()
        self.pad = PinPadEmulator(self.link.device, log_path=root / "pad.log")
        self.pad.start()
        self.agent = AgentProcess(AgentOptions(reader="1", pinpad=self.link.host), token_file=root / "agent.token",
                                  log_path=root / "agent.log", pcscd_env=stack.require_pcscd().env)
        self.agent.start()

    def stop(self) -> None:
        for part in (self.agent, self.pad, self.link):
            part.stop()


@pytest.fixture
def terminal_b(stack: DeviceStack, tmp_path: Path) -> Iterator[SecondTerminal]:
    second = SecondTerminal(stack, tmp_path / "terminal-b")
    try:
        yield second
    finally:
        second.stop()


def _app_b(world: KioskWorld, terminal: SecondTerminal) -> Flask:
    """The second terminal's web app: same database and keys, its own agent."""
    env = to_environ(world.settings)
    app = create_app({"env": "testing", "secret_key": "y" * 40, "database_url": env["DATABASE_URL"],
                      "instance_path": world.settings.instance_path + "-b", "password_time_cost": 1,
                      "password_memory_kib": 256, "agent_url": terminal.agent.url,
                      "agent_token_file": str(terminal.agent.token_file), "issuer_keys_dir": world.settings.issuer_keys_dir,
                      "farmer_keys_dir": world.settings.farmer_keys_dir, "bpjs_client_file": world.settings.bpjs_client_file})
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_a_cloned_card_in_a_second_terminal_is_caught_by_the_shared_atc(world: KioskWorld, population, terminal_b: SecondTerminal) -> None:  # type: ignore[no-untyped-def]
    farmer = pick(population, "paid_up", skip=11)
    kiosk = world.kiosk_of(farmer)
    deck = world.stack.deck_dir
    clone = f"{farmer.card_number}-clone"
    shutil.copyfile(deck / f"{farmer.card_number}.json", deck / f"{clone}.json")  # same key, same ATC
    app_b = _app_b(world, terminal_b)
    try:
        client_a = world.operator(kiosk)
        with app_b.app_context(), get_db().sessions.begin() as s:
            create_user(s, app_b.extensions["kiosk.hasher"], username="op-b", password=PASSWORD, role=Role.OPERATOR,
                        kiosk_code=kiosk)
        client_b = app_b.test_client()
        assert client_b.post("/login", data={"username": "op-b", "password": PASSWORD}).status_code == 302
        world.stack.insert_card(farmer.card_number, slot=0)
        world.stack.insert_card(clone, slot=1)
        for agent in (world.stack.agent_client(), terminal_b.agent.client()):
            with agent:
                _wait_present(agent)
        results: dict[str, Any] = {}

        def swipe(name: str, client: Any) -> None:
            started = client.post("/api/v1/checkouts", headers={"Idempotency-Key": f"{name}-{uuid.uuid4()}"})
            results[name] = world.wait(client, started.get_json()["id"], until=("decided",))

        threads = [threading.Thread(target=swipe, args=("a", client_a)), threading.Thread(target=swipe, args=("b", client_b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        states = sorted((results["a"]["state"], results["b"]["state"]))
        assert states == ["aborted", "decided"], states  # both cards said the same ATC: one is a replay
        caught = results["a"] if results["a"]["state"] == "aborted" else results["b"]
        assert caught["error"]["code"] == "not_authentic"
        winner, winner_client, pad = ((results["a"], client_a, None) if results["a"]["state"] == "decided"
                                      else (results["b"], client_b, PinPadControl(terminal_b.pad.control_url)))
        pseudonym = winner["farmer"]["pseudonym"]
        urea = next(a for a in winner["decision"]["allowed"] if a["product"] == "UREA")
        (pad.queue_pin if pad else world.stack.queue_pin)(farmer.pin)
        world.confirm(winner_client, winner["id"], {"UREA": urea["max_kg"]})  # the whole Urea quota
        assert world.wait(winner_client, winner["id"], until=("completed",))["state"] == "completed"
        # the clone tries again later: its ATC is now behind the shared record
        loser_client = client_b if winner_client is client_a else client_a
        before = snapshot(world)
        retry = loser_client.post("/api/v1/checkouts", headers={"Idempotency-Key": f"retry-{uuid.uuid4()}"})
        again = world.wait(loser_client, retry.get_json()["id"], until=("decided",))
        assert again["state"] == "aborted" and again["error"]["code"] == "not_authentic"
        assert snapshot(world) == before
        with world.session() as s:
            assert fertilizer.quota_left(s, pseudonym, winner["decision"]["season"])["UREA"] == 0
            assert card_balance(s, pseudonym) >= 0
    finally:
        world.stack.remove_card(slot=1, wait=False)
        (deck / f"{clone}.json").unlink(missing_ok=True)
        runner = app_b.extensions.get("kiosk.runner")
        if runner is not None:
            runner.shutdown()
        with app_b.app_context():
            app_b.extensions["kiosk.services"].close()
            get_db().engine.dispose()


def _wait_present(agent: Any) -> None:
    import time

    deadline = time.monotonic() + 10
    while not agent.status()["reader"]["card_present"]:
        assert time.monotonic() < deadline, "the agent never saw the card"
        time.sleep(0.05)
