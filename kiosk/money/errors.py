"""Every refusal of the money package is a :class:`MoneyError`: a stable ``code``, structured
``fields``, a message in Bahasa Indonesia and in English, and the HTTP status the API answers with.
A refused operation has changed nothing."""

from __future__ import annotations

from typing import Any


class MoneyError(Exception):
    """Base of every money error."""

    status = 409

    def __init__(self, code: str, message_id: str, message_en: str, *, status: int | None = None, **fields: Any) -> None:
        super().__init__(message_en)
        self.code, self.message_id, self.message_en, self.fields = code, message_id, message_en, fields
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message_en, "message_id": self.message_id, "details": self.fields}


class BadInput(MoneyError):
    """A request or a value breaks a rule (``field`` names it)."""

    status = 400


class NotFound(MoneyError):
    status = 404


class Refused(MoneyError):
    """The operation is not allowed in the present state (already reversed, too late, ...)."""

    status = 409


class BankFileRefused(MoneyError):
    """A bank settlement file with problems: nothing was imported. ``problems`` lists every one."""

    status = 422

    def __init__(self, problems: list[dict[str, Any]], sha256: str) -> None:
        super().__init__("bank_file_refused",
                         f"Berkas setoran bank ditolak ({len(problems)} masalah); tidak ada yang diimpor.",
                         f"The bank settlement file was refused ({len(problems)} problems); nothing was imported.",
                         problems=problems, sha256=sha256)
        self.problems = problems


def bad_input(field: str, message_id: str, message_en: str, **fields: Any) -> BadInput:
    return BadInput("bad_input", message_id, message_en, field=field, **fields)


def not_found(what: str, message_id: str, message_en: str, **fields: Any) -> NotFound:
    return NotFound(f"{what}_not_found", message_id, message_en, **fields)


def idempotency_conflict(key: str) -> Refused:
    return Refused("idempotency_conflict", "Kunci idempotensi ini sudah dipakai untuk permintaan lain.",
                   "This idempotency key was already used for a different request.", key=key)


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")
