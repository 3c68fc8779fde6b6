"""Reference data of the registry: kecamatan, villages, penyuluh, outlets (kios pupuk), farmer groups.

Services take a ``Session`` and never commit (STYLE habit 3).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from fertilizer.audit import AdminAction, AuditSink
from fertilizer.errors import RegistryError
from fertilizer.registry_types import GroupRec, KecamatanRec, OutletRec, PenyuluhRec, ReferenceData, VillageRec
from fertilizer.schema import FarmerGroup, Kecamatan, Outlet, Penyuluh, Village

KECAMATAN_CODE = re.compile(r"^\d{6}$")
VILLAGE_CODE = re.compile(r"^\d{10}$")
OUTLET_CODE = re.compile(r"^KIOS-\d{3,6}$")
PLAIN_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")


def _bad(code: str, what_id: str, what_en: str, value: str) -> RegistryError:
    return RegistryError(code, f"{what_id}: {value!r}.", f"{what_en}: {value!r}.", value=value)


def _check_codes(data: ReferenceData) -> None:
    for pattern, values, what_id, what_en in (
        (KECAMATAN_CODE, [k.code for k in data.kecamatan], "Kode kecamatan harus 6 angka", "A kecamatan code is 6 digits"),
        (VILLAGE_CODE, [v.code for v in data.villages], "Kode desa harus 10 angka", "A village code is 10 digits"),
        (PLAIN_CODE, [p.code for p in data.penyuluh], "Kode penyuluh tidak sah", "Not a penyuluh code"),
        (OUTLET_CODE, [o.code for o in data.outlets], "Kode kios harus seperti KIOS-001", "An outlet code looks like KIOS-001"),
        (PLAIN_CODE, [g.code for g in data.groups], "Kode kelompok tani tidak sah", "Not a farmer group code"),
    ):
        for value in values:
            if not pattern.match(value):
                raise _bad("bad_code", what_id, what_en, value)
    for v in data.villages:
        if not v.code.startswith(v.kecamatan_code):
            raise _bad("village_outside_kecamatan", "Kode desa tidak berada di kecamatannya",
                       "A village code must start with its kecamatan code", v.code)


def _existing(session: Session, column: InstrumentedAttribute[str], wanted: Iterable[str]) -> set[str]:
    values = sorted(set(wanted))
    found: set[str] = set()
    for start in range(0, len(values), 500):
        found.update(session.scalars(sa.select(column).where(column.in_(values[start : start + 500]))))
    return found


def _require(session: Session, column: InstrumentedAttribute[str], wanted: Iterable[str], new: Iterable[str],
             what_id: str, what_en: str) -> None:
    wanted = set(wanted)
    missing = wanted - set(new) - _existing(session, column, wanted)
    if missing:
        raise RegistryError("unknown_reference", f"{what_id} tidak dikenal: {', '.join(sorted(missing))}.",
                            f"Unknown {what_en}: {', '.join(sorted(missing))}.", missing=sorted(missing))


def add_reference(session: Session, data: ReferenceData) -> None:
    """Add reference records (checked against each other and the database); nothing on error."""
    _check_codes(data)
    kec = [k.code for k in data.kecamatan]
    _require(session, Kecamatan.code, [v.kecamatan_code for v in data.villages] + [p.kecamatan_code for p in data.penyuluh]
             + [o.kecamatan_code for o in data.outlets], kec, "Kecamatan", "kecamatan")
    _require(session, Village.code, [g.village_code for g in data.groups], [v.code for v in data.villages], "Desa", "village")
    _require(session, Penyuluh.code, [g.penyuluh_code for g in data.groups], [p.code for p in data.penyuluh], "Penyuluh", "penyuluh")
    _require(session, Outlet.code, [g.outlet_code for g in data.groups], [o.code for o in data.outlets], "Kios", "outlet")
    for model, records in ((Kecamatan, data.kecamatan), (Village, data.villages), (Penyuluh, data.penyuluh),
                           (Outlet, data.outlets), (FarmerGroup, data.groups)):
        codes = [r.code for r in records]
        taken = _existing(session, model.code, codes) | {c for c, n in Counter(codes).items() if n > 1}
        if taken:
            raise RegistryError("duplicate_code", f"Kode sudah ada: {', '.join(sorted(taken))}.",
                                f"Codes already present: {', '.join(sorted(taken))}.", codes=sorted(taken))
        if records:
            session.execute(sa.insert(model), [dataclasses.asdict(r) for r in records])
    session.flush()


def reference_data(session: Session) -> ReferenceData:
    """Everything in the registry's reference tables (a few thousand rows for a kabupaten)."""
    return ReferenceData(
        kecamatan=tuple(KecamatanRec(r.code, r.name) for r in session.scalars(sa.select(Kecamatan).order_by(Kecamatan.code))),
        villages=tuple(VillageRec(r.code, r.name, r.kecamatan_code) for r in session.scalars(sa.select(Village).order_by(Village.code))),
        penyuluh=tuple(PenyuluhRec(r.code, r.name, r.kecamatan_code) for r in session.scalars(sa.select(Penyuluh).order_by(Penyuluh.code))),
        outlets=tuple(OutletRec(r.code, r.name, r.kecamatan_code, r.active) for r in session.scalars(sa.select(Outlet).order_by(Outlet.code))),
        groups=tuple(GroupRec(r.code, r.name, r.village_code, r.penyuluh_code, r.outlet_code)
                     for r in session.scalars(sa.select(FarmerGroup).order_by(FarmerGroup.code))),
    )


