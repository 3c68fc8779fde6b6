"""``kiosk user`` and ``kiosk token``: people and machines."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from kiosk.auth import AuthError, accounts, active_locks, unlock_address, unlock_user
from kiosk.auth.access import throttle
from kiosk.db import get_db
from kiosk.i18n import wita
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
@click.option("--by", "actor", help="Who adds the user (recorded in the audit log; default: cli:<os user>).")
@with_appcontext
def add(username: str, role: str, kiosk_code: str | None, full_name: str, password_stdin: bool,
        actor: str | None) -> None:
    """Add a user; the password is prompted for (never an argument, so it stays out of shell history)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with get_db().sessions.begin() as session:
        try:
            user = accounts.add_user(
                session, current_app.extensions["kiosk.hasher"], actor=_actor(actor), now=datetime.now(UTC),
                username=username, password=password, role=Role(role), kiosk_code=kiosk_code, full_name=full_name,
            )
        except AuthError as exc:
            _fail(exc)
            return
        click.echo(f"added {user.username} ({user.role.value}{', kiosk ' + user.kiosk_code if user.kiosk_code else ''})")


@user_group.command("disable")
@click.argument("username")
@click.option("--by", "actor", help="Who disables the user (recorded in the audit log; default: cli:<os user>).")
@with_appcontext
def disable(username: str, actor: str | None) -> None:
    """Disable a user: they can no longer log in; their history stays."""
    with get_db().sessions.begin() as session:
        try:
            accounts.set_active(session, actor=_actor(actor), now=datetime.now(UTC), username=username, active=False)
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


def _actor(given: str | None) -> str:
    """Who releases a lock: ``--by``, else the operating-system account running the command."""
    return (given or f"cli:{getpass.getuser()}")[:64]


@user_group.command("unlock")
@click.argument("username", required=False)
@click.option("--address", help="Release a locked client address instead of a user.")
@click.option("--by", "actor", help="Who releases it (recorded in the audit log; default: cli:<os user>).")
@with_appcontext
def unlock(username: str | None, address: str | None, actor: str | None) -> None:
    """Release a user (or, with --address, a client address) locked by failed logins, before the lock ends."""
    if (username is None) == (address is None):
        click.echo("kiosk: sebutkan NAMA pengguna atau --address / give a USERNAME or --address", err=True)
        sys.exit(2)
    now = datetime.now(UTC)
    with get_db().sessions.begin() as session:
        try:
            released = (unlock_user(session, throttle(), username, actor=_actor(actor), now=now) if username
                        else unlock_address(session, address or "", actor=_actor(actor), now=now))
        except AuthError as exc:
            _fail(exc)
            return
    what = username or f"address {address}"
    click.echo(f"unlocked {what} ({released} lock{'s' if released != 1 else ''} released)")


@user_group.command("locks")
@with_appcontext
def list_locks() -> None:
    """Logins locked now (users by name; unknown usernames by a hash prefix; client addresses)."""
    with get_db().sessions() as session:
        locks = active_locks(session, datetime.now(UTC))
    for lock in locks:
        who = lock.username or (lock.subject if lock.scope == "address" else f"(unknown {lock.subject[:12]})")
        click.echo(f"{lock.scope:8} {who:40} until {wita(lock.until)}  failures {lock.failures}")
    if not locks:
        click.echo("no locks / tidak ada yang terkunci")


@click.group("token")
def token_group() -> None:
    """Bearer tokens for machines (device agent, scripts)."""


@token_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--kiosk", "kiosk_code")
@click.option("--by", "actor", help="Who issues the token (recorded in the audit log; default: cli:<os user>).")
@with_appcontext
def create(name: str, role: str, kiosk_code: str | None, actor: str | None) -> None:
    """Create a token; its secret is printed once and only its hash is kept."""
    with get_db().sessions.begin() as session:
        try:
            _, secret = accounts.issue_token(session, actor=_actor(actor), now=datetime.now(UTC), name=name,
                                             role=Role(role), kiosk_code=kiosk_code)
        except AuthError as exc:
            _fail(exc)
            return
    click.echo(secret)
COMMANDS = [user_group, token_group]
