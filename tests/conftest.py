"""Fixtures layered app -> client -> helpers (STYLE: flaskr). Database tests run on both backends.

``db_url`` is parametrized over ``sqlite`` and ``postgresql``: each test gets a fresh database at
the newest schema. Use ``engine`` for a ready engine with the project's connection settings.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app, migrate
from ledger.storage import create_engine
from tests.support.databases import PgDatabases, SqliteDatabases, find_postgres

pytest_plugins = [
    "tests.support.browser_fixtures",  # one Chromium for every browser test
    "tests.support.stack_fixtures",  # the demo population once; a BPJS sandbox per end-to-end test
]

BACKENDS = ("sqlite", "postgresql")
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases | str]:
    """The PostgreSQL database factory, or the reason there is none."""
    url, how, cluster = find_postgres()
    if url is None:
        yield how
        return
    dbs = PgDatabases(url, migrate.upgrade)
    try:
        yield dbs
    finally:
        dbs.close()
        if cluster is not None:
            cluster.stop()


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> SqliteDatabases:
    return SqliteDatabases(tmp_path_factory.mktemp("sqlite"), migrate.upgrade)


def _factory(backend: str, request: pytest.FixtureRequest) -> PgDatabases | SqliteDatabases:
    if backend == "sqlite":
        factory: SqliteDatabases = request.getfixturevalue("sqlite_databases")
        return factory
    pg = request.getfixturevalue("pg_databases")
    if isinstance(pg, str):
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL is unavailable: {pg}")
        pytest.skip(pg)
    return pg


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database at the newest schema, dropped after the test."""
    factory = _factory(db_backend, request)
    url = factory.create()
    try:
        yield url
    finally:
        factory.drop(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    eng = create_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


TEST_SETTINGS = {
    "env": "testing",
    "secret_key": "test-secret-key-that-is-long-enough-0123456789",
    # argon2id at minimal cost keeps the suite fast; production refuses these values
    "password_time_cost": 1,
    "password_memory_kib": 256,
}


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app({**TEST_SETTINGS, "database_url": db_url, "instance_path": str(tmp_path / "instance")})
    application.config["WTF_CSRF_ENABLED"] = False
    yield application
    from kiosk.db import get_db

    with application.app_context():
        get_db().engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
