"""RDKK import through the registry and the ledger's batch API (both backends): all or nothing,
idempotent re-imports, delta journals, refusal below what was redeemed, audit entries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import ledger
from fertilizer.errors import RdkkFormatError, RdkkImportError
from fertilizer.farmers import by_pseudonym, find_by_nik, reveal
from fertilizer.keystore import FileKeyStore, KeyStore
from fertilizer.quotas import quota_left, quota_seasons
from fertilizer.rdkk_import import ImportReport, import_rdkk
from fertilizer.schema import FarmerQuota, FarmerSeason
from tests.fertilizer.helpers import NIK_MAN, NIK_WOMAN, rdkk, row
from tests.fertilizer.world import (
    GROUP_B, NOW, SEASON, VILLAGE_B, World, admin_entries, journals_of, nik, sell, snapshot, stock_up,
)

MAN_ROW = row(kg="170,212,0,0,0,0")  # Ridwan, registered; 0.85 ha
NEW_ROWS = [row(nik(1), name="Andi Baso", born="1970-01-01", land="1", kg="200,250,0,100,0,400"),
            row(nik(2, female=True), name="Sitti Aminah", born="1970-01-01", land="0.5", kg="100,125,0,0,0,0")]
FILE = rdkk(MAN_ROW, *NEW_ROWS)


def _import(world: World, lines: object, *, keys: KeyStore | None = None, **kw: object) -> ImportReport:
    with world.sessions.begin() as s:
        return import_rdkk(s, keys or world.keys, lines, season=SEASON, now=NOW, **kw)  # type: ignore[arg-type]


def _pseudonym(world: World, nik_: str) -> str:
    with world.sessions() as s:
        found = find_by_nik(s, world.keys, nik_)
    assert found is not None
    return found.pseudonym


def test_first_import_registers_and_allocates(world: World) -> None:
    report = _import(world, FILE)
    assert report.ok and report.written and report.problems == []
    assert (report.rows, report.farmers_new, report.farmers_moved, report.farmers_changed) == (3, 2, 0, 3)
    assert report.kg == {"UREA": 470, "NPK": 587, "NPK_FK": 0, "ZA": 100, "SP36": 0, "ORGANIC": 400}
    assert report.file_sha256 == hashlib.sha256("".join(FILE).encode()).hexdigest()
    andi, sitti = _pseudonym(world, nik(1)), _pseudonym(world, nik(2, female=True))
    with world.sessions() as s:
        assert quota_left(s, world.man.pseudonym, SEASON) == {"UREA": 170, "NPK": 212}
        assert quota_left(s, andi, SEASON) == {"UREA": 200, "NPK": 250, "ZA": 100, "ORGANIC": 400}
        assert quota_left(s, sitti, SEASON) == {"UREA": 100, "NPK": 125}
        assert quota_left(s, world.woman.pseudonym, SEASON) == {}  # not in this file
        assert quota_seasons(s, andi) == frozenset({SEASON})
        person = reveal(s, world.keys, andi)
        assert (person.name, str(person.birth_date)) == ("Andi Baso", "1970-01-01")
        assert by_pseudonym(s, sitti).land_m2 == 5_000
        [journal] = journals_of(s, andi)
        assert journal.idempotency_key == f"alloc:{SEASON}:{andi}:r1" and len(journal.legs) == 4
        assert dict(journal.memo) == {"season": SEASON, "source": "rdkk", "targets": "UREA=200;NPK=250;ZA=100;ORGANIC=400"}
        [entry] = admin_entries(s, "fertilizer.rdkk_imported")
        assert entry == {"actor": "system", "season": SEASON, "file_sha256": report.file_sha256, "rows": 3,
                         "farmers_new": 2, "farmers_moved": 0, "farmers_changed": 3, "farmers_listed": 3,
                         "kg": report.kg}
        assert report.entry_id is not None


def test_reimporting_the_same_file_changes_nothing(world: World) -> None:
    _import(world, FILE)
    andi = _pseudonym(world, nik(1))
    with world.sessions() as s:
        before = snapshot(s)
        quotas = {p: quota_left(s, p, SEASON) for p in (world.man.pseudonym, andi)}
    phases: list[str] = []
    again = _import(world, FILE, actor="operator-2", progress=lambda phase, _rows: phases.append(phase))
    assert again.ok and again.written and phases == ["check"]  # nothing to write: no write pass
    assert (again.farmers_new, again.farmers_moved, again.farmers_changed, again.accounts_opened) == (0, 0, 0, 0)
    assert set(again.kg.values()) == {0}
    with world.sessions() as s:
        after = snapshot(s)
        assert after == {**before, "entries": before["entries"] + 1}  # only the import's own audit entry
        assert {p: quota_left(s, p, SEASON) for p in quotas} == quotas
        assert [e["actor"] for e in admin_entries(s, "fertilizer.rdkk_imported")] == ["system", "operator-2"]


def test_a_changed_file_adjusts_by_delta_journals(world: World) -> None:
    _import(world, FILE)
    andi, sitti = _pseudonym(world, nik(1)), _pseudonym(world, nik(2, female=True))
    changed = rdkk(row(kg="200,100,0,0,0,50"), NEW_ROWS[0].replace("200,250,0,100,0,400", "200,250,0,0,0,400"),
                   NEW_ROWS[1], row(NIK_WOMAN, name="Suriani Basri", born="1973-01-13", land="0.5", kg="50,0,0,0,0,0"))
    report = _import(world, changed)
    assert report.ok and (report.farmers_new, report.farmers_changed) == (0, 3)
    assert report.kg == {"UREA": 80, "NPK": -112, "NPK_FK": 0, "ZA": -100, "SP36": 0, "ORGANIC": 50}
    with world.sessions() as s:
        assert quota_left(s, world.man.pseudonym, SEASON) == {"UREA": 200, "NPK": 100, "ORGANIC": 50}
        assert quota_left(s, andi, SEASON) == {"UREA": 200, "NPK": 250, "ZA": 0, "ORGANIC": 400}
        assert quota_left(s, world.woman.pseudonym, SEASON) == {"UREA": 50}
        first, second = journals_of(s, world.man.pseudonym)
        assert second.idempotency_key.endswith(":r2") and dict(second.memo)["targets"] == "UREA=200;NPK=100;ORGANIC=50"
        assert sorted(leg.amount for leg in second.legs) == [30, 50, 112]
        allocated = dict(s.execute(sa.select(FarmerQuota.product, FarmerQuota.allocated_kg)
                                   .where(FarmerQuota.pseudonym == world.man.pseudonym)).all())
        assert allocated == {"UREA": 200, "NPK": 100, "ORGANIC": 50}
        revisions = dict(s.execute(sa.select(FarmerSeason.pseudonym, FarmerSeason.revision)).all())
        assert revisions == {world.man.pseudonym: 2, andi: 2, sitti: 1, world.woman.pseudonym: 1}


def test_allocations_agree_with_the_journals(world: World) -> None:
    """farmer_quotas.allocated_kg is the sum of the farmer's allocation journals, account by account."""
    _import(world, FILE)
    _import(world, rdkk(row(kg="100,300,0,0,0,0"), *NEW_ROWS))
    with world.sessions() as s:
        for pseudonym, product, account_id, kg in s.execute(sa.select(FarmerQuota.pseudonym, FarmerQuota.product,
                                                                      FarmerQuota.account_id, FarmerQuota.allocated_kg)):
            lines = ledger.history(s, account_id, limit=100)
            assert all(line.kind is ledger.JournalKind.QUOTA_ALLOCATION for line in lines)
            assert -sum(line.amount for line in lines) == kg, (pseudonym, product)


