"""The app's long-lived services, reached from views through ``current_app`` (one per process)."""

from __future__ import annotations

import atexit
import threading

from flask import Flask, current_app

from kiosk.checkout.ports import CheckoutDeps
from kiosk.checkout.runner import Runner
from kiosk.db import get_db
from kiosk.services import Services
from kiosk.settings import Settings

_EXT = "kiosk.services"
_lock = threading.Lock()


def init_app(app: Flask, settings: Settings) -> None:
    with app.app_context():
        app.extensions[_EXT] = Services(settings, get_db().sessions)
    app.extensions["kiosk.runner"] = None


def services() -> Services:
    svc: Services = current_app.extensions[_EXT]
    return svc


def checkout_deps() -> CheckoutDeps:
    with _lock:
        deps = current_app.extensions.get("kiosk.deps")
        if deps is None:
            deps = services().checkout_deps()
            current_app.extensions["kiosk.deps"] = deps
        return deps


def checkout_runner() -> Runner:
    with _lock:
        found = current_app.extensions.get("kiosk.runner")
        if found is None:
            found = Runner(current_app.extensions.get("kiosk.deps") or services().checkout_deps())
            current_app.extensions["kiosk.runner"] = found
            atexit.register(found.shutdown)
        return found
