"""What the agent's print API says about a receipt: its state, the operator's message, the key rule.
Pure: shared by the agent (``kiosk.agent.printing``) and the web side's client.
"""

from __future__ import annotations

import enum
import re

from kiosk.agent.errors import AgentRefused

# The caller's idempotency key: e.g. ``sale:<journal id>``; the same key never prints twice.
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class PrintState(enum.StrEnum):
    PRINTED = "printed"
    QUEUED = "queued"  # kept in the persistent queue; the agent prints it when the printer is ready


def check_key(key: object, field: str = "key") -> str:
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise AgentRefused(f"{field}: 1-128 huruf, angka atau . _ : - (awali huruf/angka).",
                           f"{field}: 1-128 letters, digits or . _ : - (starting with a letter or digit).",
                           field=field)
    return key


PRINTED = ("Struk dicetak.", "The receipt was printed.")
NEAR_END = (" Kertas struk hampir habis; siapkan gulungan baru.", " The receipt paper is nearly out; have a new roll ready.")
QUEUED = ("Struk belum tercetak dan disimpan di antrean; struk dicetak otomatis begitu printer siap.",
          "The receipt did not print and is kept in the queue; it prints by itself once the printer is ready.")


def operator_message(state: PrintState, reason: dict[str, object] | None, paper_near_end: bool) -> tuple[str, str]:
    """What the kiosk screen tells the operator about one receipt, in Indonesian and English."""
    if state is PrintState.PRINTED:
        extra = NEAR_END if paper_near_end else ("", "")
        return PRINTED[0] + extra[0], PRINTED[1] + extra[1]
    why_id = str(reason.get("message_id", "")) if reason else ""
    why_en = str(reason.get("message_en", "")) if reason else ""
    return f"{QUEUED[0]} {why_id}".strip(), f"{QUEUED[1]} {why_en}".strip()
