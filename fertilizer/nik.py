"""The 16-digit NIK (Nomor Induk Kependudukan): structure checks and masking.

Structure (Permendagri on population administration): ``PP RR DD ddmmyy ssss``

* ``PP`` province, ``RR`` regency/city, ``DD`` district (kecamatan) of registration: Kemendagri
  region codes; Soppeng is 73.12 (South Sulawesi 73);
* ``ddmmyy`` birth date, with 40 added to the day for women;
* ``ssss`` a serial number from 0001.

Only the structure is checked; whether the person exists is the civil registry's business.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from fertilizer.errors import NikError

# Kemendagri province codes (38 provinces, 2022).
PROVINCE_CODES: frozenset[str] = frozenset(
    "11 12 13 14 15 16 17 18 19 21 31 32 33 34 35 36 51 52 53 61 62 63 64 65 "
    "71 72 73 74 75 76 81 82 91 92 93 94 95 96".split()
)
SOPPENG = "7312"


@dataclass(frozen=True)
class NikFacts:
    region: str  # PPRRDD
    birth_day: int
    birth_month: int
    birth_yy: int
    female: bool
    serial: int

    def matches_birth_date(self, born: date) -> bool:
        return (born.day, born.month, born.year % 100) == (self.birth_day, self.birth_month, self.birth_yy)


def mask_nik(nik: str) -> str:
    """``7312********0001``: region and serial kept, the birth-date digits and the district hidden."""
    if len(nik) != 16:
        return "*" * 16
    return nik[:4] + "*" * 8 + nik[12:]


def _fail(code: str, nik: str, message_id: str, message_en: str) -> NikError:
    return NikError(code, message_id, message_en, nik=mask_nik(nik))


def parse_nik(nik: str, regions: Collection[str] = (SOPPENG,)) -> NikFacts:
    """The NIK's facts, or :class:`NikError` with the first structural problem.

    ``regions``: accepted prefixes (``"7312"`` for Soppeng, ``"73"`` for the whole province); empty
    accepts any valid province.
    """
    if len(nik) != 16 or not nik.isascii() or not nik.isdigit():
        raise _fail("nik_format", nik, "NIK harus 16 angka.", "A NIK has exactly 16 digits.")
    if nik[:2] not in PROVINCE_CODES or nik[2:4] == "00" or nik[4:6] == "00":
        raise _fail("nik_region", nik, "Kode wilayah NIK tidak sah.", "The NIK's region code is not a valid region.")
    if regions and not any(nik.startswith(r) for r in regions):
        raise _fail(
            "nik_outside_region", nik,
            f"NIK tidak terdaftar di wilayah {', '.join(regions)}.",
            f"The NIK is not registered in region {', '.join(regions)}.",
        )
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if not _plausible_day(day, month, yy):
        raise _fail(
            "nik_birth_date", nik,
            "Tanggal lahir dalam NIK tidak sah (ddmmyy, tanggal +40 untuk perempuan).",
            "The NIK's birth-date digits are not a date (ddmmyy, day +40 for women).",
        )
    serial = int(nik[12:])
    if serial == 0:
        raise _fail("nik_serial", nik, "Nomor urut NIK tidak boleh 0000.", "The NIK's serial number cannot be 0000.")
    return NikFacts(nik[:6], day, month, yy, female, serial)


def _plausible_day(day: int, month: int, yy: int) -> bool:
    if not 1 <= month <= 12 or day < 1:
        return False
    for century in (1900, 2000):  # a two-digit year: the date must exist in one of them
        try:
            date(century + yy, month, day)
            return True
        except ValueError:
            continue
    return False
