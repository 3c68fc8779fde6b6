"""Lines onto paper through python-escpos (DESIGN §7: no hand-written ESC/POS bytes here).

``send_lines`` drives any :class:`escpos.escpos.Escpos` printer (``Serial`` for the kiosk,
``Dummy`` to look at the bytes): initialise, then per line the style when it changes (alignment,
emphasis, double height/width) and the text, a native QR (``GS ( k``: model 2, error correction M)
where a line carries one, and a full cut after feeding the last line past the cutter.
"""

from __future__ import annotations

from collections.abc import Sequence

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from kiosk.receipts.layout import Line, Style

QR_MODULE_DOTS = 4  # module size: a 116-character payload prints about 25 mm wide


def _apply_style(printer: Escpos, style: Style) -> None:
    big = style.double_height or style.double_width
    printer.set(align=style.align.value, bold=style.bold, normal_textsize=not big,
                double_height=style.double_height, double_width=style.double_width)


def send_lines(printer: Escpos, lines: Sequence[Line]) -> None:
    """Print ``lines`` as one receipt, ending with the cut."""
    printer.hw("INIT")
    current: Style | None = None
    for line in lines:
        if line.style != current:
            _apply_style(printer, line.style)
            current = line.style
        if line.qr is not None:
            printer.qr(line.qr, native=True, size=QR_MODULE_DOTS, ec=QR_ECLEVEL_M)
        else:
            printer.textln(line.text)
    printer.cut()
