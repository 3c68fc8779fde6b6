"""farmer registry, outlets and the HET price list (seeded with DOMAIN.md's two lists)

Revision ID: f0001
Revises:
Create Date: 2026-12-04
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

from ledger.storage import UTCDateTime

revision = "f0001"
down_revision = None
branch_labels = ("fertilizer",)
depends_on = None

# A frozen copy of fertilizer.catalogue.HET_SEED: migrations never change with the code.
_OLD = "HET sebelum Kepmentan 1117/Kpts./SR.310/M/10/2025 (DOMAIN.md)"
_NEW = "Kepmentan 1117/Kpts./SR.310/M/10/2025"
_SP36 = "SP-36: HET baru belum terbit di sumber kami; tidak dijual sampai admin menetapkan HET"
_WITA = timezone(timedelta(hours=8))
_OLD_FROM = datetime(2021, 1, 1, tzinfo=_WITA)
_NEW_FROM = datetime(2025, 10, 22, tzinfo=_WITA)
SEED = (
    ("UREA", _OLD_FROM, 2250, _OLD), ("NPK", _OLD_FROM, 2300, _OLD), ("NPK_FK", _OLD_FROM, 3300, _OLD),
    ("ZA", _OLD_FROM, 1700, _OLD), ("SP36", _OLD_FROM, 2400, _OLD), ("ORGANIC", _OLD_FROM, 800, _OLD),
    ("UREA", _NEW_FROM, 1800, _NEW), ("NPK", _NEW_FROM, 1840, _NEW), ("NPK_FK", _NEW_FROM, 2640, _NEW),
    ("ZA", _NEW_FROM, 1360, _NEW), ("SP36", _NEW_FROM, None, _SP36), ("ORGANIC", _NEW_FROM, 640, _NEW),
)
SEED_SET_AT = datetime(2025, 10, 21, 16, 0, tzinfo=timezone.utc)
SEED_NAMESPACE = uuid.UUID("6f1c1f4e-8a55-4a8e-9d5e-5f0a0c1e0f01")


def upgrade() -> None:
    op.create_table(
        "kecamatan",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_kecamatan")),
        sa.UniqueConstraint("name", name=op.f("uq_kecamatan_name")),
    )
    op.create_table(
        "villages",
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kecamatan_code", sa.String(6), nullable=False),
        sa.ForeignKeyConstraint(["kecamatan_code"], ["kecamatan.code"], name=op.f("fk_villages_kecamatan_code_kecamatan")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_villages")),
    )
    op.create_table(
        "penyuluh",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kecamatan_code", sa.String(6), nullable=False),
        sa.ForeignKeyConstraint(["kecamatan_code"], ["kecamatan.code"], name=op.f("fk_penyuluh_kecamatan_code_kecamatan")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_penyuluh")),
    )
    op.create_table(
        "outlets",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kecamatan_code", sa.String(6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["kecamatan_code"], ["kecamatan.code"], name=op.f("fk_outlets_kecamatan_code_kecamatan")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_outlets")),
    )
    op.create_table(
        "farmer_groups",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("village_code", sa.String(10), nullable=False),
        sa.Column("penyuluh_code", sa.String(16), nullable=False),
        sa.Column("outlet_code", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["outlet_code"], ["outlets.code"], name=op.f("fk_farmer_groups_outlet_code_outlets")),
        sa.ForeignKeyConstraint(["penyuluh_code"], ["penyuluh.code"], name=op.f("fk_farmer_groups_penyuluh_code_penyuluh")),
        sa.ForeignKeyConstraint(["village_code"], ["villages.code"], name=op.f("fk_farmer_groups_village_code_villages")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_farmer_groups")),
    )
    op.create_table(
        "farmers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pseudonym", sa.String(16), nullable=False),
        sa.Column("nik_hash", sa.String(64), nullable=True),
        sa.Column("nik_ct", sa.LargeBinary(), nullable=True),
        sa.Column("name_ct", sa.LargeBinary(), nullable=True),
        sa.Column("birth_ct", sa.LargeBinary(), nullable=True),
        sa.Column("group_code", sa.String(32), nullable=False),
        sa.Column("village_code", sa.String(10), nullable=False),
        sa.Column("kecamatan_code", sa.String(6), nullable=False),
        sa.Column("land_m2", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("land_m2 >= 0", name=op.f("ck_farmers_land_not_negative")),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR (nik_hash IS NOT NULL AND nik_ct IS NOT NULL "
            "AND name_ct IS NOT NULL AND birth_ct IS NOT NULL)",
            name=op.f("ck_farmers_personal_data_present"),
        ),
        sa.CheckConstraint(
            "erased_at IS NULL OR (nik_hash IS NULL AND nik_ct IS NULL AND name_ct IS NULL AND birth_ct IS NULL)",
            name=op.f("ck_farmers_erased_means_gone"),
        ),
        sa.ForeignKeyConstraint(["group_code"], ["farmer_groups.code"], name=op.f("fk_farmers_group_code_farmer_groups")),
        sa.ForeignKeyConstraint(["kecamatan_code"], ["kecamatan.code"], name=op.f("fk_farmers_kecamatan_code_kecamatan")),
        sa.ForeignKeyConstraint(["village_code"], ["villages.code"], name=op.f("fk_farmers_village_code_villages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_farmers")),
        sa.UniqueConstraint("nik_hash", name=op.f("uq_farmers_nik_hash")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_farmers_pseudonym")),
    )
    op.create_index(op.f("ix_farmers_group_code"), "farmers", ["group_code"])
    het = op.create_table(
        "het_prices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("product", sa.String(16), nullable=False),
        sa.Column("effective_from", UTCDateTime(), nullable=False),
        sa.Column("price_per_kg", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("price_per_kg IS NULL OR price_per_kg > 0", name=op.f("ck_het_prices_price_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_het_prices")),
    )
    op.create_index("ix_het_prices_product_effective_from", "het_prices", ["product", "effective_from"])
    op.bulk_insert(het, [
        {
            "id": uuid.uuid5(SEED_NAMESPACE, f"{product}:{start.date().isoformat()}"),
            "product": product,
            "effective_from": start,
            "price_per_kg": price,
            "basis": basis,
            "set_by": "seed:f0001",
            "set_at": SEED_SET_AT,
        }
        for product, start, price, basis in SEED
    ])


def downgrade() -> None:
    op.drop_index("ix_het_prices_product_effective_from", table_name="het_prices")
    op.drop_table("het_prices")
    op.drop_index(op.f("ix_farmers_group_code"), table_name="farmers")
    op.drop_table("farmers")
    op.drop_table("farmer_groups")
    op.drop_table("outlets")
    op.drop_table("penyuluh")
    op.drop_table("villages")
    op.drop_table("kecamatan")
