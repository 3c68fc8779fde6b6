"""The ``kiosk`` command: Flask's CLI group plus the project's commands.

``kiosk db upgrade`` · ``kiosk user add|disable|list`` · ``kiosk token create`` · ``kiosk demo``
"""

from __future__ import annotations

import sys

import click
from flask.cli import FlaskGroup

from kiosk import create_app
from kiosk.cli.db import db_group
from kiosk.cli.demo import demo_command
from kiosk.cli.users import token_group, user_group
from kiosk.settings import ConfigError


def _make_app() -> object:
    try:
        return create_app()
    except ConfigError as exc:
        click.echo(f"kiosk: configuration error: {exc}", err=True)
        sys.exit(2)


cli = FlaskGroup(create_app=_make_app, add_version_option=False, help=__doc__)
cli.add_command(db_group)
cli.add_command(user_group)
cli.add_command(token_group)
cli.add_command(demo_command)


def main() -> None:
    cli.main(prog_name="kiosk")
