"""``kiosk db``: the schema, owned by Alembic."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from kiosk import migrate
from kiosk.db import get_db


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic)."""


@db_group.command("upgrade")
@with_appcontext
def upgrade() -> None:
    """Bring the database to the newest schema of every package."""
    url = current_app.extensions["kiosk.settings"].database_url
    migrate.upgrade(url)
    click.echo(f"schema at {', '.join(sorted(migrate.current(get_db().engine)))}")


@db_group.command("current")
@with_appcontext
def current() -> None:
    """Show the schema revisions the database is at, and the newest ones."""
    url = current_app.extensions["kiosk.settings"].database_url
    have = migrate.current(get_db().engine)
    want = migrate.heads(url)
    click.echo(f"database: {', '.join(sorted(have)) or '(empty)'}")
    click.echo(f"newest:   {', '.join(sorted(want))}")
    if have != want:
        click.echo("run `kiosk db upgrade`")
COMMANDS = [db_group]
