"""The e-Kartu Tani applet as the reader sees it: one method per command (DESIGN §6).

Works over any :class:`~card_reader.transport.Transport`; turns status words into
:class:`~card_reader.errors.CardError` subclasses and checks the shape of every answer.
"""

from __future__ import annotations

from card_reader import tlv
from card_reader.errors import CardRefused, MalformedAnswer, PinBlocked, UnknownApplication, WrongPin
from card_reader.pin import PinBlock
from card_reader.protocol import card as proto
from card_reader.protocol.card import AuthMode, Tag
from card_reader.records import CardRecords
from card_reader.transport import Response, Transport
from card_reader.verify import AuthAnswer, parse_auth_answer

MAX_RECORD = 255


def refused(sw: int, **fields: object) -> CardRefused:
    entry = proto.describe_sw(sw)
    return CardRefused(f"Kartu menolak perintah: {entry.message_id}", f"The card refused the command: {entry.message_en}",
                       sw=f"{sw:04X}", status=entry.name, **fields)


class EKartuTani:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def _ok(self, apdu: bytes, command: str) -> bytes:
        response: Response = self.transport.exchange(apdu)
        if not response.ok:
            raise refused(response.sw, command=command)
        return response.data

    def select(self) -> None:
        response = self.transport.exchange(proto.select_aid())
        if response.sw in (0x6A82, 0x6D00, 0x6E00):
            raise UnknownApplication(sw=f"{response.sw:04X}")
        if not response.ok:
            raise refused(response.sw, command="select")
        try:
            fci = tlv.decode_one(response.data, Tag.FCI)
            parts = tlv.decode(fci.value)
        except tlv.TlvError as exc:
            raise MalformedAnswer(detail=f"FCI: {exc}") from None
        if not parts or parts[0].tag != Tag.DF_NAME or parts[0].value != proto.AID:
            raise UnknownApplication(detail="FCI names another application")

    def read_record(self, number: int) -> bytes:
        data = self._ok(proto.read_record(number), f"read_record_{number}")
        if not 2 <= len(data) <= MAX_RECORD:
            raise MalformedAnswer(detail=f"record {number}: length {len(data)}")
        return data

    def read_records(self) -> CardRecords:
        return CardRecords(*(self.read_record(n) for n in proto.RECORD_NUMBERS))

    def authenticate(self, mode: AuthMode, challenge: bytes) -> AuthAnswer:
        response = self.transport.exchange(proto.internal_authenticate(mode, challenge))
        if response.sw == 0x6985 and mode is AuthMode.TRANSACTION:
            raise CardRefused("Kartu menolak tanda tangan transaksi: PIN belum diverifikasi.",
                              "The card refused the transaction signature: PIN not verified.",
                              sw="6985", status="pin_not_verified")
        if not response.ok:
            raise refused(response.sw, command="internal_authenticate")
        return parse_auth_answer(response.data)

    def verify_pin(self, block: PinBlock) -> None:
        response = self.transport.exchange(proto.verify(block.reveal()))
        sw = response.sw
        if sw == 0x9000:
            return
        if sw == 0x6983 or sw == 0x63C0:
            raise PinBlocked()
        if sw & 0xFFF0 == 0x63C0:
            raise WrongPin(sw & 0x0F)
        raise refused(sw, command="verify")

    def get_data(self, tag: Tag) -> bytes:
        return self._ok(proto.get_data(tag), f"get_data_{tag:04X}")

    def atc(self) -> int:
        data = self.get_data(Tag.ATC)
        if len(data) != proto.ATC_LENGTH:
            raise MalformedAnswer(detail="ATC: wrong length")
        return int.from_bytes(data, "big")

    def pin_tries_left(self) -> int:
        data = self.get_data(Tag.PIN_TRY_COUNTER)
        if len(data) != 1 or data[0] > proto.PIN_TRIES_MAX:
            raise MalformedAnswer(detail="PIN try counter: bad value")
        return data[0]
