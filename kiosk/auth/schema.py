"""Login throttling tables (migration k0005): failed attempts and the locks they caused.

A failed login is one ``login_failures`` row naming the attempted username only by a keyed hash
(a person who types their password into the username field must not leave it in the database) and
the client address. Enough failures within the window write a ``login_lockouts`` row: a lock on the
username (``scope='user'``) or on the address (``scope='address'``) until ``until``, unless an admin
releases it first (``released_at``/``released_by``). Both tables are operational state, not history:
a successful login deletes that username's failures; the audit trail is the ledger's entries
(``kiosk.user_locked``, ``kiosk.user_unlocked``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.models import Base
from ledger.storage import UTCDateTime

SCOPES = ("user", "address")


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    username_key: Mapped[str] = mapped_column(sa.String(64))  # HMAC-SHA256 hex of the normalised username
    address: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.Index("ix_login_failures_username_key_at", "username_key", "at"),
        sa.Index("ix_login_failures_address_at", "address", "at"),
    )


class LoginLockout(Base):
    __tablename__ = "login_lockouts"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    scope: Mapped[str] = mapped_column(sa.String(8))
    subject: Mapped[str] = mapped_column(sa.String(64))  # username_key (scope user) or the address
    username: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)  # only for an existing user
    failures: Mapped[int] = mapped_column(sa.Integer)
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)

    __table_args__ = (
        sa.CheckConstraint("scope IN ('user', 'address')", name="scope"),
        sa.CheckConstraint("until > locked_at", name="until_after_locked"),
        sa.CheckConstraint("failures > 0", name="failures_positive"),
        sa.Index("ix_login_lockouts_scope_subject_until", "scope", "subject", "until"),
    )
