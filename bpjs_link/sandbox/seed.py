"""Seed participants: a CSV file, or ``demo`` (a small built-in set relative to today's month).

CSV header ``nik,name,birth_date,kpj,paid_through,status``: NIK 16 digits, birth date
``YYYY-MM-DD``, KPJ 8-16 digits, paid-through ``YYYY-MM``, status ``active`` or ``inactive``.
Unregistered farmers are simply absent. A bad file loads nothing: every problem is reported with
its line number. Rows whose NIK is already in the database are left as they are.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpjs_link.bpu import Month, ParticipantStatus
from bpjs_link.errors import BpjsError
from bpjs_link.sandbox.schema import ParticipantRow
from bpjs_link.wire import KPJ, NIK

HEADER = ("nik", "name", "birth_date", "kpj", "paid_through", "status")


class SeedError(BpjsError):
    code = "bpjs_sandbox_seed"


@dataclass(frozen=True)
class SeedParticipant:
    nik: str
    name: str
    birth_date: date
    kpj: str
    paid_through: Month
    status: ParticipantStatus


def _row(values: dict[str, str], line: int) -> SeedParticipant:
    problems: list[str] = []
    nik, name, kpj = values["nik"].strip(), values["name"].strip(), values["kpj"].strip()
    if not NIK.match(nik):
        problems.append("nik must be 16 digits")
    if not 0 < len(name) <= 100:
        problems.append("name must be 1-100 characters")
    if not KPJ.match(kpj):
        problems.append("kpj must be 8-16 digits")
    try:
        birth = date.fromisoformat(values["birth_date"].strip())
    except ValueError:
        problems.append("birth_date must be YYYY-MM-DD")
    try:
        paid = Month.parse(values["paid_through"].strip())
    except ValueError:
        problems.append("paid_through must be YYYY-MM")
    try:
        status = ParticipantStatus(values["status"].strip())
    except ValueError:
        problems.append("status must be active or inactive")
    if problems:
        raise ValueError(f"line {line}: " + "; ".join(problems))
    return SeedParticipant(nik, name, birth, kpj, paid, status)


def parse_csv(text: str) -> list[SeedParticipant]:
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != HEADER:
        raise SeedError("Kepala CSV peserta salah", f"participants CSV header must be {','.join(HEADER)}")
    out: list[SeedParticipant] = []
    problems: list[str] = []
    seen_nik: set[str] = set()
    seen_kpj: set[str] = set()
    for values in reader:
        line = reader.line_num
        if None in values or any(v is None for v in values.values()):
            problems.append(f"line {line}: wrong number of columns")
            continue
        try:
            p = _row(values, line)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if p.nik in seen_nik or p.kpj in seen_kpj:
            problems.append(f"line {line}: duplicate nik or kpj")
        seen_nik.add(p.nik)
        seen_kpj.add(p.kpj)
        out.append(p)
    if problems:
        raise SeedError("CSV peserta berisi kesalahan; tidak ada yang dimuat",
                        "participants CSV has errors; nothing was loaded: " + " | ".join(problems[:20]), problems=len(problems))
    return out


def demo(today: date) -> list[SeedParticipant]:
    """Paid up, one and two months behind, paid ahead, inactive. Unregistered: 7312014107900006."""
    m = Month.of(today)
    active = ParticipantStatus.ACTIVE
    return [
        SeedParticipant("7312011705800001", "Andi Mappaseng", date(1980, 5, 17), "26011700001", m, active),
        SeedParticipant("7312015203850002", "Besse Tenri Ajeng", date(1985, 3, 12), "26011700002", m + (-1), active),
        SeedParticipant("7312020808700003", "La Baso", date(1970, 8, 8), "26011700003", m + (-2), active),
        SeedParticipant("7312034101750004", "Hj. Sitti Rahmah", date(1975, 1, 1), "26011700004", m + (-7), ParticipantStatus.INACTIVE),
        SeedParticipant("7312042512820005", "Baso Tellu", date(1982, 12, 25), "26011700005", m + 3, active),
    ]


DEMO_UNREGISTERED_NIK = "7312014107900006"


def load(source: str, today: date) -> list[SeedParticipant]:
    if source == "demo":
        return demo(today)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError("Berkas CSV peserta tidak dapat dibaca", f"cannot read participants CSV {source}: {exc}") from None
    return parse_csv(text)


def apply(session: Session, participants: list[SeedParticipant], now: datetime) -> int:
    """Insert the participants whose NIK is absent; the number inserted. The caller commits."""
    existing = set(session.scalars(select(ParticipantRow.nik)))
    taken_kpj = set(session.scalars(select(ParticipantRow.kpj)))
    added = 0
    for p in participants:
        if p.nik in existing:
            continue
        if p.kpj in taken_kpj:
            raise SeedError("KPJ sudah dipakai peserta lain", f"kpj of NIK line {p.nik[:4]}**** is already taken")
        session.add(ParticipantRow(nik=p.nik, name=p.name, birth_date=p.birth_date, kpj=p.kpj,
                                   paid_through=str(p.paid_through), status=p.status.value, registered_at=now))
        taken_kpj.add(p.kpj)
        added += 1
    return added
