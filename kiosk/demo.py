"""``make demo`` / ``kiosk demo``: the whole product on one machine, every device emulated.

It starts, each as its own process and in this order: a private pcscd with the card emulator and a
deck of demo cards, the PIN pad and receipt printer emulators on pty pairs, the device agent
(``kiosk/devstack``), the BPJS sandbox host with the demo participants and a funded partner
deposit, the worker, and the web app (gunicorn) on http://127.0.0.1:8000 — on SQLite, with a
Soppeng-shaped data set (a few thousand farmers from the same generator as the tests). Ctrl-C (or
any of them dying) stops everything it started. The demo folder keeps its state between runs;
``--fresh`` starts over.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import httpx
import sqlalchemy as sa
from flask import Flask

import fertilizer
from bpjs_link import Month, generate_partner_keys
from firmware_stubs.personalise import read_farmer_csv
from kiosk import create_app, migrate
from kiosk.auth import create_user
from kiosk.db import get_db
from kiosk.demo_cards import write_standings
from kiosk.devstack import DeviceStack
from kiosk.devstack.deck import ensure_issuer, issue_deck
from kiosk.devstack.process import ManagedProcess, Predicate
from kiosk.models import Role, User
from kiosk.seed import SeedConfig, seed_database
from kiosk.settings import to_environ

ROOT = Path(__file__).resolve().parent.parent
PARTNER_ID = "KIOSK-SOPPENG-DEMO"
DEMO_PASSWORD_SUFFIX = "-sutasoma"
DECK_PER_STANDING = 2
STATE_FILE = "demo.json"


def demo_users(kiosk: str) -> tuple[tuple[str, Role, str | None, str], ...]:
    """Demo mode only: fixed, printed logins so a newcomer can walk through every role."""
    return (
        ("operator", Role.OPERATOR, kiosk, "Operator Kios Tani"),
        ("supervisor", Role.SUPERVISOR, None, "Supervisor Kios"),
        ("auditor", Role.AUDITOR, None, "Auditor Inspektorat"),
        ("dinas", Role.DINAS, None, "Dinas Pertanian Soppeng"),
        ("admin", Role.ADMIN, None, "Admin Dinas"),
    )


def seed_users(app: Flask, kiosk: str) -> None:
    hasher = app.extensions["kiosk.hasher"]
    with app.app_context(), get_db().sessions.begin() as session:
        for username, role, kiosk_code, name in demo_users(kiosk):
            if session.scalar(sa.select(User.id).where(User.username == username)) is None:
                create_user(session, hasher, username=username, password=username + DEMO_PASSWORD_SUFFIX,
                            role=role, kiosk_code=kiosk_code, full_name=name)


@dataclass(frozen=True)
class DemoCard:
    card_number: str
    standing: str


def _standings(bpjs_csv: Path, today: datetime) -> dict[str, str]:
    month = Month(today.year, today.month)
    out: dict[str, str] = {}
    with bpjs_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            behind = month - Month.parse(row["paid_through"])
            out[row["nik"]] = "inactive" if row["status"] != "active" else {0: "paid_up", 1: "one_behind", 2: "two_behind"}.get(
                behind, "ahead" if behind < 0 else "behind")
    return out


def choose_deck(app: Flask, paths: dict[str, Path], today: datetime) -> tuple[str, list[DemoCard]]:
    """The kiosk with the most generated farmers, and a few of its farmers of each BPJS standing."""
    standings = _standings(paths["bpjs"], today)
    cards = read_farmer_csv(paths["cards"])
    with app.app_context(), get_db().sessions() as s:
        outlet_of = {g.code: g.outlet_code for g in fertilizer.reference_data(s).groups}
    kiosk = Counter(outlet_of[c.group_code] for c in cards).most_common(1)[0][0]
    picked: list[DemoCard] = []
    per: Counter[str] = Counter()
    for c in cards:
        standing = standings.get(c.nik, "unregistered")
        if outlet_of[c.group_code] == kiosk and per[standing] < DECK_PER_STANDING:
            per[standing] += 1
            picked.append(DemoCard(c.card_number, standing))
    return kiosk, picked


def _demo_settings(data: Path) -> dict[str, Any]:
    return {"env": "demo", "instance_path": str(data), "database_url": f"sqlite:///{data / 'kiosk.sqlite3'}",
            "keys_dir": str(data / "keys"), "issuer_keys_dir": str(data / "issuer"),
            "farmer_keys_dir": str(data / "keys" / "farmers"), "bpjs_client_file": str(data / "bpjs" / "client.json")}


def prepare(data: Path, farmers: int) -> tuple[Flask, dict[str, Any]]:
    """Database at the newest schema, seeded once; demo users; issuer key and card deck; BPJS keys."""
    app = create_app(_demo_settings(data))
    migrate.upgrade(app.extensions["kiosk.settings"].database_url)
    state_path = data / STATE_FILE
    if state_path.exists():
        state: dict[str, Any] = json.loads(state_path.read_text())
    else:
        now = datetime.now(timezone.utc)
        click.echo(f"demo: generating {farmers:,} Soppeng farmers, their RDKK quotas, stock and deposits ...")
        started = time.monotonic()
        with app.app_context(), get_db().sessions.begin() as s:
            seeded = seed_database(s, app.extensions["kiosk.services"].keys(), SeedConfig(farmers=farmers), data / "seed",
                                   now=now)
        kiosk, deck = choose_deck(app, seeded.paths, now)
        state = {"kiosk": kiosk, "season": seeded.season, "bpjs_seed": str(seeded.paths["bpjs"]),
                 "cards_csv": str(seeded.paths["cards"]), "deck": [[c.card_number, c.standing] for c in deck]}
        click.echo(f"demo: seeded in {time.monotonic() - started:.1f} s")
    (data / "issuer").mkdir(parents=True, exist_ok=True)
    ensure_issuer(data / "issuer")
    wanted = {number for number, _ in state["deck"]}
    issue_deck(data / "deck", data / "issuer", [c for c in read_farmer_csv(Path(state["cards_csv"])) if c.card_number in wanted])
    write_standings(data / "deck", [(number, standing) for number, standing in state["deck"]])  # the demo page's labels
    if not (data / "bpjs" / "keys" / "host-partner.json").exists():
        generate_partner_keys(data / "bpjs" / "keys", partner_id=PARTNER_ID)
    seed_users(app, state["kiosk"])
    state_path.write_text(json.dumps(state, indent=2))
    return app, state


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_sandbox(data: Path, state: dict[str, Any]) -> tuple[ManagedProcess, str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "bpjs_link.sandbox", "--port", str(port), "--data", str(data / "bpjs" / "host"),
            "--partner", str(data / "bpjs" / "keys" / "host-partner.json"), "--seed", state["bpjs_seed"],
            "--deposit", "50000000"]
    process = ManagedProcess("BPJS sandbox", argv, log_path=data / "logs" / "bpjs-sandbox.log",
                             ready=Predicate(lambda: _http_ok(f"{base}/_sandbox/health")))
    process.start()
    client = json.loads((data / "bpjs" / "keys" / "client.json").read_text())
    client["base_url"] = base
    target = data / "bpjs" / "client.json"
    target.write_text(json.dumps(client, indent=2))
    os.chmod(target, 0o600)
    return process, base


def _print_banner(port: int, state: dict[str, Any], sandbox: str) -> None:
    click.echo("")
    click.echo(f"demo: open http://127.0.0.1:{port}/   (Ctrl-C stops everything)")
    click.echo(f"demo: kiosk {state['kiosk']}, season {state['season']}; logins (demo mode only):")
    for username, role, kiosk_code, _ in demo_users(state["kiosk"]):
        extra = f", kiosk {kiosk_code}" if kiosk_code else ""
        click.echo(f"  {username:12} / {username + DEMO_PASSWORD_SUFFIX:22} ({role.value}{extra})")
    click.echo(f"demo: demo control page http://127.0.0.1:{port}/demo  (any login): insert and remove cards, type the")
    click.echo("      PIN on the emulated pad, read the printed receipts; keep it beside the operator screen (/operator)")
    click.echo("demo: cards in the emulated reader's deck (insert them from the demo page):")
    for number, standing in state["deck"]:
        click.echo(f"  {number}  BPJS: {standing}")
    click.echo(f"demo: BPJS sandbox at {sandbox}")


def run_demo(data_dir: Path, *, port: int, fresh: bool, farmers: int = 3000) -> None:
    if fresh and data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "logs").mkdir(exist_ok=True)
    app, state = prepare(data_dir, farmers)
    settings = app.extensions["kiosk.settings"]
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        click.echo("demo: starting pcscd, card emulator, PIN pad, printer and the device agent ...")
        devices = stack.enter_context(DeviceStack(data_dir / "run", data_dir / "deck", issuer_keys_dir=data_dir / "issuer"))
        click.echo("demo: starting the BPJS sandbox ...")
        sandbox, sandbox_url = start_sandbox(data_dir, state)
        stack.callback(sandbox.stop)
        env = {**to_environ(settings), **devices.web_env(), "KIOSK_DEMO_STACK": str(devices.run_dir / "stack.json"),
               "KIOSK_DEMO_KIOSK": state["kiosk"]}
        worker = ManagedProcess("worker", [str(ROOT / ".venv" / "bin" / "kiosk"), "worker"], env=env,
                                log_path=data_dir / "logs" / "worker.log", ready=Predicate(lambda: True))
        worker.start()
        stack.callback(worker.stop)
        web = ManagedProcess(
            "web", [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
            env={**env, "KIOSK_BIND": f"127.0.0.1:{port}", "KIOSK_WEB_WORKERS": "1", "KIOSK_WEB_THREADS": "8",
                 "PYTHONPATH": str(ROOT)},
            log_path=data_dir / "logs" / "web.log", ready=Predicate(lambda: _http_ok(f"http://127.0.0.1:{port}/healthz")))
        click.echo(f"demo: starting the worker and the web app on port {port} ...")
        web.start()
        stack.callback(web.stop)
        _print_banner(port, state, sandbox_url)
        while not stop.wait(1.0):
            dead = [p.name for p in (web, worker, sandbox) if not p.alive] + devices.dead()
            if dead:
                click.echo(f"demo: stopped because {', '.join(dead)} exited (logs in {data_dir / 'logs'})", err=True)
                break
        click.echo("demo: stopping everything ...")
