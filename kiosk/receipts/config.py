"""Typed settings of the receipt printer, read by the device agent.

Environment variables (defaults in brackets): ``KIOSK_PRINTER`` [none: no printer] the serial
device path, ``KIOSK_PRINTER_BAUD`` [9600], ``KIOSK_PRINTER_WIDTH`` [42: 80 mm paper; 32 for 58 mm],
``KIOSK_PRINTER_WRITE_TIMEOUT_S`` [5], ``KIOSK_PRINT_QUEUE_DIR`` [<instance>/print-queue].
These belong in kiosk/settings.py once the lead moves them there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from kiosk.receipts.layout import WIDTHS
from kiosk.settings import ConfigError


@dataclass(frozen=True)
class PrinterSettings:
    device: str = ""
    baudrate: int = 9600
    width: int = 42
    write_timeout_s: float = 5.0
    queue_dir: str = ""


def _number(env: Mapping[str, str], name: str, default: str) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def load_printer_settings(environ: Mapping[str, str] | None = None, instance_path: str = "instance") -> PrinterSettings:
    env = os.environ if environ is None else environ
    baud = env.get("KIOSK_PRINTER_BAUD", "9600")
    width = env.get("KIOSK_PRINTER_WIDTH", "42")
    if not baud.isdigit():
        raise ConfigError(f"KIOSK_PRINTER_BAUD must be a whole number, got {baud!r}")
    if not width.isdigit() or int(width) not in WIDTHS:
        raise ConfigError(f"KIOSK_PRINTER_WIDTH must be 42 (80 mm paper) or 32 (58 mm), got {width!r}")
    return PrinterSettings(
        device=env.get("KIOSK_PRINTER", ""), baudrate=int(baud), width=int(width),
        write_timeout_s=_number(env, "KIOSK_PRINTER_WRITE_TIMEOUT_S", "5"),
        queue_dir=env.get("KIOSK_PRINT_QUEUE_DIR", os.path.join(instance_path, "print-queue")),
    )
