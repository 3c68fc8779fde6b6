"""Time in Soppeng: WITA (UTC+8, no daylight saving) and calendar months.

Every instant is zone-aware; local calendar facts (the season, the month a contribution covers,
the day a price takes effect) are taken in WITA.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from fertilizer.errors import FertilizerError

WITA = timezone(timedelta(hours=8), "WITA")


def require_aware(at: datetime, what: str = "time") -> datetime:
    """``at`` unchanged, or an error when it carries no zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise FertilizerError(
            "naive_datetime",
            f"Waktu '{what}' harus menyertakan zona waktu.",
            f"The {what} must carry its time zone.",
            what=what,
        )
    return at


def to_wita(at: datetime) -> datetime:
    return require_aware(at).astimezone(WITA)


def wita_midnight(day: date) -> datetime:
    """The instant a WITA calendar day starts, in UTC."""
    return datetime.combine(day, time(0), WITA).astimezone(timezone.utc)


@dataclass(frozen=True, order=True)
class YearMonth:
    """A calendar month, e.g. the month a BPJS contribution covers."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise FertilizerError(
                "bad_month", f"Bulan tidak sah: {self.year}-{self.month}.", f"Not a month: {self.year}-{self.month}.",
                year=self.year, month=self.month,
            )

    @classmethod
    def of(cls, at: datetime) -> YearMonth:
        """The WITA month of an instant."""
        local = to_wita(at)
        return cls(local.year, local.month)

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """``YYYY-MM``."""
        try:
            year, month = text.split("-")
            return cls(int(year), int(month))
        except ValueError:
            raise FertilizerError("bad_month", f"Bulan tidak sah: {text!r}.", f"Not a month: {text!r}.") from None

    def plus(self, months: int) -> YearMonth:
        index = self.year * 12 + (self.month - 1) + months
        return YearMonth(index // 12, index % 12 + 1)

    def months_until(self, other: YearMonth) -> int:
        """How many months from ``self`` to ``other`` (negative when ``other`` is earlier)."""
        return (other.year * 12 + other.month) - (self.year * 12 + self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
