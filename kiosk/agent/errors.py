"""Errors of the agent link, as seen by the web side. They are CardErrors, so the checkout
handles "agent down" like "reader unavailable"."""

from __future__ import annotations

from card_reader.errors import ERROR_CLASSES, CardError


class AgentUnavailable(CardError):
    code = "agent_unavailable"
    message_id_default = "Agen perangkat kios tidak menjawab. Periksa bahwa `kiosk agent run` berjalan di PC kios."
    message_en_default = "The kiosk device agent does not answer. Check that `kiosk agent run` is running on the kiosk PC."


class AgentRefused(CardError):
    """The agent refused the request itself (bad token, malformed request, unknown operation)."""

    code = "agent_refused"
    message_id_default = "Agen perangkat menolak permintaan."
    message_en_default = "The device agent refused the request."


ERROR_CLASSES.setdefault(AgentUnavailable.code, AgentUnavailable)
ERROR_CLASSES.setdefault(AgentRefused.code, AgentRefused)
