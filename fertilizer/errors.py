"""Errors of the fertilizer package, rooted in :class:`FertilizerError` (STYLE habit 4).

Every error carries a stable ``code``, a message in Bahasa Indonesia (``message_id``) and in English
(``message_en``), and structured ``fields`` (never a full NIK, a name, a PIN or a key).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class FertilizerError(Exception):
    """Base of every error this package raises."""

    def __init__(self, code: str, message_id: str, message_en: str, **fields: Any) -> None:
        super().__init__(f"{code}: {message_en}")
        self.code = code
        self.message_id = message_id
        self.message_en = message_en
        self.fields: Mapping[str, Any] = MappingProxyType(dict(fields))

    def as_dict(self) -> dict[str, Any]:
        """The error as a JSON-able envelope body."""
        return {"code": self.code, "message_id": self.message_id, "message_en": self.message_en, **self.fields}


class CatalogueError(FertilizerError):
    """An unknown product or a malformed HET price."""


class PriceError(FertilizerError):
    """A price change was refused (retroactive, not positive, unknown product)."""


class SeasonError(FertilizerError):
    """A malformed season calendar or season id."""


class NikError(FertilizerError):
    """A NIK that is not 16 digits, has an implausible region or birth-date structure."""


class RegistryError(FertilizerError):
    """A registry operation was refused (unknown group, duplicate NIK, unknown farmer...)."""


class FarmerErased(RegistryError):
    """The farmer was erased (crypto-shredded): their personal data can never be read again."""


class KeyStoreError(FertilizerError):
    """The key store is missing, unsafe (permissions) or corrupt."""


class RdkkFormatError(FertilizerError):
    """The RDKK file itself is unusable (header, encoding); row problems are reported per line."""


class GeneratorError(FertilizerError):
    """Demo-data generator parameters that cannot produce a Soppeng-shaped data set."""


class QuotaError(FertilizerError):
    """A quota allocation or redemption refused: no quota account, a new quota below what was redeemed."""


class StockError(FertilizerError):
    """A stock receipt or sale refused: unknown outlet, no stock account, a conflicting delivery order."""


class RdkkImportError(FertilizerError):
    """An RDKK import stopped while writing (the file changed, a concurrent import); nothing is kept."""


class PolicyError(FertilizerError):
    """Inputs to :func:`fertilizer.policy.decide` or the pricing function that contradict themselves."""
