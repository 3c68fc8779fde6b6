"""argon2id password hashing (memory-hard, RFC 9106) through argon2-cffi."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10


class PasswordHasher:
    def __init__(self, time_cost: int, memory_kib: int) -> None:
        self._ph = argon2.PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._ph.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._ph.check_needs_rehash(stored)

    def dummy_verify(self, password: str) -> None:
        """Spend the same time as a real check, so unknown usernames cannot be told apart."""
        self.verify(self._dummy, password)

    @property
    def _dummy(self) -> str:
        if not hasattr(self, "_dummy_hash"):
            self._dummy_hash = self._ph.hash("dummy-password-for-timing")
        return self._dummy_hash
