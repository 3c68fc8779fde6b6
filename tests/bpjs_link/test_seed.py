"""Seed participants: the CSV format (all-or-nothing) and the demo set."""

from __future__ import annotations

from datetime import date

import pytest

from bpjs_link.bpu import BpuRules, Month, ParticipantStatus, standing
from bpjs_link.sandbox.seed import DEMO_UNREGISTERED_NIK, SeedError, demo, parse_csv

HEADER = "nik,name,birth_date,kpj,paid_through,status\n"


def test_good_csv() -> None:
    rows = parse_csv(HEADER + "7312011705800001,Andi Mappaseng,1980-05-17,26011700001,2026-11,active\n"
                              "7312034101750004,Hj. Sitti Rahmah,1975-01-01,26011700004,2026-05,inactive\n")
    assert [(r.nik, r.paid_through, r.status) for r in rows] == [
        ("7312011705800001", Month(2026, 11), ParticipantStatus.ACTIVE),
        ("7312034101750004", Month(2026, 5), ParticipantStatus.INACTIVE)]


def test_every_bad_line_is_reported_and_nothing_loads() -> None:
    text = HEADER + ("7312011705800001,Andi,1980-05-17,26011700001,2026-11,active\n"
                     "731201170580,Short,1980-05-17,26011700002,2026-11,active\n"
                     "7312011705800003,Bad month,1980-05-17,26011700003,2026-13,active\n"
                     "7312011705800004,Odd,1980-05-17,26011700004,2026-11,sleeping\n"
                     "7312011705800001,Dup,1980-05-17,26011700005,2026-11,active\n"
                     "7312011705800006,Few columns\n")
    with pytest.raises(SeedError) as err:
        parse_csv(text)
    message = err.value.message_en
    for fragment in ("line 3: nik", "line 4: paid_through", "line 5: status", "line 6: duplicate", "line 7: wrong number"):
        assert fragment in message
    assert err.value.fields["problems"] == 5 and err.value.message_id


def test_wrong_header() -> None:
    with pytest.raises(SeedError):
        parse_csv("nik,name\n7312011705800001,Andi\n")


def test_demo_covers_every_kind_of_participant() -> None:
    today = date(2026, 12, 4)
    rules = BpuRules()
    due = {p.name: len(standing(p.paid_through, p.status, today, rules).months_due) for p in demo(today)}
    statuses = {p.status for p in demo(today)}
    assert sorted(due.values()) == [0, 0, 1, 1, 2]  # paid up, paid ahead, one behind, inactive (pays this month), two behind
    assert statuses == {ParticipantStatus.ACTIVE, ParticipantStatus.INACTIVE}
    assert DEMO_UNREGISTERED_NIK not in {p.nik for p in demo(today)}
