"""``kiosk keys`` and ``kiosk audit`` against real databases; ``python -m ledger.verify`` as a real process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker

from kiosk.cli import cli
from ledger.audit import NoteVerifier, open_checkpoint, verify_consistency_between, verify_inclusion_at
from ledger.storage import create_engine
from tests.ledger.audit.world import Booked, drop_guards

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"DATABASE_URL": db_url, "KIOSK_INSTANCE_PATH": str(tmp_path / "instance"), "KIOSK_ENV": "testing",
              "KIOSK_LOG_ORIGIN": "sutasoma.test/ledger"}
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values


@pytest.fixture
def world(db_url: str) -> Iterator[Booked]:
    engine = create_engine(db_url)
    yield Booked(sessionmaker(engine, expire_on_commit=False))
    engine.dispose()


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), input=input)
    return r.exit_code, r.stdout, r.stderr


def test_keys_init_makes_a_private_key_file_once_and_export_public_prints_the_vkey(env: dict[str, str]) -> None:
    code, out, err = run("keys", "init")
    assert code == 0, err
    vkey = out.strip()
    key_file = Path(env["KIOSK_INSTANCE_PATH"]) / "keys" / "ledger" / "ledger.key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and "PRIVATE KEY" in key_file.read_text()
    assert NoteVerifier.from_vkey(vkey).name == "sutasoma.test/ledger" and "PRIVATE" not in out
    code, _, err = run("keys", "init")
    assert code == 1 and "never overwritten" in err and "tidak ditimpa" in err
    assert run("keys", "export-public")[:2] == (0, vkey + "\n")


def test_checkpoint_prove_export_verify_round_trip(env: dict[str, str], world: Booked, tmp_path: Path) -> None:
    vkey = run("keys", "init")[1].strip()
    verifier = NoteVerifier.from_vkey(vkey)
    code, note, err = run("audit", "checkpoint")
    assert code == 0, err
    first = open_checkpoint(note, verifier).checkpoint
    assert first.size == 15
    world.redeem("r4", 1, 1_800)
    later = open_checkpoint(run("audit", "checkpoint")[1], verifier).checkpoint

    code, out, err = run("audit", "prove", "inclusion", "--journal", str(world.journals[1]))
    assert code == 0, err
    proof = json.loads(out)
    verify_inclusion_at(later, leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["index"],
                        proof=[bytes.fromhex(h) for h in proof["proof"]])
    by_hash = json.loads(run("audit", "prove", "inclusion", "--leaf-hash", proof["leaf_hash"], "--checkpoint", "15")[1])
    assert by_hash["index"] == proof["index"] and by_hash["checkpoint"]["size"] == 15
    consistency = json.loads(run("audit", "prove", "consistency", "15")[1])
    verify_consistency_between(first, later, [bytes.fromhex(h) for h in consistency["proof"]])
    assert run("audit", "prove", "inclusion")[0] == 2  # usage: one of --journal / --leaf-hash

    export = tmp_path / "export"
    code, out, err = run("audit", "export", "--to", "15", str(export))
    assert code == 0, err
    assert "exported 15 entries and 1 checkpoints" in out
    done = subprocess.run([sys.executable, "-m", "ledger.verify", str(export), "--vkey", vkey], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "OK: 15 entri / entries" in done.stdout and "WARNING" not in done.stdout
    assert run("audit", "export", str(export))[0] == 1  # never into a non-empty directory
    code, out, err = run("audit", "verify")
    assert code == 0, err
    assert "16 entries sealed" in out


def test_verify_names_a_tampered_row_and_exits_non_zero(env: dict[str, str], world: Booked, db_url: str, tmp_path: Path) -> None:
    run("keys", "init")
    run("audit", "checkpoint")
    run("audit", "export", str(tmp_path / "before"))
    engine = create_engine(db_url)
    drop_guards(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_seal SET leaf_hash = (SELECT leaf_hash FROM ledger_seal WHERE seq = 1) WHERE seq = 2"))
    engine.dispose()
    code, _, err = run("audit", "verify")
    assert code == 1 and "leaf_hash_mismatch" in err and "Entry 2 was altered" in err and "Entri 2 telah diubah" in err
    run("audit", "export", str(tmp_path / "after"))
    done = subprocess.run([sys.executable, "-m", "ledger.verify", str(tmp_path / "after")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 1 and "leaf_hash_mismatch" in done.stderr and "seq: 2" in done.stderr


def test_the_witness_keeps_checkpoints_from_exports_and_refuses_a_rewrite(env: dict[str, str], world: Booked,
                                                                          tmp_path: Path) -> None:
    vkey = run("keys", "init")[1].strip()
    witness = tmp_path / "witness"
    assert run("audit", "witness", "init", str(witness), "--vkey", vkey)[0] == 0
    run("audit", "checkpoint")
    world.redeem("r4", 1, 1_800)
    run("audit", "checkpoint")
    run("audit", "export", str(tmp_path / "export"))
    code, out, err = run("audit", "witness", "fetch", str(witness), "--export", str(tmp_path / "export"))
    assert code == 0, err
    assert out.count("accepted") == 2
    note_16 = tmp_path / "n16"
    note_16.write_text(json.loads((tmp_path / "export" / "checkpoints.jsonl").read_text().splitlines()[1])["note"])
    assert "already seen" in run("audit", "witness", "submit", str(witness), str(note_16))[1]
    note_15 = tmp_path / "n15"
    note_15.write_text(json.loads((tmp_path / "export" / "checkpoints.jsonl").read_text().splitlines()[0])["note"])
    code, _, err = run("audit", "witness", "submit", str(witness), str(note_15))
    assert code == 1 and "[rollback]" in err
    code, out, _ = run("audit", "witness", "show", str(witness))
    assert code == 0 and "2 checkpoints verified" in out
    assert run("audit", "verify", "--witness", str(witness))[0] == 0
