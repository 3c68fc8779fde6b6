"""The PIN pad emulator's firmware: answers per DESIGN §7, scripted and typed entries, and no
crash on any byte stream."""

from __future__ import annotations

from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp
from firmware_stubs.pinpad.pad import Entry, PadFirmware


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class LinePort:
    """The pad's end of the line: scripted host bytes in; stops the firmware when they run out.
    Time is virtual: an empty read lets 10 ms pass."""

    def __init__(self, incoming: bytes) -> None:
        self.incoming = bytearray(incoming)
        self.written = bytearray()
        self.pad: PadFirmware | None = None
        self.clock = VirtualClock()

    def read(self, size: int = 1) -> bytes:
        if not self.incoming:
            self.clock.now += 0.01
            if self.pad is not None:
                self.pad.stop()
            return b""
        out = bytes(self.incoming[:size])
        del self.incoming[:size]
        return out

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)


def run_pad(incoming: bytes, entries: tuple[Entry, ...] = ()) -> tuple[PadFirmware, bytes]:
    port = LinePort(incoming)
    pad = PadFirmware(port)
    port.pad = pad
    for entry in entries:
        pad.queue(entry)
    with mock.patch("firmware_stubs.pinpad.pad.time", port.clock):
        pad.run()
    return pad, bytes(port.written)


def frames(data: bytes) -> list[bytes]:
    reader, out = pp.FrameReader(), []
    for b in data:
        if not reader.in_frame and b != pp.STX:
            continue
        payload = reader.feed(b)
        if payload is not None:
            out.append(payload)
    return out


def test_commands_are_acked_and_answered() -> None:
    host = pp.encode_frame(pp.display("Rp 166.800")) + bytes([pp.ACK]) + pp.encode_frame(pp.status()) + bytes([pp.ACK])
    pad, out = run_pad(host)
    assert out[0] == pp.ACK and pad.display_text == "Rp 166.800"
    assert frames(out) == [bytes([pp.Answer.DISPLAY, 0]), pp.status_answer(pp.PadState.READY, "EKT-PAD-1 emulator")]


def test_scripted_entries() -> None:
    host = b"".join(pp.encode_frame(pp.get_pin(1, 5, "PIN")) + bytes([pp.ACK]) for _ in range(3))
    _, out = run_pad(host, (Entry("pin", "123456"), Entry("cancel"), Entry("pin", "12")))
    assert frames(out) == [pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("123456")),
                           pp.pin_answer(pp.PinResult.CANCELLED), pp.pin_answer(pp.PinResult.CANCELLED)]


def test_bad_payloads_get_error_answers() -> None:
    host = (pp.encode_frame(b"Z") + bytes([pp.ACK]) + pp.encode_frame(b"P\x00" + bytes(8)) + bytes([pp.ACK])
            + pp.encode_frame(b"D\xff") + bytes([pp.ACK]))
    _, out = run_pad(host)
    assert frames(out) == [pp.error_answer(pp.PadErrorCode.UNKNOWN_COMMAND), pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD),
                           pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD)]


def test_corrupt_frame_is_naked() -> None:
    frame = pp.encode_frame(pp.status())
    _, out = run_pad(frame[:-1] + bytes([frame[-1] ^ 1]))
    assert out == bytes([pp.NAK])


def test_typed_keys() -> None:
    pad = PadFirmware(LinePort(b""))
    pad.keys("12")
    pad.keys("34", enter=True)
    pad.keys("99", cancel=True)
    assert pad.status()["queued"] == 2 and pad.status()["typed_digits"] == 0
    pad.keys("1" * 20)
    assert pad.status()["typed_digits"] == card_proto.PIN_MAX_DIGITS
    pad.reset()
    assert pad.status()["queued"] == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=30), st.builds(pp.encode_frame, st.binary(min_size=1, max_size=20))),
                max_size=6).map(b"".join))
def test_fuzzed_host_bytes_never_crash_the_pad(incoming: bytes) -> None:
    _, out = run_pad(incoming, (Entry("cancel"),) * 6)
    reader = pp.FrameReader()
    for b in out:  # everything the pad says is ACK, NAK or a well-formed frame
        if not reader.in_frame and b in (pp.ACK, pp.NAK):
            continue
        reader.feed(b)
