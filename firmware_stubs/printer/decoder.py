"""Incremental ESC/POS tokenizer: bytes in (any chunking), tokens out. Pure; no I/O.

The command set follows Epson's *ESC/POS Command Reference* (TM-T88 family, standard mode). Each
command is a table row (STYLE habit 5): its prefix, its name and how many parameter bytes follow.
Commands with a data block say how its length is read (``GS ( k pL pH``, ``GS v 0 xL xH yL yH``...).
Image and barcode data are skipped as they stream in (never buffered), so a random header cannot
make the decoder hold gigabytes. Malformed input becomes a :class:`Malformed` token; the decoder
never raises on any byte sequence and consumes at least one byte per step (no hang).

Feeding the same bytes in any chunking prints the same paper (tested with Hypothesis).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
EOT, ENQ, DC4 = 0x04, 0x05, 0x14
LF, CR, HT, FF, CAN, DC1, DC3 = 0x0A, 0x0D, 0x09, 0x0C, 0x18, 0x11, 0x13
MAX_SYMBOL_DATA = 0xFFFF  # GS ( k pL pH: two length bytes
MAX_NUL_TERMINATED = 255  # GS k m d1..dk NUL and ESC D n1..nk NUL never carry more


@dataclass(frozen=True)
class Text:
    """A run of printable bytes (0x20-0xFF), still in the printer's current code page."""

    data: bytes


@dataclass(frozen=True)
class Command:
    """A decoded command: ``name`` from the tables below, its parameter bytes and data block."""

    name: str
    params: bytes = b""
    data: bytes = b""
    size: int = 0  # length of a skipped (streamed) data block


@dataclass(frozen=True)
class Malformed:
    """Bytes that are no valid command; ``code`` is unknown_command, bad_length or truncated."""

    code: str
    raw: bytes

    @property
    def detail(self) -> str:
        return self.raw[:16].hex(" ")


Token = Text | Command | Malformed

# Single control bytes the printer acts on (or ignores by definition in standard mode).
CONTROL: dict[int, str] = {
    LF: "line_feed",  # print and line feed
    CR: "carriage_return",  # print and carriage return: no-op with auto line feed off (serial default)
    HT: "horizontal_tab",
    FF: "form_feed",  # page mode only; ignored in standard mode
    CAN: "cancel",  # page mode only; ignored in standard mode
    DC1: "xon",  # flow control from the host's tty, not print data
    DC3: "xoff",
}

# prefix -> (name, number of parameter bytes). ESC/POS Command Reference, standard mode.
FIXED: dict[bytes, tuple[str, int]] = {
    b"\x1b@": ("initialize", 0),
    b"\x1b!": ("print_mode", 1),
    b"\x1bE": ("emphasis", 1),
    b"\x1bG": ("double_strike", 1),
    b"\x1b-": ("underline", 1),
    b"\x1bM": ("font", 1),
    b"\x1ba": ("justification", 1),
    b"\x1bt": ("code_table", 1),
    b"\x1bR": ("international_set", 1),
    b"\x1bd": ("feed_lines", 1),
    b"\x1bJ": ("feed_dots", 1),
    b"\x1b2": ("line_spacing_default", 0),
    b"\x1b3": ("line_spacing", 1),
    b"\x1b ": ("char_spacing", 1),
    b"\x1b{": ("upside_down", 1),
    b"\x1bV": ("rotate", 1),
    b"\x1br": ("color", 1),
    b"\x1bp": ("drawer_pulse", 3),
    b"\x1b=": ("peripheral", 1),
    b"\x1b$": ("absolute_position", 2),
    b"\x1b\\": ("relative_position", 2),
    b"\x1bi": ("cut_legacy", 0),
    b"\x1bm": ("cut_legacy", 0),
    b"\x1bc3": ("paper_sensor_signal", 1),
    b"\x1bc4": ("paper_sensor_stop", 1),
    b"\x1bc5": ("panel_buttons", 1),
    b"\x1d!": ("char_size", 1),
    b"\x1dB": ("reverse", 1),
    b"\x1db": ("smoothing", 1),
    b"\x1d|": ("density", 1),
    b"\x1dL": ("left_margin", 2),
    b"\x1dW": ("print_area_width", 2),
    b"\x1dP": ("motion_units", 2),
    b"\x1dH": ("hri_position", 1),
    b"\x1dh": ("barcode_height", 1),
    b"\x1dw": ("barcode_width", 1),
    b"\x1df": ("hri_font", 1),
    b"\x1da": ("auto_status_back", 1),
    b"\x1dr": ("transmit_status", 1),
    b"\x1dI": ("transmit_id", 1),
    b"\x1c.": ("kanji_off", 0),
    b"\x1c&": ("kanji_on", 0),
    b"\x1c!": ("kanji_mode", 1),
    b"\x1c-": ("kanji_underline", 1),
    b"\x1cC": ("kanji_code", 1),
    b"\x1cp": ("nv_image", 2),
    b"\x10\x05": ("realtime_request", 1),
}
# First bytes that start a multi-byte command; any other prefix of them is an unknown command.
LEADS = frozenset({ESC, GS, DLE, FS})

