"""The PIN pad emulator's firmware: answers per DESIGN §7 (CANCEL included), scripted and typed
entries, resends, answer order against a small model, and no crash on any byte stream.

The host is a script on a virtual clock: at time t it sends bytes (or acts on the pad's keys and
queue); it ACKs every answer frame the pad sends (or NAKs the first ones, or stays silent)."""

from __future__ import annotations

import collections
import itertools
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp
from firmware_stubs.pinpad.pad import MODEL, Entry, Faults, PadFirmware

TICK = 0.01  # virtual seconds an empty read lets pass
Action = bytes | Callable[[PadFirmware], None]


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class ScriptedHost:
    """The host's end of the line. ``writes`` keeps (time, bytes) of everything the pad sent."""

    def __init__(self, script: list[tuple[float, Action]], linger: float = 1.0, ack: bool = True,
                 nak_first: int = 0) -> None:
        self.script = collections.deque(sorted(script, key=lambda item: item[0]))
        self.end = (self.script[-1][0] if self.script else 0.0) + linger
        self.ack, self.nak_first = ack, nak_first
        self.buffer = bytearray()
        self.writes: list[tuple[float, bytes]] = []
        self.clock = VirtualClock()
        self.pad: PadFirmware | None = None

    def read(self, size: int = 1) -> bytes:
        assert self.pad is not None
        while self.script and self.script[0][0] <= self.clock.now:
            action = self.script.popleft()[1]
            if isinstance(action, bytes):
                self.buffer += action
            else:
                action(self.pad)
        if self.buffer:
            out = bytes(self.buffer[:size])
            del self.buffer[:size]
            return out
        self.clock.now += TICK
        if not self.script and self.clock.now > self.end:
            self.pad.stop()
        return b""

    def write(self, data: bytes) -> int:
        self.writes.append((self.clock.now, bytes(data)))
        if data[:1] != bytes([pp.STX]) and pp.STX not in data:
            return len(data)  # an ACK or NAK from the pad
        if self.nak_first:
            self.nak_first -= 1
            self.buffer.append(pp.NAK)
        elif self.ack:
            self.buffer.append(pp.ACK)
        return len(data)


def run_pad(script: list[tuple[float, Action]], entries: tuple[Entry, ...] = (), **host: object) -> tuple[PadFirmware, ScriptedHost]:
    line = ScriptedHost(script, **host)  # type: ignore[arg-type]
    pad = PadFirmware(line)
    line.pad = pad
    for entry in entries:
        pad.queue(entry)
    with mock.patch("firmware_stubs.pinpad.pad.time", line.clock):
        pad.run()
    return pad, line


def frames(writes: list[tuple[float, bytes]]) -> list[tuple[float, bytes]]:
    """The answer frames the pad sent, with the time each went out (ACK/NAK bytes left out)."""
    out: list[tuple[float, bytes]] = []
    for at, data in writes:
        reader = pp.FrameReader()
        for b in data:
            if not reader.in_frame and b != pp.STX:
                continue
            payload = reader.feed(b)
            if payload is not None:
                out.append((at, payload))
    return out


def answers(line: ScriptedHost) -> list[bytes]:
    return [payload for _, payload in frames(line.writes)]


def controls(line: ScriptedHost) -> bytes:
    return b"".join(data for _, data in line.writes if data in (bytes([pp.ACK]), bytes([pp.NAK])))


def cmd(payload: bytes) -> bytes:
    return pp.encode_frame(payload)


# ---- commands ---------------------------------------------------------------------------------


def test_commands_are_acked_and_answered() -> None:
    pad, line = run_pad([(0, cmd(pp.display("Rp 166.800")) + cmd(pp.status()))])
    assert controls(line) == bytes([pp.ACK, pp.ACK]) and pad.display_text == "Rp 166.800"
    assert answers(line) == [bytes([pp.Answer.DISPLAY, 0]), pp.status_answer(pp.PadState.READY, MODEL)]


def test_scripted_entries() -> None:
    script: list[tuple[float, Action]] = [(i * 0.1, cmd(pp.get_pin(1, 5, "PIN"))) for i in range(3)]
    _, line = run_pad(script, (Entry("pin", "123456"), Entry("cancel"), Entry("pin", "12")))
    assert answers(line) == [pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("123456")),
                             pp.pin_answer(pp.PinResult.CANCELLED), pp.pin_answer(pp.PinResult.CANCELLED)]


def test_delayed_typed_and_timed_out_entries() -> None:
    def type_pin(pad: PadFirmware) -> None:
        pad.keys("98")
        pad.keys("7654", enter=True)

    script: list[tuple[float, Action]] = [(0, cmd(pp.get_pin(30, 1, "PIN"))), (2.0, type_pin),
                                          (3.0, cmd(pp.get_pin(30, 1, "PIN"))),
                                          (4.0, lambda pad: pad.keys("4321", enter=True)),
                                          (10.0, cmd(pp.get_pin(2, 1, "PIN")))]
    _, line = run_pad(script, (), linger=3.0)
    sent = frames(line.writes)
    assert [p for _, p in sent] == [pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("987654")),
                                    pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("4321")),
                                    pp.pin_answer(pp.PinResult.TIMEOUT)]
    assert 2.0 <= sent[0][0] < 2.05 and 4.0 <= sent[1][0] < 4.05 and 12.0 <= sent[2][0] < 12.05


