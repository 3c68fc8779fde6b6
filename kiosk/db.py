"""The web side's database handle: one engine per app, one session per request (STYLE habit 3).

Views and CLI commands own the transaction: ``with db_session().begin(): ...``; services take the
session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from ledger.storage import create_engine

_EXT = "kiosk.db"


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def connect(cls, url: str, *, pool: bool = True) -> "Database":
        engine = create_engine(url) if pool else create_engine(url, poolclass=NullPool)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))


def init_app(app: Flask, url: str, *, pool: bool = True) -> None:
    app.extensions[_EXT] = Database.connect(url, pool=pool)
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    db: Database = current_app.extensions[_EXT]
    return db


def db_session() -> Session:
    """The request's (or CLI command's) session, created on first use."""
    if "db_session" not in g:
        g.db_session = get_db().sessions()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
