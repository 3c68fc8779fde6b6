"""The ledger's Alembic branch: models == migration (ledger tables only), downgrade and upgrade,
SQLite pragmas; and the package's import rules (DESIGN §2, STYLE habit 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kiosk import migrate
from ledger import schema
from ledger.storage import create_engine

LEDGER = Path(__file__).resolve().parents[2] / "ledger"
PURE_CORE = ("errors.py", "ids.py", "model.py", "rules.py", "entries.py")
OURS = ("kiosk", "fertilizer", "bpjs_link", "card_reader", "firmware_stubs", "tests", "bench")


def _table_of(difference: tuple | list) -> str:  # type: ignore[type-arg]
    """The table an Alembic difference is about (a column change comes as a list of tuples)."""
    first = difference[0] if isinstance(difference, list) else difference
    for part in first[1:]:
        if isinstance(part, sa.Table):
            return part.name
        if isinstance(getattr(part, "table", None), sa.Table):
            return str(part.table.name)
        if isinstance(part, str):
            return part
    return ""


def test_ledger_tables_match_the_migration(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), schema.metadata)
    mine = [d for d in diff if _table_of(d).startswith("ledger_")]
    assert mine == []


def test_the_branch_downgrades_and_upgrades(db_url: str) -> None:
    cfg = migrate.alembic_config(db_url)
    command.downgrade(cfg, "ledger@base")
    engine = create_engine(db_url)
    try:
        assert not [t for t in sa.inspect(engine).get_table_names() if t.startswith("ledger_")]
    finally:
        engine.dispose()
    command.upgrade(cfg, "heads")
    engine = create_engine(db_url)
    try:
        assert {t for t in sa.inspect(engine).get_table_names() if t.startswith("ledger_")} == set(schema.metadata.tables)
    finally:
        engine.dispose()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_ledger_imports_nothing_of_ours_and_its_core_is_pure() -> None:
    for path in LEDGER.rglob("*.py"):
        if "audit" in path.relative_to(LEDGER).parts:
            continue
        ours = {n for n in _imports(path) if n.split(".")[0] in OURS}
        assert not ours, f"{path}: {ours}"
    for name in PURE_CORE:
        heavy = {n for n in _imports(LEDGER / name) if n.split(".")[0] in ("sqlalchemy", "flask", "smartcard", "serial", "psycopg")}
        assert not heavy, f"{name}: {heavy}"
