"""Bank settlement files of card top-ups: read strictly (pure), imported all or nothing and only once
(API and CLI, both backends)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from kiosk.cli import cli
from kiosk.models import Role
from kiosk.money import card_balance
from kiosk.money.bank_file import HEADER, read_bank_file
from kiosk.money.schema import BankImport
from ledger.schema import entries, journals
from tests.money.small import Person, SmallKiosk

TODAY = date(2026, 12, 4)
NIK = "7312011705800001"


def _file(*rows: tuple[str, str, str, str], header: str = ",".join(HEADER)) -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def test_a_good_file_reads_every_row() -> None:
    data = b"\xef\xbb\xbf" + _file(("BRI-1", "2026-12-04", NIK, "150000"), ("BRI/2.a_b", "2026-12-01", NIK, "1"))
    parsed = read_bank_file(data + b"\n\n", today=TODAY)
    assert parsed.problems == ()
    assert [(r.line, r.reference, r.value_date, r.amount) for r in parsed.rows] == [
        (2, "BRI-1", TODAY, 150_000), (3, "BRI/2.a_b", date(2026, 12, 1), 1)]


@pytest.mark.parametrize(("data", "line", "column", "code"), [
    (_file(("BRI-1", "2026-12-04", NIK, "150000"), header="ref,date,nik,amount"), 1, "header", "bad_header"),
    (b"reference,value_date,nik,amount\n\xff\xfe\n", 0, "file", "not_utf8"),
    (_file(("BRI 1", "2026-12-04", NIK, "1")), 2, "reference", "bad_reference"),
    (_file(("BRI-1", "2026-12-04", NIK, "1"), ("BRI-1", "2026-12-04", NIK, "2")), 3, "reference", "duplicate_reference"),
    (_file(("BRI-1", "04-12-2026", NIK, "1")), 2, "value_date", "bad_date"),
    (_file(("BRI-1", "2026-12-05", NIK, "1")), 2, "value_date", "bad_date"),
    (_file(("BRI-1", "2026-12-04", "7312011705", "1")), 2, "nik", "nik_format"),
    (_file(("BRI-1", "2026-12-04", NIK, "12.5")), 2, "amount", "bad_amount"),
    (_file(("BRI-1", "2026-12-04", NIK, "0")), 2, "amount", "bad_amount"),
    (_file(("BRI-1", "2026-12-04", NIK, "100000001")), 2, "amount", "bad_amount"),
    (_file(("BRI-1", "2026-12-04", NIK, "-5")), 2, "amount", "bad_amount"),
    (_file(("BRI-1", "2026-12-04", NIK, "1,extra")), 2, "row", "bad_columns"),
    (_file(), 1, "file", "no_rows"),
])
def test_a_bad_file_names_the_line_and_column(data: bytes, line: int, column: str, code: str) -> None:
    parsed = read_bank_file(data, today=TODAY)
    assert (line, column, code) in [(p.line, p.column, p.code) for p in parsed.problems]
    assert all(p.message_id and p.message_en for p in parsed.problems)
    assert NIK not in repr(parsed.problems)


def _rows(people: list[Person], start: int, amounts: list[int], day: date) -> list[tuple[str, str, str, str]]:
    return [(f"BRI-{start + i:04d}", day.isoformat(), p.nik, str(a)) for i, (p, a) in enumerate(zip(people, amounts))]


def _state(small: SmallKiosk, people: list[Person]) -> dict[str, Any]:
    with small.sessions() as s:
        count = {t.name: s.scalar(sa.select(sa.func.count()).select_from(t)) for t in (journals, entries, BankImport.__table__)}
        return {"counts": count, "cards": [card_balance(s, p.pseudonym) for p in people]}


def test_import_is_all_or_nothing_and_idempotent_by_file_and_by_reference(small: SmallKiosk) -> None:
    people = small.people[:3]
    today = date.today()
    supervisor = small.client(Role.SUPERVISOR)
    start = _state(small, people)
    bad = _file(*_rows(people, 1, [150_000, 200_000], today), ("BRI-0003", today.isoformat(), "7312011705809999", "5000"),
                ("BRI-0004", "kemarin", people[2].nik, "5000"))
    refused = supervisor.post("/api/v1/bank-imports?filename=bad.csv", data=bad, content_type="text/csv")
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "bank_file_refused" and error["message_id"] and error["message"]
    assert [(p["line"], p["column"]) for p in error["details"]["problems"]] == [(5, "value_date")]
    assert _state(small, people) == start  # nothing changed
    unknown = _file(*_rows(people, 1, [150_000, 200_000], today), ("BRI-0003", today.isoformat(), "7312011705809999", "5000"))
    refused = supervisor.post("/api/v1/bank-imports", data=unknown, content_type="text/csv").get_json()["error"]
    assert [(p["line"], p["code"]) for p in refused["details"]["problems"]] == [(4, "unknown_farmer")]
    assert "7312********9999" in refused["details"]["problems"][0]["message_en"] and "7312011705809999" not in str(refused)
    assert _state(small, people) == start
    good = _file(*_rows(people, 1, [150_000, 200_000], today))
    first = supervisor.post("/api/v1/bank-imports", data={"file": (__import__("io").BytesIO(good), "bri-1204.csv")},
                            content_type="multipart/form-data")
    assert first.status_code == 201, first.get_json()
    report = first.get_json()
    assert (report["rows"], report["new_rows"], report["total_new"], report["filename"]) == (2, 2, 350_000, "bri-1204.csv")
    after = _state(small, people)
    assert [b - a for a, b in zip(start["cards"], after["cards"])] == [150_000, 200_000, 0]
    assert after["counts"]["ledger_journals"] == start["counts"]["ledger_journals"] + 2
    again = supervisor.post("/api/v1/bank-imports", data=good, content_type="text/csv")
    assert again.status_code == 200 and again.get_json()["replayed"] is True and again.get_json()["id"] == report["id"]
    assert _state(small, people) == after
    overlapping = _file(*_rows(people[1:], 2, [200_000, 75_000], today))  # BRI-0002 again, BRI-0003 new
    more = supervisor.post("/api/v1/bank-imports", data=overlapping, content_type="text/csv").get_json()
    assert (more["rows"], more["new_rows"], more["total_new"]) == (2, 1, 75_000)
    assert [ln["new"] for ln in more["lines"]] == [False, True]
    now = _state(small, people)
    assert [b - a for a, b in zip(after["cards"], now["cards"])] == [0, 0, 75_000]
    conflict = _file(("BRI-0001", today.isoformat(), people[0].nik, "999"))
    refused = supervisor.post("/api/v1/bank-imports", data=conflict, content_type="text/csv")
    assert refused.status_code == 422
    assert [p["code"] for p in refused.get_json()["error"]["details"]["problems"]] == ["reference_conflict"]
    assert _state(small, people) == now
    operator = small.client(Role.OPERATOR, kiosk=small.kiosk)
    assert operator.post("/api/v1/bank-imports", data=good, content_type="text/csv").status_code == 403


def test_cli_import_refuses_a_malformed_file_and_imports_a_good_one(small: SmallKiosk, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings = small.app.extensions["kiosk.settings"]
    for name, value in {"DATABASE_URL": settings.database_url, "KIOSK_INSTANCE_PATH": settings.instance_path,
                        "KIOSK_FARMER_KEYS_DIR": settings.farmer_keys_dir, "KIOSK_ENV": "testing"}.items():
        monkeypatch.setenv(name, value)
    people = small.people[3:5]
    start = _state(small, people)
    yesterday = date.today() - timedelta(days=1)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_file(*_rows(people, 10, [10_000, 20_000], yesterday), ("BRI-0099", "2026-02-30", people[0].nik, "1")))
    runner = CliRunner()
    refused = runner.invoke(cli, ["money", "import-bank", str(bad)])
    assert refused.exit_code == 1
    assert "baris/line 4 [value_date] bad_date" in refused.output and "nothing was imported" in refused.output
    assert people[0].nik not in refused.output
    assert _state(small, people) == start
    good = tmp_path / "good.csv"
    good.write_bytes(_file(*_rows(people, 10, [10_000, 20_000], yesterday)))
    done = runner.invoke(cli, ["money", "import-bank", str(good)])
    assert done.exit_code == 0, done.output
    assert "2 baris/lines, baru/new 2 (Rp 30.000)" in done.output
    assert [b - a for a, b in zip(start["cards"], _state(small, people)["cards"])] == [10_000, 20_000]
    replay = runner.invoke(cli, ["money", "import-bank", str(good)])
    assert replay.exit_code == 0 and "already imported" in replay.output and "baru/new 0" not in replay.output
