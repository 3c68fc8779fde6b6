"""The card's own BER-TLV encoder (a card does not share code with its reader)."""

from __future__ import annotations


def encode(tag: int, value: bytes) -> bytes:
    tag_bytes = tag.to_bytes(1 if tag <= 0xFF else 2, "big")
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    elif n <= 0xFF:
        length = bytes([0x81, n])
    else:
        length = bytes([0x82]) + n.to_bytes(2, "big")
    return tag_bytes + length + value


def template(tag: int, items: list[tuple[int, bytes]]) -> bytes:
    return encode(tag, b"".join(encode(t, v) for t, v in items))
