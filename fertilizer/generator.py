"""Deterministic demo and test data shaped like Soppeng (DOMAIN.md): 8 kecamatan, 70 villages,
892 farmer groups, 55,289 farmers by default (fewer on request).

The same ``seed`` gives the same data, byte for byte. Outputs:

* the registry's reference data (:func:`reference`) and farmers (:func:`load_registry`, through
  :mod:`fertilizer.registry` and :mod:`fertilizer.farmers`);
* ``rdkk-<season>.csv`` (docs/rdkk-format.md);
* ``cards.csv`` for card personalisation: ``card_number,nik,name,birth_date,village_code,group_code,expiry,pin``
  (birth date YYYY-MM-DD, expiry YYMM, 6-digit demo PINs);
* ``bpjs-participants.csv`` for the BPJS sandbox: ``nik,name,birth_date,kpj,paid_through,status``
  (status active|inactive; unregistered farmers absent).

Demo PINs are written only to ``cards.csv``; never log them.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from fertilizer.catalogue import ProductCode
from fertilizer.clock import WITA, YearMonth
from fertilizer.demo_people import BpjsShares, DemoFarmer, PersonMaker
from fertilizer.errors import GeneratorError
from fertilizer.farmers import NewFarmer, register_farmers
from fertilizer.keystore import KeyStore
from fertilizer.rdkk import COLUMNS, KG_COLUMNS
from fertilizer.registry import add_reference
from fertilizer.registry_types import GroupRec, KecamatanRec, OutletRec, PenyuluhRec, ReferenceData, VillageRec
from fertilizer.seasons import DEFAULT_CALENDAR
from fertilizer.soppeng import FARMERS, GROUPS, KECAMATAN
from fertilizer import demo_names as names

OUTLETS = 40
CARD_COLUMNS = ("card_number", "nik", "name", "birth_date", "village_code", "group_code", "expiry", "pin")
BPJS_COLUMNS = ("nik", "name", "birth_date", "kpj", "paid_through", "status")


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 2021
    farmers: int = FARMERS
    groups: int = GROUPS
    as_of: date = date(2026, 12, 1)  # "today" for BPJS paid-through months and card expiry
    season: str | None = None  # default: the season of ``as_of``
    shares: BpjsShares = field(default_factory=BpjsShares)

    def __post_init__(self) -> None:
        if not 1 <= self.farmers <= 1_000_000 or not len(KECAMATAN) * 10 <= self.groups <= 10_000:
            raise GeneratorError("bad_generator_config", "Jumlah petani 1-1.000.000 dan kelompok 80-10.000.",
                                 "Farmers must be 1-1,000,000 and groups 80-10,000.", farmers=self.farmers, groups=self.groups)

    @property
    def season_id(self) -> str:
        if self.season is not None:
            return DEFAULT_CALENDAR.parse(self.season).id
        return DEFAULT_CALENDAR.season_at(datetime.combine(self.as_of, datetime.min.time(), WITA)).id


def _outlet_counts() -> list[int]:
    total = sum(k.villages for k in KECAMATAN)
    counts = [max(1, round(OUTLETS * k.villages / total)) for k in KECAMATAN]
    counts[0] += OUTLETS - sum(counts)
    return counts


def _villages(rng: random.Random) -> list[VillageRec]:
    out: list[VillageRec] = []
    for k in KECAMATAN:
        real = names.REAL_VILLAGES.get(k.code, ())
        for i in range(k.villages):
            name = real[i] if i < len(real) else rng.choice(names.VILLAGE_STEMS) + rng.choice(names.VILLAGE_SUFFIXES)
            out.append(VillageRec(f"{k.code}{2001 + i:04d}", name, k.code))
    return out


def _outlets(rng: random.Random) -> list[OutletRec]:
    out: list[OutletRec] = []
    for k, count in zip(KECAMATAN, _outlet_counts()):
        for _ in range(count):
            n = len(out) + 1
            name = "Kios Tani Makmur" if n == 1 else f"Kios {rng.choice(names.OUTLET_WORDS)} {k.name}"
            out.append(OutletRec(f"KIOS-{n:03d}", name, k.code))
    return out


def reference(config: GeneratorConfig) -> ReferenceData:
    """The registry's reference data: kecamatan, villages, one penyuluh per village, outlets, groups."""
    rng = random.Random(f"{config.seed}:reference")
    villages, outlets = _villages(rng), _outlets(rng)
    maker = PersonMaker(random.Random(f"{config.seed}:penyuluh"))
    penyuluh = [PenyuluhRec(f"PPL-{i + 1:04d}", maker.full_name(female=rng.random() < 0.4), v.kecamatan_code)
                for i, v in enumerate(villages)]
    groups: list[GroupRec] = []
    for g in range(config.groups):
        v_index = g % len(villages)
        v = villages[v_index]
        local = [o for o in outlets if o.kecamatan_code == v.kecamatan_code]
        serial = g // len(villages) + 1
        word = names.GROUP_WORDS[(g * 7 + serial) % len(names.GROUP_WORDS)]
        roman = names.ROMAN[(serial - 1) % len(names.ROMAN)]
        groups.append(GroupRec(f"KT-{v.code}-{serial:02d}", f"Kelompok Tani {word} {roman}", v.code,
                               penyuluh[v_index].code, local[(g // len(villages)) % len(local)].code))
    return ReferenceData(tuple(KecamatanRec(k.code, k.name) for k in KECAMATAN), tuple(villages), tuple(penyuluh),
                         tuple(outlets), tuple(groups))


def farmers(config: GeneratorConfig, ref: ReferenceData | None = None) -> Iterator[DemoFarmer]:
    """The farmers, one at a time, always in the same order for the same seed."""
    ref = ref or reference(config)
    maker = PersonMaker(random.Random(f"{config.seed}:farmers"))
    month = YearMonth(config.as_of.year, config.as_of.month)
    for i in range(config.farmers):
        yield maker.farmer(i, ref.groups[i % len(ref.groups)], month, config.shares)


def write_csvs(config: GeneratorConfig, out_dir: Path) -> dict[str, Path]:
    """Write the RDKK, card personalisation and BPJS seed CSVs in one pass; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    season = config.season_id
    paths = {"rdkk": out_dir / f"rdkk-{season}.csv", "cards": out_dir / "cards.csv", "bpjs": out_dir / "bpjs-participants.csv"}
    ref = reference(config)
    kec_names = {k.code: k.name for k in ref.kecamatan}
    with paths["rdkk"].open("w", newline="", encoding="utf-8") as r, paths["cards"].open("w", newline="", encoding="utf-8") as c, \
            paths["bpjs"].open("w", newline="", encoding="utf-8") as b:
        rdkk, cards, bpjs = csv.writer(r), csv.writer(c), csv.writer(b)
        rdkk.writerow(COLUMNS)
        cards.writerow(CARD_COLUMNS)
        bpjs.writerow(BPJS_COLUMNS)
        for f in farmers(config, ref):
            born = f.birth_date.isoformat()
            rdkk.writerow([f.nik, f.name, born, f.group_code, f.village_code, kec_names[f.kecamatan_code], _ha(f.land_m2),
                           season, *(f.kg.get(ProductCode(code), 0) for code in KG_COLUMNS)])
            cards.writerow([f.card_number, f.nik, f.name, born, f.village_code, f.group_code, f.card_expiry, f.pin])
            if f.bpjs is not None:
                bpjs.writerow([f.nik, f.name, born, f.bpjs.kpj, str(f.bpjs.paid_through), f.bpjs.status])
    return paths


def _ha(m2: int) -> str:
    return f"{m2 // 10_000}.{m2 % 10_000:04d}".rstrip("0").rstrip(".")


def load_registry(session: Session, keys: KeyStore, config: GeneratorConfig, *, now: datetime,
                  with_farmers: bool = True, chunk: int = 5_000) -> ReferenceData:
    """Write the reference data and (optionally) every farmer through the registry's own API."""
    ref = reference(config)
    add_reference(session, ref)
    if with_farmers:
        batch: list[NewFarmer] = []
        for f in farmers(config, ref):
            batch.append(NewFarmer(f.nik, f.name, f.birth_date, f.group_code, f.village_code, f.kecamatan_code, f.land_m2))
            if len(batch) >= chunk:
                register_farmers(session, keys, batch, now=now)
                batch = []
        if batch:
            register_farmers(session, keys, batch, now=now)
    return ref
