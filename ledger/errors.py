"""Every refusal of the ledger is a :class:`LedgerError` (STYLE habit 4).

Each error carries a stable ``code``, structured ``fields`` (account ids, assets, amounts: never
PINs, keys or personal data) and a message a person can act on in Bahasa Indonesia
(``message_id``) and English (``message_en``). A refused write has written nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class LedgerError(Exception):
    """Root of the ledger's errors."""

    code = "ledger_error"

    def __init__(self, message_id: str, message_en: str, **fields: Any) -> None:
        super().__init__(message_en)
        self.message_id = message_id
        self.message_en = message_en
        self.fields: Mapping[str, Any] = MappingProxyType(dict(fields))

    def __str__(self) -> str:
        return f"[{self.code}] {self.message_en} / {self.message_id}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready envelope: code, both messages and the structured fields (as strings)."""
        return {
            "code": self.code,
            "message_id": self.message_id,
            "message_en": self.message_en,
            "fields": {k: v if isinstance(v, (int, str)) or v is None else str(v) for k, v in self.fields.items()},
        }


class InvalidInput(LedgerError):
    """A malformed argument: key, asset, kind, time, text field."""

    code = "invalid_input"

    def __init__(self, what: str, problem_id: str, problem_en: str) -> None:
        super().__init__(f"{what}: {problem_id}", f"{what}: {problem_en}", what=what)


class BadAmount(LedgerError):
    code = "bad_amount"

    def __init__(self, amount: object, maximum: int) -> None:
        super().__init__(
            f"Jumlah harus bilangan bulat dari 1 sampai {maximum}, bukan {amount!r}.",
            f"An amount must be a whole number from 1 to {maximum}, not {amount!r}.",
            amount=repr(amount),
            maximum=maximum,
        )


class UnbalancedJournal(LedgerError):
    """A journal that cannot balance: no legs, or a leg debiting and crediting one account."""

    code = "unbalanced"

    def __init__(self, reason_id: str, reason_en: str, *, leg: int | None = None) -> None:
        super().__init__(f"Jurnal tidak seimbang: {reason_id}", f"Unbalanced journal: {reason_en}", leg=leg)


class UnknownAccount(LedgerError):
    code = "unknown_account"

    def __init__(self, account_id: object) -> None:
        super().__init__(
            f"Akun {account_id} tidak ada.", f"Account {account_id} does not exist.", account_id=str(account_id)
        )


class AccountClosed(LedgerError):
    code = "account_closed"

    def __init__(self, account_id: object) -> None:
        super().__init__(
            f"Akun {account_id} sudah ditutup: tidak ada jurnal baru.",
            f"Account {account_id} is closed: no new journals.",
            account_id=str(account_id),
        )


class AccountConflict(LedgerError):
    """``open_account`` with a key that already names an account with other attributes."""

    code = "account_conflict"

    def __init__(self, key: str, attribute: str) -> None:
        super().__init__(
            f"Kunci akun {key!r} sudah dipakai dengan {attribute} yang lain.",
            f"Account key {key!r} is already used with a different {attribute}.",
            key=key,
            attribute=attribute,
        )


class AccountHasPending(LedgerError):
    code = "account_has_pending"

    def __init__(self, account_id: object) -> None:
        super().__init__(
            f"Akun {account_id} masih punya jurnal tertunda: selesaikan dulu sebelum ditutup.",
            f"Account {account_id} still has pending journals: resolve them before closing it.",
            account_id=str(account_id),
        )


class AssetMismatch(LedgerError):
    code = "asset_mismatch"

    def __init__(self, account_id: object, account_asset: str, leg_asset: str, *, leg: int) -> None:
        super().__init__(
            f"Baris {leg}: akun {account_id} berisi {account_asset}, bukan {leg_asset}.",
            f"Leg {leg}: account {account_id} holds {account_asset}, not {leg_asset}.",
            account_id=str(account_id),
            account_asset=account_asset,
            leg_asset=leg_asset,
            leg=leg,
        )


class LimitExceeded(LedgerError):
    """The journal would take a limited account past its limit (pending debits count)."""

    code = "limit_exceeded"

    def __init__(self, account_id: object, asset: str, shortfall: int) -> None:
        super().__init__(
            f"Saldo akun {account_id} ({asset}) kurang {shortfall}.",
            f"Account {account_id} ({asset}) is short by {shortfall}.",
            account_id=str(account_id),
            asset=asset,
            shortfall=shortfall,
        )
        self.account_id = account_id
        self.asset = asset
        self.shortfall = shortfall


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before with another journal body."""

    code = "idempotency_conflict"

    def __init__(self, idempotency_key: str, journal_id: object) -> None:
        super().__init__(
            f"Kunci idempotensi {idempotency_key!r} sudah dipakai jurnal {journal_id} dengan isi berbeda.",
            f"Idempotency key {idempotency_key!r} was used by journal {journal_id} with a different body.",
            idempotency_key=idempotency_key,
            journal_id=str(journal_id),
        )


class UnknownJournal(LedgerError):
    code = "unknown_journal"

    def __init__(self, journal_id: object) -> None:
        super().__init__(
            f"Jurnal {journal_id} tidak ada.", f"Journal {journal_id} does not exist.", journal_id=str(journal_id)
        )


class AlreadyFinal(LedgerError):
    """POST or VOID of a journal that is no longer pending."""

    code = "already_final"

    def __init__(self, journal_id: object, state: str) -> None:
        super().__init__(
            f"Jurnal {journal_id} sudah final ({state}).",
            f"Journal {journal_id} is already final ({state}).",
            journal_id=str(journal_id),
            state=state,
        )
        self.state = state


class ConcurrentSubmission(LedgerError):
    """Another transaction inserted one of a batch's idempotency keys first; retrying replays it."""

    code = "concurrent_submission"

    def __init__(self) -> None:
        super().__init__(
            "Jurnal dengan kunci yang sama sedang dicatat transaksi lain; ulangi.",
            "Another transaction recorded a journal with the same key meanwhile; retry.",
        )


class BatchRefused(LedgerError):
    """One journal of a batch was refused, so the whole batch wrote nothing."""

    code = "batch_refused"

    def __init__(self, index: int, cause: LedgerError) -> None:
        super().__init__(
            f"Jurnal ke-{index} dari batch ditolak ({cause.message_id}); tidak ada yang dicatat.",
            f"Journal {index} of the batch was refused ({cause.message_en}); nothing was recorded.",
            index=index,
            cause=cause.code,
        )
        self.index = index
        self.cause = cause


class RetriesExhausted(LedgerError):
    code = "retries_exhausted"

    def __init__(self, attempts: int, last: str) -> None:
        super().__init__(
            f"Basis data sibuk: gagal setelah {attempts} percobaan ({last}).",
            f"The database stayed busy: gave up after {attempts} attempts ({last}).",
            attempts=attempts,
            last=last,
        )
