"""``kiosk audit``: seal, sign checkpoints, prove, export, verify the live log, and an auditor's witness.

``kiosk audit witness ...`` needs no database (it runs on an auditor's own machine): it keeps every
checkpoint it is shown and refuses one that does not extend the last (ledger.audit.Witness).
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import httpx
from flask import current_app
from flask.cli import with_appcontext

from kiosk.cli.keys import fail
from kiosk.db import get_db
from kiosk.settings import Settings
from ledger.audit import (
    AuditError,
    NoteVerifier,
    Witness,
    WitnessRefusal,
    load_key_file,
    log_verifiers,
    public_vkey,
    signer_from_file,
)
from ledger.audit import db as audit_db
from ledger.verify import format as fmt

SEAL_BATCH = 5000


def _settings() -> Settings:
    settings: Settings = current_app.extensions["kiosk.settings"]
    return settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _vkey(explicit: str | None) -> str:
    if explicit:
        return explicit.strip()
    settings = _settings()
    return public_vkey(settings.log_origin, load_key_file(settings.ledger_key_file))


def _seal_all() -> int:
    sealed = 0
    while True:
        with get_db().sessions.begin() as s:
            done = audit_db.seal(s, now=_now(), limit=SEAL_BATCH).sealed
        sealed += done
        if done < SEAL_BATCH:
            return sealed


def _echo_json(body: Any) -> None:
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log (DESIGN §5)."""


@audit_group.command("seal")
@with_appcontext
def seal_command() -> None:
    """Seal every committed entry now (the worker does this within seal_delay_s)."""
    click.echo(f"sealed {_seal_all()}")


@audit_group.command("checkpoint")
@with_appcontext
def checkpoint_command() -> None:
    """Seal, then sign a checkpoint of the whole log now; prints the signed note."""
    settings = _settings()
    try:
        signer = signer_from_file(settings.ledger_key_file, settings.log_origin)
        _seal_all()
        with get_db().sessions.begin() as s:
            result = audit_db.write_checkpoint(s, signer, now=_now(),
                                               earlier=log_verifiers(settings.ledger_key_file, settings.log_origin))
    except AuditError as exc:
        fail(exc)
        return
    click.echo(result.row.note, nl=False)


@audit_group.group("prove")
def prove_group() -> None:
    """Inclusion and consistency proofs, as JSON (hashes in hex)."""


@prove_group.command("inclusion")
@click.option("--journal", "journal_id", type=click.UUID, help="A journal id (its final state change).")
@click.option("--leaf-hash", help="An entry's leaf hash, 64 hex digits (a receipt's QR 'h').")
@click.option("--checkpoint", "size", type=click.IntRange(min=0), help="Prove against this checkpoint size (default: latest).")
@with_appcontext
def prove_inclusion(journal_id: uuid.UUID | None, leaf_hash: str | None, size: int | None) -> None:
    """Prove that a journal (or an entry hash) is in the log."""
    if (journal_id is None) == (leaf_hash is None):
        raise click.UsageError("give exactly one of --journal and --leaf-hash")
    try:
        with get_db().sessions.begin() as s:
            if journal_id is not None:
                proof = audit_db.inclusion_for_journal(s, journal_id, checkpoint_size=size)
            else:
                proof = audit_db.inclusion_for_leaf(s, _hex32(leaf_hash or ""), checkpoint_size=size)
    except AuditError as exc:
        fail(exc)
        return
    _echo_json(audit_db.inclusion_json(proof))


