"""The bank's settlement file of card top-ups by transfer (docs/money.md): reading and checking it.
Pure: bytes in, rows and every problem out (line numbers as a text editor shows them).

```
reference,value_date,nik,amount
BRI-20261204-000123,2026-12-04,7312011705800001,150000
```

UTF-8 (a byte-order mark is allowed), comma-separated, this header exactly, one transfer a line:
``reference`` (the bank's unique id: 1-64 of ``A-Z a-z 0-9 . _ / -``, unique in the file),
``value_date`` (``YYYY-MM-DD``, not after the day it is imported), ``nik`` (16 digits, a Soppeng
NIK), ``amount`` (whole rupiah as plain digits, 1 to 100,000,000). Blank lines are skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date

from fertilizer import mask_nik, parse_nik
from fertilizer.errors import FertilizerError
from kiosk.money.core import REFERENCE

HEADER = ("reference", "value_date", "nik", "amount")
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
MAX_AMOUNT = 100_000_000
MAX_PROBLEMS = 200


@dataclass(frozen=True)
class BankRow:
    line: int
    reference: str
    value_date: date
    nik: str  # never logged or stored; looked up by keyed hash
    amount: int


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    code: str
    message_id: str
    message_en: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "code": self.code, "message_id": self.message_id,
                "message_en": self.message_en}


@dataclass(frozen=True)
class BankFile:
    sha256: str
    rows: tuple[BankRow, ...]
    problems: tuple[Problem, ...]


def _decode(data: bytes) -> tuple[str | None, Problem | None]:
    if len(data) > MAX_BYTES:
        return None, Problem(0, "file", "file_too_large", f"Berkas lebih dari {MAX_BYTES // 1048576} MB.",
                             f"The file is larger than {MAX_BYTES // 1048576} MB.")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, Problem(0, "file", "not_utf8", f"Berkas bukan UTF-8 (byte {exc.start}).",
                             f"The file is not UTF-8 (byte {exc.start}).")


BAD_DATE = ("Tanggal valuta harus YYYY-MM-DD.", "The value date must be YYYY-MM-DD.")
FUTURE_DATE = ("Tanggal valuta di masa depan.", "The value date is in the future.")


def _date(text: str, today: date) -> date | tuple[str, str]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return BAD_DATE
    if len(text) != 10:
        return BAD_DATE
    return day if day <= today else FUTURE_DATE


def _row(line: int, cells: list[str], today: date, seen: dict[str, int]) -> BankRow | list[Problem]:
    if len(cells) != len(HEADER):
        return [Problem(line, "row", "bad_columns", f"Harus {len(HEADER)} kolom, ada {len(cells)}.",
                        f"Needs {len(HEADER)} columns, has {len(cells)}.")]
    reference, value_date, nik, amount = (c.strip() for c in cells)
    problems: list[Problem] = []
    if not REFERENCE.match(reference):
        problems.append(Problem(line, "reference", "bad_reference", "Referensi: 1-64 huruf, angka, . _ / -.",
                                "Reference: 1-64 letters, digits, . _ / -."))
    elif reference in seen:
        problems.append(Problem(line, "reference", "duplicate_reference", f"Referensi sama dengan baris {seen[reference]}.",
                                f"Same reference as line {seen[reference]}."))
    else:
        seen[reference] = line
    day = _date(value_date, today)
    if isinstance(day, tuple):
        problems.append(Problem(line, "value_date", "bad_date", *day))
    try:
        parse_nik(nik)
    except FertilizerError as err:
        problems.append(Problem(line, "nik", err.code, f"{err.message_id} ({mask_nik(nik)})", f"{err.message_en} ({mask_nik(nik)})"))
    if not (amount.isascii() and amount.isdigit() and len(amount) <= 12 and 1 <= int(amount) <= MAX_AMOUNT):
        problems.append(Problem(line, "amount", "bad_amount", f"Jumlah: angka bulat Rp 1 - Rp {MAX_AMOUNT:,}.".replace(",", "."),
                                f"Amount: whole rupiah 1 to {MAX_AMOUNT:,}, digits only."))
    if problems or isinstance(day, tuple):
        return problems
    return BankRow(line, reference, day, nik, int(amount))


def read_bank_file(data: bytes, *, today: date) -> BankFile:
    """Every row, or every problem (at most ``MAX_PROBLEMS`` listed); nothing is half-read."""
    digest = hashlib.sha256(data).hexdigest()
    text, problem = _decode(data)
    if text is None:
        return BankFile(digest, (), (problem,) if problem else ())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[BankRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    try:
        header = next(reader, None)
        if header is None or tuple(c.strip() for c in header) != HEADER:
            return BankFile(digest, (), (Problem(1, "header", "bad_header", f"Baris judul harus: {','.join(HEADER)}.",
                                                 f"The header line must be: {','.join(HEADER)}."),))
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            got = _row(reader.line_num, cells, today, seen)
            if isinstance(got, BankRow):
                rows.append(got)
            else:
                problems += got
            if len(rows) + len(problems) > MAX_ROWS:
                problems.append(Problem(reader.line_num, "file", "too_many_rows", f"Lebih dari {MAX_ROWS} baris.",
                                        f"More than {MAX_ROWS} rows."))
                break
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, "row", "bad_csv", f"CSV rusak: {exc}.", f"Malformed CSV: {exc}."))
    if not rows and not problems:
        problems.append(Problem(1, "file", "no_rows", "Berkas tanpa baris transfer.", "The file has no transfers."))
    return BankFile(digest, tuple(rows), tuple(problems[:MAX_PROBLEMS]))
