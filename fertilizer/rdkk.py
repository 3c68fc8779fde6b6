"""RDKK CSV: streamed parsing and validation, pure (no database). Format: docs/rdkk-format.md.

:func:`read_rdkk` turns lines into a stream of :class:`RdkkRow` (valid) and :class:`RowProblem`
(one per problem, with the line number and id/en reasons). It holds one row at a time plus the set
of NIKs already seen per season (a set of ints: about 60 bytes per farmer), so a million rows
stream in constant memory apart from that set. The importer (part B) writes nothing unless the
whole stream had no problem.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from fertilizer.catalogue import PRODUCT_CODES
from fertilizer.errors import FertilizerError, RdkkFormatError
from fertilizer.nik import NikFacts, mask_nik, parse_nik
from fertilizer.rdkk_reference import RdkkReference, normalise_name
from fertilizer.seasons import DEFAULT_CALENDAR, SeasonCalendar
from fertilizer.settings import M2_PER_HA, RdkkRules

KG_COLUMNS: Mapping[str, str] = {code: f"{code.lower()}_kg" for code in PRODUCT_CODES}
COLUMNS: tuple[str, ...] = ("nik", "name", "birth_date", "group", "village", "kecamatan", "land_ha", "season",
                            *KG_COLUMNS.values())
GROUP_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
VILLAGE_CODE = re.compile(r"^\d{10}$")
KG_VALUE = re.compile(r"^\d{1,9}$")


@dataclass(frozen=True)
class RdkkRow:
    line: int
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    group_code: str
    village_code: str
    kecamatan_code: str
    land_m2: int
    season: str
    kg: tuple[tuple[str, int], ...]  # (product code, kg) in catalogue order

    def kg_of(self, product_code: str) -> int:
        return dict(self.kg)[product_code]


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    code: str
    message_id: str
    message_en: str

    def __str__(self) -> str:
        return f"baris/line {self.line}, {self.column}: {self.message_id} / {self.message_en}"


class _Row:
    """Collects one CSV record's values and problems."""

    def __init__(self, line: int, values: Mapping[str, str]) -> None:
        self.line = line
        self.values = values
        self.problems: list[RowProblem] = []

    def bad(self, column: str, code: str, message_id: str, message_en: str) -> None:
        self.problems.append(RowProblem(self.line, column, code, message_id, message_en))


