"""Helpers of the demo control page's tests (tests/ui/test_demo_page.py): an app in demo mode on the
session's device stack, and people of any role logged in through the login form."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.devstack import DeviceStack
from kiosk.devstack.stack import STACK_FILE
from kiosk.models import Role
from tests.conftest import TEST_SETTINGS

PASSWORD = "correct horse battery"
KIOSK = "KIOS-DEMO-01"


def person_client(app: Flask, role: Role) -> FlaskClient:
    """A new user with ``role`` (an operator bound to a kiosk), logged in; the client keeps the cookie."""
    username = f"{role.value}-{uuid.uuid4().hex[:6]}"
    with app.app_context(), get_db().sessions.begin() as s:
        create_user(s, app.extensions["kiosk.hasher"], username=username, password=PASSWORD, role=role,
                    kiosk_code=KIOSK if role is Role.OPERATOR else None)
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def demo_client(app: Flask) -> FlaskClient:
    """Someone on the demo page: an auditor, to show that any person role may drive the demo."""
    return person_client(app, Role.AUDITOR)


def close_app(app: Flask) -> None:
    runner = app.extensions.get("kiosk.runner")
    if runner is not None:
        runner.shutdown()
    with app.app_context():
        app.extensions["kiosk.services"].close()
        get_db().engine.dispose()


def demo_mode_app(db_url: str, tmp_path: Path, stack_file: Path) -> Flask:
    """The web app in demo mode (``KIOSK_DEMO_STACK`` = ``stack_file``), CSRF off for the test
    client (the browser test runs with CSRF on)."""
    app = create_app({**TEST_SETTINGS, "database_url": db_url, "instance_path": str(tmp_path / "instance"),
                      "demo_stack": str(stack_file)})
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def demo_app(db_url: str, tmp_path: Path, stack: DeviceStack) -> Iterator[Flask]:
    """Demo mode on the session's device stack (tests/ui/conftest.py)."""
    app = demo_mode_app(db_url, tmp_path, stack.run_dir / STACK_FILE)
    yield app
    close_app(app)
