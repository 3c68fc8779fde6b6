"""The PIN block as a value that cannot leak: its repr and str are redacted.

It travels PIN pad -> agent -> card VERIFY and nowhere else; nothing serialises it.
"""

from __future__ import annotations

from card_reader.protocol.card import PIN_BLOCK_LENGTH, parse_pin_block, pin_block


class PinBlock:
    __slots__ = ("_block",)

    def __init__(self, block: bytes) -> None:
        if len(block) != PIN_BLOCK_LENGTH:
            raise ValueError("a PIN block is 8 bytes")
        self._block = bytes(block)

    @classmethod
    def from_pin(cls, pin: str) -> PinBlock:
        """For tests and the emulators; real PINs only ever arrive from the pad as blocks."""
        return cls(pin_block(pin))

    def well_formed(self) -> bool:
        try:
            parse_pin_block(self._block)
        except ValueError:
            return False
        return True

    def reveal(self) -> bytes:
        """The block's bytes, for the VERIFY command only."""
        return self._block

    def __repr__(self) -> str:
        return "PinBlock(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a PIN block is not serialisable")
