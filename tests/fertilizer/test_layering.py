"""STYLE habit 1 and DESIGN §2: a pure core, and fertilizer imports only ledger of our packages."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fertilizer"
PURE = ("catalogue", "clock", "errors", "nik", "planner", "policy", "policy_messages", "policy_types", "prices",
        "pricing", "rdkk", "rdkk_reference", "registry_types", "seasons", "settings", "soppeng")
ADAPTER_LIBS = {"sqlalchemy", "flask", "smartcard", "serial", "httpx", "alembic", "ledger"}
OURS = {"kiosk", "card_reader", "bpjs_link", "firmware_stubs"}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_core_imports_no_adapter(module: str) -> None:
    for name in imported(PACKAGE / f"{module}.py"):
        top = name.split(".")[0]
        assert top not in ADAPTER_LIBS, f"{module} imports {name}"
        if top == "fertilizer":
            assert name.split(".")[1] in PURE, f"pure {module} imports adapter module {name}"


def test_only_ledger_among_our_packages() -> None:
    for path in [*PACKAGE.glob("*.py"), *PACKAGE.glob("migrations/*.py")]:
        assert not {n.split(".")[0] for n in imported(path)} & OURS, path.name
