"""The ``kiosk`` command: Flask's CLI group plus the project's commands.

Each module ``kiosk/cli/<area>.py`` lists its click commands or groups in ``COMMANDS``; they are
added here in module-name order (``kiosk db``, ``kiosk user``, ``kiosk token``, ``kiosk demo``, ...).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import click
from flask.cli import FlaskGroup

from kiosk import create_app
from kiosk.settings import ConfigError


def _make_app() -> object:
    try:
        return create_app({"database_pool": False})
    except ConfigError as exc:
        click.echo(f"kiosk: configuration error: {exc}", err=True)
        sys.exit(2)


cli = FlaskGroup(create_app=_make_app, add_version_option=False, help="Sutasoma Kiosk command line.")

for _info in sorted((m for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")), key=lambda m: m.name):
    for _command in getattr(importlib.import_module(f"{__name__}.{_info.name}"), "COMMANDS", ()):
        cli.add_command(_command)


def main() -> None:
    cli.main(prog_name="kiosk")
