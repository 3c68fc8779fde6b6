"""Alembic owns the schema. Each package with tables keeps its own migration branch:

=================  ============================  ==========================
package            metadata                      versions
=================  ============================  ==========================
``ledger``         ``ledger.schema.metadata``    ``ledger/migrations/``
``fertilizer``     ``fertilizer.schema.metadata`` ``fertilizer/migrations/``
``kiosk``          ``kiosk.schema.metadata``     ``kiosk/migrations/versions/``
=================  ============================  ==========================

``upgrade(url)`` brings a database to every head. The environment script is
``kiosk/migrations/env.py``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

_ROOT = Path(__file__).resolve().parent.parent

# (metadata module, versions directory relative to the project root), in dependency order.
# A package appears here once it has tables.
_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("ledger.schema", "ledger/migrations"),
    ("fertilizer.schema", "fertilizer/migrations"),
    ("kiosk.schema", "kiosk/migrations/versions"),
)
SCHEMAS: tuple[tuple[str, str], ...] = tuple(
    (mod, d) for mod, d in _CANDIDATES if importlib.util.find_spec(mod) is not None and (_ROOT / d).is_dir()
)


def metadatas() -> list[sa.MetaData]:
    return [importlib.import_module(mod).metadata for mod, _ in SCHEMAS]


def combined_metadata() -> sa.MetaData:
    """All tables of all packages in one MetaData (for comparing models with migrations)."""
    out = sa.MetaData()
    for md in metadatas():
        for table in md.tables.values():
            table.to_metadata(out)
    return out


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_ROOT / "kiosk" / "migrations"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(str(_ROOT / d) for _, d in SCHEMAS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def heads(url: str) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def current(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
