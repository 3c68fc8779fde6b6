"""A small booked ledger with a sealed, signed audit log, and a database owner's raw-SQL tampering."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session, sessionmaker

import ledger as L
from ledger.audit import NoteSigner
from ledger.audit import db as audit_db
from tests.ledger.helpers import NOW, Kiosk, tx

ORIGIN = "sutasoma.test/ledger"
AUDIT_TABLES = ("ledger_entries", "ledger_seal", "ledger_audit_nodes", "ledger_checkpoints", "ledger_legs",
                "ledger_journals", "ledger_accounts", "ledger_seal_queue")


def new_signer(origin: str = ORIGIN) -> NoteSigner:
    return NoteSigner(origin, Ed25519PrivateKey.generate())


def seal_all(sessions: sessionmaker[Session], now: datetime = NOW) -> int:
    return tx(sessions, lambda s: audit_db.seal_all(s, now=now, batch=7))


def checkpoint(sessions: sessionmaker[Session], signer: NoteSigner, now: datetime = NOW) -> audit_db.CheckpointRow:
    seal_all(sessions, now)
    return tx(sessions, lambda s: audit_db.write_checkpoint(s, signer, now=now).row)


class Booked:
    """A kiosk with a funded card, three redemptions (one two-phase, posted later) and a voided one."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.kiosk: Kiosk = tx(sessions, lambda s: Kiosk(s))
        self.journals: list[uuid.UUID] = []
        self.redeem("r1", 10, 18_000)
        pending = self.redeem("r2", 5, 9_000, pending=True)
        tx(sessions, lambda s: L.post(s, pending, now=NOW + timedelta(seconds=3)))
        voided = self.redeem("r3", 2, 3_600, pending=True)
        tx(sessions, lambda s: L.void(s, voided, reason="BPJS: ditolak", now=NOW + timedelta(seconds=4)))

    def redeem(self, key: str, kg: int, rp: int, *, at: datetime = NOW, **kw: object) -> uuid.UUID:
        spec = self.kiosk.redemption(key, kg, rp, **kw)
        journal_id = tx(self.sessions, lambda s: L.submit(s, spec, now=at).journal_id)
        self.journals.append(journal_id)
        return journal_id


def drop_guards(engine: sa.Engine) -> None:
    """What a database owner does first: drop the append-only triggers (and the seal's foreign key)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(sa.text(
                "SELECT tgname, relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND relname = ANY(:tables)"), {"tables": list(AUDIT_TABLES)}).all()
            for name, table in rows:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}" ON {table}')
            conn.exec_driver_sql("ALTER TABLE ledger_seal DROP CONSTRAINT fk_ledger_seal_entry")
        else:
            names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars().all()
            for name in names:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')


def raw(engine: sa.Engine, sql: str, **params: object) -> None:
    """Raw SQL as the database owner, foreign keys off on SQLite (as a tamperer would)."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # outside any transaction, where SQLite honours it
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                conn.execute(sa.text(sql), params)
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def reseal_everything(engine: sa.Engine, sessions: sessionmaker[Session], signer: NoteSigner) -> None:
    """A key holder rewriting history: forget the seal, seal every entry again and sign a fresh checkpoint."""
    for sql in ("DELETE FROM ledger_checkpoints", "DELETE FROM ledger_audit_nodes", "DELETE FROM ledger_seal",
                "INSERT INTO ledger_seal_queue (entry_id, rank, created_at) SELECT id, 0, created_at FROM ledger_entries"):
        raw(engine, sql)
    checkpoint(sessions, signer)
