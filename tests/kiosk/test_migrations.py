"""Alembic owns the schema: an empty database upgrades to head, and the models match it."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk import migrate
from ledger.storage import create_engine


def test_fresh_database_is_at_every_head(engine: sa.Engine, db_url: str) -> None:
    assert migrate.current(engine) == migrate.heads(db_url)


def test_models_match_migrations(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, migrate.combined_metadata())
    assert diff == []


def test_upgrade_is_idempotent(db_url: str) -> None:
    migrate.upgrade(db_url)  # already at head: nothing to do, nothing fails
    eng = create_engine(db_url)
    try:
        assert migrate.current(eng) == migrate.heads(db_url)
    finally:
        eng.dispose()


def test_empty_sqlite_file_upgrades(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    migrate.upgrade(url)
    eng = create_engine(url)
    try:
        assert migrate.current(eng) == migrate.heads(url)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        eng.dispose()
