"""``python -m firmware_stubs.card``: run the card emulator, or drive a running one.

    python -m firmware_stubs.card serve --deck DECK [--vpcd 127.0.0.1:35963 --vpcd 127.0.0.1:35964]
                                        [--control 127.0.0.1:0] [--insert CARD[@SLOT]] [--max-answer N]
    python -m firmware_stubs.card insert --control URL CARD [--slot N]
    python -m firmware_stubs.card remove --control URL [--slot N]
    python -m firmware_stubs.card status --control URL
    python -m firmware_stubs.card cards --control URL

``serve`` prints one JSON line ``{"event": "ready", "control": URL}`` when it is ready and runs
until SIGTERM or Ctrl-C, removing its cards on the way out.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click
import httpx

from firmware_stubs.card.emulator import CardEmulator
from firmware_stubs.card.vpcd import parse_endpoint
from firmware_stubs.control import BadRequest, ControlServer, parse_listen

DEFAULT_VPCD = ("127.0.0.1:35963", "127.0.0.1:35964")


@click.group()
def main() -> None:
    """e-Kartu Tani card emulator (vpcd)."""


@main.command()
@click.option("--deck", type=click.Path(file_okay=False, exists=True, path_type=Path), required=True)
@click.option("--vpcd", "vpcd", multiple=True, default=DEFAULT_VPCD, show_default=True,
              help="vpcd endpoint of each slot, in slot order.")
@click.option("--control", default="127.0.0.1:0", show_default=True, help="HOST:PORT of the control API (0: any).")
@click.option("--insert", "inserts", multiple=True, help="CARD[@SLOT] to insert at start.")
@click.option("--max-answer", default=256, show_default=True,
              help="Longest answer in one response; longer ones come as 61xx + GET RESPONSE.")
@click.option("--log-level", default="WARNING", show_default=True)
def serve(deck: Path, vpcd: tuple[str, ...], control: str, inserts: tuple[str, ...], max_answer: int,
          log_level: str) -> None:
    """Run the emulator until SIGTERM."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        endpoints = [parse_endpoint(v) for v in vpcd]
        host, port = parse_listen(control)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    emulator = CardEmulator(deck, endpoints, max_answer)
    server = ControlServer(emulator.routes(), host, port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        for spec in inserts:
            number, _, slot = spec.partition("@")
            emulator.insert(number, int(slot or 0))
        click.echo(json.dumps({"event": "ready", "control": server.url}), nl=True)
        sys.stdout.flush()
        stop.wait()
    except BadRequest as exc:
        raise click.ClickException(f"{exc.message_id} / {exc.message_en}") from None
    finally:
        emulator.close()
        server.stop()


def _call(control: str, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    try:
        response = httpx.request(method, control.rstrip("/") + path, json=body, timeout=10)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"emulator tidak menjawab / emulator not answering: {exc}") from None
    click.echo(json.dumps(response.json(), indent=1))
    if response.status_code >= 400:
        sys.exit(1)


_control = click.option("--control", required=True, help="Control URL printed by serve.")


@main.command()
@_control
@click.argument("card_number")
@click.option("--slot", default=0, show_default=True)
def insert(control: str, card_number: str, slot: int) -> None:
    """Insert a card of the deck into a slot."""
    _call(control, "POST", "/insert", {"card_number": card_number, "slot": slot})


@main.command()
@_control
@click.option("--slot", default=0, show_default=True)
def remove(control: str, slot: int) -> None:
    """Remove the card from a slot."""
    _call(control, "POST", "/remove", {"slot": slot})


@main.command()
@_control
def status(control: str) -> None:
    """Slots and the cards in them."""
    _call(control, "GET", "/status")


@main.command()
@_control
def cards(control: str) -> None:
    """The deck: card numbers, PIN tries left, ATC."""
    _call(control, "GET", "/cards")


if __name__ == "__main__":
    main()
