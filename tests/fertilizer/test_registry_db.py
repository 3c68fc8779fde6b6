"""Registry reference data and farmers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer.errors import FarmerErased, NikError, RegistryError
from fertilizer.farmers import NewFarmer, by_pseudonym, erase_farmer, find_by_nik, place_farmer, register_farmers, reveal, views
from fertilizer.keystore import FileKeyStore, KeyStore, MemoryKeyStore
from fertilizer.registry import add_reference, group, groups_of_outlet, outlet, reference_data
from fertilizer.registry_types import GroupRec, KecamatanRec, OutletRec, PenyuluhRec, ReferenceData, VillageRec
from fertilizer.schema import Farmer
from tests.fertilizer.helpers import NIK_MAN, NIK_WOMAN, RecordingAudit

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=timezone.utc)
REF = ReferenceData(
    kecamatan=(KecamatanRec("731201", "Marioriwawo"), KecamatanRec("731204", "Lalabata")),
    villages=(VillageRec("7312012001", "Tellang", "731201"), VillageRec("7312042001", "Bila", "731204")),
    penyuluh=(PenyuluhRec("PPL-0001", "Hasnah Tahir", "731201"),),
    outlets=(OutletRec("KIOS-001", "Kios Tani Makmur", "731201"), OutletRec("KIOS-002", "Kios Subur Lalabata", "731204")),
    groups=(GroupRec("KT-7312012001-01", "Kelompok Tani Sipakainge I", "7312012001", "PPL-0001", "KIOS-001"),
            GroupRec("KT-7312042001-01", "Kelompok Tani Subur I", "7312042001", "PPL-0001", "KIOS-002")),
)
MAN = NewFarmer(NIK_MAN, "Ridwan Saleh", date(1968, 10, 14), "KT-7312012001-01", "7312012001", "731201", 8_500)
WOMAN = NewFarmer(NIK_WOMAN, "Suriani Basri", date(1973, 1, 13), "KT-7312012001-01", "7312012001", "731201", 5_000)


@pytest.fixture(params=["memory", "file"])
def keys(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    store: KeyStore = MemoryKeyStore() if request.param == "memory" else FileKeyStore(tmp_path / "keys")
    yield store
    store.close()


@pytest.fixture
def loaded(engine: sa.Engine) -> sa.Engine:
    with Session(engine) as s, s.begin():
        add_reference(s, REF)
    return engine


def test_reference_round_trip(loaded: sa.Engine) -> None:
    with Session(loaded) as s:
        assert reference_data(s) == REF
        assert outlet(s, "KIOS-002").kecamatan_code == "731204"
        assert group(s, "KT-7312042001-01").outlet_code == "KIOS-002"
        assert [g.code for g in groups_of_outlet(s, "KIOS-001")] == ["KT-7312012001-01"]
        with pytest.raises(RegistryError) as err:
            outlet(s, "KIOS-404")
        assert err.value.code == "unknown_outlet"


@pytest.mark.parametrize("bad,code", [
    (ReferenceData(outlets=(OutletRec("TOKO-1", "x", "731201"),)), "bad_code"),
    (ReferenceData(villages=(VillageRec("7312052001", "x", "731201"),)), "village_outside_kecamatan"),
    (ReferenceData(outlets=(OutletRec("KIOS-003", "x", "731299"),)), "unknown_reference"),
    (ReferenceData(groups=(GroupRec("KT-9", "x", "7312012001", "PPL-0001", "KIOS-999"),)), "unknown_reference"),
    (ReferenceData(outlets=(OutletRec("KIOS-001", "again", "731201"),)), "duplicate_code"),
])
def test_bad_reference_data_changes_nothing(loaded: sa.Engine, bad: ReferenceData, code: str) -> None:
    with Session(loaded) as s, s.begin():
        with pytest.raises(RegistryError) as err:
            add_reference(s, bad)
        assert err.value.code == code and err.value.message_id and err.value.message_en
    with Session(loaded) as s:
        assert reference_data(s) == REF


def test_register_find_reveal(loaded: sa.Engine, keys: KeyStore) -> None:
    with Session(loaded) as s, s.begin():
        man, woman = register_farmers(s, keys, [MAN, WOMAN], now=NOW)
    assert man.pseudonym != woman.pseudonym and man.pseudonym.startswith("F-")
    with Session(loaded) as s:
        found = find_by_nik(s, keys, NIK_WOMAN)
        assert found is not None and found.pseudonym == woman.pseudonym and found.land_m2 == 5_000
        assert find_by_nik(s, keys, "7312011410680002") is None
        person = reveal(s, keys, man.pseudonym)
        assert (person.nik, person.name, person.birth_date) == (NIK_MAN, "Ridwan Saleh", date(1968, 10, 14))
        assert NIK_MAN not in repr(person) and person.masked_nik == "7312********0001"
        [v1, v2] = views(s, keys, [woman.pseudonym, man.pseudonym])
        assert (v1.masked_nik, v1.name, v1.erased) == ("7312********0001", "Suriani Basri", False)
        assert by_pseudonym(s, man.pseudonym) == man


def test_personal_data_is_not_in_the_database_in_clear(loaded: sa.Engine, keys: KeyStore) -> None:
    with Session(loaded) as s, s.begin():
        register_farmers(s, keys, [MAN], now=NOW)
    with loaded.connect() as conn:
        row = conn.execute(sa.select(Farmer.__table__)).one()
    dump = repr(tuple(row)).encode() + b"".join(v for v in row if isinstance(v, bytes))
    for secret in (NIK_MAN, "Ridwan", "1968-10-14"):
        assert secret.encode() not in dump


@pytest.mark.parametrize("farmers,code", [
    ([MAN, MAN], "duplicate_nik"),
    ([NewFarmer(NIK_MAN, "x", date(1968, 10, 14), "KT-7312042001-01", "7312012001", "731201", 1)], "bad_placement"),
    ([NewFarmer(NIK_MAN, "x", date(1968, 10, 14), "KT-7312012001-01", "7312012001", "731201", -1)], "bad_land"),
])
def test_bad_farmers_change_nothing(loaded: sa.Engine, farmers: list[NewFarmer], code: str) -> None:
    keys = MemoryKeyStore()
    with Session(loaded) as s, s.begin():
        with pytest.raises(RegistryError) as err:
            register_farmers(s, keys, [WOMAN, *farmers], now=NOW)
        assert err.value.code == code
        assert NIK_MAN not in str(err.value.as_dict())
    with Session(loaded) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Farmer)) == 0


def test_a_nik_is_registered_once(loaded: sa.Engine) -> None:
    keys = MemoryKeyStore()
    with Session(loaded) as s, s.begin():
        register_farmers(s, keys, [MAN], now=NOW)
    with Session(loaded) as s, s.begin():
        with pytest.raises(RegistryError) as err:
            register_farmers(s, keys, [WOMAN, MAN], now=NOW)
        assert err.value.code == "nik_registered"
    with pytest.raises(NikError):
        with Session(loaded) as s, s.begin():
            register_farmers(s, keys, [NewFarmer("1234", "x", date(1968, 10, 14), "KT-7312012001-01", "7312012001", "731201", 1)], now=NOW)


def test_erasure_crypto_shreds(loaded: sa.Engine, keys: KeyStore) -> None:
    audit = RecordingAudit()
    with Session(loaded) as s, s.begin():
        man, woman = register_farmers(s, keys, [MAN, WOMAN], now=NOW)
    with Session(loaded) as s, s.begin():
        erased = erase_farmer(s, keys, audit, man.pseudonym, actor="admin", now=NOW, reason="permintaan petani")
    assert erased.erased and erased.pseudonym == man.pseudonym
    [action] = audit.actions
    assert (action.kind, action.subject, action.actor) == ("farmer_erased", man.pseudonym, "admin")
    assert NIK_MAN.encode() not in action.canonical()
    assert keys.get([man.id]) == {}
    with Session(loaded) as s:
        with pytest.raises(FarmerErased):
            reveal(s, keys, man.pseudonym)
        assert find_by_nik(s, keys, NIK_MAN) is None
        [v_man, v_woman] = views(s, keys, [man.pseudonym, woman.pseudonym])
        assert v_man.erased and v_man.masked_nik == "dihapus" and "erased" in v_man.name
        assert not v_woman.erased
        assert by_pseudonym(s, man.pseudonym).erased  # the row and pseudonym stay for the ledger
    with Session(loaded) as s, s.begin():
        with pytest.raises(FarmerErased):
            erase_farmer(s, keys, audit, man.pseudonym, actor="admin", now=NOW, reason="again")
        # the same NIK may register again later: it is a new farmer with a new pseudonym
        [again] = register_farmers(s, keys, [MAN], now=NOW)
    assert again.pseudonym != man.pseudonym


def test_database_refuses_half_erased_rows(loaded: sa.Engine) -> None:
    keys = MemoryKeyStore()
    with Session(loaded) as s, s.begin():
        [man] = register_farmers(s, keys, [MAN], now=NOW)
    with pytest.raises(sa.exc.IntegrityError):
        with Session(loaded) as s, s.begin():
            s.execute(sa.update(Farmer).where(Farmer.id == man.id).values(erased_at=NOW))
    with pytest.raises(sa.exc.IntegrityError):
        with Session(loaded) as s, s.begin():
            s.execute(sa.update(Farmer).where(Farmer.id == man.id).values(name_ct=None))


def test_key_lost_reads_as_erased(loaded: sa.Engine) -> None:
    keys = MemoryKeyStore()
    with Session(loaded) as s, s.begin():
        [man] = register_farmers(s, keys, [MAN], now=NOW)
    keys.destroy(man.id)  # e.g. destroyed, then the database change rolled back
    with Session(loaded) as s:
        assert views(s, keys, [man.pseudonym])[0].erased
        with pytest.raises(FarmerErased):
            reveal(s, keys, man.pseudonym)


def test_place_farmer(loaded: sa.Engine) -> None:
    keys = MemoryKeyStore()
    with Session(loaded) as s, s.begin():
        [man] = register_farmers(s, keys, [MAN], now=NOW)
        moved = place_farmer(s, man.pseudonym, group_code="KT-7312042001-01", village_code="7312042001",
                             kecamatan_code="731204", land_m2=12_000)
        assert (moved.group_code, moved.land_m2) == ("KT-7312042001-01", 12_000)
        with pytest.raises(RegistryError):
            place_farmer(s, man.pseudonym, group_code="KT-7312042001-01", village_code="7312012001",
                         kecamatan_code="731201", land_m2=1)
    with Session(loaded) as s:
        with pytest.raises(RegistryError) as err:
            views(s, keys, ["F-NOBODY"])
        assert err.value.code == "unknown_farmer"
