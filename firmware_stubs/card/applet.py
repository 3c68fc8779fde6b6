"""The e-Kartu Tani applet: command APDU in, answer out (DESIGN §6, ISO 7816-4 status words).

Card-session state (selected, PIN verified, pending GET RESPONSE data) lives here and is cleared by
power off/on and reset. Persistent state (ATC, PIN tries) lives in the :class:`CardImage` and is
saved before an answer leaves the card.
"""

from __future__ import annotations

from collections.abc import Callable

from card_reader.protocol import card as p
from card_reader.protocol.card import AuthMode, Command, Ins, Tag
from firmware_stubs.card import ber
from firmware_stubs.card.image import CardImage

FCI = ber.encode(
    Tag.FCI,
    ber.encode(Tag.DF_NAME, p.AID)
    + ber.template(Tag.FCI_PROPRIETARY, [(Tag.APPLICATION_LABEL, p.APPLICATION_LABEL),
                                         (Tag.APPLICATION_VERSION, p.APPLICATION_VERSION)]),
)

SW_OK = b"\x90\x00"


def sw(code: int) -> bytes:
    return code.to_bytes(2, "big")


# The class byte each instruction takes.
CLASS_OF: dict[int, int] = {
    Ins.SELECT: p.CLA_ISO,
    Ins.READ_RECORD: p.CLA_ISO,
    Ins.GET_RESPONSE: p.CLA_ISO,
    Ins.INTERNAL_AUTHENTICATE: p.CLA_ISO,
    Ins.VERIFY: p.CLA_ISO,
    Ins.GET_DATA: p.CLA_PROPRIETARY,
}


class Applet:
    def __init__(self, image: CardImage, max_answer: int = 256) -> None:
        self.image = image
        self.max_answer = max(1, min(max_answer, 256))
        self.power_cycle()
        self._handlers: dict[int, Callable[[Command], bytes]] = {
            Ins.SELECT: self._select,
            Ins.READ_RECORD: self._read_record,
            Ins.GET_RESPONSE: self._get_response,
            Ins.INTERNAL_AUTHENTICATE: self._authenticate,
            Ins.VERIFY: self._verify,
            Ins.GET_DATA: self._get_data,
        }

    def power_cycle(self) -> None:
        """Power off, on or reset: the card session starts over."""
        self.selected = False
        self.verified = False
        self.pending = b""

    def process(self, apdu: bytes) -> bytes:
        try:
            cmd = p.parse_command(apdu)
        except p.ApduFormatError:
            return sw(0x6700)
        if cmd.cla not in (p.CLA_ISO, p.CLA_PROPRIETARY):
            return sw(0x6E00)
        handler = self._handlers.get(cmd.ins)
        if handler is None:
            return sw(0x6D00)
        if CLASS_OF[cmd.ins] != cmd.cla:
            return sw(0x6E00)
        if cmd.ins != Ins.GET_RESPONSE:
            self.pending = b""
        if cmd.ins not in (Ins.SELECT, Ins.GET_RESPONSE) and not self.selected:
            return sw(0x6985)
        return handler(cmd)

    # ---- answers --------------------------------------------------------------------------

    def _chunk(self, data: bytes, ne: int) -> bytes:
        limit = min(ne, self.max_answer)
        if len(data) <= limit:
            return data + SW_OK
        self.pending = data[limit:]
        return data[:limit] + bytes([0x61, min(len(self.pending), 256) & 0xFF])

    def _answer_case4(self, data: bytes, cmd: Command) -> bytes:
        """Case 4 (data in, data out): without Le the answer waits for GET RESPONSE (T=0 style)."""
        if cmd.ne is None:
            self.pending = data
            return bytes([0x61, min(len(data), 256) & 0xFF])
        return self._chunk(data, cmd.ne)

    def _answer_case2(self, data: bytes, cmd: Command) -> bytes:
        """Case 2 (data out): a wrong non-zero Le gets 6Cxx with the exact length."""
        if cmd.data or cmd.ne is None:
            return sw(0x6700)
        if cmd.le and cmd.le != len(data) and len(data) <= 255:
            return bytes([0x6C, len(data)])
        return self._chunk(data, cmd.ne)

    # ---- commands -------------------------------------------------------------------------

    def _select(self, cmd: Command) -> bytes:
        if (cmd.p1, cmd.p2) != (0x04, 0x00):
            return sw(0x6A86)
        if cmd.data != p.AID:
            self.selected = False
            return sw(0x6A82)
        self.selected, self.verified = True, False
        return self._answer_case4(FCI, cmd)

    def _read_record(self, cmd: Command) -> bytes:
        if cmd.p2 != p.RECORD_P2:
            return sw(0x6A86)
        if cmd.p1 not in p.RECORD_NUMBERS:
            return sw(0x6A83)
        return self._answer_case2(self.image.records[cmd.p1 - 1], cmd)

    def _get_response(self, cmd: Command) -> bytes:
        if (cmd.p1, cmd.p2) != (0, 0):
            return sw(0x6A86)
        if cmd.data or cmd.ne is None:
            return sw(0x6700)
        if not self.pending:
            return sw(0x6985)
        data, self.pending = self.pending, b""
        return self._chunk(data, cmd.ne)

    def _authenticate(self, cmd: Command) -> bytes:
        if cmd.p1 not in (AuthMode.CARD_CHECK, AuthMode.TRANSACTION) or cmd.p2 != 0:
            return sw(0x6A86)
        if len(cmd.data) != p.CHALLENGE_LENGTH:
            return sw(0x6700)
        mode = AuthMode(cmd.p1)
        if mode is AuthMode.TRANSACTION and not self.verified:
            return sw(0x6985)
        with self.image.lock:
            if self.image.atc >= p.ATC_MAX:
                return sw(0x6985)
            self.image.atc += 1
            self.image.save()
            atc = self.image.atc
        if mode is AuthMode.TRANSACTION:
            self.verified = False  # one PIN, one transaction signature
        signature = self.image.sign(p.auth_signed_data(mode, cmd.data, atc))
        return self._answer_case4(atc.to_bytes(p.ATC_LENGTH, "big") + signature, cmd)

    def _verify(self, cmd: Command) -> bytes:
        if (cmd.p1, cmd.p2) != (0x00, 0x80):
            return sw(0x6A86)
        if cmd.le is not None:
            return sw(0x6700)
        with self.image.lock:
            left = self.image.pin_tries_left
            if left == 0:
                return sw(0x6983)
            if not cmd.data:  # ISO 7816-4 §7.5.6: no data asks for the tries left
                return sw(p.sw_wrong_pin(left))
            if len(cmd.data) != p.PIN_BLOCK_LENGTH:
                return sw(0x6700)
            try:
                entered = p.parse_pin_block(cmd.data)
            except ValueError:
                return sw(0x6A80)
            if entered == self.image.pin:
                if left != p.PIN_TRIES_MAX:
                    self.image.pin_tries_left = p.PIN_TRIES_MAX
                    self.image.save()
                self.verified = True
                return SW_OK
            self.image.pin_tries_left = left - 1
            self.image.save()
            self.verified = False
            return sw(p.sw_wrong_pin(left - 1))

    def _get_data(self, cmd: Command) -> bytes:
        tag = (cmd.p1 << 8) | cmd.p2
        if tag == Tag.ATC:
            value = self.image.atc.to_bytes(p.ATC_LENGTH, "big")
        elif tag == Tag.PIN_TRY_COUNTER:
            value = bytes([self.image.pin_tries_left])
        else:
            return sw(0x6A88)
        return self._answer_case2(value, cmd)