def test_delayed_queue_entry_answers_after_its_delay() -> None:
    _, line = run_pad([(0, cmd(pp.get_pin(30, 1, "PIN")))], (Entry("pin", "4321", delay_s=1.5),), linger=2.0)
    (at, answer), = frames(line.writes)
    assert answer == pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("4321")) and 1.5 <= at < 1.55


def test_bad_payloads_get_error_answers() -> None:
    _, line = run_pad([(0, cmd(b"Z") + cmd(b"P\x00" + bytes(8)) + cmd(b"D\xff") + cmd(b"Cx"))])
    assert answers(line) == [pp.error_answer(pp.PadErrorCode.UNKNOWN_COMMAND), pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD),
                             pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD), pp.error_answer(pp.PadErrorCode.BAD_PAYLOAD)]


def test_corrupt_frame_is_naked() -> None:
    frame = cmd(pp.status())
    _, line = run_pad([(0, frame[:-1] + bytes([frame[-1] ^ 1]))])
    assert [data for _, data in line.writes] == [bytes([pp.NAK])]


def test_typed_keys() -> None:
    pad = PadFirmware(ScriptedHost([]))
    pad.keys("12")
    pad.keys("34", enter=True)
    pad.keys("99", cancel=True)
    assert pad.status()["queued"] == 2 and pad.status()["typed_digits"] == 0
    pad.keys("1" * 20)
    assert pad.status()["typed_digits"] == card_proto.PIN_MAX_DIGITS
    pad.reset()
    assert pad.status()["queued"] == 0


# ---- CANCEL -------------------------------------------------------------------------------------


def test_cancel_ends_a_waiting_get_pin_at_once_and_in_order() -> None:
    seen: dict[str, object] = {}
    script: list[tuple[float, Action]] = [(0, cmd(pp.get_pin(60, 166_800, "PIN"))),
                                          (0.9, lambda pad: seen.update(pad.status())),
                                          (1.0, cmd(pp.cancel())), (1.2, lambda pad: seen.update(after=pad.status()))]
    _, line = run_pad(script)
    assert seen["state"] == "busy" and seen["amount"] == 166_800
    sent = frames(line.writes)
    assert [p for _, p in sent] == [pp.pin_answer(pp.PinResult.CANCELLED), pp.cancel_answer(pp.CancelResult.CANCELLED)]
    assert all(1.0 <= at < 1.02 for at, _ in sent)  # long before the 60 s timeout
    assert controls(line) == bytes([pp.ACK, pp.ACK])  # GET_PIN and CANCEL both acknowledged
    after = seen["after"]
    assert isinstance(after, dict) and after["state"] == "ready" and after["amount"] == 0 and after["cancels"] == 1


def test_cancel_with_nothing_pending_is_harmless() -> None:
    pad, line = run_pad([(0, cmd(pp.cancel())), (0.1, cmd(pp.status())), (0.2, cmd(pp.get_pin(5, 1, "PIN")))],
                        (Entry("pin", "123456"),))
    assert answers(line) == [pp.cancel_answer(pp.CancelResult.IDLE), pp.status_answer(pp.PadState.READY, MODEL),
                             pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("123456"))]
    assert pad.status()["cancels"] == 0 and pad.status()["queued"] == 0  # the queued PIN was kept for the request


def test_cancel_after_the_pin_came_is_answered_idle() -> None:
    _, line = run_pad([(0, cmd(pp.get_pin(5, 1, "PIN"))), (0.05, cmd(pp.cancel()))], (Entry("pin", "1234"),))
    assert answers(line) == [pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("1234")),
                             pp.cancel_answer(pp.CancelResult.IDLE)]


def test_other_commands_while_a_pin_waits_are_refused_busy() -> None:
    script: list[tuple[float, Action]] = [(0, cmd(pp.get_pin(30, 1, "PIN"))), (0.5, cmd(pp.status())),
                                          (0.6, cmd(pp.get_pin(30, 1, "PIN"))), (1.0, cmd(pp.cancel()))]
    _, line = run_pad(script)
    busy = pp.error_answer(pp.PadErrorCode.BUSY)
    assert answers(line) == [busy, busy, pp.pin_answer(pp.PinResult.CANCELLED), pp.cancel_answer(pp.CancelResult.CANCELLED)]


