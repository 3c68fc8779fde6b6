"""Fixtures of the ledger-backed fertilizer tests, on tests/conftest.py's ``engine`` (both backends)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from fertilizer.farmers import register_farmers
from fertilizer.keystore import MemoryKeyStore
from fertilizer.registry import add_reference
from tests.fertilizer.world import MAN, NOW, REF, WOMAN, World


@pytest.fixture
def world(engine: sa.Engine) -> World:
    """The small Soppeng of tests/fertilizer/world.py, with Ridwan and Suriani registered."""
    sessions = sessionmaker(engine, expire_on_commit=False)
    keys = MemoryKeyStore()
    with sessions.begin() as s:
        add_reference(s, REF)
        man, woman = register_farmers(s, keys, [MAN, WOMAN], now=NOW)
    return World(sessions, keys, man, woman)
