"""``python -m firmware_stubs.printer``: run the receipt printer emulator on a serial link.

    python -m firmware_stubs.printer --link /tmp/printer-A --store DIR [--control 127.0.0.1:0]
                                     [--columns 42] [--baudrate 9600] [--log-level WARNING]

Prints ``{"event": "ready", "control": URL}`` on stdout when ready; stops on SIGTERM/SIGINT.
Control API (JSON on loopback): ``GET /status``; ``GET /receipts`` (all); ``POST /receipts``
``{"after": N}`` (those numbered above N); ``POST /receipt`` ``{"number": N}``; ``POST /faults``
``{"paper": "ok"|"near_end"|"out", "cover_open": bool, "offline": false|"drop"|"stall",
"after_bytes": N, "exit_after_bytes": N}`` (only the keys given change); ``POST /reset`` (no faults).
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

from firmware_stubs.control import BadRequest, ControlServer, Handler, parse_listen
from firmware_stubs.printer.device import PrinterDevice, open_line
from firmware_stubs.printer.store import ReceiptStore

PAPER_STATES = ("ok", "near_end", "out")
OFFLINE_MODES = ("drop", "stall")
MAX_BYTES = 10_000_000


def _count(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_BYTES:
        raise BadRequest(f"{key} harus bilangan bulat 0-{MAX_BYTES}", f"{key} must be a whole number 0-{MAX_BYTES}")
    return value


def parse_faults(body: dict[str, Any]) -> dict[str, Any]:
    """Validate a fault request; returns only the keys it sets."""
    unknown = set(body) - {"paper", "cover_open", "offline", "after_bytes", "exit_after_bytes"}
    if unknown:
        raise BadRequest(f"kunci tidak dikenal: {sorted(unknown)}", f"unknown keys: {sorted(unknown)}")
    changes: dict[str, Any] = {}
    if "paper" in body:
        if body["paper"] not in PAPER_STATES:
            raise BadRequest("paper: ok, near_end atau out", "paper must be ok, near_end or out")
        changes["paper"] = body["paper"]
    if "cover_open" in body:
        if not isinstance(body["cover_open"], bool):
            raise BadRequest("cover_open harus true/false", "cover_open must be true or false")
        changes["cover_open"] = body["cover_open"]
    if "offline" in body:
        mode = body["offline"]
        if mode is not False and mode not in OFFLINE_MODES:
            raise BadRequest("offline: false, drop atau stall", "offline must be false, drop or stall")
        changes["offline"] = mode or ""
        changes["after_bytes"] = _count(body, "after_bytes")
    elif "after_bytes" in body:
        raise BadRequest("after_bytes hanya bersama offline", "after_bytes only goes with offline")
    if "exit_after_bytes" in body:
        changes["exit_after_bytes"] = _count(body, "exit_after_bytes")
    return changes


def _number(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{key} harus bilangan bulat >= 0", f"{key} must be a whole number >= 0")
    return value


def routes(device: PrinterDevice) -> dict[tuple[str, str], Handler]:
    store = device.store

    def one(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        record = store.get(_number(body, "number"))
        if record is None:
            return 404, {"error": {"message_id": "Struk tidak ada.", "message_en": "No such receipt."}}
        return 200, record

    def after(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, {"receipts": store.after(_number(body, "after"))}

    def reset(_body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, device.set_faults({"paper": "ok", "cover_open": False, "offline": "", "after_bytes": None,
                                       "exit_after_bytes": None})

    return {
        ("GET", "/status"): lambda _b: (200, device.call(device.status)),
        ("GET", "/receipts"): lambda _b: (200, {"receipts": store.after(0)}),
        ("POST", "/receipts"): after,
        ("POST", "/receipt"): one,
        ("POST", "/faults"): lambda body: (200, device.set_faults(parse_faults(body))),
        ("POST", "/reset"): reset,
    }


@click.command()
@click.option("--link", required=True, help="The printer's end of the serial pty pair.")
@click.option("--store", "store_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the receipts (one JSON file each).")
@click.option("--control", default="127.0.0.1:0", show_default=True, help="HOST:PORT of the control API.")
@click.option("--columns", default=42, show_default=True, type=click.IntRange(16, 64),
              help="Characters per line: 42 for 80 mm paper, 32 for 58 mm.")
@click.option("--baudrate", default=9600, show_default=True)
@click.option("--log-level", default="WARNING", show_default=True)
def main(link: str, store_dir: Path, control: str, columns: int, baudrate: int, log_level: str) -> None:
    """ESC/POS receipt printer emulator."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        host, port = parse_listen(control)
        store = ReceiptStore(store_dir)
    except (ValueError, OSError) as exc:
        raise click.ClickException(f"tidak dapat mulai / cannot start: {exc}") from None
    if not Path(link).exists():
        raise click.ClickException(f"link {link} tidak ada / does not exist")
    device = PrinterDevice(open_line(link, baudrate), store, columns)
    worker = threading.Thread(target=device.run, name="printer", daemon=True)
    worker.start()
    server = ControlServer(routes(device), host, port).start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    device.call(lambda: None)  # the line is open and drained
    click.echo(json.dumps({"event": "ready", "control": server.url}))
    sys.stdout.flush()
    stop.wait()
    device.stop()
    worker.join(timeout=2)
    server.stop()


if __name__ == "__main__":
    main()
