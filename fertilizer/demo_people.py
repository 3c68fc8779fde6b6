"""Plausible demo farmers: NIKs of Soppeng (73 12 ...), Bugis and Indonesian names, land, RDKK kg,
card data and BPJS participation. Deterministic for a given ``random.Random``; demo data only
(the PINs come from a seeded generator and must never protect anything real).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from fertilizer.catalogue import ProductCode
from fertilizer.clock import YearMonth
from fertilizer.errors import GeneratorError
from fertilizer.registry_types import GroupRec
from fertilizer import demo_names as names

CARD_IIN = "936002"  # GPN-style prefix for demo cards
# kg per hectare and season in the demo RDKK (under the default ceilings of fertilizer.settings),
# and the share of farmers who ask for the product at all
DEMO_DOSE: Mapping[ProductCode, tuple[int, float]] = {
    ProductCode.UREA: (200, 1.0),
    ProductCode.NPK: (250, 1.0),
    ProductCode.NPK_FK: (150, 0.10),
    ProductCode.ZA: (100, 0.15),
    ProductCode.SP36: (0, 0.0),  # not for sale under the current HET list
    ProductCode.ORGANIC: (400, 0.30),
}


@dataclass(frozen=True)
class BpjsShares:
    """Shares of farmers by BPJS situation; the rest are not registered. DOMAIN.md: 10,750 of 55,289
    were active in Dec 2022 (19 %); the demo assumes growth since."""

    paid_up: float = 0.22
    one_behind: float = 0.07
    two_behind: float = 0.04
    inactive: float = 0.10

    def __post_init__(self) -> None:
        parts = (self.paid_up, self.one_behind, self.two_behind, self.inactive)
        if any(p < 0 for p in parts) or sum(parts) > 1:
            raise GeneratorError("bad_shares", "Porsi BPJS harus >= 0 dan berjumlah <= 1.", "BPJS shares must be >= 0 and sum to <= 1.")


@dataclass(frozen=True)
class BpjsSeed:
    kpj: str
    paid_through: YearMonth
    status: str  # active | inactive


@dataclass(frozen=True)
class DemoFarmer:
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    group_code: str
    village_code: str
    kecamatan_code: str
    land_m2: int
    kg: Mapping[ProductCode, int]
    card_number: str
    card_expiry: str  # YYMM
    pin: str = field(repr=False)
    bpjs: BpjsSeed | None


def luhn_complete(digits: str) -> str:
    """``digits`` plus its Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str((10 - total % 10) % 10)


class PersonMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._serials: Counter[str] = Counter()

    def full_name(self, female: bool) -> str:
        first = self.rng.choice(names.FEMALE if female else names.MALE)
        return f"{first} {self.rng.choice(names.FAMILY)}"

    def nik(self, kecamatan_code: str, born: date, female: bool) -> str:
        ddmmyy = f"{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}"
        key = kecamatan_code + ddmmyy
        self._serials[key] += 1
        if self._serials[key] > 9999:
            raise GeneratorError("nik_space", "Ruang nomor urut NIK habis.", "Ran out of NIK serial numbers.")
        return f"{key}{self._serials[key]:04d}"

    def farmer(self, index: int, group: GroupRec, month: YearMonth, shares: BpjsShares) -> DemoFarmer:
        rng = self.rng
        female = rng.random() < 0.3
        born = date(month.year - rng.randint(20, 75), 1, 1) + timedelta(days=rng.randrange(365))
        kecamatan = group.village_code[:6]
        land = max(1_000, int(rng.triangular(0.15, 2.0, 0.5) * 20) * 500)  # 0.05 ha steps, 0.1-2 ha
        kg = {code: land * dose // 10_000 if rng.random() < share else 0 for code, (dose, share) in DEMO_DOSE.items()}
        card = luhn_complete(f"{CARD_IIN}{index + 1:09d}")
        expiry = f"{(month.year + 5) % 100:02d}{month.month:02d}"
        return DemoFarmer(self.nik(kecamatan, born, female), self.full_name(female), born, group.code, group.village_code,
                          kecamatan, land, kg, card, expiry, f"{rng.randrange(1_000_000):06d}",
                          self._bpjs(index, month, shares))

    def _bpjs(self, index: int, month: YearMonth, shares: BpjsShares) -> BpjsSeed | None:
        r, kpj = self.rng.random(), f"2{index + 1:010d}"
        edges = ((shares.paid_up, 0), (shares.one_behind, 1), (shares.two_behind, 2))
        for share, behind in edges:
            if r < share:
                return BpjsSeed(kpj, month.plus(-behind), "active")
            r -= share
        if r < shares.inactive:
            return BpjsSeed(kpj, month.plus(-self.rng.randint(3, 12)), "inactive")
        return None
