"""`kiosk rdkk`, `kiosk stock`, `kiosk farmers` and `kiosk outlets`, against real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli import cli

SEASON = "2027-MT1"


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for k, v in {"DATABASE_URL": db_url, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_ENV": "testing"}.items():
        monkeypatch.setenv(k, v)
    return tmp_path


@pytest.fixture
def generated(env: Path) -> Path:
    r = CliRunner().invoke(cli, ["farmers", "generate", str(env / "data"), "--farmers", "120", "--load-reference"])
    assert r.exit_code == 0, r.output
    assert f"kiosk rdkk import {env / 'data' / f'rdkk-{SEASON}.csv'} --season {SEASON}" in r.output
    return env / "data" / f"rdkk-{SEASON}.csv"


def test_generate_then_import_then_import_again(generated: Path, env: Path) -> None:
    runner = CliRunner()
    assert {p.name for p in generated.parent.iterdir()} == {generated.name, "cards.csv", "bpjs-participants.csv"}
    dry = runner.invoke(cli, ["rdkk", "import", str(generated), "--season", SEASON, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "petani baru/new farmers 120" in dry.output and "checked, not saved" in dry.output
    first = runner.invoke(cli, ["rdkk", "import", str(generated), "--season", SEASON, "--actor", "dinas"])
    assert first.exit_code == 0, first.output
    assert "120 baris sah/valid rows" in first.output and "petani baru/new farmers 120" in first.output
    assert "saved" in first.output and "UREA +" in first.output
    assert (env / "instance" / "keys" / "farmers").stat().st_mode & 0o777 == 0o700
    again = runner.invoke(cli, ["rdkk", "import", str(generated), "--season", SEASON])
    assert again.exit_code == 0, again.output
    assert "petani baru/new farmers 0" in again.output and "quota changes 0 (tidak ada / none)" in again.output


def test_a_bad_file_is_refused_whole_with_masked_niks(generated: Path, env: Path) -> None:
    lines = generated.read_text().splitlines()
    nik = lines[5].split(",")[0]
    lines[5] = lines[5].replace(",2027-MT1,", ",2027-MT2,")  # line 6: another season
    lines.append(lines[3])  # the farmer of line 4 again at the end
    bad = env / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    r = runner.invoke(cli, ["rdkk", "import", str(bad), "--season", SEASON])
    assert r.exit_code == 1
    assert "baris/line 6 [season] wrong_season" in r.output and "[nik] duplicate_nik" in r.output
    assert "nothing was saved" in r.output and nik not in r.output
    ok = runner.invoke(cli, ["rdkk", "import", str(generated), "--season", SEASON, "--dry-run"])
    assert "petani baru/new farmers 120" in ok.output  # the refused import registered nobody


def test_stock_receive_replay_conflict_and_show(generated: Path) -> None:
    runner = CliRunner()
    args = ["stock", "receive", "--outlet", "KIOS-001", "--product", "UREA", "--kg", "5000", "--do", "do-2026-7",
            "--date", "2026-12-01"]
    r = runner.invoke(cli, args)
    assert r.exit_code == 0 and "received: DO DO-2026-7 5,000 kg UREA -> KIOS-001; stok/stock 5,000 kg" in r.output
    r = runner.invoke(cli, args)
    assert r.exit_code == 0 and "already recorded" in r.output and "stok/stock 5,000 kg" in r.output
    r = runner.invoke(cli, [*args[:-4], "--do", "DO-2026-7", "--date", "2026-11-30"])
    assert r.exit_code == 1 and "DO-2026-7" in r.output and "not recorded again" in r.output
    r = runner.invoke(cli, ["stock", "receive", "--outlet", "KIOS-404", "--product", "NPK", "--kg", "1", "--do", "X1"])
    assert r.exit_code == 1 and "KIOS-404" in r.output
    r = runner.invoke(cli, ["stock", "show", "--outlet", "KIOS-001"])
    assert r.exit_code == 0 and "UREA" in r.output and "5,000 kg" in r.output
    assert "no stock yet" in runner.invoke(cli, ["stock", "show", "--outlet", "KIOS-002"]).output


def test_outlets_list(generated: Path) -> None:
    r = CliRunner().invoke(cli, ["outlets", "list"])
    assert r.exit_code == 0 and r.output.count("KIOS-") == 40 and "Kios Tani Makmur" in r.output
