"""Structured log lines: one event per line, ``event key=value ...`` (STYLE habit 10).

Callers pass only values that may be logged: never a PIN, a PIN block, a key or a full NIK.
"""

from __future__ import annotations

import logging
from typing import Any


def _fmt(value: Any) -> str:
    text = str(value)
    return repr(text) if (not text or any(c in text for c in ' ="\'')) else text


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, " ".join([event, *(f"{k}={_fmt(v)}" for k, v in fields.items())]))
