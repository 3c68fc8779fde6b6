"""Farmers in the registry, with their personal data protected (UU 27/2022 PDP; DESIGN §5, §9).

* NIK, name and birth date are sealed under the farmer's own data key (:mod:`fertilizer.vault`),
  kept by a :class:`~fertilizer.keystore.KeyStore` outside the database;
* the NIK is found by its keyed hash; the pseudonym is the only reference the ledger sees;
* :func:`erase_farmer` crypto-shreds: the row stays (the ledger's journals still name its pseudonym),
  the ciphertexts and lookup hash are cleared and the key is destroyed, so neither this database nor
  any backup of it can show the NIK or name again.

Services take a ``Session`` and never commit. A farmer whose key is missing reads as erased (the
key store is the truth: if the key was destroyed and the database change then rolled back, the
data is gone all the same).
"""

from __future__ import annotations

import logging
import uuid
from typing import cast
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fertilizer.audit import AdminAction, AuditSink
from fertilizer.clock import require_aware
from fertilizer.errors import FarmerErased, RegistryError
from fertilizer.keystore import KeyStore
from fertilizer.nik import SOPPENG, mask_nik, parse_nik
from fertilizer.schema import Farmer, FarmerGroup, Village
from fertilizer.bulk import insert_many
from fertilizer.vault import new_pseudonyms, nik_lookup_hash, open_sealed, seal_fields

log = logging.getLogger("fertilizer.farmers")
ERASED_ID = "dihapus"
ERASED_EN = "erased"
_FARMERS = cast(sa.Table, Farmer.__table__)  # bulk inserts: no ORM bookkeeping per row


@dataclass(frozen=True)
class NewFarmer:
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    group_code: str
    village_code: str
    kecamatan_code: str
    land_m2: int


@dataclass(frozen=True)
class FarmerRecord:
    """What the registry may say about a farmer without their key."""

    id: uuid.UUID
    pseudonym: str
    group_code: str
    village_code: str
    kecamatan_code: str
    land_m2: int
    erased: bool


@dataclass(frozen=True)
class FarmerPersonal:
    """Decrypted personal data; its repr shows only the masked NIK."""

    pseudonym: str
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)

    @property
    def masked_nik(self) -> str:
        return mask_nik(self.nik)


@dataclass(frozen=True)
class FarmerView:
    """A farmer as a screen shows them: masked NIK, or "erased"."""

    pseudonym: str
    masked_nik: str
    name: str
    group_code: str
    erased: bool


def _record(row: Farmer) -> FarmerRecord:
    return FarmerRecord(row.id, row.pseudonym, row.group_code, row.village_code, row.kecamatan_code, row.land_m2,
                        row.erased_at is not None)


def _check_placement(session: Session, farmers: Sequence[NewFarmer]) -> None:
    groups = {g.code: g.village_code for g in session.scalars(
        sa.select(FarmerGroup).where(FarmerGroup.code.in_({f.group_code for f in farmers})))}
    villages = {v.code: v.kecamatan_code for v in session.scalars(
        sa.select(Village).where(Village.code.in_({f.village_code for f in farmers})))}
    for f in farmers:
        if groups.get(f.group_code) != f.village_code or villages.get(f.village_code) != f.kecamatan_code:
            raise RegistryError(
                "bad_placement",
                f"Kelompok {f.group_code}, desa {f.village_code} dan kecamatan {f.kecamatan_code} tidak cocok dengan registri.",
                f"Group {f.group_code}, village {f.village_code} and kecamatan {f.kecamatan_code} do not match the registry.",
                group=f.group_code, village=f.village_code, kecamatan=f.kecamatan_code,
            )
        if type(f.land_m2) is not int or f.land_m2 < 0:
            raise RegistryError("bad_land", "Luas lahan harus bilangan bulat m² >= 0.", "Land must be whole m² >= 0.")


def _check_new_niks(session: Session, hashes: Sequence[str], farmers: Sequence[NewFarmer]) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(hashes):
        if h in seen:
            raise RegistryError("duplicate_nik", "NIK muncul dua kali.", "A NIK appears twice.", nik=mask_nik(farmers[i].nik))
        seen[h] = i
    for start in range(0, len(hashes), 500):
        for taken in session.scalars(sa.select(Farmer.nik_hash).where(Farmer.nik_hash.in_(hashes[start : start + 500]))):
            raise RegistryError("nik_registered", "NIK ini sudah terdaftar.", "This NIK is already registered.",
                                nik=mask_nik(farmers[seen[taken or ""]].nik))