def test_a_new_quota_below_what_was_redeemed_is_refused_by_masked_nik(world: World) -> None:
    _import(world, FILE)
    stock_up(world, 1_000)
    sell(world, world.man.pseudonym, {"UREA": 150}, key="sale-1")
    with world.sessions() as s:
        before = snapshot(s)
    report = _import(world, rdkk(row(kg="100,212,0,0,0,0"), *NEW_ROWS))
    assert not report.ok and not report.written and report.entry_id is None
    [problem] = report.problems
    assert (problem.line, problem.column, problem.code) == (2, "urea_kg", "quota_below_redeemed")
    assert "7312********0001" in problem.message_id and "7312********0001" in problem.message_en
    assert NIK_MAN not in problem.message_id + problem.message_en and "150" in problem.message_en
    with world.sessions() as s:
        assert snapshot(s) == before
        assert quota_left(s, world.man.pseudonym, SEASON)["UREA"] == 20
    assert _import(world, rdkk(row(kg="150,212,0,0,0,0"), *NEW_ROWS)).ok  # down to what was taken: fine


@pytest.fixture(params=["memory", "file"])
def key_store(request: pytest.FixtureRequest, world: World, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "memory":
        yield world.keys
        return
    store = FileKeyStore(tmp_path / "keys")
    yield store
    store.close()


def _key_rows(keys: KeyStore) -> int:
    if isinstance(keys, FileKeyStore):
        return int(keys._db.execute("SELECT count(*) FROM data_keys").fetchone()[0])
    return len(keys._keys)  # type: ignore[attr-defined]


def test_one_bad_row_at_the_end_and_nothing_is_written_anywhere(world: World, key_store: KeyStore) -> None:
    good = [row(nik(i), name=f"Petani {i}", born="1970-01-01", land="1", kg="200,250,0,0,0,0") for i in range(1, 40)]
    bad = row(nik(99), name="Petani Salah", born="1970-01-01", land="1", kg="260,250,0,0,0,0")  # Urea over 250 kg/ha
    with world.sessions() as s:
        before, keys_before = snapshot(s), _key_rows(key_store)
    report = _import(world, rdkk(MAN_ROW, *good, bad, row(nik(1), name="Lagi", born="1970-01-01")), keys=key_store, chunk=7)
    assert not report.ok and not report.written
    assert [(p.line, p.code) for p in report.problems] == [(42, "kg_over_ceiling"), (43, "duplicate_nik")]
    assert (report.problems_total, report.bad_lines, report.rows) == (2, 2, 40)
    with world.sessions() as s:
        assert snapshot(s) == before
    assert _key_rows(key_store) == keys_before  # no data key made for farmers never written


def test_a_farmer_listed_with_nothing_is_still_listed(world: World) -> None:
    zeros = row(NIK_WOMAN, name="Suriani Basri", born="1973-01-13", land="0.5", kg="0,0,0,0,0,")
    report = _import(world, rdkk(zeros))
    assert report.ok and (report.farmers_listed, report.farmers_changed, report.accounts_opened) == (1, 0, 0)
    with world.sessions() as s:
        assert quota_seasons(s, world.woman.pseudonym) == frozenset({SEASON})
        assert quota_left(s, world.woman.pseudonym, SEASON) == {} and journals_of(s, world.woman.pseudonym) == []
    assert _import(world, rdkk(zeros)).farmers_listed == 0


def test_a_moved_farmer_is_re_placed(world: World) -> None:
    _import(world, FILE)
    moved = row(group=GROUP_B, village=VILLAGE_B, kecamatan="Lalabata", land="1.2", kg="170,212,0,0,0,0")
    report = _import(world, rdkk(moved))
    assert report.ok and (report.farmers_moved, report.farmers_changed) == (1, 0)
    with world.sessions() as s:
        record = by_pseudonym(s, world.man.pseudonym)
        assert (record.group_code, record.village_code, record.kecamatan_code, record.land_m2) == (
            GROUP_B, VILLAGE_B, "731204", 12_000)


def test_a_dry_run_plans_and_writes_nothing(world: World) -> None:
    with world.sessions() as s:
        before = snapshot(s)
    seen: list[tuple[str, int]] = []
    report = _import(world, FILE, dry_run=True, progress=lambda phase, rows: seen.append((phase, rows)))
    assert report.ok and not report.written and (report.farmers_new, report.farmers_changed) == (2, 3)
    assert report.kg["UREA"] == 470 and seen == [("check", 3)]
    with world.sessions() as s:
        assert snapshot(s) == before


def test_progress_is_reported_per_chunk_and_phase(world: World) -> None:
    seen: list[tuple[str, int]] = []
    _import(world, FILE, chunk=2, progress=lambda phase, rows: seen.append((phase, rows)))
    assert seen == [("check", 2), ("check", 3), ("write", 2), ("write", 3)]


def test_a_file_that_changes_between_the_passes_is_refused(world: World) -> None:
    reads: list[int] = []

    def opener() -> list[str]:
        reads.append(1)
        return FILE if len(reads) == 1 else rdkk(MAN_ROW, NEW_ROWS[0], row(nik(3), born="1970-01-01", kg="1,0,0,0,0,0"))

    with world.sessions() as s:
        before = snapshot(s)
    with pytest.raises(RdkkImportError) as err:
        _import(world, opener, chunk=2)
    assert err.value.code == "rdkk_changed" and len(reads) == 2
    with world.sessions() as s:
        assert snapshot(s) == before


def test_sources_paths_and_file_level_faults(world: World, tmp_path: Path) -> None:
    path = tmp_path / "rdkk.csv"
    path.write_bytes(("\ufeff" + "".join(FILE)).encode("utf-8"))
    report = _import(world, path)
    assert report.ok and report.file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(RdkkFormatError) as err:
        _import(world, iter(FILE))  # read twice: a one-shot iterator cannot be
    assert err.value.code == "rdkk_source"
    with pytest.raises(RdkkFormatError) as err:
        _import(world, str(path))
    assert err.value.code == "rdkk_source"
    latin = tmp_path / "latin.csv"
    latin.write_bytes("".join(rdkk(row(name="Andi Bas\u00f6"))).encode("latin-1"))
    with pytest.raises(RdkkFormatError) as err:
        _import(world, latin)
    assert err.value.code == "rdkk_encoding"
    with pytest.raises(RdkkFormatError) as err:
        _import(world, ["nik,name\n", "1,2\n"])
    assert err.value.code == "rdkk_header"
    with world.sessions() as s:
        assert len(admin_entries(s, "fertilizer.rdkk_imported")) == 1


def test_rows_of_another_season_are_problems(world: World) -> None:
    report = _import(world, rdkk(MAN_ROW, row(nik(1), born="1970-01-01", season="2027-MT2")))
    assert not report.ok and [(p.line, p.code) for p in report.problems] == [(3, "wrong_season")]


def test_chunk_size_does_not_change_the_outcome(world: World) -> None:
    _import(world, FILE, chunk=1)
    andi = _pseudonym(world, nik(1))
    with world.sessions() as s:
        assert quota_left(s, world.man.pseudonym, SEASON) == {"UREA": 170, "NPK": 212}
        assert quota_left(s, andi, SEASON) == {"UREA": 200, "NPK": 250, "ZA": 100, "ORGANIC": 400}


def test_an_erased_farmer_listed_again_is_a_new_registration(world: World) -> None:
    from fertilizer.farmers import erase_farmer
    from tests.fertilizer.helpers import RecordingAudit

    with world.sessions.begin() as s:
        erase_farmer(s, world.keys, RecordingAudit(), world.woman.pseudonym, actor="admin", now=NOW, reason="permintaan")
    report = _import(world, rdkk(row(NIK_WOMAN, name="Suriani Basri", born="1973-01-13", land="0.5", kg="50,0,0,0,0,0")))
    assert report.ok and report.farmers_new == 1
    assert _pseudonym(world, NIK_WOMAN) != world.woman.pseudonym


def test_concurrent_imports_never_drift_from_the_journals(world: World, db_backend: str) -> None:
    """Two imports of different files for the same farmer at once. SQLite serialises them (the
    second waits on BEGIN IMMEDIATE, then applies on top); on PostgreSQL (READ COMMITTED) the second
    plans from the state before the first commits and is refused whole. Either way the allocations
    equal the journals and the revision counts them."""
    import threading

    from fertilizer.errors import QuotaError

    _import(world, rdkk(MAN_ROW))
    checked, outcome = threading.Event(), {}

    def other() -> None:
        try:
            report = _import(world, rdkk(row(kg="100,100,0,0,0,0")),
                             progress=lambda phase, _n: checked.set() if phase == "check" else None)
            outcome["b"] = "applied" if report.ok else "refused"
        except QuotaError as exc:
            outcome["b"] = exc.code
        finally:
            checked.set()

    with world.sessions.begin() as s:
        import_rdkk(s, world.keys, rdkk(row(kg="200,200,0,0,0,0")), season=SEASON, now=NOW)
        thread = threading.Thread(target=other)
        thread.start()
        assert checked.wait(60 if db_backend == "postgresql" else 0.5) == (db_backend == "postgresql")
        thread.join(1.0)  # on PostgreSQL B now waits on A's locks
    thread.join(60)
    assert outcome["b"] == ("concurrent_allocation" if db_backend == "postgresql" else "applied")
    expected = {"UREA": 100, "NPK": 100} if outcome["b"] == "applied" else {"UREA": 200, "NPK": 200}
    with world.sessions() as s:
        assert quota_left(s, world.man.pseudonym, SEASON) == expected
        revision = s.scalar(sa.select(FarmerSeason.revision).where(FarmerSeason.pseudonym == world.man.pseudonym))
        assert revision == len(journals_of(s, world.man.pseudonym)) == (3 if outcome["b"] == "applied" else 2)
        for account_id, kg in s.execute(sa.select(FarmerQuota.account_id, FarmerQuota.allocated_kg)):
            assert -sum(line.amount for line in ledger.history(s, account_id, limit=100)) == kg