def test_a_naked_or_unacknowledged_cancel_is_handled_like_any_command() -> None:
    script: list[tuple[float, Action]] = [(0, cmd(pp.get_pin(30, 1, "PIN"))),
                                          (0.5, lambda pad: setattr(pad, "faults", Faults(nak_commands=2))),
                                          (1.0, cmd(pp.cancel())), (1.1, cmd(pp.cancel())), (1.2, cmd(pp.cancel()))]
    pad, line = run_pad(script)
    assert controls(line) == bytes([pp.ACK, pp.NAK, pp.NAK, pp.ACK])
    assert answers(line) == [pp.pin_answer(pp.PinResult.CANCELLED), pp.cancel_answer(pp.CancelResult.CANCELLED)]
    assert pad.status()["cancels"] == 1


# ---- answers on the line ------------------------------------------------------------------------


def test_a_naked_answer_is_sent_again() -> None:
    _, line = run_pad([(0, cmd(pp.get_pin(30, 1, "PIN"))), (1.0, cmd(pp.cancel()))], nak_first=2)
    assert answers(line) == [pp.pin_answer(pp.PinResult.CANCELLED)] * 3 + [pp.cancel_answer(pp.CancelResult.CANCELLED)]


def test_an_unacknowledged_answer_is_resent_then_given_up() -> None:
    _, line = run_pad([(0, cmd(pp.status()) + cmd(pp.cancel()))], linger=4.0, ack=False)
    sent = frames(line.writes)
    status = pp.status_answer(pp.PadState.READY, MODEL)
    assert [p for _, p in sent] == [status] * (1 + pp.MAX_RESENDS) + [pp.cancel_answer(pp.CancelResult.IDLE)] * (1 + pp.MAX_RESENDS)
    times = [at for at, _ in sent[:4]]
    assert all(pp.ACK_TIMEOUT_S <= b - a < pp.ACK_TIMEOUT_S + 0.05 for a, b in itertools.pairwise(times))


# ---- the order of answers, against a model ----------------------------------------------------

STEP = 0.35  # command times are multiples of this; no whole-second timeout lands within 0.05 s of one


def model_answers(commands: list[tuple[int, bytes]]) -> list[bytes]:
    """What a pad with no queued entries must answer: a GET_PIN waits for CANCEL or its timeout."""
    out: list[bytes] = []
    deadline: float | None = None
    for step, payload in commands:
        now = step * STEP
        if deadline is not None and now >= deadline:
            out.append(pp.pin_answer(pp.PinResult.TIMEOUT))
            deadline = None
        kind = payload[0]
        if kind == pp.Command.CANCEL:
            out += ([pp.pin_answer(pp.PinResult.CANCELLED), pp.cancel_answer(pp.CancelResult.CANCELLED)]
                    if deadline is not None else [pp.cancel_answer(pp.CancelResult.IDLE)])
            deadline = None
        elif deadline is not None:
            out.append(pp.error_answer(pp.PadErrorCode.BUSY))
        elif kind == pp.Command.GET_PIN:
            deadline = now + payload[1]
        elif kind == pp.Command.STATUS:
            out.append(pp.status_answer(pp.PadState.READY, MODEL))
        else:
            out.append(bytes([pp.Answer.DISPLAY, 0]))
    if deadline is not None:
        out.append(pp.pin_answer(pp.PinResult.TIMEOUT))
    return out


commands = st.lists(st.tuples(st.integers(0, 3), st.sampled_from([
    pp.cancel(), pp.status(), pp.display("Rp 16.800"), pp.get_pin(1, 1, "PIN"), pp.get_pin(2, 5, ""),
    pp.get_pin(3, 166_800, "PIN")])), max_size=12)


@settings(max_examples=150, deadline=None)
@given(commands)
def test_answers_follow_the_model(gaps_and_commands: list[tuple[int, bytes]]) -> None:
    timed, step = [], 0
    for gap, payload in gaps_and_commands:
        step += gap
        timed.append((step, payload))
    _, line = run_pad([(s * STEP, cmd(p)) for s, p in timed], linger=4.0)
    assert answers(line) == model_answers(timed)
    assert controls(line) == bytes([pp.ACK]) * len(timed)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=30), st.builds(pp.encode_frame, st.binary(min_size=1, max_size=20)),
                          st.just(cmd(pp.cancel())), st.just(cmd(pp.get_pin(1, 1, "PIN")))),
                max_size=6).map(b"".join))
def test_fuzzed_host_bytes_never_crash_the_pad(incoming: bytes) -> None:
    _, line = run_pad([(0, incoming)], (Entry("cancel"),) * 3, linger=2.5)
    reader = pp.FrameReader()
    for _, data in line.writes:  # everything the pad says is ACK, NAK or a well-formed frame
        for b in data:
            if not reader.in_frame and b in (pp.ACK, pp.NAK):
                continue
            reader.feed(b)
    assert not reader.in_frame


@pytest.mark.parametrize("entry", [Entry("timeout"), Entry("pin", "1234", delay_s=5)])
def test_entries_that_outlast_the_timeout_time_out(entry: Entry) -> None:
    _, line = run_pad([(0, cmd(pp.get_pin(2, 1, "PIN")))], (entry,), linger=3.0)
    (at, answer), = frames(line.writes)
    assert answer == pp.pin_answer(pp.PinResult.TIMEOUT) and 2.0 <= at < 2.05
