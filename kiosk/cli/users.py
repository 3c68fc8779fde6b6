"""``kiosk user`` and ``kiosk token``: people and machines."""

from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from kiosk.auth import AuthError, create_token, create_user, disable_user
from kiosk.db import get_db
from kiosk.models import Role, User

ROLE_CHOICE = click.Choice([r.value for r in Role if r.is_person])


def _fail(exc: AuthError) -> None:
    click.echo(f"kiosk: {exc.message_id} / {exc.message_en}", err=True)
    sys.exit(1)


@click.group("user")
def user_group() -> None:
    """People who log in."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--kiosk", "kiosk_code", help="Kiosk code (required for operators).")
@click.option("--name", "full_name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def add(username: str, role: str, kiosk_code: str | None, full_name: str, password_stdin: bool) -> None:
    """Add a user; the password is prompted for (never an argument, so it stays out of shell history)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with get_db().sessions.begin() as session:
        try:
            user = create_user(
                session, current_app.extensions["kiosk.hasher"], username=username, password=password,
                role=Role(role), kiosk_code=kiosk_code, full_name=full_name,
            )
        except AuthError as exc:
            _fail(exc)
            return
        click.echo(f"added {user.username} ({user.role.value}{', kiosk ' + user.kiosk_code if user.kiosk_code else ''})")


@user_group.command("disable")
@click.argument("username")
@with_appcontext
def disable(username: str) -> None:
    """Disable a user: they can no longer log in; their history stays."""
    with get_db().sessions.begin() as session:
        try:
            disable_user(session, username)
        except AuthError as exc:
            _fail(exc)
            return
    click.echo(f"disabled {username}")


@user_group.command("list")
@with_appcontext
def list_users() -> None:
    """List users."""
    with get_db().sessions() as session:
        for u in session.scalars(sa.select(User).order_by(User.username)):
            state = "active" if u.active else "disabled"
            click.echo(f"{u.username:24} {u.role.value:10} {u.kiosk_code or '-':10} {state}")


@click.group("token")
def token_group() -> None:
    """Bearer tokens for machines (device agent, scripts)."""


@token_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--kiosk", "kiosk_code")
@with_appcontext
def create(name: str, role: str, kiosk_code: str | None) -> None:
    """Create a token; its secret is printed once and only its hash is kept."""
    with get_db().sessions.begin() as session:
        try:
            _, secret = create_token(session, name=name, role=Role(role), kiosk_code=kiosk_code)
        except AuthError as exc:
            _fail(exc)
            return
    click.echo(secret)
COMMANDS = [user_group, token_group]
