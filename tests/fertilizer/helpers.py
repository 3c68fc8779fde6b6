"""Shared test helpers in the domain's notation (CSV snippets, NIKs, a recording audit sink)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fertilizer.audit import AdminAction

HEADER = "nik,name,birth_date,group,village,kecamatan,land_ha,season,urea_kg,npk_kg,npk_fk_kg,za_kg,sp36_kg,organic_kg"
# a man born 14 Oct 1968 and a woman born 13 Jan 1973 (day + 40), both registered in Marioriwawo
NIK_MAN = "7312011410680001"
NIK_WOMAN = "7312015301730001"


def rdkk(*rows: str, header: str = HEADER) -> list[str]:
    """Lines of an RDKK file, as an open text file yields them."""
    return [line + "\n" for line in (header, *rows)]


def row(nik: str = NIK_MAN, name: str = "Ridwan Saleh", born: str = "1968-10-14", group: str = "KT-7312012001-01",
        village: str = "7312012001", kecamatan: str = "Marioriwawo", land: str = "0.85", season: str = "2027-MT1",
        kg: str = "170,212,0,0,0,0") -> str:
    return ",".join((nik, name, born, group, village, kecamatan, land, season, kg))


class RecordingAudit:
    """An AuditSink that keeps what it was given, and checks it was called inside a transaction."""

    def __init__(self) -> None:
        self.actions: list[AdminAction] = []

    def record(self, session: Session, action: AdminAction) -> None:
        if not session.in_transaction():
            raise AssertionError("audit entries must be written inside the caller's transaction")
        self.actions.append(action)
