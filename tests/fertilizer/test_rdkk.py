from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from fertilizer.errors import RdkkFormatError
from fertilizer.rdkk import RdkkRow, RowProblem, check_rdkk, read_rdkk
from fertilizer.rdkk_reference import RdkkReference
from fertilizer.registry_types import GroupRec, KecamatanRec, ReferenceData, VillageRec
from fertilizer.settings import RdkkRules
from tests.fertilizer.helpers import HEADER, NIK_MAN, NIK_WOMAN, rdkk, row


def problems(lines: list[str], **kw: object) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.code) for p in read_rdkk(lines, **kw) if isinstance(p, RowProblem)]  # type: ignore[arg-type]


def test_a_good_row() -> None:
    [parsed] = list(read_rdkk(rdkk(row())))
    assert isinstance(parsed, RdkkRow)
    assert (parsed.line, parsed.nik, parsed.kecamatan_code, parsed.land_m2, parsed.season) == (2, NIK_MAN, "731201", 8500, "2027-MT1")
    assert parsed.kg_of("UREA") == 170 and parsed.kg_of("NPK") == 212 and parsed.kg_of("ORGANIC") == 0
    assert NIK_MAN not in repr(parsed) and "Ridwan" not in repr(parsed)


@pytest.mark.parametrize("changes,column,code", [
    ({"nik": "731201141068000"}, "nik", "nik_format"),
    ({"nik": "7371011410680001"}, "nik", "nik_outside_region"),
    ({"born": "14-10-1968"}, "birth_date", "bad_birth_date"),
    ({"born": "1968-10-15"}, "birth_date", "birth_date_mismatch"),
    ({"name": ""}, "name", "bad_name"),
    ({"kecamatan": "Tanralili"}, "kecamatan", "unknown_kecamatan"),
    ({"village": "731201200"}, "village", "bad_village"),
    ({"village": "7312022001"}, "village", "village_not_in_kecamatan"),
    ({"group": "kt 1"}, "group", "bad_group"),
    ({"land": "2.0001"}, "land_ha", "land_over_limit"),
    ({"land": "0"}, "land_ha", "bad_land"),
    ({"land": "-1"}, "land_ha", "bad_land"),
    ({"land": "0.00001"}, "land_ha", "bad_land"),
    ({"land": "1e0"}, "land_ha", "bad_land"),
    ({"land": "abc"}, "land_ha", "bad_land"),
    ({"season": "2027-MT4"}, "season", "bad_season_id"),
    ({"kg": "170.5,212,0,0,0,0"}, "urea_kg", "bad_kg"),
    ({"kg": "-1,212,0,0,0,0"}, "urea_kg", "bad_kg"),
    ({"kg": "213,212,0,0,0,0"}, "urea_kg", "kg_over_ceiling"),  # 0.85 ha x 250 kg/ha = 212.5
])
def test_each_bad_value_is_reported_with_line_and_column(changes: dict[str, str], column: str, code: str) -> None:
    second = {"nik": NIK_WOMAN, "name": "Suriani Basri", "born": "1973-01-13", **changes}
    found = problems(rdkk(row(), row(**second)))
    assert (3, column, code) in found
    assert all(line == 3 for line, _, _ in found)


def test_ceiling_is_exact_at_the_limit() -> None:
    assert problems(rdkk(row(land="0.85", kg="212,255,255,127,127,425"))) == []
    assert problems(rdkk(row(land="2", kg="500,600,600,300,300,1000"))) == []


def test_messages_are_bilingual_and_never_show_the_nik() -> None:
    items = list(read_rdkk(rdkk(row(), row())))
    [dup] = [p for p in items if isinstance(p, RowProblem)]
    assert dup.code == "duplicate_nik" and dup.line == 3
    assert "7312********0001" in dup.message_id and "7312********0001" in dup.message_en
    assert NIK_MAN not in str(dup)


def test_same_nik_in_two_seasons_is_fine() -> None:
    assert problems(rdkk(row(), row(season="2027-MT2"))) == []


def test_expected_season() -> None:
    assert problems(rdkk(row()), season="2027-MT2") == [(2, "season", "wrong_season")]
    with pytest.raises(Exception, match="season"):
        list(read_rdkk(rdkk(row()), season="garbage"))


