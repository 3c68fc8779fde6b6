"""A Soppeng-shaped kiosk database for the demo, the end-to-end tests and the benchmarks.

One call builds, through the product's own services (nothing written behind their backs): the
registry's reference data, an RDKK import of ``farmers`` generated farmers for the current season
(registering them, with their quotas), stock at every kiosk with farmer groups, each kiosk's BPJS
partner deposit, and a card balance for every farmer. The generator also writes the card
personalisation CSV and the BPJS sandbox's participant seed, so cards, registry and BPJS agree.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

import fertilizer
import ledger
from fertilizer import WITA, KeyStore
from fertilizer.generator import GeneratorConfig, load_registry, write_csvs
from kiosk import chart
from kiosk.money import fund_deposit
from ledger import IDR, JournalKind, JournalSpec, Leg


@dataclass(frozen=True)
class SeedConfig:
    farmers: int = 2_000
    seed: int = 2021
    as_of: date = field(default_factory=lambda: datetime.now(WITA).date())
    stock_kg: int = 200_000  # per product at each kiosk
    deposit: int = 20_000_000  # each kiosk's BPJS partner deposit
    card_balance: int = 500_000  # each farmer's opening card balance


@dataclass(frozen=True)
class SeedResult:
    season: str
    paths: dict[str, Path]
    outlets: tuple[str, ...]
    farmers: int


def _outlets_with_groups(session: Session) -> list[str]:
    ref = fertilizer.reference_data(session)
    return sorted({g.outlet_code for g in ref.groups})


def _topups(session: Session, pseudonyms: Iterable[str], amount: int, now: datetime) -> int:
    """Opening card balances, from the bank settlement source, in one batch."""
    source = chart.open_one(session, chart.BANK_SETTLEMENT, now=now)
    names = list(pseudonyms)
    accounts = ledger.open_accounts(session, [chart.card_balance(p) for p in names], now=now)
    specs = [JournalSpec(f"seed-topup:{p}", JournalKind.TOPUP, [Leg(source, a.id, IDR, amount)], farmer=p,
                         memo={"source": "seed"}) for p, a in zip(names, accounts, strict=True)]
    ledger.submit_batch(session, specs, now=now)
    return len(specs)


def seed_database(session: Session, keys: KeyStore, config: SeedConfig, work_dir: Path, *, now: datetime) -> SeedResult:
    gen = GeneratorConfig(seed=config.seed, farmers=config.farmers, as_of=config.as_of)
    paths = write_csvs(gen, work_dir)
    load_registry(session, keys, gen, now=now, with_farmers=False)
    report = fertilizer.import_rdkk(session, keys, paths["rdkk"], season=gen.season_id, now=now, actor="seed")
    if not report.ok:
        raise RuntimeError(f"generated RDKK refused: {report.problems[:3]}")
    outlets = _outlets_with_groups(session)
    for outlet in outlets:
        for code in fertilizer.PRODUCT_CODES:
            fertilizer.receive_stock(session, outlet_code=outlet, product_code=code, kg=config.stock_kg,
                                     delivery_order=f"DO-SEED-{outlet}-{code}", delivered_on=config.as_of, now=now)
        fund_deposit(session, kiosk=outlet, amount=config.deposit, reference=f"SEED-{outlet}", actor="seed", now=now)
    with paths["cards"].open(newline="", encoding="utf-8") as fh:
        niks = [row["nik"] for row in csv.DictReader(fh)]
    pseudonyms = [f.pseudonym for nik in niks if (f := fertilizer.find_by_nik(session, keys, nik)) is not None]
    _topups(session, pseudonyms, config.card_balance, now)
    return SeedResult(gen.season_id, paths, tuple(outlets), len(pseudonyms))
