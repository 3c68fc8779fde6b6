"""Every failure of the card, the reader, pcscd or the PIN pad is a :class:`CardError`.

Each error carries a stable ``code``, structured ``fields`` (status word, tries left, reason ...)
and an operator message in Bahasa Indonesia and English. ``to_dict``/``error_from_dict`` carry an
error across the agent's HTTP API unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CardError(Exception):
    """Base of every card-side error."""

    code: ClassVar[str] = "card_error"
    message_id_default: ClassVar[str] = "Kesalahan kartu."
    message_en_default: ClassVar[str] = "Card error."

    def __init__(self, message_id: str | None = None, message_en: str | None = None, **fields: Any) -> None:
        self.message_id = message_id or self.message_id_default
        self.message_en = message_en or self.message_en_default
        self.fields: dict[str, Any] = fields
        super().__init__(self.message_en)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_id": self.message_id, "message_en": self.message_en, "fields": self.fields}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, fields={self.fields!r})"


class ReaderUnavailable(CardError):
    code = "reader_unavailable"
    message_id_default = "Pembaca kartu atau layanan pcscd tidak tersedia. Periksa kabel pembaca dan layanan pcscd."
    message_en_default = "The card reader or the pcscd service is unavailable. Check the reader cable and pcscd."


class NoCard(CardError):
    code = "no_card"
    message_id_default = "Tidak ada kartu di pembaca. Masukkan e-Kartu Tani."
    message_en_default = "No card in the reader. Insert the e-Kartu Tani."


class CardRemoved(CardError):
    code = "card_removed"
    message_id_default = "Kartu dicabut sebelum selesai. Masukkan kembali dan ulangi."
    message_en_default = "The card was removed before the end. Insert it again and retry."


class UnknownApplication(CardError):
    code = "unknown_application"
    message_id_default = "Kartu ini bukan e-Kartu Tani (aplikasi tidak ditemukan)."
    message_en_default = "This card is not an e-Kartu Tani (application not found)."


class NotAuthentic(CardError):
    """``reason``: issuer_signature, unknown_issuer, card_signature, atc_replay."""

    code = "not_authentic"
    message_id_default = "Kartu tidak asli atau telah diubah. Jangan lanjutkan; laporkan ke bank penerbit."
    message_en_default = "The card is not genuine or was altered. Do not continue; report it to the issuing bank."


class Hotlisted(CardError):
    code = "hotlisted"
    message_id_default = "Kartu ini diblokir (hilang atau sudah diganti). Tahan kartu dan hubungi penyuluh."
    message_en_default = "This card is blocked (lost or replaced). Retain the card and call the extension officer."


class Expired(CardError):
    code = "expired"
    message_id_default = "Kartu sudah kedaluwarsa. Petani perlu kartu pengganti dari bank."
    message_en_default = "The card has expired. The farmer needs a replacement card from the bank."


class WrongPin(CardError):
    code = "wrong_pin"

    def __init__(self, tries_left: int) -> None:
        super().__init__(
            f"PIN salah. Sisa percobaan: {tries_left}.", f"Wrong PIN. Tries left: {tries_left}.", tries_left=tries_left
        )


class PinBlocked(CardError):
    code = "pin_blocked"
    message_id_default = "PIN terblokir setelah 3 kali salah. Petani perlu membuka blokir di bank penerbit."
    message_en_default = "The PIN is blocked after 3 wrong tries. The farmer must unblock it at the issuing bank."


class MalformedAnswer(CardError):
    code = "malformed_answer"
    message_id_default = "Jawaban kartu tidak dapat dibaca. Cabut kartu, bersihkan, lalu coba lagi."
    message_en_default = "The card's answer cannot be read. Remove the card, clean it and retry."


class CardRefused(CardError):
    """The card answered a status word that refuses the command (``sw`` in the fields)."""

    code = "card_refused"
    message_id_default = "Kartu menolak perintah."
    message_en_default = "The card refused the command."


class PinPadUnavailable(CardError):
    code = "pinpad_unavailable"
    message_id_default = "PIN pad tidak terhubung atau tidak menjawab. Periksa kabel PIN pad."
    message_en_default = "The PIN pad is not connected or does not answer. Check the PIN pad cable."


class PinEntryCancelled(CardError):
    code = "pin_cancelled"
    message_id_default = "Petani membatalkan pengisian PIN."
    message_en_default = "The farmer cancelled PIN entry."


class PinEntryTimeout(CardError):
    code = "pin_timeout"
    message_id_default = "Waktu pengisian PIN habis."
    message_en_default = "PIN entry timed out."


class DeviceBusy(CardError):
    code = "device_busy"
    message_id_default = "Perangkat sedang dipakai untuk transaksi lain. Tunggu sebentar."
    message_en_default = "The device is busy with another operation. Wait a moment."


ERROR_CLASSES: dict[str, type[CardError]] = {
    cls.code: cls
    for cls in (
        CardError, ReaderUnavailable, NoCard, CardRemoved, UnknownApplication, NotAuthentic, Hotlisted, Expired,
        WrongPin, PinBlocked, MalformedAnswer, CardRefused, PinPadUnavailable, PinEntryCancelled, PinEntryTimeout,
        DeviceBusy,
    )
}


def error_from_dict(data: Any) -> CardError:
    """Rebuild an error sent by :meth:`CardError.to_dict`; anything unexpected is a MalformedAnswer."""
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return MalformedAnswer(detail="not an error envelope")
    cls = ERROR_CLASSES.get(data["code"], CardError)
    raw_fields = data.get("fields")
    fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
    message_id, message_en = data.get("message_id"), data.get("message_en")
    if cls is WrongPin:
        tries = fields.get("tries_left")
        return WrongPin(tries if isinstance(tries, int) else 0)
    err = cls.__new__(cls)
    CardError.__init__(
        err,
        message_id if isinstance(message_id, str) else None,
        message_en if isinstance(message_en, str) else None,
        **fields,
    )
    return err
