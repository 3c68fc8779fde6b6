from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fertilizer.clock import WITA, YearMonth
from fertilizer.errors import FertilizerError, SeasonError
from fertilizer.seasons import DEFAULT_CALENDAR, SeasonCalendar


@pytest.mark.parametrize("local,season_id", [
    (datetime(2025, 10, 1, 0, 0, tzinfo=WITA), "2026-MT1"),
    (datetime(2026, 1, 31, 23, 59, tzinfo=WITA), "2026-MT1"),
    (datetime(2026, 2, 1, 0, 0, tzinfo=WITA), "2026-MT2"),
    (datetime(2026, 5, 31, 12, 0, tzinfo=WITA), "2026-MT2"),
    (datetime(2026, 6, 1, 0, 0, tzinfo=WITA), "2026-MT3"),
    (datetime(2026, 9, 30, 23, 59, tzinfo=WITA), "2026-MT3"),
    (datetime(2026, 10, 1, 0, 0, tzinfo=WITA), "2027-MT1"),
])
def test_default_calendar(local: datetime, season_id: str) -> None:
    assert DEFAULT_CALENDAR.season_at(local).id == season_id


def test_season_is_taken_in_wita_not_utc() -> None:
    # 31 Jan 2026 17:00 UTC is 1 Feb 01:00 WITA: already MT II
    assert DEFAULT_CALENDAR.season_at(datetime(2026, 1, 31, 17, 0, tzinfo=timezone.utc)).id == "2026-MT2"
    assert DEFAULT_CALENDAR.season_at(datetime(2026, 1, 31, 15, 59, tzinfo=timezone.utc)).id == "2026-MT1"


def test_season_bounds_and_label() -> None:
    s = DEFAULT_CALENDAR.parse("2026-MT1")
    assert s.starts_at == datetime(2025, 9, 30, 16, 0, tzinfo=timezone.utc)
    assert s.ends_at == datetime(2026, 1, 31, 16, 0, tzinfo=timezone.utc)
    assert s.label == "MT I 2026"


def test_calendar_starting_in_january_names_the_calendar_year() -> None:
    cal = SeasonCalendar((1, 5, 9))
    assert cal.season_at(datetime(2026, 1, 1, tzinfo=WITA)).id == "2026-MT1"
    assert cal.season_at(datetime(2026, 12, 31, tzinfo=WITA)).id == "2026-MT3"


@pytest.mark.parametrize("starts", [(10, 10, 6), (10, 6, 2), (0, 2, 6), (10, 2, 13)])
def test_bad_calendars_are_refused(starts: tuple[int, int, int]) -> None:
    with pytest.raises(SeasonError) as err:
        SeasonCalendar(starts)
    assert err.value.code == "bad_calendar" and err.value.message_id and err.value.message_en


@pytest.mark.parametrize("text", ["2026-MT4", "2026MT1", "MT1-2026", "", "2026-mt1x"])
def test_bad_season_ids(text: str) -> None:
    with pytest.raises(SeasonError):
        DEFAULT_CALENDAR.parse(text)


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(FertilizerError, match="naive|zone"):
        DEFAULT_CALENDAR.season_at(datetime(2026, 1, 1))


calendars = st.permutations(range(1, 13)).map(lambda p: tuple(sorted(p[:3])))


@given(calendars, st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(timezone.utc)))
def test_every_instant_is_in_exactly_its_season(starts: tuple[int, int, int], at: datetime) -> None:
    rotations = [starts, (starts[1], starts[2], starts[0]), (starts[2], starts[0], starts[1])]
    for rotated in rotations:
        cal = SeasonCalendar(rotated)
        season = cal.season_at(at)
        assert season.contains(at)
        assert cal.parse(season.id) == season
        # the next season starts where this one ends, and ids sort in time order
        following = cal.season_at(season.ends_at)
        assert following.starts_at == season.ends_at and following.id > season.id


def test_year_month_arithmetic() -> None:
    m = YearMonth(2026, 11)
    assert m.plus(2) == YearMonth(2027, 1) and m.plus(-11) == YearMonth(2025, 12)
    assert m.months_until(YearMonth(2027, 2)) == 3 and str(m) == "2026-11"
    assert YearMonth.parse("2026-01") == YearMonth(2026, 1)
    assert YearMonth.of(datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)) == YearMonth(2026, 12)  # WITA
    with pytest.raises(FertilizerError):
        YearMonth(2026, 13)
    with pytest.raises(FertilizerError):
        YearMonth.parse("2026/01")


def test_year_month_of_any_instant_round_trips() -> None:
    at = datetime(2026, 3, 1, tzinfo=WITA) - timedelta(microseconds=1)
    assert YearMonth.of(at) == YearMonth(2026, 2)
