"""Typed settings from environment variables, with safe defaults for the demo (STYLE habit 6).

Every setting is a field of :class:`Settings` with the environment variable that sets it. In
production mode (``KIOSK_ENV=production``) a missing secret stops start-up with a clear message.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
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
    # The device agent on this kiosk PC (DESIGN §3) and the card issuers' public keys.
    agent_url: str = _env("KIOSK_AGENT_URL", "http://127.0.0.1:8765")
    agent_token: str = _env("KIOSK_AGENT_TOKEN", "", secret=True)
    agent_token_file: str = _env("KIOSK_AGENT_TOKEN_FILE", "")
    issuer_keys_dir: str = _env("KIOSK_ISSUER_KEYS_DIR", "")
    # Farmers' data keys and NIK lookup key (fertilizer.FileKeyStore), outside the database.
    farmer_keys_dir: str = _env("KIOSK_FARMER_KEYS_DIR", "")
    # The BPJS link: client.json as written by `python -m bpjs_link keygen`.
    bpjs_client_file: str = _env("KIOSK_BPJS_CLIENT", "")
    # The draft Perbup rule (DOMAIN.md): switchable, with a start date (WITA midnight).
    rule_enabled: bool = _env("KIOSK_RULE_ENABLED", True)
    rule_start: str = _env("KIOSK_RULE_START", "2026-01-01")
    contribution_per_month: int = _env("KIOSK_CONTRIBUTION_PER_MONTH", 16800)
    agent_fee_bps: int = _env("KIOSK_AGENT_FEE_BPS", 750)
    max_cached_status_minutes: int = _env("KIOSK_MAX_CACHED_STATUS_MINUTES", 720)
    # Checkout timings.
    pin_timeout_s: int = _env("KIOSK_PIN_TIMEOUT_S", 60)
    exception_after_minutes: int = _env("KIOSK_EXCEPTION_AFTER_MINUTES", 120)
    abandon_after_minutes: int = _env("KIOSK_ABANDON_AFTER_MINUTES", 10)
    # how long a dead process's claim on a checkout blocks others from resuming it
    checkout_lease_s: int = _env("KIOSK_CHECKOUT_LEASE_S", 30)
    # The audit log (DESIGN §5): its origin line, the ledger's Ed25519 signing key, sealing cadence.
    log_origin: str = _env("KIOSK_LOG_ORIGIN", "sutasoma.soppeng/ledger")
    ledger_key_file: str = _env("KIOSK_LEDGER_KEY", "")
    seal_delay_s: int = _env("KIOSK_SEAL_DELAY_S", 5)
    checkpoint_every_entries: int = _env("KIOSK_CHECKPOINT_EVERY_ENTRIES", 1000)
    checkpoint_every_s: int = _env("KIOSK_CHECKPOINT_EVERY_S", 60)
    # Test-only fault injection: SIGKILL this process at the named checkout step (refused in production).
    crash_at: str = _env("KIOSK_FAULT_CRASH_AT", "")
    # Demo mode (kiosk/demo.py): the device stack's stack.json, for the demo control page (refused in production).
    demo_stack: str = _env("KIOSK_DEMO_STACK", "")
    # Security (issue 11, docs/security.md): login throttling, sessions, request size, HSTS.
    login_max_failures: int = _env("KIOSK_LOGIN_MAX_FAILURES", 5)  # per username, within the window
    login_address_max_failures: int = _env("KIOSK_LOGIN_ADDRESS_MAX_FAILURES", 20)  # per client address
    login_window_minutes: int = _env("KIOSK_LOGIN_WINDOW_MINUTES", 15)
    login_lock_minutes: int = _env("KIOSK_LOGIN_LOCK_MINUTES", 15)
    session_idle_minutes: int = _env("KIOSK_SESSION_IDLE_MINUTES", 60)  # the signed cookie expires unused
    session_max_hours: int = _env("KIOSK_SESSION_MAX_HOURS", 12)  # a login ends after this, used or not
    max_content_length: int = _env("KIOSK_MAX_CONTENT_LENGTH", 16 * 1024 * 1024)  # bytes per request (uploads)
    hsts_seconds: int = _env("KIOSK_HSTS_SECONDS", 31_536_000)  # Strict-Transport-Security, production only

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


def to_environ(settings: Settings) -> dict[str, str]:
    """The environment variables that reproduce ``settings`` in another process (demo, tests)."""
    out: dict[str, str] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        out[f.metadata["env"]] = ("true" if value else "false") if isinstance(value, bool) else str(value)
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
    if "session_cookie_secure" not in values and values.get("env", Settings.env) == "production":
        values["session_cookie_secure"] = True  # Secure cookies by default in production (docs/security.md)
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
        if s.crash_at:
            raise ConfigError("KIOSK_FAULT_CRASH_AT is a test-only fault injection and is refused in production")
        if s.demo_stack:
            raise ConfigError("KIOSK_DEMO_STACK turns on the demo control page (emulated devices, demo PINs) and is "
                              "refused in production: unset it")
        if s.password_memory_kib < 19456 or s.password_time_cost < 2:
            raise ConfigError("password hashing below the OWASP argon2id floor (19 MiB, t=2) in production")
    elif not s.secret_key:
        changes["secret_key"] = DEV_SECRET
    instance = Path(s.instance_path or Path.cwd() / "instance").resolve()
    changes["instance_path"] = str(instance)
    if not s.database_url:
        changes["database_url"] = f"sqlite:///{instance / 'kiosk.sqlite3'}"
    keys = Path(s.keys_dir or instance / "keys")
    changes["keys_dir"] = str(keys)
    for name, default in (("issuer_keys_dir", keys / "issuers"), ("farmer_keys_dir", keys / "farmers"),
                          ("bpjs_client_file", keys / "bpjs" / "client.json"),
                          ("ledger_key_file", keys / "ledger" / "ledger.key.pem")):
        if not getattr(s, name):
            changes[name] = str(default)
    _check_security(s)
    try:
        date.fromisoformat(s.rule_start)
    except ValueError:
        raise ConfigError(f"KIOSK_RULE_START must be a date YYYY-MM-DD, got {s.rule_start!r}") from None
    return dataclasses.replace(s, **changes)


def _check_security(s: Settings) -> None:
    """The security settings must be positive whole numbers (docs/security.md)."""
    for name in ("login_max_failures", "login_address_max_failures", "login_window_minutes", "login_lock_minutes",
                 "session_idle_minutes", "session_max_hours", "max_content_length", "hsts_seconds"):
        if getattr(s, name) < 1:
            env = next(f.metadata["env"] for f in dataclasses.fields(Settings) if f.name == name)
            raise ConfigError(f"{env} must be a whole number of at least 1, got {getattr(s, name)!r}")
