"""``kiosk keys``: the ledger's Ed25519 signing key (a file outside the database, mode 0600)."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from kiosk.settings import Settings
from ledger.audit import AuditError, create_key_file, load_key_file, public_vkey


def _settings() -> Settings:
    settings: Settings = current_app.extensions["kiosk.settings"]
    return settings


def fail(exc: AuditError) -> None:
    """Print an audit error in both languages and exit 1."""
    click.echo(f"kiosk: {exc.message_id} / {exc.message_en}", err=True)
    sys.exit(1)


@click.group("keys")
def keys_group() -> None:
    """The ledger's signing key for audit checkpoints."""


@keys_group.command("init")
@with_appcontext
def init() -> None:
    """Create the ledger's signing key (refuses to overwrite one) and print its public verifier key."""
    settings = _settings()
    try:
        key = create_key_file(settings.ledger_key_file)
    except AuditError as exc:
        fail(exc)
        return
    click.echo(f"created {settings.ledger_key_file} (mode 0600)", err=True)
    click.echo(public_vkey(settings.log_origin, key))


@keys_group.command("export-public")
@with_appcontext
def export_public() -> None:
    """Print the verifier key auditors pin (name+id+key); never the private key."""
    settings = _settings()
    try:
        click.echo(public_vkey(settings.log_origin, load_key_file(settings.ledger_key_file)))
    except AuditError as exc:
        fail(exc)


COMMANDS = [keys_group]
