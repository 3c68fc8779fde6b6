"""A small kiosk database for the money tests that need no devices: the Soppeng demo registry with a
few farmers (quotas, stock, BPJS deposit and an opening card balance each, all through the product's
seed), the web app on it, and sales made through the checkout's own journal step.

``sell`` puts a checkout in CONSENTED with priced lines (as the operator's confirmation does) and
runs ``kiosk.checkout.settle.book_journal`` on it: the same one journal a real swipe posts (a sale
with nothing owed to BPJS posts at once). No agent is configured, so receipts stay ``unsent``.
"""

from __future__ import annotations

import csv
import dataclasses
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

import fertilizer
import ledger
from fertilizer.generator import GeneratorConfig, load_registry, write_csvs
from kiosk import chart, create_app
from kiosk.auth import create_user
from kiosk.checkout import settle
from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.schema import CheckoutRow
from kiosk.checkout.states import State
from kiosk.db import get_db
from kiosk.models import Role
from kiosk.money import fund_deposit
from ledger import IDR, JournalKind, JournalSpec, Leg, new_journal_id

PASSWORD = "money test password 1"
FARMERS = 12
# 15:00 WITA on a working day: far from midnight, so "the same day" is unambiguous
NOON = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Person:
    nik: str = dataclasses.field(repr=False)
    pseudonym: str
    kiosk: str


@dataclass
class SmallKiosk:
    app: Flask
    sessions: sessionmaker[Session]
    season: str
    people: list[Person]
    kiosk: str

    def keys(self) -> Any:
        return self.app.extensions["kiosk.services"].keys()

    def deps(self, now: datetime) -> CheckoutDeps:
        with self.app.app_context():
            deps = self.app.extensions["kiosk.services"].checkout_deps()
        return dataclasses.replace(deps, now=lambda: now)

    def client(self, role: Role, *, kiosk: str | None = None, name: str | None = None) -> FlaskClient:
        username = name or f"{role.value}-{(kiosk or 'all').lower()}"
        with self.app.app_context(), self.sessions.begin() as s:
            create_user(s, self.app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                        kiosk_code=kiosk)
        client = self.app.test_client()
        assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
        return client

    def quota(self, person: Person) -> dict[str, int]:
        with self.sessions() as s:
            return fertilizer.quota_left(s, person.pseudonym, self.season)

    def at(self, kiosk: str) -> list[Person]:
        return [p for p in self.people if p.kiosk == kiosk]

    def sell(self, person: Person, lines: dict[str, int], tender: str, *, now: datetime,
             operator: str = "operator") -> CheckoutRow:
        """A completed sale of ``lines`` (kg) at HET, paid by ``tender`` (card or cash)."""
        with self.sessions() as s:
            prices = fertilizer.load_price_list(s)
            agent = fertilizer.group(s, fertilizer.by_pseudonym(s, person.pseudonym).group_code).penyuluh_code
        priced = [{"product": p, "kg": kg, "price_per_kg": prices.in_force(p, now), "amount": kg * (prices.in_force(p, now) or 0)}
                  for p, kg in lines.items()]
        row = CheckoutRow(
            id=new_journal_id(now), kiosk_code=person.kiosk, operator=operator, idempotency_key=f"t-{uuid.uuid4()}",
            state=State.CONSENTED, version=0, created_at=now, updated_at=now, attempts=0, farmer=person.pseudonym,
            tender=tender, fertilizer_total=sum(ln["amount"] for ln in priced), contribution=0, agent_fee=0,
            journal_id=new_journal_id(now), selection={"season": self.season, "months": [], "lines": priced},
            decision={"agent": agent}, document=b"{}", challenge="00" * 16,
            consent={"atc": 1, "signature": "30" * 35}, card={"number_masked": "9360********0000", "public_key": "04" * 33})
        with self.sessions.begin() as s:
            s.add(row)
        settle.book_journal(self.deps(now), row, "test")
        with self.sessions() as s:
            done = s.get(CheckoutRow, row.id)
            assert done is not None and done.state is State.COMPLETED, (done.state, done.error_en) if done else None
            return done


def _people(session: Session, keys: Any, cards_csv: Path) -> list[Person]:
    with cards_csv.open(newline="", encoding="utf-8") as fh:
        niks = [row["nik"] for row in csv.DictReader(fh)]
    out = []
    for nik in niks:
        found = fertilizer.find_by_nik(session, keys, nik)
        if found is not None:
            out.append(Person(nik, found.pseudonym, fertilizer.group(session, found.group_code).outlet_code))
    return out


def _seed(session: Session, keys: Any, farmers: int, work: Path, now: datetime) -> tuple[str, list[Person]]:
    """``kiosk.seed.seed_database`` for the farmers' own outlets only (stocking all 40 demo outlets
    is most of the seed's time): registry, RDKK import, stock, BPJS deposit, opening card balances."""
    gen = GeneratorConfig(farmers=farmers, as_of=now.date())
    paths = write_csvs(gen, work)
    load_registry(session, keys, gen, now=now, with_farmers=False)
    report = fertilizer.import_rdkk(session, keys, paths["rdkk"], season=gen.season_id, now=now, actor="seed")
    assert report.ok, report.problems[:3]
    people = _people(session, keys, paths["cards"])
    for outlet in sorted({p.kiosk for p in people}):
        for code in fertilizer.PRODUCT_CODES:
            fertilizer.receive_stock(session, outlet_code=outlet, product_code=code, kg=200_000,
                                     delivery_order=f"DO-SEED-{outlet}-{code}", delivered_on=now.date(), now=now)
        fund_deposit(session, kiosk=outlet, amount=20_000_000, reference=f"SEED-{outlet}", actor="seed", now=now)
    source = chart.open_one(session, chart.BANK_SETTLEMENT, now=now)
    cards = ledger.open_accounts(session, [chart.card_balance(p.pseudonym) for p in people], now=now)
    ledger.submit_batch(session, [JournalSpec(f"seed-topup:{p.pseudonym}", JournalKind.TOPUP, [Leg(source, c.id, IDR, 500_000)],
                                              farmer=p.pseudonym) for p, c in zip(people, cards, strict=True)], now=now)
    return gen.season_id, people


@contextmanager
def small_kiosk(db_url: str, work: Path, *, farmers: int = FARMERS) -> Iterator[SmallKiosk]:
    app = create_app({"env": "testing", "secret_key": "x" * 40, "database_url": db_url,
                      "instance_path": str(work / "instance"), "password_time_cost": 1, "password_memory_kib": 256,
                      "farmer_keys_dir": str(work / "farmer-keys"), "agent_token": ""})
    app.config["WTF_CSRF_ENABLED"] = False
    seeded_at = NOON - timedelta(days=1)
    with app.app_context():
        keys = app.extensions["kiosk.services"].keys()
        sessions = get_db().sessions
        with sessions.begin() as s:
            season, people = _seed(s, keys, farmers, work / "seed", seeded_at)
    kiosk = max({p.kiosk for p in people}, key=lambda k: sum(1 for p in people if p.kiosk == k))
    try:
        yield SmallKiosk(app, sessions, season, people, kiosk)
    finally:
        with app.app_context():
            app.extensions["kiosk.services"].close()
            get_db().engine.dispose()