# (result, bytes consumed) when complete; None when more bytes are needed.
Parse = tuple[Token, int, int] | None  # token, consumed, bytes to skip afterwards


def _le(data: bytes | bytearray, start: int, count: int) -> int:
    return int.from_bytes(bytes(data[start : start + count]), "little")


def _cut(buf: bytearray) -> Parse:
    """GS V m [n]: m 0/1/48/49 cut at once; 65/66/97/98/103/104 take a feed amount n."""
    if len(buf) < 3:
        return None
    m = buf[2]
    if m in (0, 1, 48, 49):
        return Command("cut", bytes([m])), 3, 0
    if m in (65, 66, 97, 98, 103, 104):
        return (Command("cut", bytes(buf[2:4])), 4, 0) if len(buf) >= 4 else None
    return Malformed("bad_parameter", bytes(buf[:3])), 3, 0


def _gs_paren(buf: bytearray) -> Parse:
    """GS ( X pL pH d1..dk: every GS ( function carries a two-byte little-endian length."""
    if len(buf) < 5:
        return None
    length = _le(buf, 3, 2)
    function = chr(buf[2]) if 0x20 < buf[2] < 0x7F else f"0x{buf[2]:02x}"
    if buf[2] == ord("k"):  # 2D symbols: keep the data (QR payloads), at most 64 KiB
        if length < 2:
            return Malformed("bad_length", bytes(buf[:5])), 5, 0
        if len(buf) < 5 + length:
            return None
        return Command("symbol", bytes(buf[5:7]), bytes(buf[7 : 5 + length])), 5 + length, 0
    name = "graphics" if buf[2] == ord("L") else f"gs_paren_{function}"
    return Command(name, bytes(buf[2:5]), size=length), 5, length


def _gs_8(buf: bytearray) -> Parse:
    """GS 8 L p1 p2 p3 p4 ...: graphics with a four-byte length."""
    if len(buf) < 3:
        return None
    if buf[2] != ord("L"):
        return Malformed("unknown_command", bytes(buf[:3])), 3, 0
    if len(buf) < 7:
        return None
    length = _le(buf, 3, 4)
    return Command("graphics", bytes(buf[2:7]), size=length), 7, length


def _raster(buf: bytearray) -> Parse:
    """GS v 0 m xL xH yL yH d1..dk: k = (xL + 256 xH) x (yL + 256 yH)."""
    if len(buf) < 3:
        return None
    if buf[2] not in (0, 48):
        return Malformed("unknown_command", bytes(buf[:3])), 3, 0
    if len(buf) < 8:
        return None
    size = _le(buf, 4, 2) * _le(buf, 6, 2)
    return Command("raster_image", bytes(buf[3:8]), size=size), 8, size


def _bit_image(buf: bytearray) -> Parse:
    """ESC * m nL nH d1..dk: k = n for 8-dot modes (m 0, 1), 3n for 24-dot modes (m 32, 33)."""
    if len(buf) < 5:
        return None
    bytes_per_column = {0: 1, 1: 1, 32: 3, 33: 3}.get(buf[2])
    if bytes_per_column is None:
        return Malformed("bad_parameter", bytes(buf[:3])), 3, 0
    size = _le(buf, 3, 2) * bytes_per_column
    return Command("bit_image", bytes(buf[2:5]), size=size), 5, size


def _nul_terminated(buf: bytearray, start: int, name: str, params: bytes) -> Parse:
    end = buf.find(0, start, start + MAX_NUL_TERMINATED + 1)
    if end < 0:
        if len(buf) > start + MAX_NUL_TERMINATED:
            return Malformed("bad_length", bytes(buf[:start])), start, 0
        return None
    return Command(name, params, bytes(buf[start:end])), end + 1, 0


