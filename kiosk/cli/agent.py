"""``kiosk agent``: the device agent process (``run``), its token (``token``) and ``status``."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

import click

from card_reader.errors import CardError
from firmware_stubs.files import write_atomic
from kiosk.agent.client import AgentClient
from kiosk.agent.config import load_agent_settings, load_link_settings
from kiosk.settings import ConfigError


@click.group("agent")
def agent_group() -> None:
    """The device agent: sole owner of the card reader and PIN pad (DESIGN §3)."""


@agent_group.command("run")
@click.option("--listen", help="HOST:PORT (default KIOSK_AGENT_LISTEN or 127.0.0.1:8765).")
@click.option("--reader", help="Reader name or index in pcscd's list (default KIOSK_AGENT_READER or 0).")
@click.option("--pinpad", help="Serial port of the PIN pad (default KIOSK_AGENT_PINPAD; none if unset).")
@click.option("--pinpad-baud", type=int, help="PIN pad baud rate (default 9600).")
@click.option("--token-file", type=click.Path(dir_okay=False, exists=True), help="File holding the bearer token.")
@click.option("--log-level", default="INFO", show_default=True)
def run(listen: str | None, reader: str | None, pinpad: str | None, pinpad_baud: int | None,
        token_file: str | None, log_level: str) -> None:
    """Run the agent until SIGTERM or Ctrl-C."""
    from kiosk.agent.server import run_agent  # pyscard and pyserial load only in the agent process

    env = dict(os.environ)
    for key, value in (("KIOSK_AGENT_LISTEN", listen), ("KIOSK_AGENT_READER", reader),
                       ("KIOSK_AGENT_PINPAD", pinpad), ("KIOSK_AGENT_TOKEN_FILE", token_file),
                       ("KIOSK_AGENT_PINPAD_BAUD", str(pinpad_baud) if pinpad_baud else None)):
        if value is not None:
            env[key] = value
    if token_file:
        env.pop("KIOSK_AGENT_TOKEN", None)
    try:
        settings = load_agent_settings(env)
    except ConfigError as exc:
        click.echo(f"kiosk agent: configuration error: {exc}", err=True)
        sys.exit(2)
    run_agent(settings, log_level)


@agent_group.command("token")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def token(out: Path) -> None:
    """Write a new random bearer token to a file (mode 0600); the token itself is not printed."""
    if out.exists():
        raise click.ClickException(f"{out} exists already / sudah ada")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
    click.echo(f"token written to {out}")


@agent_group.command("status")
def status() -> None:
    """Ask the agent (KIOSK_AGENT_URL, KIOSK_AGENT_TOKEN[_FILE]) for its status."""
    try:
        link = load_link_settings()
        with AgentClient(link.url, link.token, link.timeout_s) as client:
            click.echo(json.dumps(client.status(), indent=1))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    except CardError as exc:
        raise click.ClickException(f"{exc.message_id} / {exc.message_en}") from None


COMMANDS = [agent_group]
