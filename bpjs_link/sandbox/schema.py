"""The sandbox host's own SQLite tables, created by the sandbox itself (not kiosk Alembic).

SQLite in WAL mode, ``synchronous=FULL``, every transaction ``BEGIN IMMEDIATE``; the app also
serializes its transactions with one lock, so a check (timestamp window, idempotency, paid-through)
and the write it guards are one atomic step.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcTime(sa.types.TypeDecorator[datetime]):
    """Zone-aware in Python, naive UTC in SQLite; naive datetimes are refused."""

    impl = sa.DateTime()
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every time must carry its zone")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    pass


class ParticipantRow(Base):
    __tablename__ = "participants"

    nik: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[date] = mapped_column(sa.Date)
    kpj: Mapped[str] = mapped_column(sa.String(16), unique=True)
    paid_through: Mapped[str] = mapped_column(sa.String(7))
    status: Mapped[str] = mapped_column(sa.String(8))
    registered_at: Mapped[datetime] = mapped_column(UtcTime)

    __table_args__ = (sa.CheckConstraint("status IN ('active', 'inactive')", name="ck_participant_status"),)


class DepositRow(Base):
    __tablename__ = "deposits"

    partner_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    balance: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (sa.CheckConstraint("balance >= 0", name="ck_deposit_not_negative"),)


class PaymentRow(Base):
    """Every payment the host decided: booked, or refused by a business rule. ``partner_id``
    ``*elsewhere*`` marks payments through other channels (Alfamart, BRILink, ...)."""

    __tablename__ = "payments"

    reference_no: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    partner_id: Mapped[str] = mapped_column(sa.String(64))
    partner_reference_no: Mapped[str] = mapped_column(sa.String(64))
    external_id: Mapped[str] = mapped_column(sa.String(36))
    kpj: Mapped[str] = mapped_column(sa.String(16))
    months: Mapped[int] = mapped_column(sa.Integer)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    expected_paid_through: Mapped[str] = mapped_column(sa.String(7))
    paid_through: Mapped[str | None] = mapped_column(sa.String(7), nullable=True)
    state: Mapped[str] = mapped_column(sa.String(8))
    response_code: Mapped[str] = mapped_column(sa.String(7))
    response_message: Mapped[str] = mapped_column(sa.String(150))
    request_timestamp: Mapped[datetime] = mapped_column(UtcTime)
    processed_at: Mapped[datetime] = mapped_column(UtcTime, index=True)

    __table_args__ = (
        sa.UniqueConstraint("partner_id", "partner_reference_no", name="uq_payment_request"),
        sa.CheckConstraint("state IN ('booked', 'refused')", name="ck_payment_state"),
        sa.CheckConstraint("amount >= 0 AND months >= 1", name="ck_payment_amount"),
    )


class TokenRow(Base):
    __tablename__ = "tokens"

    token_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcTime)


class ReplayRow(Base):
    """The first answer to each X-EXTERNAL-ID of a partner's day (SNAP idempotency)."""

    __tablename__ = "replays"

    partner_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    day: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    path: Mapped[str] = mapped_column(sa.String(64))
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    http_status: Mapped[int] = mapped_column(sa.Integer)
    answer: Mapped[str] = mapped_column(sa.Text)


metadata = Base.metadata


def open_database(data_dir: Path) -> sa.Engine:
    """The sandbox database in ``data_dir`` (created with its tables when new)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{data_dir / 'bpjs-sandbox.sqlite3'}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    metadata.create_all(engine)
    return engine
