"""The pages a person can go to, by role: one table for the header's links and the home page's tiles.

Each page module adds its entries when it is imported (``add(...)``), so a new screen never edits
the shared templates. Labels are lazy msgids (translated when shown); the order is the order of
registration (kiosk/__init__.py registers the blueprints).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask_babel import LazyString

from kiosk.models import Role


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: LazyString  # the header's short word
    tile: LazyString  # the home page's longer words
    roles: frozenset[Role]
    when: Callable[[object], bool] | None = None  # an extra condition on the user (e.g. bound to a kiosk)

    def shown_to(self, user: object) -> bool:
        role = getattr(user, "role", None)
        return role in self.roles and (self.when is None or self.when(user))


_ITEMS: list[NavItem] = []


def add(endpoint: str, label: LazyString, roles: Iterable[Role], tile: LazyString | None = None,
        when: Callable[[object], bool] | None = None) -> None:
    """Register a page: ``add("admin.users", _l("Users"), [Role.ADMIN], _l("Users and roles"))``."""
    if any(item.endpoint == endpoint for item in _ITEMS):
        return  # modules are imported once per process, but an app factory may run many times
    _ITEMS.append(NavItem(endpoint, label, tile or label, frozenset(roles), when))  # type: ignore[arg-type]


def items_for(user: object) -> list[NavItem]:
    return [item for item in _ITEMS if item.shown_to(user)]


def bound_to_kiosk(user: object) -> bool:
    return bool(getattr(user, "kiosk_code", None))