def _barcode(buf: bytearray) -> Parse:
    """GS k m: m 0-6 data ends with NUL; m 65-79 a length byte n then n bytes."""
    if len(buf) < 3:
        return None
    m = buf[2]
    if m <= 6:
        return _nul_terminated(buf, 3, "barcode", bytes([m]))
    if 65 <= m <= 79:
        if len(buf) < 4 or len(buf) < 4 + buf[3]:
            return None
        return Command("barcode", bytes([m]), bytes(buf[4 : 4 + buf[3]])), 4 + buf[3], 0
    return Malformed("bad_parameter", bytes(buf[:3])), 3, 0


def _tabs(buf: bytearray) -> Parse:
    """ESC D n1 .. nk NUL: horizontal tab positions."""
    return _nul_terminated(buf, 2, "tab_positions", b"")


def _realtime_status(buf: bytearray) -> Parse:
    """DLE EOT n (n 1-4), or DLE EOT n a (n 7, 8)."""
    if len(buf) < 3:
        return None
    n = buf[2]
    if 1 <= n <= 4:
        return Command("realtime_status", bytes([n])), 3, 0
    if n in (7, 8):
        return (Command("realtime_status", bytes(buf[2:4])), 4, 0) if len(buf) >= 4 else None
    return Malformed("bad_parameter", bytes(buf[:3])), 3, 0


def _realtime_action(buf: bytearray) -> Parse:
    """DLE DC4 fn ...: fn 1 pulse (m t), fn 2 power off (a b), fn 8 clear buffers (d1..d7)."""
    if len(buf) < 3:
        return None
    extra = {1: 2, 2: 2, 8: 7}.get(buf[2])
    if extra is None:
        return Malformed("bad_parameter", bytes(buf[:3])), 3, 0
    if len(buf) < 3 + extra:
        return None
    return Command("realtime_action", bytes(buf[2 : 3 + extra])), 3 + extra, 0


VARIABLE: dict[bytes, Callable[[bytearray], Parse]] = {
    b"\x1dV": _cut,
    b"\x1d(": _gs_paren,
    b"\x1d8": _gs_8,
    b"\x1dv": _raster,
    b"\x1dk": _barcode,
    b"\x1b*": _bit_image,
    b"\x1bD": _tabs,
    b"\x10\x04": _realtime_status,
    b"\x10\x14": _realtime_action,
}
_THREE_BYTE_PREFIXES = frozenset(p[:2] for p in FIXED if len(p) == 3)


def _parse_command(buf: bytearray) -> Parse:
    if len(buf) < 2:
        return None
    two = bytes(buf[:2])
    if two in VARIABLE:
        return VARIABLE[two](buf)
    if two in _THREE_BYTE_PREFIXES:
        if len(buf) < 3:
            return None
        key = bytes(buf[:3])
        if key not in FIXED:
            return Malformed("unknown_command", key), 3, 0
    else:
        key = two
    if key not in FIXED:
        return Malformed("unknown_command", two), 2, 0
    name, count = FIXED[key]
    end = len(key) + count
    if len(buf) < end:
        return None
    return Command(name, bytes(buf[len(key) : end])), end, 0


class Decoder:
    """Feed bytes, get tokens. ``pending`` is true while a command is incomplete."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._skip = 0

    @property
    def pending(self) -> bool:
        return bool(self._buf) or self._skip > 0

    def feed(self, data: bytes) -> list[Token]:
        self._buf += data
        out: list[Token] = []
        while self._buf:
            if self._skip:
                step = min(self._skip, len(self._buf))
                del self._buf[:step]
                self._skip -= step
                continue
            parsed = self._next()
            if parsed is None:
                break
            token, used, skip = parsed
            del self._buf[:used]
            self._skip = skip
            out.append(token)
        return out

    def finish(self) -> list[Token]:
        """End of stream (or the line went idle): an incomplete command is reported, not kept."""
        out: list[Token] = []
        if self._buf:
            out.append(Malformed("truncated", bytes(self._buf)))
        elif self._skip:
            out.append(Malformed("truncated", b""))
        self._buf.clear()
        self._skip = 0
        return out

    def _next(self) -> Parse:
        first = self._buf[0]
        if first >= 0x20:
            end = 1
            while end < len(self._buf) and self._buf[end] >= 0x20:
                end += 1
            return Text(bytes(self._buf[:end])), end, 0
        if first in CONTROL:
            return Command(CONTROL[first]), 1, 0
        if first in LEADS:
            return _parse_command(self._buf)
        return Malformed("unknown_command", bytes([first])), 1, 0
