"""Running ``kiosk keys`` / ``kiosk audit`` against a test database, as an operator would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kiosk.cli import cli
from ledger.audit import NoteVerifier, open_checkpoint


class AuditCli:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, db_url: str, instance: Path) -> None:
        for name, value in {"DATABASE_URL": db_url, "KIOSK_INSTANCE_PATH": str(instance), "KIOSK_ENV": "testing",
                            "KIOSK_LOG_ORIGIN": "sutasoma.test/ledger"}.items():
            monkeypatch.setenv(name, value)
        self.vkey = ""

    def run(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, list(args))
        return result.exit_code, result.stdout, result.stderr

    def ok(self, *args: str) -> str:
        code, out, err = self.run(*args)
        assert code == 0, f"kiosk {' '.join(args)}: exit {code}: {err or out}"
        return out

    def init_key(self) -> NoteVerifier:
        self.vkey = self.ok("keys", "init").strip()
        return NoteVerifier.from_vkey(self.vkey)

    def checkpoint(self) -> Any:
        return open_checkpoint(self.ok("audit", "checkpoint"), NoteVerifier.from_vkey(self.vkey)).checkpoint

    def inclusion(self, journal_id: str) -> dict[str, Any]:
        proof: dict[str, Any] = json.loads(self.ok("audit", "prove", "inclusion", "--journal", journal_id))
        return proof
