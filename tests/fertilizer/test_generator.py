from __future__ import annotations

import csv
import hashlib
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer.clock import YearMonth
from fertilizer.demo_people import luhn_complete
from fertilizer.errors import GeneratorError
from fertilizer.farmers import find_by_nik, reveal
from fertilizer.generator import BPJS_COLUMNS, CARD_COLUMNS, GeneratorConfig, farmers, load_registry, reference, write_csvs
from fertilizer.keystore import MemoryKeyStore
from fertilizer.nik import parse_nik
from fertilizer.rdkk import check_rdkk
from fertilizer.rdkk_reference import RdkkReference
from fertilizer.registry import reference_data
from fertilizer.schema import Farmer
from fertilizer.soppeng import KECAMATAN

SMALL = GeneratorConfig(seed=7, farmers=600)


def digest(paths: dict[str, Path]) -> dict[str, str]:
    return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in paths.items()}


def test_soppeng_shape() -> None:
    ref = reference(GeneratorConfig())
    assert [k.name for k in ref.kecamatan] == [k.name for k in KECAMATAN]
    assert (len(ref.kecamatan), len(ref.villages), len(ref.groups), len(ref.outlets)) == (8, 70, 892, 40)
    assert len({g.code for g in ref.groups}) == 892 and ref.outlets[0].code == "KIOS-001"
    villages = {v.code: v.kecamatan_code for v in ref.villages}
    outlets = {o.code: o.kecamatan_code for o in ref.outlets}
    assert all(outlets[g.outlet_code] == villages[g.village_code] for g in ref.groups)  # kiosk in the group's kecamatan
    assert {v.name for v in ref.villages} >= {"Pattojo", "Laringgi"}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = digest(write_csvs(SMALL, tmp_path / "a"))
    b = digest(write_csvs(SMALL, tmp_path / "b"))
    c = digest(write_csvs(GeneratorConfig(seed=8, farmers=600), tmp_path / "c"))
    assert a == b and a["rdkk"] != c["rdkk"]


def test_csvs_are_valid_and_consistent(tmp_path: Path) -> None:
    paths = write_csvs(SMALL, tmp_path)
    assert paths["rdkk"].name == "rdkk-2027-MT1.csv"  # December 2026 is in MT I 2027
    with paths["rdkk"].open(encoding="utf-8") as f:
        report = check_rdkk(f, season="2027-MT1", reference=RdkkReference.from_registry(reference(SMALL)))
    assert report.ok and report.rows_ok == 600, report.problems[:3]
    with paths["cards"].open(encoding="utf-8") as f:
        cards = list(csv.DictReader(f))
    assert tuple(cards[0]) == CARD_COLUMNS and len(cards) == 600
    for card in cards:
        assert len(card["card_number"]) == 16 and luhn_complete(card["card_number"][:-1]) == card["card_number"]
        assert len(card["pin"]) == 6 and card["pin"].isdigit() and card["expiry"] == "3112"
        assert parse_nik(card["nik"]).matches_birth_date(date.fromisoformat(card["birth_date"]))
    assert len({c["nik"] for c in cards}) == 600 and len({c["card_number"] for c in cards}) == 600


def test_bpjs_seed_shares(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=3, farmers=5_000)
    with write_csvs(config, tmp_path)["bpjs"].open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == BPJS_COLUMNS
    month = YearMonth(2026, 12)
    behind = Counter(YearMonth.parse(r["paid_through"]).months_until(month) for r in rows if r["status"] == "active")
    inactive = [r for r in rows if r["status"] == "inactive"]
    n = config.farmers
    assert abs(behind[0] / n - 0.22) < 0.02 and abs(behind[1] / n - 0.07) < 0.015 and abs(behind[2] / n - 0.04) < 0.01
    assert set(behind) == {0, 1, 2}
    assert abs(len(inactive) / n - 0.10) < 0.015
    assert all(YearMonth.parse(r["paid_through"]).months_until(month) >= 3 for r in inactive)
    assert abs(1 - len(rows) / n - 0.57) < 0.02  # unregistered farmers are absent


def test_full_size_data_set(tmp_path: Path) -> None:
    paths = write_csvs(GeneratorConfig(), tmp_path)
    with paths["rdkk"].open(encoding="utf-8") as f:
        assert sum(1 for _ in f) == 55_289 + 1


def test_bad_config() -> None:
    with pytest.raises(GeneratorError):
        GeneratorConfig(farmers=0)


def test_load_registry_through_the_api(engine: sa.Engine) -> None:
    keys = MemoryKeyStore()
    config = GeneratorConfig(seed=11, farmers=300)
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    with Session(engine) as s, s.begin():
        ref = load_registry(s, keys, config, now=now, chunk=128)
    first = next(farmers(config))
    with Session(engine) as s:
        stored = reference_data(s)
        for part in ("kecamatan", "villages", "penyuluh", "outlets", "groups"):
            assert set(getattr(stored, part)) == set(getattr(ref, part)), part
        assert s.scalar(sa.select(sa.func.count()).select_from(Farmer)) == 300
        found = find_by_nik(s, keys, first.nik)
        assert found is not None and found.group_code == first.group_code and found.land_m2 == first.land_m2
        assert reveal(s, keys, found.pseudonym).name == first.name
