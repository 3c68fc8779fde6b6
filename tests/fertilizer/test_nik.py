from __future__ import annotations

from datetime import date

import pytest

from fertilizer.errors import NikError
from fertilizer.nik import mask_nik, parse_nik
from tests.fertilizer.helpers import NIK_MAN, NIK_WOMAN


def test_a_man_and_a_woman() -> None:
    man, woman = parse_nik(NIK_MAN), parse_nik(NIK_WOMAN)
    assert (man.region, man.birth_day, man.birth_month, man.birth_yy, man.female, man.serial) == ("731201", 14, 10, 68, False, 1)
    assert (woman.birth_day, woman.female) == (13, True)
    assert man.matches_birth_date(date(1968, 10, 14)) and not man.matches_birth_date(date(1968, 10, 15))
    assert woman.matches_birth_date(date(1973, 1, 13))


@pytest.mark.parametrize("nik,code", [
    ("731201141068000", "nik_format"),  # 15 digits
    ("73120114106800011", "nik_format"),  # 17 digits
    ("73120114106800a1", "nik_format"),
    ("７３１２０１１４１０６８０００１", "nik_format"),  # full-width digits are not ASCII
    ("1012011410680001", "nik_region"),  # no province 10
    ("7300011410680001", "nik_region"),  # regency 00
    ("7312001410680001", "nik_region"),  # district 00
    ("7371011410680001", "nik_outside_region"),  # Makassar, not Soppeng
    ("7312013210680001", "nik_birth_date"),  # day 32
    ("7312017210680001", "nik_birth_date"),  # day 72 (32 + 40)
    ("7312011413680001", "nik_birth_date"),  # month 13
    ("7312013002680001", "nik_birth_date"),  # 30 February
    ("7312011410680000", "nik_serial"),
])
def test_bad_niks(nik: str, code: str) -> None:
    with pytest.raises(NikError) as err:
        parse_nik(nik)
    assert err.value.code == code
    assert err.value.message_id and err.value.message_en
    assert nik not in str(err.value.as_dict())  # the NIK never appears in full


def test_29_february_needs_a_leap_year_in_some_century() -> None:
    parse_nik("7312012902000001")  # 2000 was a leap year
    with pytest.raises(NikError):
        parse_nik("7312012902010001")  # neither 1901 nor 2001


def test_regions_setting() -> None:
    makassar = "7371011410680001"
    assert parse_nik(makassar, ("73",)).region == "737101"
    assert parse_nik(makassar, ()).region == "737101"


def test_mask() -> None:
    assert mask_nik(NIK_MAN) == "7312********0001"
    assert mask_nik("123") == "*" * 16