def test_line_numbers_count_physical_lines() -> None:
    text = "".join(rdkk(row(), f'{NIK_WOMAN},"Suriani\nBasri",1973-01-13,KT-1,7312012001,Marioriwawo,0.5,2027-MT1,1,1,1,1,1,1',
                        row(season="x")))
    lines = text.splitlines(keepends=True)  # what iterating an open file gives
    found = problems(lines)
    assert (3, "name", "bad_name") in found  # a newline inside a name is not printable
    assert (5, "season", "bad_season_id") in found


def test_semicolons_bom_decimal_comma_and_blank_lines() -> None:
    header = "\ufeff" + HEADER.replace(",", ";")
    line = row(land="0,85").replace(",", ";").replace("0;85", "0,85")
    assert problems(rdkk(line, "", header=header)) == []
    [parsed] = list(read_rdkk(rdkk(line, header=header)))
    assert isinstance(parsed, RdkkRow) and parsed.land_m2 == 8500


def test_kecamatan_names_are_matched_loosely() -> None:
    assert problems(rdkk(row(kecamatan="marioriwawo"))) == []
    assert problems(rdkk(row(nik="7312061410680001", village="7312062001", kecamatan="Donri Donri"))) == []
    assert problems(rdkk(row(kecamatan="731201"))) == []


def test_empty_kg_cell_means_zero() -> None:
    [parsed] = list(read_rdkk(rdkk(row(kg="170,212,,,,"))))
    assert isinstance(parsed, RdkkRow) and parsed.kg_of("ZA") == 0


def test_wrong_cell_count() -> None:
    assert problems(rdkk(row() + ",9")) == [(2, "*", "cell_count")]


@pytest.mark.parametrize("header,code", [
    (HEADER.replace("land_ha", "luas"), "rdkk_header"),
    (HEADER + ",nik", "rdkk_header"),
])
def test_bad_headers(header: str, code: str) -> None:
    with pytest.raises(RdkkFormatError) as err:
        list(read_rdkk(rdkk(row(), header=header)))
    assert err.value.code == code and err.value.message_id and err.value.message_en


def test_empty_file_and_broken_quoting() -> None:
    with pytest.raises(RdkkFormatError, match="empty"):
        list(read_rdkk([]))
    with pytest.raises(RdkkFormatError) as err:
        list(read_rdkk(rdkk(row(name='"Ridwan" Saleh'))))
    assert err.value.code == "rdkk_csv"


def test_registry_reference_checks_villages_and_groups() -> None:
    ref = RdkkReference.from_registry(ReferenceData(
        kecamatan=(KecamatanRec("731201", "Marioriwawo"),),
        villages=(VillageRec("7312012001", "Tellang", "731201"), VillageRec("7312012002", "Bila", "731201")),
        groups=(GroupRec("KT-7312012001-01", "Kelompok Tani Subur", "7312012001", "PPL-0001", "KIOS-001"),),
    ))
    assert problems(rdkk(row()), reference=ref) == []
    assert problems(rdkk(row(group="KT-9")), reference=ref) == [(2, "group", "unknown_group")]
    assert problems(rdkk(row(village="7312012002")), reference=ref) == [(2, "group", "group_not_in_village")]
    assert problems(rdkk(row(village="7312012003")), reference=ref) == [(2, "village", "unknown_village")]


def test_rules_are_settings() -> None:
    rules = RdkkRules(max_land_m2=5_000)
    assert problems(rdkk(row()), rules=rules) == [(2, "land_ha", "land_over_limit")]


def test_report_counts_all_but_keeps_the_first_problems() -> None:
    bad = [row(nik=f"73120114106800{i:02d}", season="nope") for i in range(1, 30)]
    report = check_rdkk(rdkk(row(nik="7312011410680099"), *bad), rules=RdkkRules(max_reported_problems=5))
    assert (report.rows_ok, report.bad_lines, report.problems_total, len(report.problems)) == (1, 29, 29, 5)
    assert not report.ok and report.seasons == {"2027-MT1"}


def _endless() -> Iterator[str]:
    yield HEADER + "\n"
    for i in itertools.count(1):
        yield row(nik=f"731201141068{i % 9999 + 1:04d}", season="2027-MT1" if i < 9999 else "2027-MT2") + "\n"


def test_rows_stream_one_at_a_time() -> None:
    # an endless file: only a stream can hand out its first rows
    first = list(itertools.islice(read_rdkk(_endless()), 3))
    assert [r.line for r in first] == [2, 3, 4]