def register_farmers(session: Session, keys: KeyStore, farmers: Sequence[NewFarmer], *, now: datetime,
                     nik_regions: Collection[str] = (SOPPENG,)) -> list[FarmerRecord]:
    """Add farmers (all or none on a bad one); their data keys are made in one key-store batch."""
    require_aware(now, "now")
    for f in farmers:
        parse_nik(f.nik, nik_regions)
    _check_placement(session, farmers)
    lookup = keys.lookup_key()
    hashes = [nik_lookup_hash(lookup, f.nik) for f in farmers]
    _check_new_niks(session, hashes, farmers)
    ids = [uuid.uuid4() for _ in farmers]
    data_keys = keys.create(ids)
    rows, out = [], []
    for fid, f, h, pseudonym in zip(ids, farmers, hashes, new_pseudonyms(len(farmers))):
        sealed = seal_fields(data_keys[fid], fid, {"nik": f.nik, "name": f.name, "birth_date": f.birth_date.isoformat()})
        rows.append(dict(id=fid, pseudonym=pseudonym, nik_hash=h, nik_ct=sealed["nik"], name_ct=sealed["name"],
                         birth_ct=sealed["birth_date"], group_code=f.group_code, village_code=f.village_code,
                         kecamatan_code=f.kecamatan_code, land_m2=f.land_m2, created_at=now, erased_at=None))
        out.append(FarmerRecord(fid, pseudonym, f.group_code, f.village_code, f.kecamatan_code, f.land_m2, False))
    insert_many(session.connection(), _FARMERS, rows)
    log.info("event=farmers_registered count=%d", len(out))
    return out


def find_by_nik(session: Session, keys: KeyStore, nik: str) -> FarmerRecord | None:
    """The farmer with this NIK (by its keyed hash), or None. Erased farmers are never found."""
    row = session.scalar(sa.select(Farmer).where(Farmer.nik_hash == nik_lookup_hash(keys.lookup_key(), nik)))
    return None if row is None else _record(row)


def _row(session: Session, pseudonym: str) -> Farmer:
    row = session.scalar(sa.select(Farmer).where(Farmer.pseudonym == pseudonym))
    if row is None:
        raise RegistryError("unknown_farmer", "Petani tidak ditemukan.", "No such farmer.", pseudonym=pseudonym)
    return row


def by_pseudonym(session: Session, pseudonym: str) -> FarmerRecord:
    return _record(_row(session, pseudonym))


def _decrypt(row: Farmer, key: bytes | None) -> FarmerPersonal:
    if key is None or row.erased_at is not None or row.nik_ct is None or row.name_ct is None or row.birth_ct is None:
        raise FarmerErased("farmer_erased", "Data pribadi petani ini telah dihapus.",
                           "This farmer's personal data was erased.", pseudonym=row.pseudonym)
    return FarmerPersonal(row.pseudonym, open_sealed(key, row.id, "nik", row.nik_ct), open_sealed(key, row.id, "name", row.name_ct),
                          date.fromisoformat(open_sealed(key, row.id, "birth_date", row.birth_ct)))


def reveal(session: Session, keys: KeyStore, pseudonym: str) -> FarmerPersonal:
    """The farmer's decrypted personal data, or :class:`FarmerErased`."""
    row = _row(session, pseudonym)
    return _decrypt(row, keys.get([row.id]).get(row.id))


def views(session: Session, keys: KeyStore, pseudonyms: Sequence[str]) -> list[FarmerView]:
    """Screen views (masked NIK) of several farmers, in the order asked; unknown pseudonyms are refused."""
    rows = {r.pseudonym: r for r in session.scalars(sa.select(Farmer).where(Farmer.pseudonym.in_(set(pseudonyms))))}
    missing = set(pseudonyms) - set(rows)
    if missing:
        raise RegistryError("unknown_farmer", "Petani tidak ditemukan.", "No such farmer.", pseudonyms=sorted(missing))
    found = keys.get([r.id for r in rows.values()])
    out = []
    for p in pseudonyms:
        row = rows[p]
        try:
            person = _decrypt(row, found.get(row.id))
            out.append(FarmerView(p, person.masked_nik, person.name, row.group_code, False))
        except FarmerErased:
            out.append(FarmerView(p, ERASED_ID, f"({ERASED_ID} / {ERASED_EN})", row.group_code, True))
    return out


def place_farmer(session: Session, pseudonym: str, *, group_code: str, village_code: str, kecamatan_code: str,
                 land_m2: int) -> FarmerRecord:
    """Move a farmer to another group/village or change their land (an RDKK re-import)."""
    row = _row(session, pseudonym)
    probe = NewFarmer("", "", date.min, group_code, village_code, kecamatan_code, land_m2)
    _check_placement(session, [probe])
    row.group_code, row.village_code, row.kecamatan_code, row.land_m2 = group_code, village_code, kecamatan_code, land_m2
    session.flush()
    return _record(row)


def erase_farmer(session: Session, keys: KeyStore, audit: AuditSink, pseudonym: str, *, actor: str,
                 now: datetime, reason: str) -> FarmerRecord:
    """Crypto-shred a farmer (UU 27/2022 PDP right to erasure). The pseudonym and ledger stay valid."""
    row = _row(session, pseudonym)
    if row.erased_at is not None:
        raise FarmerErased("farmer_erased", "Data pribadi petani ini sudah dihapus.",
                           "This farmer's personal data was already erased.", pseudonym=pseudonym)
    row.erased_at = require_aware(now, "now")
    row.nik_hash = row.nik_ct = row.name_ct = row.birth_ct = None
    audit.record(session, AdminAction("farmer_erased", actor, now, pseudonym, (("reason", reason),)))
    session.flush()  # constraint or audit failure: stop before the key is gone
    keys.destroy(row.id)
    log.info("event=farmer_erased pseudonym=%s actor=%s", pseudonym, actor)
    return _record(row)
