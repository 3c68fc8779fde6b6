"""Alembic environment for every package's migrations (see kiosk/migrate.py)."""

from __future__ import annotations

from alembic import context

from kiosk.migrate import metadatas
from ledger.storage import create_engine

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("sqlalchemy.url is not set: use kiosk.migrate.alembic_config()")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadatas(),
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported: run `kiosk db upgrade` against a database")
run_migrations_online()
