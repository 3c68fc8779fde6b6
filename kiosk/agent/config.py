"""Typed settings of the device agent and of the web side's link to it.

Environment variables (defaults in brackets). Agent process:
``KIOSK_AGENT_LISTEN`` [127.0.0.1:8765], ``KIOSK_AGENT_TOKEN`` or ``KIOSK_AGENT_TOKEN_FILE``
(required), ``KIOSK_AGENT_READER`` [0: the first reader; or a reader name],
``KIOSK_AGENT_PINPAD`` [none: no PIN pad], ``KIOSK_AGENT_PINPAD_BAUD`` [9600]; the printer's
``KIOSK_PRINTER`` [none], ``KIOSK_PRINTER_BAUD``, ``KIOSK_PRINTER_WIDTH``, ``KIOSK_PRINTER_WRITE_TIMEOUT_S``
and ``KIOSK_PRINT_QUEUE_DIR`` [<KIOSK_INSTANCE_PATH or ./instance>/print-queue] (kiosk/receipts/config.py),
``KIOSK_PRINT_RETRY_S`` [2: how often queued receipts are retried] and ``KIOSK_PRINT_KEEP_DAYS``
[30: printed jobs and their idempotency keys are forgotten after this].
Web side: ``KIOSK_AGENT_URL`` [http://127.0.0.1:8765], the same token variables, and
``KIOSK_ISSUER_KEYS_DIR`` [<KIOSK_KEYS_DIR>/issuers] holding ``<ISSUER-ID>.pub.pem`` files.
These belong in kiosk/settings.py once the lead moves them there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.receipts.config import PrinterSettings, load_printer_settings
from kiosk.settings import ConfigError

DEFAULT_LISTEN = "127.0.0.1:8765"
MIN_TOKEN_LENGTH = 32


def read_token(environ: Mapping[str, str]) -> str:
    token = environ.get("KIOSK_AGENT_TOKEN", "")
    path = environ.get("KIOSK_AGENT_TOKEN_FILE", "")
    if not token and path:
        try:
            token = Path(path).read_text("utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"KIOSK_AGENT_TOKEN_FILE {path!r} cannot be read ({exc.strerror})") from None
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            "the device agent needs a token of 32+ characters in KIOSK_AGENT_TOKEN or KIOSK_AGENT_TOKEN_FILE "
            "(make one with `kiosk agent token --out PATH`)"
        )
    return token


def _listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"KIOSK_AGENT_LISTEN must be HOST:PORT, got {text!r}")
    return host, int(port)


@dataclass(frozen=True)
class AgentSettings:
    token: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8765
    reader: str = "0"
    pinpad: str = ""
    pinpad_baud: int = 9600
    exclusive: bool = True
    max_pin_timeout_s: int = 120
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    print_retry_s: float = 2.0
    print_keep_days: int = 30


def _positive(env: Mapping[str, str], name: str, default: str, high: float) -> float:
    raw = env.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not 0 < value <= high:
        raise ConfigError(f"{name} must be above 0 and at most {high:g}, got {raw!r}")
    return value


def load_agent_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> AgentSettings:
    env = os.environ if environ is None else environ
    host, port = _listen(env.get("KIOSK_AGENT_LISTEN", DEFAULT_LISTEN))
    if host not in ("127.0.0.1", "::1", "localhost") and env.get("KIOSK_AGENT_ALLOW_REMOTE") != "1":
        raise ConfigError("the device agent listens on loopback only (set KIOSK_AGENT_ALLOW_REMOTE=1 to override)")
    baud = env.get("KIOSK_AGENT_PINPAD_BAUD", "9600")
    if not baud.isdigit():
        raise ConfigError("KIOSK_AGENT_PINPAD_BAUD must be a whole number")
    values: dict[str, object] = {
        "token": read_token(env), "host": host, "port": port, "reader": env.get("KIOSK_AGENT_READER", "0"),
        "pinpad": env.get("KIOSK_AGENT_PINPAD", ""), "pinpad_baud": int(baud),
        "printer": load_printer_settings(env, env.get("KIOSK_INSTANCE_PATH") or "instance"),
        "print_retry_s": _positive(env, "KIOSK_PRINT_RETRY_S", "2", 3600),
        "print_keep_days": int(_positive(env, "KIOSK_PRINT_KEEP_DAYS", "30", 3650)),
    }
    values.update(overrides)
    return AgentSettings(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class AgentLinkSettings:
    """What the web side needs: where the agent is, its token, and the issuers' public keys."""

    url: str
    token: str = field(repr=False)
    issuer_keys_dir: Path
    timeout_s: float = 5.0


def load_link_settings(environ: Mapping[str, str] | None = None, keys_dir: str = "") -> AgentLinkSettings:
    env = os.environ if environ is None else environ
    base = Path(env.get("KIOSK_KEYS_DIR", keys_dir or "instance/keys"))
    return AgentLinkSettings(
        url=env.get("KIOSK_AGENT_URL", f"http://{DEFAULT_LISTEN}").rstrip("/"),
        token=read_token(env),
        issuer_keys_dir=Path(env.get("KIOSK_ISSUER_KEYS_DIR", str(base / "issuers"))),
    )
