"""Reading a request body on the host: each problem becomes a SNAP 400 case naming the field."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bpjs_link.bpu import Month
from bpjs_link.codes import Case
from bpjs_link.wire import parse_amount


class Problem(Exception):
    """A request the host refuses before any business rule: ``case`` and the reason in English."""

    def __init__(self, case: Case, detail: str = "") -> None:
        super().__init__(detail)
        self.case = case
        self.detail = detail

    @property
    def message(self) -> str:
        return f"{self.case.message} {self.detail}".strip()


def mandatory(name: str) -> Problem:
    return Problem(Case.INVALID_MANDATORY_FIELD, "{" + name + "}")


def bad_format(name: str) -> Problem:
    return Problem(Case.INVALID_FIELD_FORMAT, "{" + name + "}")


class Fields:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _present(self, name: str) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            raise mandatory(name)
        return value

    def text(self, name: str, pattern: re.Pattern[str]) -> str:
        value = self._present(name)
        if not isinstance(value, str) or not pattern.match(value):
            raise bad_format(name)
        return value

    def name(self, name: str, longest: int = 100) -> str:
        value = self._present(name)
        if not isinstance(value, str) or not value.strip() or len(value) > longest or not value.isprintable():
            raise bad_format(name)
        return value.strip()

    def integer(self, name: str, lowest: int, highest: int) -> int:
        value = self._present(name)
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
            raise bad_format(name)
        return value

    def rupiah(self, name: str) -> int:
        value = self._present(name)
        try:
            return parse_amount(value)
        except ValueError:
            raise bad_format(name) from None

    def month(self, name: str) -> Month:
        value = self._present(name)
        try:
            if not isinstance(value, str):
                raise ValueError
            return Month.parse(value)
        except ValueError:
            raise bad_format(name) from None

    def day(self, name: str) -> date:
        value = self._present(name)
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise bad_format(name)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise bad_format(name) from None
