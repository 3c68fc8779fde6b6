"""Kabupaten Soppeng in numbers (DOMAIN.md), for the reference data and the demo generator.

Kecamatan codes follow Kemendagri's 73.12.xx numbering (Liliriaja is 73.12.02); check them against
the current Kemendagri list before loading a production registry. Village counts per kecamatan
add up to Soppeng's 70 desa/kelurahan; the split is the demo's, not an official table.
"""

from __future__ import annotations

from dataclasses import dataclass

REGENCY = "7312"
FARMERS = 55_289  # 2020
GROUPS = 892
VILLAGES = 70


@dataclass(frozen=True)
class KecamatanFact:
    code: str
    name: str
    villages: int  # in the demo data set


KECAMATAN: tuple[KecamatanFact, ...] = (
    KecamatanFact("731201", "Marioriwawo", 11),
    KecamatanFact("731202", "Liliriaja", 8),
    KecamatanFact("731203", "Lilirilau", 12),
    KecamatanFact("731204", "Lalabata", 12),
    KecamatanFact("731205", "Marioriawa", 10),
    KecamatanFact("731206", "Donri-Donri", 9),
    KecamatanFact("731207", "Ganra", 4),
    KecamatanFact("731208", "Citta", 4),
)