def outlet(session: Session, code: str) -> OutletRec:
    row = session.get(Outlet, code)
    if row is None:
        raise RegistryError("unknown_outlet", f"Kios {code!r} tidak terdaftar.", f"Outlet {code!r} is not registered.", outlet=code)
    return OutletRec(row.code, row.name, row.kecamatan_code, row.active)


def group(session: Session, code: str) -> GroupRec:
    row = session.get(FarmerGroup, code)
    if row is None:
        raise RegistryError("unknown_group", f"Kelompok tani {code!r} tidak terdaftar.",
                            f"Farmer group {code!r} is not registered.", group=code)
    return GroupRec(row.code, row.name, row.village_code, row.penyuluh_code, row.outlet_code)


def groups_of_outlet(session: Session, outlet_code: str) -> Sequence[GroupRec]:
    """The farmer groups whose official kiosk is this outlet."""
    rows = session.scalars(sa.select(FarmerGroup).where(FarmerGroup.outlet_code == outlet_code).order_by(FarmerGroup.code))
    return [GroupRec(r.code, r.name, r.village_code, r.penyuluh_code, r.outlet_code) for r in rows]


# ---- outlets as admin actions (issue 11: the admin pages' kiosks) ---------------------------


def add_outlet(session: Session, audit: AuditSink, rec: OutletRec, *, actor: str, now: datetime) -> OutletRec:
    """Register one kiosk (code, name, kecamatan: checked as :func:`add_reference` does) and audit it."""
    add_reference(session, ReferenceData(outlets=(rec,)))
    audit.record(session, AdminAction("outlet_added", actor, now, rec.code,
                                      (("name", rec.name), ("kecamatan", rec.kecamatan_code))))
    return rec


def rename_outlet(session: Session, audit: AuditSink, code: str, name: str, *, actor: str, now: datetime) -> OutletRec:
    """Give a kiosk a new display name (its code, which users and groups refer to, never changes)."""
    name = name.strip()
    if not 1 <= len(name) <= 128:
        raise RegistryError("bad_outlet_name", "Nama kios: 1-128 karakter.", "A kiosk name has 1-128 characters.")
    row = session.get(Outlet, code)
    if row is None:
        raise RegistryError("unknown_outlet", f"Kios {code!r} tidak terdaftar.", f"Outlet {code!r} is not registered.", outlet=code)
    before, row.name = row.name, name
    session.flush()
    audit.record(session, AdminAction("outlet_renamed", actor, now, code, (("name", name), ("name_before", before))))
    return OutletRec(row.code, row.name, row.kecamatan_code, row.active)
