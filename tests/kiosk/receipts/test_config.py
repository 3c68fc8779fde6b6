"""Printer settings from the environment."""

from __future__ import annotations

import pytest

from kiosk.receipts.config import PrinterSettings, load_printer_settings
from kiosk.settings import ConfigError


def test_defaults_and_values() -> None:
    assert load_printer_settings({}, "/srv/kiosk") == PrinterSettings(queue_dir="/srv/kiosk/print-queue")
    settings = load_printer_settings({"KIOSK_PRINTER": "/dev/ttyUSB0", "KIOSK_PRINTER_WIDTH": "32",
                                      "KIOSK_PRINTER_BAUD": "19200", "KIOSK_PRINTER_WRITE_TIMEOUT_S": "2.5",
                                      "KIOSK_PRINT_QUEUE_DIR": "/var/spool/kiosk"})
    assert settings == PrinterSettings("/dev/ttyUSB0", 19200, 32, 2.5, "/var/spool/kiosk")


@pytest.mark.parametrize("env, name", [
    ({"KIOSK_PRINTER_WIDTH": "40"}, "KIOSK_PRINTER_WIDTH"),
    ({"KIOSK_PRINTER_BAUD": "fast"}, "KIOSK_PRINTER_BAUD"),
    ({"KIOSK_PRINTER_WRITE_TIMEOUT_S": "0"}, "KIOSK_PRINTER_WRITE_TIMEOUT_S"),
    ({"KIOSK_PRINTER_WRITE_TIMEOUT_S": "soon"}, "KIOSK_PRINTER_WRITE_TIMEOUT_S"),
])
def test_bad_values_name_the_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_printer_settings(env)