def _hex32(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise click.BadParameter("must be 64 hex digits", param_hint="--leaf-hash")
    return raw


@prove_group.command("consistency")
@click.argument("old", type=click.IntRange(min=0))
@click.argument("new", type=click.IntRange(min=0), required=False)
@with_appcontext
def prove_consistency(old: int, new: int | None) -> None:
    """Prove that the checkpoint of size NEW (default: latest) extends the one of size OLD."""
    try:
        with get_db().sessions.begin() as s:
            proof = audit_db.consistency_between(s, old, new)
    except AuditError as exc:
        fail(exc)
        return
    _echo_json(audit_db.consistency_json(proof))


@audit_group.command("export")
@click.option("--to", "size", type=click.IntRange(min=0), help="Export up to this checkpoint size (default: latest).")
@click.option("--vkey", help="The log's verifier key to write (default: from the ledger key file).")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@with_appcontext
def export_command(size: int | None, vkey: str | None, directory: Path) -> None:
    """Export the log from its start to a checkpoint: JSON Lines, checkpoints, public key."""
    try:
        key = _vkey(vkey)
        with audit_db.read_snapshot(get_db().engine) as s:
            total = audit_db.checkpoint_or_latest(s.connection(), size).size
            with click.progressbar(length=total, label="export", file=sys.stderr) as bar:
                summary = audit_db.export_log(s, directory, vkey=key, now=_now(), to_size=size, progress=bar.update)
    except AuditError as exc:
        fail(exc)
        return
    click.echo(f"exported {summary.entries} entries and {summary.checkpoints} checkpoints to {summary.directory}")
    click.echo(f"verify with: python -m ledger.verify {summary.directory} --vkey '{key}'")


@audit_group.command("verify")
@click.option("--vkey", help="The log's published verifier key (default: from the ledger key file).")
@click.option("--witness", "witness_dir", type=click.Path(path_type=Path, file_okay=False),
              help="A witness directory: the log must reach and match its latest checkpoint.")
@with_appcontext
def verify_command(vkey: str | None, witness_dir: Path | None) -> None:
    """Run the offline verifier's checks on the live database, plus the tables against the log."""
    try:
        settings = _settings()  # without --vkey: every key that signed this log (rotations, `kiosk keys`)
        verifier = ([NoteVerifier.from_vkey(vkey.strip())] if vkey
                    else log_verifiers(settings.ledger_key_file, settings.log_origin))
        known = _witness_latest(witness_dir)
        with audit_db.read_snapshot(get_db().engine) as s:
            report = audit_db.verify_live(s, verifier, known=known)
    except AuditError as exc:
        click.echo(f"GAGAL / FAILED [{exc.code}]: {exc.message_id} / {exc.message_en}", err=True)
        sys.exit(1)
    r = report.replay
    click.echo(f"OK: {report.size} entries sealed, {report.queued} queued, {report.checkpoints} checkpoints; "
               f"{r.journals} journals ({r.pending} pending), {r.accounts} accounts match the log")


def _witness_latest(directory: Path | None) -> list[str]:
    if directory is None:
        return []
    latest = Witness(directory).latest()
    return [] if latest is None else [latest.note]


# ------------------------------------------------------------------------------------------------
# the witness: no database, no app


@audit_group.group("witness")
def witness_group() -> None:
    """An auditor's witness: keeps every checkpoint shown, refuses one that rewrites history."""


@witness_group.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--vkey", required=True, help="The log's published verifier key (name+id+key).")
def witness_init(directory: Path, vkey: str) -> None:
    """Create a witness pinned to one log's key."""
    try:
        w = Witness.init(directory, vkey.strip())
    except AuditError as exc:
        fail(exc)
        return
    click.echo(f"witness for {w.origin} in {directory}")


def _submit(w: Witness, note: str, proof: list[bytes]) -> None:
    try:
        record = w.submit(note, proof)
    except WitnessRefusal as exc:
        click.echo(f"DITOLAK / REFUSED [{exc.reason.name.lower()}]: {exc.message_id} / {exc.message_en}", err=True)
        sys.exit(1)
    state = "accepted" if record.new else "already seen"
    click.echo(f"{state}: size {record.checkpoint.size} root {record.checkpoint.root_hash.hex()} (record {record.seq})")


def _proof_from(raw: Any) -> list[bytes]:
    hashes = raw.get("proof") if isinstance(raw, dict) else raw
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise click.BadParameter("a consistency proof is a JSON list of hex hashes, or an object with 'proof'")
    try:
        return [bytes.fromhex(h) for h in hashes]
    except ValueError:
        raise click.BadParameter("proof hashes must be hex") from None


def _open_witness(directory: Path) -> Witness:
    try:
        return Witness(directory)
    except AuditError as exc:
        fail(exc)
        raise


@witness_group.command("submit")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.argument("note_file", type=click.File("r", encoding="utf-8"))
@click.argument("proof_file", type=click.File("r", encoding="utf-8"), required=False)
def witness_submit(directory: Path, note_file: Any, proof_file: Any) -> None:
    """Show the witness a checkpoint NOTE_FILE with the consistency proof from its latest (PROOF_FILE, JSON)."""
    w = _open_witness(directory)
    try:
        proof = _proof_from(json.load(proof_file)) if proof_file is not None else []
    except json.JSONDecodeError:
        raise click.BadParameter("not JSON", param_hint="PROOF_FILE") from None
    _submit(w, note_file.read(fmt.MAX_CHECKPOINT_LINE), proof)


@witness_group.command("fetch")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--url", help="The kiosk server, e.g. https://kiosk.example (its /api/v1/audit).")
@click.option("--token", envvar="KIOSK_AUDIT_TOKEN", help="A bearer token of an auditor (or $KIOSK_AUDIT_TOKEN).")
@click.option("--export", "export_dir", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="An export directory: its checkpoints in order, each with its proof from the one before.")
def witness_fetch(directory: Path, url: str | None, token: str | None, export_dir: Path | None) -> None:
    """Fetch the newest checkpoint and its consistency proof (API), or an export's checkpoints."""
    w = _open_witness(directory)
    if (url is None) == (export_dir is None):
        raise click.UsageError("give exactly one of --url and --export")
    if export_dir is not None:
        _from_export(w, export_dir)
        return
    _from_api(w, url or "", token)


def _from_export(w: Witness, export_dir: Path) -> None:
    latest = w.latest()
    for number, raw in _export_lines(export_dir):
        line = fmt.parse_checkpoint_line(raw, number)
        if latest is not None and line.size < latest.checkpoint.size:
            continue
        _submit(w, line.note, list(line.consistency))


def _export_lines(export_dir: Path) -> list[tuple[int, bytes]]:
    from ledger.verify.offline import read_lines

    try:
        return list(read_lines(export_dir / fmt.CHECKPOINTS, fmt.MAX_CHECKPOINT_LINE))
    except AuditError as exc:
        fail(exc)
        raise


def _from_api(w: Witness, url: str, token: str | None) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/") + "/api/v1/audit"
    try:
        with httpx.Client(headers=headers, timeout=30.0) as http:
            newest = http.get(f"{base}/checkpoint")
            newest.raise_for_status()
            checkpoint = newest.json()
            latest = w.latest()
            proof: list[bytes] = []
            if latest is not None and latest.checkpoint.size < checkpoint["size"]:
                answer = http.get(f"{base}/consistency", params={"from": latest.checkpoint.size, "to": checkpoint["size"]})
                answer.raise_for_status()
                proof = _proof_from(answer.json())
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        click.echo(f"kiosk: server tidak menjawab dengan benar / the server did not answer properly: {exc}", err=True)
        sys.exit(1)
    _submit(w, checkpoint["note"], proof)


@witness_group.command("show")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
def witness_show(directory: Path) -> None:
    """Re-check every kept checkpoint and the proofs between them; list them."""
    w = _open_witness(directory)
    try:
        count = w.check_store()
    except AuditError as exc:
        fail(exc)
        return
    for record in w.history():
        click.echo(f"{record.seq:6d}  size {record.checkpoint.size:10d}  root {record.checkpoint.root_hash.hex()}  "
                   f"seen {record.seen_at.isoformat()}")
    click.echo(f"{count} checkpoints verified for {w.origin}")


COMMANDS = [audit_group]
