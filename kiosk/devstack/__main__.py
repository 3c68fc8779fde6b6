"""``python -m kiosk.devstack``: the same commands as ``kiosk devices`` (see :mod:`kiosk.devstack.cli`)."""

from kiosk.devstack.cli import devices_group

devices_group(prog_name="python -m kiosk.devstack")
