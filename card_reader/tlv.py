"""Strict BER-TLV codec (ISO/IEC 7816-4 §6.3; EMV Book 3 Annex B).

Strict means: every byte is accounted for, lengths use the shortest form (at most two length
bytes), no indefinite lengths, no padding between objects, tags of at most three bytes. Anything
else raises :class:`TlvError` — there is never a partial parse.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_DEPTH = 4


class TlvError(ValueError):
    """Malformed BER-TLV."""


@dataclass(frozen=True)
class Tlv:
    tag: int
    value: bytes
    children: tuple[Tlv, ...] | None = None  # set for constructed tags

    @property
    def constructed(self) -> bool:
        return self.children is not None


def tag_is_constructed(tag: int) -> bool:
    first = tag
    while first > 0xFF:
        first >>= 8
    return bool(first & 0x20)


def _read_tag(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated tag")
    first = data[pos]
    if first in (0x00, 0xFF):
        raise TlvError(f"padding byte {first:02X} where a tag was expected")
    tag, pos = first, pos + 1
    if first & 0x1F != 0x1F:
        return tag, pos
    for count in range(2):
        if pos >= len(data):
            raise TlvError("truncated tag")
        b = data[pos]
        if count == 0 and b == 0x80:
            raise TlvError("non-minimal tag")
        tag, pos = (tag << 8) | b, pos + 1
        if not b & 0x80:
            return tag, pos
    raise TlvError("tag longer than three bytes")


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise TlvError("truncated length")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    if first == 0x81:
        if pos + 1 >= len(data):
            raise TlvError("truncated length")
        n = data[pos + 1]
        if n < 0x80:
            raise TlvError("non-minimal length")
        return n, pos + 2
    if first == 0x82:
        if pos + 2 >= len(data):
            raise TlvError("truncated length")
        n = int.from_bytes(data[pos + 1 : pos + 3], "big")
        if n < 0x100:
            raise TlvError("non-minimal length")
        return n, pos + 3
    raise TlvError(f"unsupported length form {first:02X}")


def decode(data: bytes, depth: int = 0) -> tuple[Tlv, ...]:
    """All objects in ``data``, which they must fill exactly."""
    if depth > MAX_DEPTH:
        raise TlvError("nested too deeply")
    out: list[Tlv] = []
    pos = 0
    while pos < len(data):
        tag, pos = _read_tag(data, pos)
        length, pos = _read_length(data, pos)
        if pos + length > len(data):
            raise TlvError(f"value of tag {tag:X} runs past the end")
        value = bytes(data[pos : pos + length])
        pos += length
        children = decode(value, depth + 1) if tag_is_constructed(tag) else None
        out.append(Tlv(tag, value, children))
    return tuple(out)


def decode_one(data: bytes, tag: int) -> Tlv:
    """Exactly one object with ``tag`` and nothing else."""
    objects = decode(data)
    if len(objects) != 1 or objects[0].tag != tag:
        raise TlvError(f"expected exactly one object with tag {tag:X}")
    return objects[0]


def children_by_tag(tlv: Tlv, expected: tuple[int, ...]) -> dict[int, bytes]:
    """The primitive children of a template: exactly the ``expected`` tags, each once."""
    if tlv.children is None:
        raise TlvError(f"tag {tlv.tag:X} is not a template")
    found: dict[int, bytes] = {}
    for child in tlv.children:
        if child.tag not in expected:
            raise TlvError(f"unexpected tag {child.tag:X}")
        if child.tag in found:
            raise TlvError(f"duplicate tag {child.tag:X}")
        if child.constructed:
            raise TlvError(f"tag {child.tag:X} must be primitive")
        found[child.tag] = child.value
    missing = [t for t in expected if t not in found]
    if missing:
        raise TlvError("missing tag(s) " + ", ".join(f"{t:X}" for t in missing))
    return found


def encode_tag(tag: int) -> bytes:
    if tag <= 0xFF:
        return bytes([tag])
    return tag.to_bytes(2 if tag <= 0xFFFF else 3, "big")


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82]) + n.to_bytes(2, "big")
    raise TlvError("value too long")


def encode(tag: int, value: bytes) -> bytes:
    return encode_tag(tag) + encode_length(len(value)) + value


def encode_template(tag: int, items: list[tuple[int, bytes]]) -> bytes:
    return encode(tag, b"".join(encode(t, v) for t, v in items))
