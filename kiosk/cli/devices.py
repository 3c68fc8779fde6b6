"""``kiosk devices``: the emulated device stack (pcscd, card, PIN pad, printer, agent); docs/devices.md."""

from __future__ import annotations

from kiosk.devstack.cli import devices_group

COMMANDS = [devices_group]
