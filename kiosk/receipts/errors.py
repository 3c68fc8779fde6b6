"""Every failure of the receipts package is a :class:`ReceiptError`.

Each error has a stable ``code``, structured ``fields`` and a message in Bahasa Indonesia and in
English that tells the operator what to do. ``to_dict`` carries it across the agent's HTTP API.
A :class:`PrinterError` means the receipt did **not** print completely: the sale stands, the caller
queues the receipt and tells the operator.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ReceiptError(Exception):
    """Base of every receipts error."""

    code: ClassVar[str] = "receipt_error"
    message_id_default: ClassVar[str] = "Kesalahan struk."
    message_en_default: ClassVar[str] = "Receipt error."

    def __init__(self, message_id: str | None = None, message_en: str | None = None, **fields: Any) -> None:
        self.message_id = message_id or self.message_id_default
        self.message_en = message_en or self.message_en_default
        self.fields: dict[str, Any] = fields
        super().__init__(self.message_en)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_id": self.message_id, "message_en": self.message_en, "fields": self.fields}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, fields={self.fields!r})"


class InvalidReceipt(ReceiptError):
    """The receipt's content breaks a rule (``field`` names it, ``reason`` says which rule)."""

    code = "invalid_receipt"

    def __init__(self, field: str, reason_id: str, reason_en: str) -> None:
        super().__init__(f"Data struk tidak sah ({field}): {reason_id}", f"Invalid receipt data ({field}): {reason_en}",
                         field=field, reason=reason_en)


class PrinterError(ReceiptError):
    """The printer did not print the receipt completely."""

    code = "printer_error"
    message_id_default = "Printer struk bermasalah; struk disimpan dalam antrean untuk dicetak ulang."
    message_en_default = "The receipt printer failed; the receipt is kept in the queue to print again."


# reason -> (Indonesian, English): what happened and what the operator does about it.
OFFLINE_REASONS: dict[str, tuple[str, str]] = {
    "cannot_open": ("Printer struk tidak terhubung. Periksa kabel dan daya printer.",
                    "The receipt printer is not connected. Check the printer's cable and power."),
    "no_answer": ("Printer struk tidak menjawab. Periksa kabel dan daya printer.",
                  "The receipt printer does not answer. Check the printer's cable and power."),
    "bad_answer": ("Jawaban status printer tidak dapat dibaca. Matikan lalu nyalakan printer.",
                   "The printer's status answer cannot be read. Switch the printer off and on."),
    "link_lost": ("Sambungan ke printer terputus saat mencetak. Periksa kabel, lalu cetak ulang.",
                  "The link to the printer was lost while printing. Check the cable, then print again."),
    "cover_open": ("Penutup printer terbuka. Tutup penutupnya.", "The printer cover is open. Close it."),
    "error": ("Printer dalam keadaan galat (misalnya pemotong kertas). Periksa printer.",
              "The printer reports an error (e.g. the cutter). Check the printer."),
    "offline": ("Printer struk sedang offline. Periksa printer.", "The receipt printer is offline. Check the printer."),
}


class PrinterOffline(PrinterError):
    code = "printer_offline"

    def __init__(self, reason: str, **fields: Any) -> None:
        message_id, message_en = OFFLINE_REASONS.get(reason, OFFLINE_REASONS["offline"])
        super().__init__(message_id, message_en, reason=reason, **fields)


class PaperOut(PrinterError):
    code = "paper_out"
    message_id_default = "Kertas struk habis. Pasang gulungan kertas baru, lalu cetak ulang dari antrean."
    message_en_default = "The receipt paper is out. Load a new roll, then print again from the queue."


class PrinterWriteTimeout(PrinterError):
    code = "printer_write_timeout"
    message_id_default = "Printer tidak menerima data (buffer penuh atau macet). Periksa printer, lalu cetak ulang."
    message_en_default = "The printer does not accept data (buffer full or jammed). Check it, then print again."


class QueueError(ReceiptError):
    code = "print_queue_error"
    message_id_default = "Antrean cetak tidak dapat dibaca atau ditulis."
    message_en_default = "The print queue cannot be read or written."


class UnknownPrintJob(QueueError):
    code = "unknown_print_job"
    message_id_default = "Tugas cetak tidak ditemukan."
    message_en_default = "No such print job."
