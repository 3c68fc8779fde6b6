"""What a printed receipt must say, built in the test from what the test itself knows (the demo
farmer's name and NIK, the registry's outlet and penyuluh, the ledger's journal and entries), then
laid out with the receipts package: the printer emulator's stored text must equal it exactly."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import sqlalchemy as sa

import fertilizer
import ledger
from fertilizer.schema import Kecamatan, Outlet, Penyuluh
from kiosk.receipts import (
    Farmer,
    Header,
    Kiosk,
    Proof,
    Receipt,
    paper_text,
    qr_payload,
    render_lines,
)
from tests.support.kiosk_stack import DemoFarmer, KioskWorld

WIDTH = 42


def masked(nik: str) -> str:
    return nik[:4] + "*" * 8 + nik[12:]


def proof(world: KioskWorld, journal_id: str | uuid.UUID) -> Proof:
    """The journal and SHA-256(0x00 || body) of its posting entry (``journal.posted``, else the
    ``journal.submitted`` of a journal posted at once), read straight from the ledger's entries."""
    jid = uuid.UUID(str(journal_id))
    with world.session() as s:
        entries = ledger.journal_entries(s, jid)
    chosen = [e for e in entries if e.kind == "journal.posted"] or [e for e in entries if e.kind == "journal.submitted"]
    return Proof(jid, hashlib.sha256(b"\x00" + chosen[0].body).digest())


def kiosk(world: KioskWorld, code: str) -> Kiosk:
    with world.session() as s:
        outlet = s.get(Outlet, code)
        kecamatan = s.get(Kecamatan, outlet.kecamatan_code)
        return Kiosk(code, outlet.name, f"Kec. {kecamatan.name}")


def penyuluh(world: KioskWorld, farmer: DemoFarmer) -> str:
    with world.session() as s:
        code = fertilizer.group(s, farmer.group_code).penyuluh_code
        return str(s.scalar(sa.select(Penyuluh.name).where(Penyuluh.code == code)))


def posted_at(world: KioskWorld, journal_id: str | uuid.UUID) -> Any:
    with world.session() as s:
        journal = ledger.journal(s, uuid.UUID(str(journal_id)))
        assert journal is not None and journal.finalized_at is not None
        return journal.finalized_at


def header(world: KioskWorld, code: str, journal_id: str | uuid.UUID, operator: str, farmer: DemoFarmer | None,
           *, at: Any = None) -> Header:
    return Header(kiosk(world, code), at or posted_at(world, journal_id), operator,
                  Farmer(farmer.name, masked(farmer.nik)) if farmer is not None else None, proof(world, journal_id))


def text(receipt: Receipt) -> str:
    return paper_text(render_lines(receipt, WIDTH), WIDTH)


def check_printed(printed: dict[str, Any], receipt: Receipt) -> None:
    assert printed["errors"] == []
    assert printed["text"] == text(receipt), "\n" + printed["text"] + "\n---- expected ----\n" + text(receipt)
    assert printed["qr"] == [qr_payload(receipt.header.proof)]
