"""The web side's own tables: users, roles and machine tokens. Other packages keep their own."""

from __future__ import annotations

import hashlib

import enum
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ledger.storage import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


metadata = Base.metadata


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Role(enum.StrEnum):
    """Who may do what (DESIGN §3; issue 2). An operator is bound to one kiosk."""

    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    DINAS = "dinas"
    ADMIN = "admin"
    AGENT = "agent"  # the device agent's machine token; never a person

    @property
    def is_person(self) -> bool:
        return self is not Role.AGENT


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(128), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    kiosk_code: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("role <> 'operator' OR kiosk_code IS NOT NULL", name="operator_has_kiosk"),
        sa.CheckConstraint("role <> 'agent'", name="person_role"),
    )

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The login's id in the session: the user and a fingerprint of the password hash, so that a
        new password (a reset after a stolen session) ends every login made with the old one."""
        return f"user:{self.id}:{self.login_fingerprint()}"

    def login_fingerprint(self) -> str:
        return hashlib.sha256(self.password_hash.encode("utf-8")).hexdigest()[:16]


class ApiToken(Base):
    """A machine's bearer token (device agent, scripts). Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]))
    kiosk_code: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
