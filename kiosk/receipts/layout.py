"""Receipt layout primitives: styled lines, Indonesian number formats, columns. Pure.

A :class:`Line` is text plus a :class:`Style` (alignment, emphasis, double height/width), or a QR
symbol (``qr`` set, text ``[QR]``). Centred lines are sent unpadded with the printer's alignment
command; label/value rows are justified here with spaces. ``paper_text`` draws what the paper shows
(alignment applied, QR as ``[QR]``, trailing blank lines dropped): the printer emulator's receipt
text is the same drawing, so tests compare the two exactly.

Formats: rupiah ``Rp 16.800`` (dot thousands, no decimals), kilograms ``1.000 kg``, times in WITA
(UTC+8, no daylight saving) ``04-12-2026 14:05 WITA``, months ``01-2027``.
"""

from __future__ import annotations

import enum
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

WIDTHS = (32, 42)  # characters per line in font A: 58 mm and 80 mm paper
WITA = timezone(timedelta(hours=8), "WITA")
QR_MARK = "[QR]"
REPERTOIRE = "cp858"  # Latin letters with accents, the euro sign: what every ESC/POS printer has


class Align(enum.Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


@dataclass(frozen=True)
class Style:
    align: Align = Align.LEFT
    bold: bool = False
    double_height: bool = False
    double_width: bool = False

    @property
    def char_width(self) -> int:
        return 2 if self.double_width else 1


PLAIN = Style()
BOLD = Style(bold=True)
CENTER = Style(Align.CENTER)
CENTER_BOLD = Style(Align.CENTER, bold=True)
TITLE = Style(Align.CENTER, bold=True, double_height=True)
BANNER = Style(Align.CENTER, bold=True, double_width=True)


@dataclass(frozen=True)
class Line:
    text: str
    style: Style = PLAIN
    qr: str | None = None  # a QR symbol with this payload, printed where the line stands


@dataclass(frozen=True)
class Label:
    """A bilingual label and its short (Indonesian) form for narrow paper."""

    full: str
    short: str

    def variants(self) -> tuple[str, ...]:
        return (self.full, self.short) if self.full != self.short else (self.full,)


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def kilograms(kg: int) -> str:
    return f"{kg:,}".replace(",", ".") + " kg"


def wita(at: datetime) -> str:
    return at.astimezone(WITA).strftime("%d-%m-%Y %H:%M WITA")


def _printable(char: str) -> bool:
    try:
        char.encode(REPERTOIRE)
    except UnicodeEncodeError:
        return False
    return char.isprintable()


def clean(text: str) -> str:
    """One printable line in composed form (a combining accent must not take a column); characters
    outside the printers' Western code page (CP858) become ``?``, as the printer would show them."""
    composed = unicodedata.normalize("NFC", text)
    return "".join(c if _printable(c) else "?" for c in composed)


def check_width(width: int) -> int:
    if width not in WIDTHS:
        raise ValueError(f"paper width must be one of {WIDTHS} characters, got {width!r}")
    return width


def columns(width: int, style: Style) -> int:
    return width // style.char_width


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Words onto lines of at most ``width``; over-long words (ids) break, preferably at hyphens."""
    return textwrap.wrap(clean(text), width, initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=True, break_long_words=True) or [indent.rstrip()]


def rule(width: int, char: str = "-") -> Line:
    return Line(char * width)


def centered(label: Label | str, width: int, style: Style = CENTER) -> list[Line]:
    """The longest variant that fits one line, else the short one wrapped."""
    variants = label.variants() if isinstance(label, Label) else (label,)
    room = columns(width, style)
    for text in variants:
        if len(clean(text)) <= room:
            return [Line(clean(text), style)]
    return [Line(part, style) for part in wrap(variants[-1], room)]


def pair(label: Label | str, value: str, width: int, style: Style = PLAIN, indent: str = "") -> list[Line]:
    """``label ....... value`` on one line when it fits (full label, then short); else the label,
    then the value right-justified on the lines below."""
    variants = label.variants() if isinstance(label, Label) else (label,)
    room, value = columns(width, style), clean(value)
    for text in variants:
        left = indent + clean(text)
        if len(left) + 1 + len(value) <= room:
            return [Line(left + " " * (room - len(left) - len(value)) + value, style)]
    lines = [Line(part, style) for part in wrap(variants[-1], room, indent)]
    return lines + [Line(part.rjust(room), style) for part in wrap(value, room)]


def paper_text(lines: list[Line], width: int) -> str:
    """What the paper shows, as the emulator draws it: alignment applied, QR as ``[QR]``."""
    shown = list(lines)
    while shown and not shown[-1].text and shown[-1].qr is None:
        shown.pop()
    out = []
    for line in shown:
        used = len(line.text) * line.style.char_width
        pad = {Align.LEFT: 0, Align.CENTER: (width - used) // 2, Align.RIGHT: width - used}[line.style.align]
        out.append(" " * max(pad, 0) + line.text)
    return "\n".join(out)
