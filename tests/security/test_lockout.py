"""Login throttling: N failures within the window lock the username (or the address) for a period;
the message never tells whether the username exists; success clears the count; time or an admin
releases a lock; failures and locks are logged (no password) and locks are audit entries."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

import ledger
from kiosk.auth import unlock_address, unlock_user
from kiosk.auth.access import throttle
from kiosk.auth.schema import LoginFailure, LoginLockout
from kiosk.cli import cli
from kiosk.db import get_db
from kiosk.models import Role
from ledger.schema import entries
from tests.security.conftest import PASSWORD, FakeClock, add_user, csrf_token, login

WRONG = "not the password 123"
LOCKED_ID = "Terlalu banyak percobaan masuk yang gagal"
LOCKED_EN = "Too many failed log-in attempts"


def _post(client: FlaskClient, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)})


def _fail(client: FlaskClient, username: str, times: int) -> list[int]:
    return [_post(client, username, WRONG).status_code for _ in range(times)]


def _entries(app: Flask, kind: str) -> list[dict[str, Any]]:
    with app.app_context(), get_db().sessions() as s:
        rows = s.execute(sa.select(entries.c.body).where(entries.c.kind == kind).order_by(entries.c.created_at)).all()
    return [ledger.decode(bytes(r.body))["payload"] for r in rows]


def test_five_failures_lock_the_account_and_even_the_right_password_is_refused(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "siti", 4) == [401] * 4
    locked = _post(client, "siti", WRONG)
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert LOCKED_ID in page and "Nama pengguna atau kata sandi salah." not in page
    assert int(locked.headers["Retry-After"]) == 15 * 60
    right = _post(client, "siti", PASSWORD)
    assert right.status_code == 429 and LOCKED_ID in right.get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": csrf_token(client)})
    assert LOCKED_EN in _post(client, "siti", PASSWORD).get_data(as_text=True)
    assert client.get("/").status_code == 302  # never logged in


def test_the_lock_ends_when_its_period_passes(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "siti", 5)[-1] == 429
    clock.advance(minutes=14, seconds=59)
    assert _post(client, "siti", PASSWORD).status_code == 429
    clock.advance(seconds=2)
    assert _post(client, "siti", PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_failures_older_than_the_window_do_not_count(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "siti", 4) == [401] * 4
    clock.advance(minutes=15, seconds=1)
    assert _fail(client, "siti", 4) == [401] * 4  # the first four fell out of the window
    assert _fail(client, "siti", 1) == [429]


def test_a_successful_login_clears_the_count(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "siti", 4) == [401] * 4
    assert _post(client, "siti", PASSWORD).status_code == 302
    other = secure_app.test_client()
    assert _fail(other, "siti", 4) == [401] * 4  # counting starts again from zero
    with secure_app.app_context(), get_db().sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 4  # the first four were forgotten


def test_a_lock_never_tells_whether_the_username_exists(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    known, unknown = secure_app.test_client(), secure_app.test_client()
    statuses_known = _fail(known, "siti", 6)
    statuses_unknown = _fail(unknown, "nobody-here", 6)
    assert statuses_known == statuses_unknown == [401, 401, 401, 401, 429, 429]
    a = _post(known, "siti", WRONG)
    b = _post(unknown, "nobody-here", WRONG)
    assert (a.status_code, a.headers["Retry-After"]) == (b.status_code, b.headers["Retry-After"])
    strip = [line for line in a.get_data(as_text=True).splitlines() if "csrf" not in line and "siti" not in line]
    other = [line for line in b.get_data(as_text=True).splitlines() if "csrf" not in line and "nobody-here" not in line]
    assert strip == other


def test_usernames_are_counted_case_insensitively_and_stored_only_as_a_keyed_hash(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "Siti", 2) + _fail(client, "SITI ", 2) + _fail(client, "siti", 1) == [401] * 4 + [429]
    with secure_app.app_context(), get_db().sessions() as s:
        keys = set(s.scalars(sa.select(LoginFailure.username_key)))
        lock = s.scalars(sa.select(LoginLockout)).one()
    assert keys == {throttle_key(secure_app, "siti")} and "siti" not in next(iter(keys))
    assert lock.scope == "user" and lock.username == "siti" and lock.failures == 5


def throttle_key(app: Flask, username: str) -> str:
    with app.app_context():
        return throttle().username_key(username)


def test_an_admin_releases_a_locked_user(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    assert _fail(client, "siti", 5)[-1] == 429
    clock.advance(minutes=1)
    with secure_app.app_context(), get_db().sessions.begin() as s:
        assert unlock_user(s, throttle(), "siti", actor="admin-andi", now=clock()) == 1
    assert _post(client, "siti", PASSWORD).status_code == 302
    with secure_app.app_context(), get_db().sessions() as s:
        row = s.scalars(sa.select(LoginLockout)).one()
        assert row.released_by == "admin-andi" and row.released_at == clock()
    [locked] = _entries(secure_app, "kiosk.user_locked")
    assert locked["scope"] == "user" and locked["username"] == "siti" and locked["failures"] == 5
    assert locked["known_user"] is True and locked["address"] == "127.0.0.1"
    [unlocked] = _entries(secure_app, "kiosk.user_unlocked")
    assert unlocked == {"scope": "user", "username": "siti", "by": "admin-andi", "released": 1}


def test_kiosk_user_unlock_and_locks_on_the_command_line(db_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"DATABASE_URL": db_url, "KIOSK_INSTANCE_PATH": str(tmp_path), "KIOSK_ENV": "testing",
           "KIOSK_PASSWORD_TIME_COST": "1", "KIOSK_PASSWORD_MEMORY_KIB": "256",
           "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    runner = CliRunner()
    assert runner.invoke(cli, ["user", "add", "budi", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n").exit_code == 0
    from tests.security.conftest import close_app, make_app

    app = make_app(db_url, tmp_path, secret_key=env["SECRET_KEY"], instance_path=str(tmp_path))
    try:
        client = app.test_client()
        assert _fail(client, "budi", 5)[-1] == 429
        listed = runner.invoke(cli, ["user", "locks"])
        assert listed.exit_code == 0 and "budi" in listed.output and "user" in listed.output
        done = runner.invoke(cli, ["user", "unlock", "budi", "--by", "admin-cli"])
        assert done.exit_code == 0, done.output
        assert "unlocked budi (1 lock released)" in done.output
        assert login(client, "budi") == 302
        assert "no locks" in runner.invoke(cli, ["user", "locks"]).output
        unknown = runner.invoke(cli, ["user", "unlock", "nobody"])
        assert unknown.exit_code == 1 and "No such user" in unknown.output and "Pengguna tidak ditemukan" in unknown.output
        assert runner.invoke(cli, ["user", "unlock"]).exit_code == 2
    finally:
        close_app(app)


def test_many_failures_from_one_address_lock_the_address(secure_app: Flask, clock: FakeClock) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    attacker = secure_app.test_client()
    spray = [_post(attacker, f"guess-{i}", WRONG).status_code for i in range(20)]
    assert spray == [401] * 19 + [429]
    assert _post(attacker, "siti", PASSWORD).status_code == 429  # from that address, nobody gets in
    elsewhere = secure_app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.20.30.40"
    assert login(elsewhere, "siti") == 302
    [locked] = _entries(secure_app, "kiosk.user_locked")
    assert locked["scope"] == "address" and locked["address"] == "127.0.0.1" and locked["username"] is None
    with secure_app.app_context(), get_db().sessions.begin() as s:
        assert unlock_address(s, "127.0.0.1", actor="admin-andi", now=clock()) == 1
    assert login(attacker, "siti") == 302


def test_failures_and_locks_are_logged_without_the_password(secure_app: Flask, clock: FakeClock,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    add_user(secure_app, "siti", Role.SUPERVISOR)
    client = secure_app.test_client()
    with caplog.at_level(logging.DEBUG):
        _fail(client, "siti", 5)
        _fail(client, "my-secret-typed-as-name", 1)
        _post(client, "siti", PASSWORD)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "event=login_failed user=siti" in text and "event=login_locked scope=user user=siti" in text
    assert "event=login_refused_locked" in text
    assert WRONG not in text and PASSWORD not in text
    assert "my-secret-typed-as-name" not in text  # an unknown username is logged only as a hash prefix
    assert any(r.levelno == logging.WARNING and "login_locked" in r.getMessage() for r in caplog.records)
