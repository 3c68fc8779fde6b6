"""``kiosk devices`` (also ``python -m kiosk.devstack``): the emulated device stack by hand.

    kiosk devices up [--run-dir DIR] [--deck DIR] [--cards N | --cards-csv FILE] [--insert CARD[@SLOT]]
    kiosk devices status|cards [--run-dir DIR]
    kiosk devices insert CARD [--slot N] | remove [--slot N]
    kiosk devices pin (--card CARD | --digits D | --cancel) [--queue]
    kiosk devices receipts [--after N]

``up`` starts the stack, prints what is where, and runs until Ctrl-C or SIGTERM, or until one of
its processes dies (then it names it, stops the rest and exits with 3). The other commands find
the running stack through ``<run dir>/stack.json``.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from card_reader.errors import CardError
from firmware_stubs.personalise import PersonaliseError
from kiosk.agent.client import AgentClient
from kiosk.devstack.controls import CardControl, PinPadControl, PrinterControl
from kiosk.devstack.deck import card_pin, cards_from_csv, demo_cards, issue_deck
from kiosk.devstack.errors import DevStackError, StackNotRunning
from kiosk.devstack.stack import STACK_FILE, DeviceStack

DEFAULT_RUN_DIR = Path("devstack-run")
EXIT_CRASHED = 3
_run_dir = click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RUN_DIR,
                        show_default=True, help="Folder of the stack: logs, ptys, token, stack.json.")


def _fail(exc: DevStackError | PersonaliseError) -> click.ClickException:
    fields = getattr(exc, "fields", {})
    tail = fields.get("tail", "") if isinstance(fields, dict) else ""
    return click.ClickException(f"{exc.message_id}\n{exc.message_en}" + (f"\n--- log ---\n{tail}" if tail else ""))


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _summary(d: dict[str, Any]) -> list[str]:
    private = "" if d["pcscd"]["private"] else "  (system path: not private)"
    lines = [f"device stack up in {d['run_dir']}",
             f"  pcscd          socket {d['pcscd']['socket']}  vpcd {', '.join(d['pcscd']['vpcd'])}{private}",
             f"  card emulator  control {d['card_emulator']['control']}  deck {d['deck']} ({len(d['cards'])} cards)"]
    if "pinpad" in d:
        lines.append(f"  PIN pad        control {d['pinpad']['control']}  serial {d['pinpad']['device']}")
    if "printer" in d:
        lines.append(f"  printer        control {d['printer']['control']}  serial {d['printer']['device']}"
                     f"  receipts {d['printer']['store']}")
    lines += [f"  agent          {d['agent']['url']}  token file {d['agent']['token_file']}",
              f"  logs           {d['run_dir']}/logs/",
              "web side:  " + " ".join(f"{k}={v}" for k, v in d["web_env"].items()),
              f"cards:     {', '.join(d['cards'][:8])}{' ...' if len(d['cards']) > 8 else ''}",
              f"try:       kiosk devices insert --run-dir {d['run_dir']} {d['cards'][0] if d['cards'] else 'CARD'}",
              "Ctrl-C stops everything."]
    return lines


@click.group("devices")
def devices_group() -> None:
    """The emulated devices (pcscd, card, PIN pad, printer) and the device agent, for the demo and by hand."""


@devices_group.command("up")
@_run_dir
@click.option("--deck", type=click.Path(file_okay=False, path_type=Path), help="Card images [<run dir>/deck].")
@click.option("--issuer-keys", type=click.Path(file_okay=False, path_type=Path), help="Issuer keys [<run dir>/issuers].")
@click.option("--cards", "count", default=8, show_default=True, help="Demo cards to issue if the deck lacks them.")
@click.option("--cards-csv", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Issue the cards of this personalisation CSV instead (docs/card.md).")
@click.option("--insert", "inserts", multiple=True, help="CARD[@SLOT] inserted at start.")
@click.option("--reader", default="0", show_default=True, help="The agent's reader (index or name).")
@click.option("--agent-listen", default="127.0.0.1:0", show_default=True, help="HOST:PORT of the agent (0: free).")
@click.option("--printer-columns", type=click.Choice(["42", "32"]), default="42", show_default=True)
@click.option("--log-level", default="INFO", show_default=True)
def up(run_dir: Path, deck: Path | None, issuer_keys: Path | None, count: int, cards_csv: Path | None,
       inserts: tuple[str, ...], reader: str, agent_listen: str, printer_columns: str, log_level: str) -> None:
    """Start the stack and keep it running until Ctrl-C."""
    run_dir = run_dir.resolve()
    deck, keys = (deck or run_dir / "deck").resolve(), (issuer_keys or run_dir / "issuers").resolve()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        issued = issue_deck(deck, keys, cards_from_csv(cards_csv) if cards_csv else demo_cards(count))
        if issued:
            click.echo(f"issued {len(issued)} demo card(s) into {deck}")
        with DeviceStack(run_dir, deck, issuer_keys_dir=keys, inserts=inserts, reader=reader,
                         agent_listen=agent_listen, printer_columns=int(printer_columns), log_level=log_level) as stack:
            click.echo("\n".join(_summary(stack.describe())), nl=True)
            while not (dead := stack.dead()):
                time.sleep(0.5)
            logs = ", ".join(str(stack.processes()[name].log_path) for name in dead)
            click.echo(f"stopped: {', '.join(dead)} ended unexpectedly / berhenti tiba-tiba (logs: {logs}); "
                       "stopping the rest", err=True)
        raise SystemExit(EXIT_CRASHED)
    except KeyboardInterrupt:
        click.echo("stopped / dihentikan")
    except (DevStackError, PersonaliseError) as exc:
        raise _fail(exc) from None


def _stack(run_dir: Path) -> dict[str, Any]:
    path = run_dir / STACK_FILE
    try:
        described: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        raise _fail(StackNotRunning(run_dir=str(run_dir))) from None
    return described


def _show(value: Any) -> None:
    click.echo(json.dumps(value, indent=1, ensure_ascii=False))


def _device(run_dir: Path, name: str) -> str:
    described = _stack(run_dir)
    if name not in described:
        raise _fail(StackNotRunning(f"{name} tidak berjalan.", f"{name} is not part of this stack."))
    return str(described[name]["control"])


@devices_group.command("status")
@_run_dir
def status(run_dir: Path) -> None:
    """What is where, and what each device says now."""
    d = _stack(run_dir)
    token = Path(d["agent"]["token_file"]).read_text().strip()
    try:
        with AgentClient(d["agent"]["url"], token) as agent:
            _show({"stack": d, "agent": agent.status(), "card_emulator": CardControl(d["card_emulator"]["control"]).status()})
    except DevStackError as exc:
        raise _fail(exc) from None
    except CardError as exc:  # the agent's own errors (agent_unavailable, ...)
        raise click.ClickException(f"agent: {exc.message_id} / {exc.message_en}") from None


@devices_group.command("cards")
@_run_dir
def cards(run_dir: Path) -> None:
    """The deck: card numbers, PIN tries left, ATC."""
    _call(lambda: _show(CardControl(_device(run_dir, "card_emulator")).cards()))


@devices_group.command("insert")
@_run_dir
@click.argument("card_number")
@click.option("--slot", default=0, show_default=True)
def insert(run_dir: Path, card_number: str, slot: int) -> None:
    """Insert a deck card into a slot (0: the agent's reader)."""
    _call(lambda: _show(CardControl(_device(run_dir, "card_emulator")).insert(card_number, slot)))


@devices_group.command("remove")
@_run_dir
@click.option("--slot", default=0, show_default=True)
def remove(run_dir: Path, slot: int) -> None:
    """Take the card out of a slot."""
    _call(lambda: _show(CardControl(_device(run_dir, "card_emulator")).remove(slot)))


@devices_group.command("pin")
@_run_dir
@click.option("--card", "card_number", help="Type this deck card's own PIN (it is not shown).")
@click.option("--digits", help="Type these digits (a wrong PIN, say).")
@click.option("--cancel", is_flag=True, help="Press Cancel.")
@click.option("--queue", "queued", is_flag=True, help="Answer the next PIN request instead of typing now.")
def pin(run_dir: Path, card_number: str | None, digits: str | None, cancel: bool, queued: bool) -> None:
    """The farmer at the PIN pad: type (or queue) a PIN, or cancel."""
    if [card_number is not None, digits is not None, cancel].count(True) != 1:
        raise click.UsageError("give exactly one of --card, --digits, --cancel")
    pad = PinPadControl(_device(run_dir, "pinpad"))

    def act() -> None:
        if cancel:
            result = pad.queue("cancel") if queued else pad.type_keys(cancel=True)
        else:
            value = card_pin(Path(_stack(run_dir)["deck"]), card_number) if card_number else str(digits)
            result = pad.queue_pin(value) if queued else pad.type_keys(value, enter=True)
        click.echo(f"PIN pad: {result.get('state', 'ok')}")

    _call(act)


@devices_group.command("receipts")
@_run_dir
@click.option("--after", default=0, show_default=True, help="Only receipts numbered above this.")
def receipts(run_dir: Path, after: int) -> None:
    """The receipts the emulated printer printed, as the paper shows them."""
    def show() -> None:
        for receipt in PrinterControl(_device(run_dir, "printer")).receipts(after):
            click.echo(f"--- receipt {receipt['number']}  QR {receipt['qr']}")
            click.echo(receipt["text"])
    _call(show)


def _call(action: Any) -> None:
    try:
        action()
    except DevStackError as exc:
        raise _fail(exc) from None
