"""The audit core stays pure (STYLE habit 1, DESIGN §2): standard library, ``cryptography`` and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import ledger.audit

PACKAGE = Path(ledger.audit.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_audit_modules_import_only_the_standard_library_cryptography_and_themselves() -> None:
    foreign: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top == "cryptography" or name.startswith("ledger.audit"):
                continue
            foreign.setdefault(path.name, []).append(name)
    assert foreign == {}


def test_the_core_never_imports_its_database_side() -> None:
    """``ledger/audit/db/`` (SQLAlchemy) builds on the core; the core's modules never import it."""
    for path in sorted(PACKAGE.glob("*.py")):
        assert not {n for n in imported_modules(path) if n.startswith("ledger.audit.db")}, path.name
