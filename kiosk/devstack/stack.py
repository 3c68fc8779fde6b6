"""The whole emulated device stack, started in order and stopped in reverse (docs/devices.md):

1. a private pcscd with vpcd on two free ports (:mod:`kiosk.devstack.pcscd`);
2. the card emulator serving the deck (slots 0 and 1 = readers ``Virtual PCD 00 00`` / ``00 01``);
3. the PIN pad emulator on a socat pty pair;
4. the receipt printer emulator on another pty pair;
5. ``kiosk agent run`` on the reader, the pad's and the printer's host ends, with a fresh token.

Each step waits until its process is ready; if one fails, what started is stopped and the error
names the process and its log. Everything lives in ``run_dir``: ``logs/<process>.log``,
``dev/`` (pty links), ``printed/`` (the emulator's receipts), ``print-queue/`` (the agent's),
``agent.token`` (0600) and ``stack.json`` (what is where, no secrets; ``kiosk devices`` reads it).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from card_reader.errors import CardError
from card_reader.logs import log_event
from kiosk.agent.client import AgentClient
from kiosk.devstack.agent import AgentOptions, AgentProcess
from kiosk.devstack.controls import CardControl, PinPadControl, PrinterControl
from kiosk.devstack.deck import card_pin, deck_cards
from kiosk.devstack.emulators import (
    CardEmulator,
    PinPadEmulator,
    PrinterEmulator,
    PtyPair,
)
from kiosk.devstack.errors import DevStackError, ProcessFailed, StackNotRunning
from kiosk.devstack.pcscd import PCSCD_POLL_S, PrivatePcscd, wait_until_empty
from kiosk.devstack.process import ManagedProcess

log = logging.getLogger("kiosk.devstack")
STACK_FILE = "stack.json"
AGENT_SEES_PCSCD_S = 10.0


class _Stoppable(Protocol):
    def stop(self) -> None: ...


@dataclass(frozen=True)
class StackOptions:
    issuer_keys_dir: Path | None = None  # the issuers' public keys, for the web side (web_env)
    reader: str = "0"  # the agent's reader: index or name
    pinpad: bool = True
    printer: bool = True
    printer_columns: int = 42
    card_max_answer: int = 256
    inserts: tuple[str, ...] = ()  # CARD[@SLOT] inserted at start
    agent_listen: str = "127.0.0.1:0"
    print_retry_s: float = 2.0
    log_level: str = "INFO"
    die_with_parent: bool = True
    agent_env: dict[str, str] = field(default_factory=dict)


def reader_slot(reader: str) -> int | None:
    """The card emulator's slot behind the agent's reader (``0``, ``1``, ``Virtual PCD 00 01`` ...)."""
    if reader.isdigit():
        return int(reader)
    if reader.startswith("Virtual PCD 00 ") and reader[-2:].isdigit():
        return int(reader[-2:])
    return None


class DeviceStack:
    def __init__(self, run_dir: Path, deck_dir: Path, *, pcscd: PrivatePcscd | None = None, **options: Any) -> None:
        self.run_dir, self.deck_dir = Path(run_dir).resolve(), Path(deck_dir).resolve()
        self.options = StackOptions(**options)
        self.logs = self.run_dir / "logs"
        self._external_pcscd = pcscd
        self.pcscd: PrivatePcscd | None = pcscd
        self.card: CardEmulator | None = None
        self.pinpad_link: PtyPair | None = None
        self.pinpad: PinPadEmulator | None = None
        self.printer_link: PtyPair | None = None
        self.printer: PrinterEmulator | None = None
        self.agent: AgentProcess | None = None
        self._started: list[_Stoppable] = []

    # ---- life cycle ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> DeviceStack:
        if not self.deck_dir.is_dir():
            raise DevStackError("Folder dek kartu tidak ada.", "The card deck folder does not exist.", deck=str(self.deck_dir))
        self.logs.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            self._start_pcscd()
            self._start_card()
            if self.options.pinpad:
                self._start_pinpad()
            if self.options.printer:
                self._start_printer()
            self._start_agent()
        except BaseException:
            self.stop()
            raise
        self._write_description()
        log_event(log, "devstack.up", run_dir=self.run_dir, agent=self.agent_url,
                  ms=round((time.monotonic() - started) * 1000))
        return self

    def _push(self, thing: _Stoppable) -> None:
        self._started.append(thing)

    def _start_pcscd(self) -> None:
        if self.pcscd is None:
            self.pcscd = PrivatePcscd(self.run_dir / "pcscd", log_path=self.logs / "pcscd.log",
                                      die_with_parent=self.options.die_with_parent)
            self._push(_Closer(self.pcscd))
        self.pcscd.start()

    def _start_card(self) -> None:
        self.card = CardEmulator(self.deck_dir, self.require_pcscd().vpcd_endpoints, log_path=self.logs / "card.log",
                                 max_answer=self.options.card_max_answer, inserts=self.options.inserts,
                                 log_level=self.options.log_level, die_with_parent=self.options.die_with_parent)
        self._push(self.card)
        self.card.start()

    def _start_pinpad(self) -> None:
        dev, die = self.run_dir / "dev", self.options.die_with_parent
        self.pinpad_link = PtyPair(dev / "pinpad-pad", dev / "pinpad-host", log_path=self.logs / "pinpad-link.log",
                                   die_with_parent=die)
        self._push(self.pinpad_link)
        self.pinpad_link.start()
        self.pinpad = PinPadEmulator(self.pinpad_link.device, log_path=self.logs / "pinpad.log",
                                     log_level=self.options.log_level, die_with_parent=die)
        self._push(self.pinpad)
        self.pinpad.start()

    def _start_printer(self) -> None:
        dev, die = self.run_dir / "dev", self.options.die_with_parent
        self.printer_link = PtyPair(dev / "printer-dev", dev / "printer-host", log_path=self.logs / "printer-link.log",
                                    die_with_parent=die)
        self._push(self.printer_link)
        self.printer_link.start()
        self.printer = PrinterEmulator(self.printer_link.device, self.run_dir / "printed", log_path=self.logs / "printer.log",
                                       columns=self.options.printer_columns, log_level=self.options.log_level,
                                       die_with_parent=die)
        self._push(self.printer)
        self.printer.start()

    def _start_agent(self) -> None:
        o = self.options
        options = AgentOptions(reader=o.reader, pinpad=self.pinpad_link.host if self.pinpad_link else None,
                               printer=self.printer_link.host if self.printer_link else None,
                               printer_width=o.printer_columns, print_queue=self.run_dir / "print-queue",
                               print_retry_s=o.print_retry_s, listen=o.agent_listen, extra_env=o.agent_env)
        self.agent = AgentProcess(options, token_file=self.run_dir / "agent.token", log_path=self.logs / "agent.log",
                                  pcscd_env=self.require_pcscd().env, die_with_parent=o.die_with_parent)
        self._push(self.agent)
        self.agent.start()
        deadline = time.monotonic() + AGENT_SEES_PCSCD_S
        try:
            with self.agent.client() as client:
                while not client.status()["pcscd"]["up"]:
                    if time.monotonic() > deadline:
                        raise ProcessFailed(process="device agent", log=str(self.logs / "agent.log"),
                                            detail="the agent does not see pcscd")
                    time.sleep(0.05)
        except CardError as exc:  # the agent stopped answering (AgentUnavailable) or refused its own token
            raise ProcessFailed(process="device agent", log=str(self.logs / "agent.log"), detail=exc.code,
                                tail=self.agent.process.log_tail()) from None

    def stop(self) -> None:
        """Stop everything this stack started, last started first; safe to call twice."""
        while self._started:
            thing = self._started.pop()
            try:
                thing.stop()
            except Exception as exc:  # noqa: BLE001  keep stopping the rest; the failure is logged
                log_event(log, "devstack.stop_failed", logging.ERROR, what=type(thing).__name__, error=repr(exc))
        (self.run_dir / STACK_FILE).unlink(missing_ok=True)

    def processes(self) -> dict[str, ManagedProcess]:
        """Every child process of the stack by name (pcscd only when the stack started it)."""
        found: dict[str, ManagedProcess] = {}
        for thing in self._started:
            process = getattr(thing, "process", None)
            if isinstance(process, ManagedProcess):
                found[process.name] = process
        return found

    def dead(self) -> list[str]:
        """Names of the stack's processes that are no longer running (a crash)."""
        return [name for name, process in self.processes().items() if not process.alive]

    # ---- what is where ---------------------------------------------------------------------------

    def require_pcscd(self) -> PrivatePcscd:
        if self.pcscd is None:
            raise StackNotRunning()
        return self.pcscd

    def _need(self, thing: Any, what: str) -> Any:
        if thing is None:
            raise StackNotRunning(f"{what} tidak berjalan di tumpukan ini.", f"{what} is not running in this stack.")
        return thing

    @property
    def agent_url(self) -> str:
        return str(self._need(self.agent, "device agent").url)

    @property
    def agent_token(self) -> str:
        return str(self._need(self.agent, "device agent").token)

    @property
    def agent_token_file(self) -> Path:
        return Path(self._need(self.agent, "device agent").token_file)

    @property
    def card_control(self) -> CardControl:
        return CardControl(self._need(self.card, "card emulator").control_url)

    @property
    def pinpad_control(self) -> PinPadControl:
        return PinPadControl(self._need(self.pinpad, "PIN pad").control_url)

    @property
    def printer_control(self) -> PrinterControl:
        return PrinterControl(self._need(self.printer, "printer").control_url)

    def agent_client(self, timeout_s: float = 5.0) -> AgentClient:
        return AgentClient(self.agent_url, self.agent_token, timeout_s)

    def web_env(self) -> dict[str, str]:
        """What the web side (``kiosk web``, the demo) needs to reach this agent."""
        env = {"KIOSK_AGENT_URL": self.agent_url, "KIOSK_AGENT_TOKEN_FILE": str(self.agent_token_file)}
        if self.options.issuer_keys_dir is not None:
            env["KIOSK_ISSUER_KEYS_DIR"] = str(Path(self.options.issuer_keys_dir).resolve())
        return env

    def describe(self) -> dict[str, Any]:
        pcscd = self.require_pcscd()
        out: dict[str, Any] = {
            "run_dir": str(self.run_dir), "deck": str(self.deck_dir), "cards": deck_cards(self.deck_dir),
            "pcscd": {"socket": str(pcscd.socket_path), "vpcd": pcscd.vpcd_endpoints, "private": pcscd.isolated,
                      "log": str(pcscd.log_path), "env": pcscd.env},
            "card_emulator": {"control": self.card_control.url, "log": str(self.logs / "card.log")},
            "agent": {"url": self.agent_url, "token_file": str(self.agent_token_file), "reader": self.options.reader,
                      "print_queue": str(self.run_dir / "print-queue"), "log": str(self.logs / "agent.log")},
            "web_env": self.web_env(), "pids": {name: p.pid for name, p in self.processes().items()},
        }
        if self.pinpad and self.pinpad_link:
            out["pinpad"] = {"control": self.pinpad.control_url, "device": str(self.pinpad_link.host),
                             "log": str(self.logs / "pinpad.log")}
        if self.printer and self.printer_link:
            out["printer"] = {"control": self.printer.control_url, "device": str(self.printer_link.host),
                              "store": str(self.printer.store), "columns": self.printer.columns,
                              "log": str(self.logs / "printer.log")}
        return out

    def _write_description(self) -> None:
        (self.run_dir / STACK_FILE).write_text(json.dumps(self.describe(), indent=1) + "\n")

    # ---- driving the emulated hardware -------------------------------------------------------------

    def insert_card(self, card_number: str, slot: int = 0) -> dict[str, Any]:
        return self.card_control.insert(card_number, slot)

    def remove_card(self, slot: int = 0, wait: bool = True) -> dict[str, Any]:
        """Remove the card; with ``wait``, until pcscd has seen it go (a quick re-insert would not show)."""
        answer = self.card_control.remove(slot)
        if wait:
            self._wait_removed(slot)
        return answer

    def _wait_removed(self, slot: int) -> None:
        pcscd = self.require_pcscd()
        if self.agent is not None and reader_slot(self.options.reader) == slot:
            deadline = time.monotonic() + 3
            with self.agent_client() as client:
                while client.status()["reader"]["card_present"] and time.monotonic() < deadline:
                    time.sleep(0.02)
        elif os.environ.get("PCSCLITE_CSOCK_NAME") == str(pcscd.socket_path):
            wait_until_empty()
        else:  # nobody here can ask this pcscd: wait out one of its polls
            time.sleep(PCSCD_POLL_S + 0.1)

    def queue_pin(self, pin: str, delay_s: float = 0.0) -> dict[str, Any]:
        return self.pinpad_control.queue_pin(pin, delay_s)

    def type_pin(self, digits: str, enter: bool = True) -> dict[str, Any]:
        return self.pinpad_control.type_keys(digits, enter=enter)

    def type_card_pin(self, card_number: str) -> dict[str, Any]:
        """Type the PIN personalised into a deck card on the pad, then Enter (demo: "the farmer types")."""
        return self.pinpad_control.type_keys(card_pin(self.deck_dir, card_number), enter=True)

    def printed_receipts(self, after: int = 0) -> list[dict[str, Any]]:
        return self.printer_control.receipts(after)


class _Closer:
    """Stops (and cleans up) a pcscd the stack started itself."""

    def __init__(self, target: PrivatePcscd) -> None:
        self.target = target
        self.process = target.process

    def stop(self) -> None:
        self.target.close()
