"""``kiosk card``: personalisation (demo), the hotlist, and a card check through the agent."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from card_reader.errors import CardError
from firmware_stubs.personalise import issue_command, issuer_key_command
from kiosk.agent.client import AgentClient
from kiosk.agent.config import load_link_settings
from kiosk.cards import (
    CardHotlist,
    HotlistReason,
    hotlist_card,
    load_issuer_keys,
    new_challenge,
    unlist_card,
    verify_card_read,
)
from kiosk.db import get_db
from kiosk.settings import ConfigError


@click.group("card")
def card_group() -> None:
    """e-Kartu Tani: issue demo cards, keep the hotlist, check a card."""


card_group.add_command(issuer_key_command, "issuer-key")
card_group.add_command(issue_command, "issue")


@card_group.group("hotlist")
def hotlist_group() -> None:
    """Cards reported lost, stolen or replaced."""


@hotlist_group.command("add")
@click.argument("card_number")
@click.option("--reason", type=click.Choice([r.value for r in HotlistReason]), required=True)
@click.option("--note", default="")
@with_appcontext
def hotlist_add(card_number: str, reason: str, note: str) -> None:
    """Block a card on every kiosk of this database."""
    try:
        with get_db().sessions.begin() as session:
            hotlist_card(session, card_number, HotlistReason(reason), datetime.now(UTC), note)
    except ValueError as exc:
        raise click.ClickException(f"nomor kartu 16 angka / {exc}") from None
    click.echo(f"hotlisted {card_number[:6]}******{card_number[-4:]} ({reason})")


@hotlist_group.command("remove")
@click.argument("card_number")
@with_appcontext
def hotlist_remove(card_number: str) -> None:
    """Lift a block."""
    with get_db().sessions.begin() as session:
        removed = unlist_card(session, card_number)
    click.echo("removed" if removed else "not on the hotlist / tidak ada di daftar blokir")


@hotlist_group.command("list")
@with_appcontext
def hotlist_list() -> None:
    """Show the hotlist."""
    with get_db().sessions() as session:
        for entry in session.scalars(sa.select(CardHotlist).order_by(CardHotlist.listed_at)):
            click.echo(f"{entry.card_number}  {entry.reason.value:9} {entry.listed_at.isoformat()}  {entry.note}")


@card_group.command("check")
@with_appcontext
def check() -> None:
    """Read the card in the agent's reader and verify it (issuer, card key, ATC, hotlist, expiry)."""
    try:
        link = load_link_settings(keys_dir=current_app.extensions["kiosk.settings"].keys_dir)
        keys = load_issuer_keys(link.issuer_keys_dir)
        challenge = new_challenge()
        with AgentClient(link.url, link.token, link.timeout_s) as client:
            read = client.read_card(challenge)
        with get_db().sessions.begin() as session:
            card = verify_card_read(session, read.records, read.card_check, challenge, keys, insertion=read.insertion)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except CardError as exc:
        raise click.ClickException(f"{exc.message_id} / {exc.message_en} {exc.fields}") from None
    click.echo(f"genuine: card {card.data.masked_card_number}, NIK {card.data.masked_nik}, "
               f"expires {card.data.expiry}, ATC {card.atc}")


COMMANDS = [card_group]
