"""Reference-data records of the registry (pure values; :mod:`fertilizer.registry` stores them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KecamatanRec:
    code: str
    name: str


@dataclass(frozen=True)
class VillageRec:
    code: str
    name: str
    kecamatan_code: str


@dataclass(frozen=True)
class PenyuluhRec:
    code: str
    name: str
    kecamatan_code: str


@dataclass(frozen=True)
class OutletRec:
    code: str
    name: str
    kecamatan_code: str
    active: bool = True


@dataclass(frozen=True)
class GroupRec:
    code: str
    name: str
    village_code: str
    penyuluh_code: str
    outlet_code: str


@dataclass(frozen=True)
class ReferenceData:
    kecamatan: tuple[KecamatanRec, ...] = ()
    villages: tuple[VillageRec, ...] = ()
    penyuluh: tuple[PenyuluhRec, ...] = ()
    outlets: tuple[OutletRec, ...] = ()
    groups: tuple[GroupRec, ...] = ()
