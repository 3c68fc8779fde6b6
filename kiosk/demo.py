"""The demo: a fresh SQLite kiosk with seeded users, served on loopback.

What runs today is listed by ``run_demo``; the parts still to come are printed so nobody mistakes
their absence for a fault.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import run_simple

from kiosk import create_app, migrate
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.models import Role, User

# Demo mode only: fixed, printed logins so a newcomer can walk through every role.
DEMO_USERS: tuple[tuple[str, Role, str | None, str], ...] = (
    ("admin", Role.ADMIN, None, "Admin Dinas"),
    ("operator", Role.OPERATOR, "KIOS-001", "Operator Kios Tani Makmur"),
    ("supervisor", Role.SUPERVISOR, None, "Supervisor"),
    ("auditor", Role.AUDITOR, None, "Auditor Inspektorat"),
    ("dinas", Role.DINAS, None, "Dinas Pertanian Soppeng"),
)
DEMO_PASSWORD_SUFFIX = "-sutasoma"

NOT_YET = (
    "card reader, PIN pad and printer emulators (issue: e-Kartu Tani over PC/SC)",
    "BPJS sandbox host (issue: BPJS host-to-host link)",
    "farmers, quotas, prices and stock (issue: fertilizer and farmers)",
    "the one-swipe checkout (issue: checkout state machine)",
)


def seed_users(app: Flask) -> None:
    hasher = app.extensions["kiosk.hasher"]
    with app.app_context(), get_db().sessions.begin() as session:
        for username, role, kiosk_code, name in DEMO_USERS:
            if session.scalar(sa.select(User.id).where(User.username == username)) is None:
                create_user(session, hasher, username=username, password=username + DEMO_PASSWORD_SUFFIX,
                            role=role, kiosk_code=kiosk_code, full_name=name)


def run_demo(data_dir: Path, *, port: int, fresh: bool) -> None:
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app({"env": "demo", "instance_path": str(data_dir), "database_url": ""})
    url = app.extensions["kiosk.settings"].database_url
    click.echo(f"demo: database {url}")
    migrate.upgrade(url)
    seed_users(app)
    click.echo("demo: logins (demo mode only):")
    for username, role, kiosk_code, _ in DEMO_USERS:
        extra = f", kiosk {kiosk_code}" if kiosk_code else ""
        click.echo(f"  {username:12} / {username + DEMO_PASSWORD_SUFFIX:22} ({role.value}{extra})")
    click.echo("demo: not there yet:")
    for item in NOT_YET:
        click.echo(f"  - {item}")
    click.echo(f"demo: open http://127.0.0.1:{port}/  (Ctrl-C stops)")
    run_simple("127.0.0.1", port, app, threaded=True, use_reloader=False)
