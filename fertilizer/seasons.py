"""Planting seasons (musim tanam) MT I, II and III from a configurable calendar.

The three seasons cover the year without gaps (DOMAIN.md: three seasons a year, re-evaluated every
4 months). Each starts on the first day of its start month (WITA) and ends when the next begins.
Default: MT I October-January (rainy season), MT II February-May, MT III June-September.

A *crop year* begins with MT I and is named by the calendar year it ends in, so season ids sort in
time order: MT I from October 2025 to January 2026 is ``2026-MT1``, then ``2026-MT2`` (Feb-May
2026), ``2026-MT3`` (Jun-Sep 2026), and October 2026 starts ``2027-MT1``. With MT I starting in
January, the crop year is the calendar year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from fertilizer.clock import to_wita, wita_midnight
from fertilizer.errors import SeasonError

SEASON_ID = re.compile(r"^(\d{4})-MT([123])$")
ROMAN = {1: "I", 2: "II", 3: "III"}


@dataclass(frozen=True)
class SeasonCalendar:
    """Start months of MT I, MT II and MT III (1-12), in the order they follow each other."""

    starts: tuple[int, int, int] = (10, 2, 6)

    def __post_init__(self) -> None:
        s1, s2, s3 = self.starts
        o2, o3 = (s2 - s1) % 12, (s3 - s1) % 12
        if not all(1 <= m <= 12 for m in self.starts) or not 0 < o2 < o3:
            raise SeasonError(
                "bad_calendar",
                f"Kalender musim tanam tidak sah: bulan mulai {self.starts}.",
                f"Invalid season calendar: start months {self.starts} must be three different months in order.",
                starts=self.starts,
            )

    def _offsets(self) -> tuple[int, int, int]:
        s1 = self.starts[0]
        return (0, (self.starts[1] - s1) % 12, (self.starts[2] - s1) % 12)

    def season_at(self, at: datetime) -> Season:
        """The season an instant falls in (taken in WITA)."""
        local = to_wita(at)
        s1 = self.starts[0]
        start_year = local.year if local.month >= s1 else local.year - 1
        offset = (local.month - s1) % 12
        number = 3 if offset >= self._offsets()[2] else 2 if offset >= self._offsets()[1] else 1
        return self.season(crop_year=start_year + (0 if s1 == 1 else 1), number=number)

    def season(self, crop_year: int, number: int) -> Season:
        if number not in ROMAN:
            raise SeasonError("bad_season", f"Musim tanam {number} tidak ada.", f"There is no season {number}.")
        s1 = self.starts[0]
        first_year = crop_year - (0 if s1 == 1 else 1)
        offsets = (*self._offsets(), 12)
        start = _month_start(first_year, s1, offsets[number - 1])
        end = _month_start(first_year, s1, offsets[number])
        return Season(f"{crop_year:04d}-MT{number}", crop_year, number, wita_midnight(start), wita_midnight(end))

    def parse(self, season_id: str) -> Season:
        """The season named ``YYYY-MTn``."""
        m = SEASON_ID.match(season_id.strip())
        if m is None:
            raise SeasonError(
                "bad_season_id",
                f"Kode musim tanam tidak sah: {season_id!r} (contoh: 2026-MT1).",
                f"Not a season id: {season_id!r} (e.g. 2026-MT1).",
                season=season_id,
            )
        return self.season(int(m.group(1)), int(m.group(2)))


def _month_start(first_year: int, first_month: int, offset: int) -> date:
    index = first_year * 12 + (first_month - 1) + offset
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Season:
    id: str
    crop_year: int
    number: int
    starts_at: datetime  # UTC instant of 00:00 WITA on the first day
    ends_at: datetime  # exclusive

    @property
    def label(self) -> str:
        return f"MT {ROMAN[self.number]} {self.crop_year}"

    def contains(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


DEFAULT_CALENDAR = SeasonCalendar()
