"""``python -m firmware_stubs.pinpad``: run the PIN pad emulator on a serial link, or drive it.

    python -m firmware_stubs.pinpad serve --port-link /tmp/pad-A [--control 127.0.0.1:0]
    python -m firmware_stubs.pinpad queue --control URL --pin 123456 | --cancel | --timeout
    python -m firmware_stubs.pinpad type  --control URL 123456        (typed, then Enter)
    python -m firmware_stubs.pinpad status --control URL

``serve`` prints ``{"event": "ready", "control": URL}`` on stdout when ready.
The pad answers DISPLAY, GET_PIN, CANCEL and STATUS (card_reader/protocol/pinpad.py).
Control API (JSON): GET /status; POST /queue {"pin", "delay_s"} or {"action": "cancel"|"timeout"};
POST /keys {"keys", "enter", "cancel", "clear"}; POST /faults {"nak_commands", "corrupt_answers",
"drop_answers", "ignore_commands", "garbage" (hex)}; POST /reset.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Any

import click
import httpx
import serial

from firmware_stubs.control import BadRequest, ControlServer, Handler, parse_listen
from firmware_stubs.pinpad.pad import Entry, Faults, PadFirmware

LINE_POLL_S = 0.01  # how often the pad's loop looks at typed keys and timeouts when the line is quiet


def _entry(body: dict[str, Any]) -> Entry:
    action = body.get("action", "pin")
    delay = body.get("delay_s", 0)
    if not isinstance(delay, (int, float)) or not 0 <= delay <= 120:
        raise BadRequest("delay_s 0-120 detik", "delay_s must be 0-120 seconds")
    if action in ("cancel", "timeout"):
        return Entry(action, delay_s=float(delay))
    pin = body.get("pin")
    if action != "pin" or not isinstance(pin, str) or not pin.isdigit():
        raise BadRequest("isi 'pin' (angka) atau 'action'", "give 'pin' (digits) or 'action': cancel|timeout")
    return Entry("pin", pin, float(delay))


def _faults(body: dict[str, Any]) -> Faults:
    counts = {k: body.get(k, 0) for k in ("nak_commands", "corrupt_answers", "drop_answers", "ignore_commands")}
    if any(not isinstance(v, int) or not 0 <= v <= 100 for v in counts.values()):
        raise BadRequest("jumlah gangguan 0-100", "fault counts must be 0-100")
    try:
        garbage = bytes.fromhex(body.get("garbage", ""))
    except (TypeError, ValueError):
        raise BadRequest("garbage harus hex", "garbage must be hex") from None
    return Faults(garbage=garbage, **counts)


def routes(pad: PadFirmware) -> dict[tuple[str, str], Handler]:
    def keys(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        digits = body.get("keys", "")
        if not isinstance(digits, str) or (digits and not digits.isdigit()):
            raise BadRequest("'keys' hanya angka", "'keys' must be digits")
        pad.keys(digits, bool(body.get("enter")), bool(body.get("cancel")), bool(body.get("clear")))
        return 200, pad.status()

    def faults(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pad.faults = _faults(body)
        return 200, pad.status()

    def queue(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pad.queue(_entry(body))
        return 200, pad.status()

    def reset(_body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        pad.reset()
        return 200, pad.status()

    return {("GET", "/status"): lambda _b: (200, pad.status()), ("POST", "/queue"): queue,
            ("POST", "/keys"): keys, ("POST", "/faults"): faults, ("POST", "/reset"): reset}


@click.group()
def main() -> None:
    """Serial PIN pad emulator."""


@main.command()
@click.option("--port-link", required=True, help="The pad's end of the serial pty pair.")
@click.option("--baudrate", default=9600, show_default=True)
@click.option("--control", default="127.0.0.1:0", show_default=True)
@click.option("--log-level", default="WARNING", show_default=True)
def serve(port_link: str, baudrate: int, control: str, log_level: str) -> None:
    """Run the pad until SIGTERM."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    try:
        host, port = parse_listen(control)
        line = serial.Serial(port_link, baudrate=baudrate, timeout=LINE_POLL_S)
    except (ValueError, serial.SerialException) as exc:
        raise click.ClickException(f"tidak dapat membuka / cannot open: {exc}") from None
    pad = PadFirmware(line)
    server = ControlServer(routes(pad), host, port).start()
    worker = threading.Thread(target=pad.run, name="pinpad", daemon=True)
    worker.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    click.echo(json.dumps({"event": "ready", "control": server.url}))
    sys.stdout.flush()
    stop.wait()
    pad.stop()
    worker.join(timeout=2)
    server.stop()
    line.close()


def _call(control: str, method: str, path: str, body: dict[str, Any] | None = None) -> None:
    try:
        response = httpx.request(method, control.rstrip("/") + path, json=body, timeout=10)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"PIN pad tidak menjawab / PIN pad not answering: {exc}") from None
    click.echo(json.dumps(response.json(), indent=1))
    if response.status_code >= 400:
        sys.exit(1)


_control = click.option("--control", required=True, help="Control URL printed by serve.")


@main.command("queue")
@_control
@click.option("--pin", help="Digits the farmer will 'type' at the next PIN request.")
@click.option("--cancel", is_flag=True)
@click.option("--timeout", "time_out", is_flag=True)
@click.option("--delay", default=0.0, show_default=True)
def queue_command(control: str, pin: str | None, cancel: bool, time_out: bool, delay: float) -> None:
    """Queue the answer to the next PIN request."""
    body: dict[str, Any] = {"delay_s": delay}
    body.update({"action": "cancel"} if cancel else {"action": "timeout"} if time_out else {"pin": pin or ""})
    _call(control, "POST", "/queue", body)


@main.command("type")
@_control
@click.argument("digits")
def type_command(control: str, digits: str) -> None:
    """Type digits on the pad and press Enter."""
    _call(control, "POST", "/keys", {"keys": digits, "enter": True})


@main.command()
@_control
def status(control: str) -> None:
    """The pad's display, prompt and queue."""
    _call(control, "GET", "/status")


if __name__ == "__main__":
    main()
