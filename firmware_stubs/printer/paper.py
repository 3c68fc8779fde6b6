"""What the emulated printer puts on paper: tokens in, receipts out. Pure; no I/O.

A receipt is everything between two cuts: its printed lines (text with the style it was printed
in), the QR payloads printed with ``GS ( k`` (store, then print), images/barcodes as markers, and
the errors met on the way (unknown or malformed sequences, bad parameters). Text wraps at the
paper's column count like a real printer's; a double-width character takes two columns.
The *paper image* (``Receipt.text``) shows each line with its alignment applied: centred and
right-aligned lines are padded with spaces, a QR symbol is the line ``[QR]``, the blank feed
before the cut is margin and left out.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

from firmware_stubs.printer.decoder import Command, Malformed, Text, Token

# ESC t n -> Python codec (ESC/POS Command Reference, "character code tables").
CODE_PAGES: dict[int, str] = {
    0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 11: "cp851", 13: "cp857", 14: "cp737",
    15: "iso8859_7", 16: "cp1252", 17: "cp866", 18: "cp852", 19: "cp858", 33: "cp775", 34: "cp855",
    35: "cp861", 36: "cp862", 37: "cp864", 38: "cp869", 39: "iso8859_2", 40: "iso8859_15", 44: "cp1125",
    45: "cp1250", 46: "cp1251", 47: "cp1253", 48: "cp1254", 49: "cp1255", 50: "cp1256", 51: "cp1257",
    52: "cp1258",
}
ALIGNMENTS = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}
QR = 0x31  # cn of GS ( k for QR Code
QR_STORE, QR_PRINT = 80, 81
QR_SETTINGS = {65: "model", 67: "module_size", 69: "error_correction", 82: "size_info"}
TAB_WIDTH = 8
# Commands accepted and without effect on the paper image (fonts, spacing, density, drawers ...).
NO_EFFECT = frozenset({
    "carriage_return", "form_feed", "cancel", "xon", "xoff", "double_strike", "font", "international_set",
    "line_spacing_default", "line_spacing", "char_spacing", "upside_down", "rotate", "color", "drawer_pulse",
    "peripheral", "absolute_position", "relative_position", "paper_sensor_signal", "paper_sensor_stop",
    "panel_buttons", "smoothing", "density", "left_margin", "print_area_width", "motion_units", "hri_position",
    "barcode_height", "barcode_width", "hri_font", "auto_status_back", "transmit_id", "kanji_off",
    "kanji_on", "kanji_mode", "kanji_underline", "kanji_code", "realtime_request", "realtime_action",
    "gs_paren_A", "gs_paren_C", "gs_paren_D", "gs_paren_E", "gs_paren_H", "gs_paren_K", "gs_paren_M",
    "gs_paren_N", "gs_paren_P", "gs_paren_Q", "gs_paren_z",
})


@dataclass
class Style:
    align: str = "left"
    bold: bool = False
    underline: int = 0
    width: int = 1
    height: int = 1
    invert: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"align": self.align, "bold": self.bold, "underline": self.underline, "width": self.width,
                "height": self.height, "invert": self.invert}


@dataclass(frozen=True)
class PrintedLine:
    text: str
    style: dict[str, Any]
    qr: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {"text": self.text, **self.style}
        if self.qr is not None:
            out["qr"] = self.qr
        return out


@dataclass
class Receipt:
    lines: list[PrintedLine] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.trimmed_lines() or self.qr or self.errors)

    def trimmed_lines(self) -> list[PrintedLine]:
        lines = list(self.lines)
        while lines and not lines[-1].text and lines[-1].qr is None:
            lines.pop()
        return lines

    def paper_text(self, columns: int) -> str:
        return "\n".join(_image(line, columns) for line in self.trimmed_lines())

    def as_dict(self, columns: int) -> dict[str, Any]:
        return {"columns": columns, "text": self.paper_text(columns),
                "lines": [line.as_dict() for line in self.trimmed_lines()], "qr": list(self.qr),
                "errors": list(self.errors)}


def _image(line: PrintedLine, columns: int) -> str:
    width = len(line.text) * int(line.style["width"])
    pad = {"left": 0, "center": (columns - width) // 2, "right": columns - width}[line.style["align"]]
    return " " * max(pad, 0) + line.text


class Paper:
    """The print engine: applies tokens, collects the current receipt, hands it over at the cut."""

    def __init__(self, columns: int = 42) -> None:
        self.columns = columns
        self.style = Style()
        self.code_page = 0
        self.tabs: list[int] = []
        self.receipt = Receipt()
        self._line: list[str] = []
        self._line_style: dict[str, Any] | None = None
        self._used = 0  # columns used on the current line
        self._qr_data: bytes | None = None

    # ---- entry points ----------------------------------------------------------------------

    def apply(self, token: Token) -> Receipt | None:
        """Apply one token; returns the finished receipt when the token was a cut."""
        if isinstance(token, Text):
            self._text(token.data)
            return None
        if isinstance(token, Malformed):
            self.error(token.code, token.detail)
            return None
        return self._command(token)

    def error(self, code: str, detail: str) -> None:
        self.receipt.errors.append({"code": code, "detail": detail, "line": len(self.receipt.lines)})

    def abort(self) -> Receipt | None:
        """Power lost or paper out: the unfinished receipt is gone; returns it if it had content."""
        lost = None if self.receipt.empty and not self._line else self.receipt
        _initialize(self, b"")
        self.receipt = Receipt()
        return lost

    # ---- text ------------------------------------------------------------------------------

    def _text(self, data: bytes) -> None:
        codec = CODE_PAGES.get(self.code_page, "cp437")
        for char in codecs.decode(data, codec, errors="replace"):
            self._put(char)

    def _put(self, char: str) -> None:
        if self._used + self.style.width > self.columns:
            self._print_line()  # the printer wraps a full line by itself
        if self._line_style is None:
            self._line_style = self.style.as_dict()
        self._line.append(char)
        self._used += self.style.width

    def _tab(self) -> None:
        stops = [t for t in (self.tabs or range(TAB_WIDTH, self.columns, TAB_WIDTH)) if t > self._used]
        if not stops or stops[0] > self.columns:
            return
        while self._used < stops[0]:
            self._put(" ")

    def _print_line(self) -> None:
        style = self._line_style or self.style.as_dict()
        self.receipt.lines.append(PrintedLine("".join(self._line), style))
        self._line, self._line_style, self._used = [], None, 0

    def _flush_line(self) -> None:
        if self._line:
            self._print_line()

    # ---- commands --------------------------------------------------------------------------

    def _command(self, command: Command) -> Receipt | None:
        name, params = command.name, command.params
        if name in NO_EFFECT or name in ("realtime_status", "transmit_status"):
            return None
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, params)
            return None
        if name in ("cut", "cut_legacy"):
            return self._cut()
        if name == "tab_positions":
            self.tabs = sorted({n for n in command.data if 0 < n <= self.columns})
        elif name == "symbol":
            self._symbol(params, command.data)
        elif name in ("graphics", "raster_image", "bit_image"):
            self._marker("[IMAGE]")
        elif name == "barcode":
            self._marker("[BARCODE " + command.data.decode("ascii", "replace") + "]")
        else:  # a command the tables know but the print engine does not: say so, do not crash
            self.error("unsupported", name)
        return None

    def _cut(self) -> Receipt | None:
        self._flush_line()
        done = None if self.receipt.empty else self.receipt
        self.receipt = Receipt()
        return done

    def _marker(self, text: str) -> None:
        self._flush_line()
        self.receipt.lines.append(PrintedLine(text, self.style.as_dict()))

    def _symbol(self, params: bytes, data: bytes) -> None:
        cn, fn = params[0], params[1]
        if cn != QR:
            self.error("unsupported", f"2D symbol cn={cn}")
            return
        if fn == QR_STORE:
            if not data or data[0] != 0x30:
                self.error("bad_parameter", "QR store without m=48")
                return
            self._qr_data = data[1:]
        elif fn == QR_PRINT:
            self._print_qr()
        elif fn not in QR_SETTINGS:
            self.error("bad_parameter", f"QR function {fn}")

    def _print_qr(self) -> None:
        if self._qr_data is None:
            self.error("bad_parameter", "QR print with no stored data")
            return
        payload = self._qr_data.decode("utf-8", "replace")
        self._flush_line()
        self.receipt.lines.append(PrintedLine("[QR]", self.style.as_dict(), payload))
        self.receipt.qr.append(payload)


def _initialize(paper: Paper, _params: bytes) -> None:
    paper.style, paper.code_page, paper.tabs = Style(), 0, []
    paper._line, paper._line_style, paper._used, paper._qr_data = [], None, 0, None


def _print_mode(paper: Paper, params: bytes) -> None:
    n = params[0]
    paper.style.bold = bool(n & 0x08)
    paper.style.height = 2 if n & 0x10 else 1
    paper.style.width = 2 if n & 0x20 else 1
    paper.style.underline = 1 if n & 0x80 else 0


def _emphasis(paper: Paper, params: bytes) -> None:
    paper.style.bold = bool(params[0] & 1)


def _underline(paper: Paper, params: bytes) -> None:
    value = {0: 0, 48: 0, 1: 1, 49: 1, 2: 2, 50: 2}.get(params[0])
    if value is None:
        paper.error("bad_parameter", f"underline {params[0]}")
    else:
        paper.style.underline = value


def _justification(paper: Paper, params: bytes) -> None:
    align = ALIGNMENTS.get(params[0])
    if align is None:
        paper.error("bad_parameter", f"justification {params[0]}")
    else:
        paper.style.align = align


def _code_table(paper: Paper, params: bytes) -> None:
    if params[0] in CODE_PAGES:
        paper.code_page = params[0]
    else:
        paper.error("bad_parameter", f"code table {params[0]}")


def _char_size(paper: Paper, params: bytes) -> None:
    n = params[0]
    if n & 0x88:
        paper.error("bad_parameter", f"character size 0x{n:02x}")
        return
    paper.style.width, paper.style.height = (n >> 4) + 1, (n & 0x07) + 1


def _reverse(paper: Paper, params: bytes) -> None:
    paper.style.invert = bool(params[0] & 1)


def _line_feed(paper: Paper, _params: bytes) -> None:
    paper._print_line()


def _feed_lines(paper: Paper, params: bytes) -> None:
    for _ in range(params[0]):
        paper._print_line()


def _feed_dots(paper: Paper, _params: bytes) -> None:
    paper._flush_line()


def _tab(paper: Paper, _params: bytes) -> None:
    paper._tab()


_HANDLERS = {
    "initialize": _initialize, "print_mode": _print_mode, "emphasis": _emphasis, "underline": _underline,
    "justification": _justification, "code_table": _code_table, "char_size": _char_size, "reverse": _reverse,
    "line_feed": _line_feed, "feed_lines": _feed_lines, "feed_dots": _feed_dots, "horizontal_tab": _tab,
}
