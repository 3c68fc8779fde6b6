"""The `kiosk` command line, against real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

import fertilizer
from kiosk.cli import cli
from tests.fertilizer.world import REF

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "DATABASE_URL": db_url,
        "KIOSK_INSTANCE_PATH": str(tmp_path),
        "KIOSK_ENV": "testing",
        "KIOSK_PASSWORD_TIME_COST": "1",
        "KIOSK_PASSWORD_MEMORY_KIB": "256",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    engine = sa.create_engine(db_url)
    try:
        with Session(engine) as session, session.begin():  # KIOS-001 and KIOS-002 are registered kiosks
            fertilizer.add_reference(session, REF)
    finally:
        engine.dispose()
    return values


def test_user_add_list_disable(env: dict[str, str]) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["user", "add", "budi", "--role", "operator", "--kiosk", "KIOS-001", "--password-stdin"],
                      input="a long enough password\n")
    assert r.exit_code == 0, r.output
    assert "added budi (operator, kiosk KIOS-001)" in r.output
    assert "a long enough password" not in r.output
    r = runner.invoke(cli, ["user", "add", "budi2", "--role", "operator", "--password-stdin"], input="a long enough password\n")
    assert r.exit_code == 1 and "kiosk" in r.output
    r = runner.invoke(cli, ["user", "add", "budi3", "--role", "operator", "--kiosk", "KIOS-404", "--password-stdin"],
                      input="a long enough password\n")
    assert r.exit_code == 1 and "KIOS-404" in r.output  # an operator's kiosk must be registered
    r = runner.invoke(cli, ["user", "list"])
    assert "budi" in r.output and "active" in r.output
    r = runner.invoke(cli, ["user", "disable", "budi"])
    assert r.exit_code == 0
    assert "disabled" in runner.invoke(cli, ["user", "list"]).output
    assert runner.invoke(cli, ["user", "disable", "nobody"]).exit_code == 1


def test_token_create_prints_secret_once(env: dict[str, str]) -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["token", "create", "agent-1", "--role", "agent", "--kiosk", "KIOS-001"])
    assert r.exit_code == 0 and r.output.startswith("skt_")
    assert runner.invoke(cli, ["token", "create", "agent-1", "--role", "agent"]).exit_code == 1


def test_db_current_reports_at_head(env: dict[str, str]) -> None:
    r = CliRunner().invoke(cli, ["db", "current"])
    assert r.exit_code == 0 and "run `kiosk db upgrade`" not in r.output


def test_production_without_secret_exits_with_message(tmp_path: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    environ.update(KIOSK_ENV="production", KIOSK_INSTANCE_PATH=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "kiosk.cli", "user", "list"], env=environ, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2
    assert "configuration error" in r.stderr and "SECRET_KEY" in r.stderr
