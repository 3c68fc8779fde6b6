"""Typed settings from environment variables, with safe defaults for the demo (STYLE habit 6).

Every setting is a field of :class:`Settings` with the environment variable that sets it. In
production mode (``KIOSK_ENV=production``) a missing secret stops start-up with a clear message.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "demo", "testing", "production")
DEV_SECRET = "insecure-development-secret-do-not-use-in-production"


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env(name: str, default: Any = None, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"env": name, "secret": secret})


@dataclass(frozen=True)
class Settings:
    env: str = _env("KIOSK_ENV", "development")
    secret_key: str = _env("SECRET_KEY", "", secret=True)
    database_url: str = _env("DATABASE_URL", "")
    instance_path: str = _env("KIOSK_INSTANCE_PATH", "")
    # Key files (ledger signing key, farmer data keys, BPJS partner keys) live outside the database.
    keys_dir: str = _env("KIOSK_KEYS_DIR", "")
    # argon2id cost: OWASP's minimum (19 MiB, t=2) is the floor for production.
    password_time_cost: int = _env("KIOSK_PASSWORD_TIME_COST", 3)
    password_memory_kib: int = _env("KIOSK_PASSWORD_MEMORY_KIB", 65536)
    session_cookie_secure: bool = _env("KIOSK_SESSION_COOKIE_SECURE", False)
    timezone: str = _env("KIOSK_TIMEZONE", "Asia/Makassar")
    # Pooled connections for long-running processes; one-shot CLI commands connect per use.
    database_pool: bool = _env("KIOSK_DATABASE_POOL", True)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def public_dict(self) -> dict[str, Any]:
        """The settings with secrets replaced, for logs and the status panel."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.metadata.get("secret") and value else value
        return out


def _coerce(name: str, raw: str, kind: Any) -> Any:
    if kind in (int, "int"):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if kind in (bool, "bool"):
        low = raw.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")
    return raw


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from ``environ`` (default ``os.environ``); ``overrides`` win (tests)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        name = f.metadata["env"]
        if name in environ:
            values[f.name] = _coerce(name, environ[name], f.type)
    values.update(overrides)
    settings = Settings(**values)
    return _complete(settings)


def _complete(s: Settings) -> Settings:
    if s.env not in ENVIRONMENTS:
        raise ConfigError(f"KIOSK_ENV must be one of {', '.join(ENVIRONMENTS)}, got {s.env!r}")
    changes: dict[str, Any] = {}
    if s.production:
        missing = [n for n, v in (("SECRET_KEY", s.secret_key), ("DATABASE_URL", s.database_url)) if not v]
        if missing:
            raise ConfigError(
                "production mode needs " + " and ".join(missing) + " set in the environment "
                "(SECRET_KEY: a long random string, e.g. from `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`; DATABASE_URL: e.g. "
                "postgresql+psycopg://kiosk@dbhost/kiosk)"
            )
        if s.secret_key == DEV_SECRET or len(s.secret_key) < 32:
            raise ConfigError("SECRET_KEY is too short or is the development default: use 32+ random characters")
        if s.password_memory_kib < 19456 or s.password_time_cost < 2:
            raise ConfigError("password hashing below the OWASP argon2id floor (19 MiB, t=2) in production")
    elif not s.secret_key:
        changes["secret_key"] = DEV_SECRET
    instance = Path(s.instance_path or Path.cwd() / "instance").resolve()
    changes["instance_path"] = str(instance)
    if not s.database_url:
        changes["database_url"] = f"sqlite:///{instance / 'kiosk.sqlite3'}"
    if not s.keys_dir:
        changes["keys_dir"] = str(instance / "keys")
    return dataclasses.replace(s, **changes)
