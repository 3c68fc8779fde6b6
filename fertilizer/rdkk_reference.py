"""What an RDKK file is checked against: known kecamatan, and (when the registry is loaded) its
villages and farmer groups. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fertilizer.registry_types import ReferenceData
from fertilizer.soppeng import KECAMATAN


def normalise_name(name: str) -> str:
    """``Donri-Donri``, ``donri donri`` and ``DONRI  DONRI`` are the same kecamatan."""
    return re.sub(r"[\s\-_]+", " ", name.strip().lower())


@dataclass(frozen=True)
class RdkkReference:
    kecamatan: Mapping[str, str]  # normalised name or code -> kecamatan code
    villages: Mapping[str, str] | None = None  # village code -> kecamatan code; None: not checked
    groups: Mapping[str, str] | None = None  # group code -> village code; None: not checked

    @classmethod
    def soppeng(cls) -> RdkkReference:
        """The 8 kecamatan of Soppeng; villages only checked to lie in their kecamatan's code range."""
        return cls(_kecamatan_map((k.code, k.name) for k in KECAMATAN))

    @classmethod
    def from_registry(cls, data: ReferenceData) -> RdkkReference:
        return cls(
            _kecamatan_map((k.code, k.name) for k in data.kecamatan),
            {v.code: v.kecamatan_code for v in data.villages},
            {g.code: g.village_code for g in data.groups},
        )

    def kecamatan_of_village(self, village_code: str) -> str | None:
        if self.villages is not None:
            return self.villages.get(village_code)
        prefix = village_code[:6]
        return prefix if prefix in self.kecamatan.values() else None


def _kecamatan_map(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, name in pairs:
        out[code] = code
        out[normalise_name(name)] = code
    return out
