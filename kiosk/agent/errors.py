"""Errors of the agent link, as seen by the web side. They are CardErrors, so the checkout
handles "agent down" like "reader unavailable". Printing answers with receipts errors
(:class:`~kiosk.receipts.errors.ReceiptError`), rebuilt on the web side by
:func:`receipt_error_from_dict`."""

from __future__ import annotations

from typing import Any

from card_reader.errors import ERROR_CLASSES, CardError
from kiosk.receipts.errors import (
    InvalidReceipt,
    PaperOut,
    PrinterError,
    PrinterOffline,
    PrinterWriteTimeout,
    QueueError,
    ReceiptError,
    UnknownPrintJob,
)


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


# ---- printing (receipts errors: the same envelope, rebuilt by the client as these classes) -----


class PrintKeyConflict(ReceiptError):
    """The idempotency key was used before for another receipt (``key``)."""

    code = "print_key_conflict"
    message_id_default = "Kunci cetak ini sudah dipakai untuk struk lain. Pakai kunci baru untuk struk yang berbeda."
    message_en_default = "This print key was used for another receipt. Use a new key for a different receipt."


class NoPrinter(ReceiptError):
    code = "no_printer"
    message_id_default = "Agen ini tidak memiliki printer struk (KIOSK_PRINTER kosong)."
    message_en_default = "This agent has no receipt printer (KIOSK_PRINTER is empty)."


RECEIPT_ERROR_CLASSES: dict[str, type[ReceiptError]] = {cls.code: cls for cls in (
    ReceiptError, InvalidReceipt, PrinterError, PrinterOffline, PaperOut, PrinterWriteTimeout, QueueError,
    UnknownPrintJob, PrintKeyConflict, NoPrinter)}


def receipt_error_from_dict(data: Any) -> ReceiptError | None:
    """Rebuild a receipts error sent by ``ReceiptError.to_dict``; ``None`` when it is not one."""
    if not isinstance(data, dict) or data.get("code") not in RECEIPT_ERROR_CLASSES:
        return None
    cls = RECEIPT_ERROR_CLASSES[data["code"]]
    raw_fields = data.get("fields")
    fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
    message_id, message_en = data.get("message_id"), data.get("message_en")
    err = cls.__new__(cls)
    ReceiptError.__init__(err, message_id if isinstance(message_id, str) else None,
                          message_en if isinstance(message_en, str) else None, **fields)
    return err