def _dialect(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _header(names: list[str]) -> list[str]:
    got = [n.strip().lower() for n in names]
    missing = [c for c in COLUMNS if c not in got]
    extra = [c for c in got if c not in COLUMNS]
    dupes = sorted({c for c in got if got.count(c) > 1})
    if missing or extra or dupes:
        raise RdkkFormatError(
            "rdkk_header",
            f"Kolom RDKK salah. Kurang: {missing or '-'}; tidak dikenal: {extra or '-'}; ganda: {dupes or '-'}.",
            f"Wrong RDKK columns. Missing: {missing or '-'}; unknown: {extra or '-'}; repeated: {dupes or '-'}.",
            missing=missing, unknown=extra, repeated=dupes,
        )
    return got


def _records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
    it = iter(lines)
    first = next(it, None)
    if first is None:
        raise RdkkFormatError("rdkk_empty", "Berkas RDKK kosong.", "The RDKK file is empty.")
    first = first.removeprefix("\ufeff")
    reader = csv.reader(_chain(first, it), delimiter=_dialect(first), strict=True)
    try:
        header = _header(next(reader))
        end = reader.line_num
        for cells in reader:
            start, end = end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            yield start, dict(zip(header, cells)) if len(cells) == len(header) else {"__cells__": str(len(cells))}
    except csv.Error as exc:
        raise RdkkFormatError("rdkk_csv", f"CSV rusak di baris {reader.line_num}: {exc}.",
                              f"Broken CSV at line {reader.line_num}: {exc}.", line=reader.line_num) from None


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def read_rdkk(lines: Iterable[str], *, rules: RdkkRules | None = None, reference: RdkkReference | None = None,
              season: str | None = None, calendar: SeasonCalendar = DEFAULT_CALENDAR) -> Iterator[RdkkRow | RowProblem]:
    """Validate an RDKK file (lines of text, e.g. an open file) row by row. See the module docstring.

    ``season``: when given, every row must be for that season (``kiosk rdkk import --season``).
    """
    rules = rules or RdkkRules()
    reference = reference or RdkkReference.soppeng()
    if season is not None:
        season = calendar.parse(season).id
    seen: dict[str, set[int]] = {}
    for line, values in _records(lines):
        row = _Row(line, values)
        if "__cells__" in values:
            row.bad("*", "cell_count", f"Jumlah kolom {values['__cells__']}, seharusnya {len(COLUMNS)}.",
                    f"{values['__cells__']} cells, expected {len(COLUMNS)}.")
            yield from row.problems
            continue
        parsed = _validate(row, rules, reference, season, calendar, seen)
        yield from row.problems if parsed is None else (parsed,)


def _validate(row: _Row, rules: RdkkRules, ref: RdkkReference, season: str | None, calendar: SeasonCalendar,
              seen: dict[str, set[int]]) -> RdkkRow | None:
    v = {k: s.strip() for k, s in row.values.items()}
    facts = _nik(row, v["nik"], rules)
    nik = v["nik"] if facts is not None else None
    born = _birth(row, v["birth_date"], facts)
    name = _name(row, v["name"])
    kec, village, group = _placement(row, ref, v["kecamatan"], v["village"], v["group"])
    land = _land(row, v["land_ha"], rules)
    season_id = _season(row, v["season"], season, calendar)
    kg = tuple((code, _kg(row, col, v[col], land, rules.ceiling_kg_per_ha[code])) for code, col in KG_COLUMNS.items())
    if nik is not None and season_id is not None:
        niks = seen.setdefault(season_id, set())
        if int(nik) in niks:
            row.bad("nik", "duplicate_nik", f"NIK {mask_nik(nik)} sudah ada di musim {season_id} pada baris sebelumnya.",
                    f"NIK {mask_nik(nik)} already appears earlier in season {season_id}.")
        niks.add(int(nik))
    if row.problems or nik is None or born is None or name is None or kec is None or village is None \
            or group is None or land is None or season_id is None:
        return None
    return RdkkRow(row.line, nik, name, born, group, village, kec, land, season_id, tuple((c, k or 0) for c, k in kg))


def _nik(row: _Row, raw: str, rules: RdkkRules) -> NikFacts | None:
    try:
        return parse_nik(raw, rules.nik_regions)
    except FertilizerError as exc:
        row.bad("nik", exc.code, exc.message_id, exc.message_en)
        return None


def _birth(row: _Row, raw: str, nik: NikFacts | None) -> date | None:
    try:
        born = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        born = None
    if born is None:
        row.bad("birth_date", "bad_birth_date", "Tanggal lahir harus YYYY-MM-DD.", "Birth date must be YYYY-MM-DD.")
        return None
    if nik is not None and not nik.matches_birth_date(born):
        row.bad("birth_date", "birth_date_mismatch", "Tanggal lahir tidak cocok dengan NIK.",
                "The birth date does not match the NIK's birth-date digits.")
    return born


def _name(row: _Row, raw: str) -> str | None:
    if not raw or len(raw) > 128 or not raw.isprintable():
        row.bad("name", "bad_name", "Nama wajib diisi (maks. 128 karakter).", "A name is required (at most 128 characters).")
        return None
    return raw


def _placement(row: _Row, ref: RdkkReference, kecamatan: str, village: str, group: str) -> tuple[str | None, ...]:
    kec = ref.kecamatan.get(normalise_name(kecamatan))
    if kec is None:
        row.bad("kecamatan", "unknown_kecamatan", f"Kecamatan tidak dikenal: {kecamatan!r}.", f"Unknown kecamatan {kecamatan!r}.")
    vil: str | None = village if VILLAGE_CODE.match(village) else None
    if vil is None:
        row.bad("village", "bad_village", "Kode desa harus 10 angka.", "A village code is 10 digits.")
    elif ref.villages is not None and vil not in ref.villages:
        row.bad("village", "unknown_village", f"Desa {vil} tidak terdaftar.", f"Village {vil} is not registered.")
        vil = None
    elif kec is not None and ref.kecamatan_of_village(vil) != kec:
        row.bad("village", "village_not_in_kecamatan", "Desa tidak berada di kecamatan ini.", "The village is not in this kecamatan.")
    grp: str | None = group
    if not GROUP_CODE.match(group):
        row.bad("group", "bad_group", "Kode kelompok tani tidak sah.", "Not a farmer group code.")
        grp = None
    elif ref.groups is not None and group not in ref.groups:
        row.bad("group", "unknown_group", f"Kelompok tani {group} tidak terdaftar.", f"Farmer group {group} is not registered.")
        grp = None
    elif ref.groups is not None and vil is not None and ref.groups[group] != vil:
        row.bad("group", "group_not_in_village", "Kelompok tani tidak berada di desa ini.", "The farmer group is not in this village.")
    return kec, vil, grp


def _land(row: _Row, raw: str, rules: RdkkRules) -> int | None:
    try:
        ha = Decimal(raw.replace(",", ".")) if raw and "e" not in raw.lower() else None
    except InvalidOperation:
        ha = None
    m2 = None if ha is None or not ha.is_finite() else ha * M2_PER_HA
    if m2 is None or m2 != m2.to_integral_value() or m2 <= 0:
        row.bad("land_ha", "bad_land", "Luas lahan: angka hektare > 0 (maks. 4 desimal).",
                "Land: hectares > 0 (at most 4 decimals).")
        return None
    if m2 > rules.max_land_m2:
        row.bad("land_ha", "land_over_limit", f"Luas lahan melebihi {Decimal(rules.max_land_m2) / M2_PER_HA} ha.",
                f"Land exceeds {Decimal(rules.max_land_m2) / M2_PER_HA} ha.")
        return None
    return int(m2)


def _season(row: _Row, raw: str, expected: str | None, calendar: SeasonCalendar) -> str | None:
    try:
        season_id = _season_id(calendar, raw)
    except FertilizerError as exc:
        row.bad("season", exc.code, exc.message_id, exc.message_en)
        return None
    if expected is not None and season_id != expected:
        row.bad("season", "wrong_season", f"Musim {season_id}, padahal impor untuk {expected}.",
                f"Season {season_id}, but this import is for {expected}.")
    return season_id


@functools.lru_cache(maxsize=64)
def _season_id(calendar: SeasonCalendar, raw: str) -> str:
    """``calendar.parse(raw).id``, remembered: a file repeats its one or two season ids on every row."""
    return calendar.parse(raw).id


def _kg(row: _Row, column: str, raw: str, land_m2: int | None, ceiling_per_ha: int) -> int | None:
    if raw == "":
        return 0  # an empty cell in a spreadsheet means none of this product
    if not KG_VALUE.match(raw):
        row.bad(column, "bad_kg", "Jumlah kg harus bilangan bulat >= 0.", "Kilograms must be a whole number >= 0.")
        return None
    kg = int(raw)
    if land_m2 is not None and kg * M2_PER_HA > land_m2 * ceiling_per_ha:
        row.bad(column, "kg_over_ceiling", f"{kg} kg melebihi batas {ceiling_per_ha} kg/ha untuk luas lahan ini.",
                f"{kg} kg exceeds the {ceiling_per_ha} kg/ha ceiling for this land.")
    return kg


@dataclass
class RdkkReport:
    """A whole file's verdict: counts, the seasons seen and the first problems (all are counted)."""

    rows_ok: int = 0
    problems_total: int = 0
    bad_lines: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    seasons: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.problems_total == 0


def check_rdkk(lines: Iterable[str], *, rules: RdkkRules | None = None, reference: RdkkReference | None = None,
               season: str | None = None, calendar: SeasonCalendar = DEFAULT_CALENDAR) -> RdkkReport:
    """Run :func:`read_rdkk` over a whole file and summarise (for a dry run and the importer)."""
    rules = rules or RdkkRules()
    report, last_bad = RdkkReport(), -1
    for item in read_rdkk(lines, rules=rules, reference=reference, season=season, calendar=calendar):
        if isinstance(item, RdkkRow):
            report.rows_ok += 1
            report.seasons.add(item.season)
            continue
        report.problems_total += 1
        if item.line != last_bad:
            report.bad_lines, last_bad = report.bad_lines + 1, item.line
        if len(report.problems) < rules.max_reported_problems:
            report.problems.append(item)
    return report
