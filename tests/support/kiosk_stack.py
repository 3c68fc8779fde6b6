"""The whole kiosk on real components for end-to-end tests and benchmarks.

* :func:`demo_population`: the generated Soppeng farmers (same seed as the demo), with the BPJS
  standing each was given, so a test can pick "a farmer one month behind" and get a real one.
* :class:`KioskWorld`: one test's kiosk: a fresh database seeded through the product's services,
  the web app (in this process) wired to the shared device stack (private pcscd, card emulator,
  PIN pad and printer on ptys, device agent) and to a BPJS sandbox process of its own.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

import fertilizer
from bpjs_link import Month
from fertilizer import WITA
from fertilizer.generator import GeneratorConfig, farmers
from kiosk import create_app
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.devstack import DeviceStack
from kiosk.devstack.deck import cards_from_csv, issue_deck
from kiosk.models import Role
from kiosk.seed import SeedConfig, SeedResult, seed_database
from tests.support.bpjs import SandboxHandle

POPULATION = 120
PASSWORD = "operator password 1"


def today_wita() -> date:
    return datetime.now(WITA).date()


@dataclass(frozen=True)
class DemoFarmer:
    index: int
    nik: str = field(repr=False)
    name: str = field(repr=False)
    card_number: str
    pin: str = field(repr=False)
    group_code: str
    standing: str  # paid_up | one_behind | two_behind | inactive | unregistered | ahead


def _standing(bpjs: Any, month: Month) -> str:
    if bpjs is None:
        return "unregistered"
    if bpjs.status != "active":
        return "inactive"
    behind = month - Month.parse(str(bpjs.paid_through))
    return {0: "paid_up", 1: "one_behind", 2: "two_behind"}.get(behind, "ahead" if behind < 0 else f"behind_{behind}")


def demo_population(count: int = POPULATION, as_of: date | None = None) -> list[DemoFarmer]:
    day = as_of or today_wita()
    month = Month(day.year, day.month)
    return [DemoFarmer(i, f.nik, f.name, f.card_number, f.pin, f.group_code, _standing(f.bpjs, month))
            for i, f in enumerate(farmers(GeneratorConfig(farmers=count, as_of=day)))]


def pick(population: list[DemoFarmer], standing: str, skip: int = 0) -> DemoFarmer:
    found = [f for f in population if f.standing == standing]
    if len(found) <= skip:
        raise LookupError(f"the demo population has no {skip + 1} farmer(s) {standing!r}")
    return found[skip]


class KioskWorld:
    """One test's kiosk. ``client`` is logged in as the operator of ``kiosk``."""

    def __init__(self, app: Flask, seed: SeedResult, stack: DeviceStack, bpjs: SandboxHandle) -> None:
        self.app, self.seed, self.stack, self.bpjs = app, seed, stack, bpjs
        self.clients: dict[str, FlaskClient] = {}
        self.settings: Any = None

    def operator(self, kiosk: str) -> FlaskClient:
        """A client logged in as the operator of ``kiosk`` (made on first use)."""
        if kiosk not in self.clients:
            username = f"op-{kiosk.lower()}"
            with self.app.app_context(), get_db().sessions.begin() as s:
                create_user(s, self.app.extensions["kiosk.hasher"], username=username, password=PASSWORD,
                            role=Role.OPERATOR, kiosk_code=kiosk)
            client = self.app.test_client()
            assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
            self.clients[kiosk] = client
        return self.clients[kiosk]

    def kiosk_of(self, farmer: DemoFarmer) -> str:
        with self.app.app_context(), get_db().sessions() as s:
            return fertilizer.group(s, farmer.group_code).outlet_code

    def swipe(self, farmer: DemoFarmer, *, kiosk: str | None = None) -> tuple[FlaskClient, dict[str, Any]]:
        """Insert the farmer's card and start a checkout; returns the client and the decided checkout."""
        client, checkout = self.swipe_raw(farmer, kiosk=kiosk)
        assert checkout["state"] == "decided", checkout
        return client, checkout

    def swipe_raw(self, farmer: DemoFarmer, *, kiosk: str | None = None) -> tuple[FlaskClient, dict[str, Any]]:
        """``swipe`` without insisting on a decision (the checkout may have been aborted)."""
        client = self.operator(kiosk or self.kiosk_of(farmer))
        self.insert(farmer)
        started = client.post("/api/v1/checkouts", headers={"Idempotency-Key": f"swipe-{uuid.uuid4()}"})
        assert started.status_code == 202, started.get_json()
        return client, self.wait(client, started.get_json()["id"], until=("decided",))

    def insert(self, farmer: DemoFarmer) -> int:
        """Insert the card and wait until the agent sees it (pcscd polls vpcd every 400 ms), as the
        operator screen does before it starts a checkout; returns the insertion number."""
        self.stack.insert_card(farmer.card_number)
        with self.stack.agent_client() as agent:
            deadline = time.monotonic() + 10
            while True:
                reader = agent.status()["reader"]
                if reader["card_present"]:
                    return int(reader["insertion"])
                if time.monotonic() > deadline:
                    raise AssertionError(f"the agent never saw card {farmer.card_number}")
                time.sleep(0.05)

    def wait(self, client: FlaskClient, checkout_id: str, *, until: tuple[str, ...], timeout: float = 30.0) -> dict[str, Any]:
        """Long-poll the checkout until it is in one of ``until`` or final."""
        deadline = time.monotonic() + timeout
        version = -1
        while True:
            body: dict[str, Any] = client.get(f"/api/v1/checkouts/{checkout_id}?after={version}&wait=2").get_json()
            if body["state"] in until or body["final"]:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"checkout stuck in {body['state']}: {json.dumps(body)[:800]}")
            version = body["version"]

    def confirm(self, client: FlaskClient, checkout_id: str, lines: dict[str, int], tender: str = "card",
                *, pin: str | None = None, key: str | None = None) -> Any:
        if pin is not None:
            self.stack.queue_pin(pin)
        return client.post(f"/api/v1/checkouts/{checkout_id}/confirm",
                           json={"lines": [{"product": p, "kg": kg} for p, kg in lines.items()], "tender": tender},
                           headers={"Idempotency-Key": key or f"confirm-{uuid.uuid4()}"})

    def session(self) -> Any:
        return _SessionScope(self.app)


