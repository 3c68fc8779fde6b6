"""The fertilizer package's tables (Alembic branch ``fertilizer``, ``fertilizer/migrations/``).

Reference data is keyed by its public code; farmers by a UUID, with their NIK, name and birth date
encrypted (see :mod:`fertilizer.vault`) and found by a keyed hash. No foreign key leaves this
package: the kiosk refers to outlets by ``code`` and the ledger to farmers by ``pseudonym``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

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


class Kecamatan(Base):
    __tablename__ = "kecamatan"

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)  # Kemendagri PPRRDD, e.g. 731201
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)


class Village(Base):
    __tablename__ = "villages"

    code: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # PPRRDD + 4 digits
    name: Mapped[str] = mapped_column(sa.String(64))
    kecamatan_code: Mapped[str] = mapped_column(sa.ForeignKey("kecamatan.code"))


class Penyuluh(Base):
    """An extension worker (PPL): the agent of record of their farmer groups."""

    __tablename__ = "penyuluh"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    kecamatan_code: Mapped[str] = mapped_column(sa.ForeignKey("kecamatan.code"))


class Outlet(Base):
    """A kios pupuk (Lini IV retailer); the kiosk package refers to it by ``code``."""

    __tablename__ = "outlets"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # e.g. KIOS-001
    name: Mapped[str] = mapped_column(sa.String(128))
    kecamatan_code: Mapped[str] = mapped_column(sa.ForeignKey("kecamatan.code"))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class FarmerGroup(Base):
    """A kelompok tani: its village, its penyuluh and the one kiosk it redeems at (e-RDKK)."""

    __tablename__ = "farmer_groups"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(128))
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("villages.code"))
    penyuluh_code: Mapped[str] = mapped_column(sa.ForeignKey("penyuluh.code"))
    outlet_code: Mapped[str] = mapped_column(sa.ForeignKey("outlets.code"))


class Farmer(Base):
    __tablename__ = "farmers"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(sa.String(16), unique=True)
    nik_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True, nullable=True)
    nik_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    name_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    birth_ct: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    group_code: Mapped[str] = mapped_column(sa.ForeignKey("farmer_groups.code"), index=True)
    village_code: Mapped[str] = mapped_column(sa.ForeignKey("villages.code"))
    kecamatan_code: Mapped[str] = mapped_column(sa.ForeignKey("kecamatan.code"))
    land_m2: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        sa.CheckConstraint("land_m2 >= 0", name="land_not_negative"),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR (nik_hash IS NOT NULL AND nik_ct IS NOT NULL "
            "AND name_ct IS NOT NULL AND birth_ct IS NOT NULL)",
            name="personal_data_present",
        ),
        sa.CheckConstraint(
            "erased_at IS NULL OR (nik_hash IS NULL AND nik_ct IS NULL AND name_ct IS NULL AND birth_ct IS NULL)",
            name="erased_means_gone",
        ),
    )


class HetPrice(Base):
    """One HET decision: from ``effective_from`` the product costs ``price_per_kg`` (None: not for sale).

    Rows are only ever added; the price in force is the latest ``effective_from`` not after the sale,
    the latest ``set_at`` among equals (:mod:`fertilizer.prices`).
    """

    __tablename__ = "het_prices"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True)
    product: Mapped[str] = mapped_column(sa.String(16))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    price_per_kg: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    basis: Mapped[str] = mapped_column(sa.String(200))
    set_by: Mapped[str] = mapped_column(sa.String(64))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("price_per_kg IS NULL OR price_per_kg > 0", name="price_positive"),
        sa.Index("ix_het_prices_product_effective_from", "product", "effective_from"),
    )


class FarmerSeason(Base):
    """A farmer listed in a season's RDKK. ``revision`` counts the farmer's quota-allocation journals
    in that season: the next one's idempotency key is ``alloc:<season>:<pseudonym>:r<revision + 1>``."""

    __tablename__ = "farmer_seasons"

    pseudonym: Mapped[str] = mapped_column(sa.ForeignKey("farmers.pseudonym"), primary_key=True)
    season: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # e.g. 2027-MT1
    revision: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("revision >= 0", name="revision_not_negative"),)


class FarmerQuota(Base):
    """A farmer's quota account for one product and season, and the kg allocated to it so far.

    ``allocated_kg`` is the sum of the farmer's quota-allocation journals for that product (kept in
    the same transaction as the journals); what is left is the ledger account's balance.
    """

    __tablename__ = "farmer_quotas"

    pseudonym: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    season: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    product: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)  # ledger_accounts.id (another package)
    allocated_kg: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        sa.ForeignKeyConstraint(["pseudonym", "season"], ["farmer_seasons.pseudonym", "farmer_seasons.season"]),
        sa.CheckConstraint("allocated_kg >= 0", name="allocated_not_negative"),
    )
