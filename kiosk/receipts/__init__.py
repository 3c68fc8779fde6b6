"""Receipts (issue 9, DESIGN §7): what a receipt says, how it is laid out, and printing it on the
ESC/POS receipt printer through python-escpos; a persistent queue for receipts not yet printed.

Pure core: ``model`` (frozen dataclasses), ``layout`` + ``render`` (``render_lines``), ``qr``,
``codec`` (JSON), ``status`` (real-time status bytes). Edges: ``output`` (python-escpos),
``printer`` (:class:`ReceiptPrinter`, pyserial), ``queue`` (:class:`PrintQueue`, files).
See docs/receipts.md.
"""

from kiosk.receipts.codec import receipt_from_dict, receipt_to_dict
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
from kiosk.receipts.layout import WIDTHS, Align, Line, Style, paper_text
from kiosk.receipts.model import (
    Contribution,
    ContributionReceipt,
    DayProduct,
    EndOfDayReceipt,
    Farmer,
    Header,
    Kiosk,
    ProductLine,
    Proof,
    QuotaLeft,
    Receipt,
    ReceiptKind,
    ReversalReceipt,
    SaleReceipt,
    Tender,
    TopUpReceipt,
    YearMonth,
    as_copy,
)
from kiosk.receipts.qr import parse_qr_payload, qr_payload
from kiosk.receipts.render import render_lines
from kiosk.receipts.status import Link, Paper, PrinterStatus

__all__ = [
    "WIDTHS", "Align", "Contribution", "ContributionReceipt", "DayProduct", "EndOfDayReceipt", "Farmer", "Header", "InvalidReceipt", "Kiosk", "Line",
    "Link", "Paper", "PaperOut", "PrinterError", "PrinterOffline", "PrinterStatus", "PrinterWriteTimeout",
    "ProductLine", "Proof", "QueueError", "QuotaLeft", "Receipt", "ReceiptError", "ReceiptKind", "ReversalReceipt",
    "SaleReceipt", "Style", "Tender", "TopUpReceipt", "UnknownPrintJob", "YearMonth", "as_copy", "paper_text",
    "parse_qr_payload", "qr_payload", "receipt_from_dict", "receipt_to_dict", "render_lines",
]