class _SessionScope:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def __enter__(self) -> Any:
        self._ctx = self.app.app_context()
        self._ctx.push()
        self._session = get_db().sessions()
        return self._session

    def __exit__(self, *exc: object) -> None:
        self._session.close()
        self._ctx.pop()


def bpjs_client_file(bpjs: SandboxHandle, target: Path) -> Path:
    """The kiosk's client.json pointing at this sandbox."""
    data = json.loads(Path(bpjs.keys.client_config).read_text())
    data["base_url"] = bpjs.base_url
    target.write_text(json.dumps(data))
    return target


@contextmanager
def kiosk_world(db_url: str, work: Path, stack: DeviceStack, bpjs: SandboxHandle, seed_dir: Path, *,
                farmers_count: int = POPULATION, overrides: dict[str, Any] | None = None) -> Iterator[KioskWorld]:
    env = stack.web_env()
    work.mkdir(parents=True, exist_ok=True)
    settings = {
        "env": "testing", "secret_key": "x" * 40, "database_url": db_url, "instance_path": str(work / "instance"),
        "password_time_cost": 1, "password_memory_kib": 256, "agent_url": env["KIOSK_AGENT_URL"],
        "agent_token_file": env["KIOSK_AGENT_TOKEN_FILE"], "issuer_keys_dir": env["KIOSK_ISSUER_KEYS_DIR"],
        "farmer_keys_dir": str(work / "farmer-keys"), "bpjs_client_file": str(bpjs_client_file(bpjs, work / "client.json")),
        **(overrides or {}),
    }
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        svc = app.extensions["kiosk.services"]
        with get_db().sessions.begin() as s:
            seed = seed_database(s, svc.keys(), SeedConfig(farmers=farmers_count, as_of=today_wita()), seed_dir,
                                 now=datetime.now(timezone.utc))
    world = KioskWorld(app, seed, stack, bpjs)
    world.settings = app.extensions["kiosk.settings"]
    try:
        yield world
    finally:
        runner = app.extensions.get("kiosk.runner")
        if runner is not None:
            runner.shutdown()
        with app.app_context():
            app.extensions["kiosk.services"].close()
            get_db().engine.dispose()


def population_deck(deck: Path, keys_dir: Path, cards_csv: Path) -> list[str]:
    return issue_deck(deck, keys_dir, cards_from_csv(cards_csv))


def ledger_snapshot(world: KioskWorld) -> dict[str, Any]:
    """Every account's four counters (exact, sinks included) and the journals by state."""
    import sqlalchemy as sa

    import ledger
    from ledger.schema import accounts, journals

    with world.session() as s:
        ids = {row.id: row.key for row in s.execute(sa.select(accounts.c.id, accounts.c.key))}
        counters = {ids[i]: (b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending)
                    for i, b in ledger.balances(s, ids).items()}
        states = dict(s.execute(sa.select(journals.c.state, sa.func.count()).group_by(journals.c.state)).all())
    return {"accounts": counters, "journals": states}


def snapshot(world: KioskWorld) -> dict[str, Any]:
    """The ledger and the BPJS host's business state: equal snapshots mean nothing changed anywhere."""
    return {"ledger": ledger_snapshot(world), "bpjs": world.bpjs.state()["digest"]}


# ---- money (issue 9): other staff, receipts as the printer emulator stored them -------------------


def staff(world: KioskWorld, role: Role, username: str, kiosk: str | None = None) -> FlaskClient:
    """A client logged in as a new user with ``role`` (e.g. a supervisor)."""
    with world.app.app_context(), get_db().sessions.begin() as s:
        create_user(s, world.app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=kiosk)
    client = world.app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def wait_receipt(world: KioskWorld, client: FlaskClient, checkout_id: str, *, states: tuple[str, ...] = ("printed", "queued"),
                 timeout: float = 15.0) -> dict[str, Any]:
    """Poll the checkout until its receipt is in one of ``states``; returns the checkout view."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(f"/api/v1/checkouts/{checkout_id}").get_json()
        if (body.get("receipt") or {}).get("state") in states:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"receipt never reached {states}: {body.get('receipt')}")
        time.sleep(0.05)


def printed_number(world: KioskWorld) -> int:
    """How many receipts the printer emulator has stored so far (a mark for ``printed_since``)."""
    return int(world.stack.printer_control.status()["receipts"])


def printed_since(world: KioskWorld, mark: int, journal_id: str | None = None) -> list[dict[str, Any]]:
    """Receipts printed after ``mark`` (those whose QR names ``journal_id`` when given)."""
    found = world.stack.printer_control.receipts(mark)
    return [r for r in found if journal_id is None or any(f"j={journal_id}&" in q for q in r["qr"])]
