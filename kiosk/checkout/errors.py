"""Checkout errors: a stable code, structured fields and messages in Bahasa Indonesia and English."""

from __future__ import annotations

from typing import Any


class CheckoutError(Exception):
    """A refused request about a checkout. ``status`` is the HTTP status the API answers with."""

    status = 409

    def __init__(self, code: str, message_id: str, message_en: str, *, status: int | None = None, **fields: Any) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_id = message_id
        self.message_en = message_en
        self.fields = fields
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message_en, "message_id": self.message_id, "details": self.fields}


def not_found() -> CheckoutError:
    return CheckoutError("checkout_not_found", "Transaksi tidak ditemukan.", "No such checkout.", status=404)


def wrong_state(state: str, action: str) -> CheckoutError:
    return CheckoutError(
        "checkout_wrong_state",
        f"Transaksi dalam status '{state}' tidak bisa: {action}.",
        f"A checkout in state '{state}' cannot: {action}.",
        state=state, action=action,
    )


def idempotency_conflict(key: str) -> CheckoutError:
    return CheckoutError(
        "idempotency_conflict",
        "Kunci idempotensi ini sudah dipakai untuk permintaan lain.",
        "This idempotency key was already used for a different request.",
        key=key,
    )


def bad_request(code: str, message_id: str, message_en: str, **fields: Any) -> CheckoutError:
    return CheckoutError(code, message_id, message_en, status=400, **fields)
