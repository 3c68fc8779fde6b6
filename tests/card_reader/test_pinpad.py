"""The PIN pad driver against the emulator on a real pty pair, its resend rules, CANCEL from
another thread, and fuzzed serial frames (only CardErrors, never a crash or a hang, and never a
PIN from an entry that was cancelled)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import pytest
import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from card_reader.errors import CardError, DeviceBusy, PinEntryCancelled, PinEntryTimeout, PinPadUnavailable
from card_reader.pinpad import PadStatus, PadTiming, PinPad
from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp
from tests.support.devices import PinPadProcess, PtyPair, wait_for


@pytest.fixture
def driver(pty_pair: PtyPair, pinpad: PinPadProcess) -> Iterator[PinPad]:
    pad = PinPad.open(str(pty_pair.host))
    yield pad
    pad.close()


def test_status_and_display(driver: PinPad, pinpad: PinPadProcess) -> None:
    status = driver.status()
    assert status.state is pp.PadState.READY and "EKT-PAD" in status.model
    driver.display("Bayar Rp 166.800")
    assert pinpad.status()["display"] == "Bayar Rp 166.800"


def test_queued_pin_gives_the_block(driver: PinPad, pinpad: PinPadProcess) -> None:
    pinpad.queue_pin("123456")
    block = driver.get_pin(10, 166_800, "PIN e-Kartu Tani")
    assert block.reveal() == card_proto.pin_block("123456")
    assert "123456" not in repr(block)


def test_typed_pin(driver: PinPad, pinpad: PinPadProcess) -> None:
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.update(block=driver.get_pin(10, 1, "PIN")))
    thread.start()
    deadline = time.monotonic() + 5
    while pinpad.status()["state"] != "busy" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pinpad.status()["prompt"] == "PIN" and pinpad.status()["amount"] == 1
    pinpad._post("/keys", {"keys": "98"})
    pinpad._post("/keys", {"keys": "7654", "enter": True})
    thread.join(timeout=5)
    assert result["block"].reveal() == card_proto.pin_block("987654")  # type: ignore[attr-defined]


def test_cancel_and_timeout(driver: PinPad, pinpad: PinPadProcess) -> None:
    pinpad.queue("cancel")
    with pytest.raises(PinEntryCancelled):
        driver.get_pin(10, 1, "PIN")
    started = time.monotonic()
    with pytest.raises(PinEntryTimeout) as err:
        driver.get_pin(1, 1, "PIN")  # nobody types
    assert 0.9 < time.monotonic() - started < 3 and err.value.fields == {"timeout_s": 1}
    pinpad.queue("timeout")
    with pytest.raises(PinEntryTimeout):
        driver.get_pin(1, 1, "PIN")


def test_naks_and_corrupt_answers_are_resent(driver: PinPad, pinpad: PinPadProcess) -> None:
    pinpad.faults(nak_commands=2, corrupt_answers=2, garbage="FF00AA")
    pinpad.queue_pin("4321")
    assert driver.get_pin(5, 1, "PIN").reveal() == card_proto.pin_block("4321")


@pytest.mark.parametrize(("faults", "detail"), [
    ({"nak_commands": 4}, "did not acknowledge"),
    ({"ignore_commands": 4}, "did not acknowledge"),
    ({"corrupt_answers": 4}, "corrupt frames"),
    ({"drop_answers": 4}, "no answer"),
])
def test_too_many_faults_give_a_clear_error(driver: PinPad, pinpad: PinPadProcess, faults: dict[str, int],
                                            detail: str) -> None:
    pinpad.faults(**faults)
    with pytest.raises(PinPadUnavailable) as err:
        driver.status()
    assert detail in err.value.fields["detail"]
    assert "PIN pad" in err.value.message_en and "PIN pad" in err.value.message_id
    pinpad.reset()
    assert driver.status().state is pp.PadState.READY  # the line recovers


# ---- CANCEL -----------------------------------------------------------------------------------


class Entering:
    """``get_pin`` on a thread of its own; ``outcome`` is the block or the error, ``ended`` when."""

    def __init__(self, driver: PinPad, timeout_s: int = 60, abort: threading.Event | None = None) -> None:
        self.outcome: object = None
        self.ended = 0.0
        self.thread = threading.Thread(target=self._run, args=(driver, timeout_s, abort))
        self.thread.start()

    def _run(self, driver: PinPad, timeout_s: int, abort: threading.Event | None) -> None:
        try:
            self.outcome = driver.get_pin(timeout_s, 166_800, "PIN e-Kartu Tani", abort)
        except CardError as exc:
            self.outcome = exc
        self.ended = time.monotonic()

    def join(self) -> object:
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()
        return self.outcome


def prompting(pinpad: PinPadProcess) -> None:
    wait_for(lambda: pinpad.status()["state"] == "busy")


def test_cancel_from_another_thread_ends_get_pin_at_once(driver: PinPad, pinpad: PinPadProcess) -> None:
    before = pinpad.status()["cancels"]
    entering = Entering(driver)
    prompting(pinpad)
    asked = time.monotonic()
    assert driver.cancel() is True
    error = entering.join()
    assert isinstance(error, PinEntryCancelled) and error.fields == {"by": "kiosk"} and "kios" in error.message_id
    assert entering.ended - asked < 0.5  # not the 60 s timeout
    status = pinpad.status()
    assert status["state"] == "ready" and status["amount"] == 0 and status["cancels"] == before + 1
    pinpad.queue_pin("123456")  # the line is clean: the next customer's PIN comes through at once
    assert driver.get_pin(5, 1, "PIN").reveal() == card_proto.pin_block("123456")


def test_cancel_when_idle_is_harmless(driver: PinPad, pinpad: PinPadProcess) -> None:
    before = pinpad.status()
    assert driver.cancel() is False
    after = pinpad.status()
    assert after["state"] == "ready" and (after["cancels"], after["pin_requests"]) == (before["cancels"], before["pin_requests"])
    assert driver.status().state is pp.PadState.READY
    pinpad.queue_pin("4321")
    assert driver.get_pin(5, 1, "PIN").reveal() == card_proto.pin_block("4321")


def test_abort_event_cancels_only_its_own_entry(driver: PinPad, pinpad: PinPadProcess) -> None:
    already = threading.Event()
    already.set()
    requests = pinpad.status()["pin_requests"]
    with pytest.raises(PinEntryCancelled):
        driver.get_pin(60, 1, "PIN", already)
    assert pinpad.status()["pin_requests"] == requests  # set before the call: the pad never prompted
    mine, other = threading.Event(), threading.Event()
    entering = Entering(driver, abort=mine)
    prompting(pinpad)
    assert driver.cancel(other) is False and other.is_set()  # not this entry's event: nothing sent
    assert pinpad.status()["state"] == "busy" and entering.thread.is_alive()
    mine.set()  # set without cancel(): the waiting thread sends the CANCEL itself
    assert isinstance(entering.join(), PinEntryCancelled)
    assert pinpad.status()["state"] == "ready"


def test_an_entry_started_after_a_cancel_is_not_cancelled(driver: PinPad, pinpad: PinPadProcess) -> None:
    first = Entering(driver)
    prompting(pinpad)
    assert driver.cancel() is True and isinstance(first.join(), PinEntryCancelled)
    second = Entering(driver)
    prompting(pinpad)
    pinpad._post("/keys", {"keys": "975310", "enter": True})
    assert second.join().reveal() == card_proto.pin_block("975310")  # type: ignore[attr-defined]


def test_cancel_through_naks_and_a_corrupt_answer(driver: PinPad, pinpad: PinPadProcess) -> None:
    entering = Entering(driver)
    prompting(pinpad)
    pinpad.faults(nak_commands=2, corrupt_answers=1)  # the CANCEL is NAKed twice, the p 01 arrives corrupt
    asked = time.monotonic()
    assert driver.cancel() is True
    assert isinstance(entering.join(), PinEntryCancelled) and entering.ended - asked < 2
    assert driver.status().state is pp.PadState.READY


def test_unacknowledged_cancel_is_a_clear_error_and_an_idle_cancel_clears_the_pad(
        driver: PinPad, pinpad: PinPadProcess) -> None:
    entering = Entering(driver)
    prompting(pinpad)
    pinpad.faults(ignore_commands=1 + pp.MAX_RESENDS)
    asked = time.monotonic()
    assert driver.cancel() is True
    error = entering.join()
    assert isinstance(error, PinPadUnavailable) and "CANCEL" in error.fields["detail"]
    assert entering.ended - asked < (2 + pp.MAX_RESENDS) * pp.ACK_TIMEOUT_S
    assert pinpad.status()["state"] == "busy"  # the pad never heard it: it still waits for the PIN
    with pytest.raises(DeviceBusy):
        driver.status()
    assert driver.cancel() is True  # a plain CANCEL ends the orphaned entry (its p 01 is passed over)
    assert pinpad.status()["state"] == "ready" and driver.status().state is pp.PadState.READY


def test_no_pin_byte_is_logged(driver: PinPad, pinpad: PinPadProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pinpad.queue_pin("246813")
    block = driver.get_pin(5, 1, "PIN")
    entering = Entering(driver)
    prompting(pinpad)
    driver.cancel()
    entering.join()
    text = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert "pinpad.pin_entered" in text and "pinpad.cancel" in text
    for secret in ("246813", block.reveal().hex(), block.reveal().hex().upper(), repr(block.reveal())):
        assert secret not in text


def test_missing_port_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PinPadUnavailable):
        PinPad.open(str(tmp_path / "no-such-port"))


# ---- fuzzing -------------------------------------------------------------------------------

FAST = PadTiming(ack_s=0.02, inter_byte_s=0.01, grace_s=0.05)


class VirtualClock:
    """Stands in for the driver's ``time`` module: an empty read lets the port's timeout pass."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


class FakePort:
    """A SerialPort (same Protocol as pyserial's) that answers with scripted bytes, on a virtual clock.
    ``hooks[n]`` runs just before the n-th read (1-based) answers, as another thread would."""

    def __init__(self, incoming: bytes, clock: VirtualClock,
                 hooks: dict[int, Callable[[], object]] | None = None) -> None:
        self.incoming = bytearray(incoming)
        self.timeout: float | None = 0.0
        self.written = bytearray()
        self.clock = clock
        self.hooks = hooks or {}
        self.reads = 0

    def read(self, size: int = 1) -> bytes:
        self.reads += 1
        if self.reads in self.hooks:
            self.hooks.pop(self.reads)()
        out = bytes(self.incoming[:size])
        del self.incoming[:size]
        self.clock.now += 0.001 if out else (self.timeout or 0.005)
        return out

    def write(self, data: bytes) -> int:
        self.written += data
        return len(data)

    def reset_input_buffer(self) -> None:
        pass

    def close(self) -> None:
        pass


frame_like = st.one_of(
    st.binary(max_size=40),
    st.builds(pp.encode_frame, st.binary(min_size=1, max_size=30)),
    st.builds(lambda p, i, b: (lambda f: f[:i] + bytes([b]) + f[i + 1:])(pp.encode_frame(p)),
              st.binary(min_size=1, max_size=12), st.integers(0, 15), st.integers(0, 255)),
    st.sampled_from([pp.encode_frame(pp.pin_answer(pp.PinResult.ENTERED, card_proto.pin_block("1234"))),
                     pp.encode_frame(pp.pin_answer(pp.PinResult.ENTERED, b"\x00" * 8)),
                     pp.encode_frame(pp.status_answer(pp.PadState.READY, "x")), bytes([pp.ACK]), bytes([pp.NAK])]),
)


def _exercise(pad: PinPad) -> None:
    for call in (pad.status, lambda: pad.display("x"), lambda: pad.get_pin(1, 1, "PIN")):
        try:
            call()
        except CardError as exc:
            assert exc.code in ("pinpad_unavailable", "pin_cancelled", "pin_timeout", "device_busy")


@settings(max_examples=300, deadline=None)
@given(st.lists(frame_like, max_size=8).map(b"".join))
def test_fuzzed_serial_bytes_in_memory(incoming: bytes) -> None:
    clock = VirtualClock()
    with mock.patch("card_reader.pinpad.time", clock):
        _exercise(PinPad(FakePort(bytes([pp.ACK]) + incoming, clock), "fuzz", FAST))
        _exercise(PinPad(FakePort(incoming, clock), "fuzz", FAST))
    assert clock.now < 60  # virtual seconds: every wait is bounded


def test_a_pin_that_crosses_the_cancel_on_the_line_is_dropped() -> None:
    clock = VirtualClock()
    block = card_proto.pin_block("123456")
    incoming = (bytes([pp.ACK, pp.ACK]) + pp.encode_frame(pp.pin_answer(pp.PinResult.ENTERED, block))
                + pp.encode_frame(pp.cancel_answer(pp.CancelResult.IDLE)))
    port = FakePort(incoming, clock)
    pad = PinPad(port, "race", FAST)
    cancelled: list[bool] = []
    port.hooks[2] = lambda: cancelled.append(pad.cancel(wait_s=0))  # after the GET_PIN's ACK
    with mock.patch("card_reader.pinpad.time", clock), pytest.raises(PinEntryCancelled):
        pad.get_pin(30, 1, "PIN")
    assert cancelled == [True] and not port.incoming  # both answers were read ...
    expected = (pp.encode_frame(pp.get_pin(30, 1, "PIN")) + pp.encode_frame(pp.cancel())
                + bytes([pp.ACK, pp.ACK]))  # ... and acknowledged
    assert bytes(port.written) == expected


def test_late_answers_are_acknowledged_and_passed_over() -> None:
    clock = VirtualClock()
    late = pp.encode_frame(pp.pin_answer(pp.PinResult.CANCELLED)) + pp.encode_frame(pp.cancel_answer(pp.CancelResult.IDLE))
    port = FakePort(bytes([pp.ACK]) + late + pp.encode_frame(pp.status_answer(pp.PadState.READY, "pad")), clock)
    with mock.patch("card_reader.pinpad.time", clock):
        assert PinPad(port, "late", FAST).status() == PadStatus(pp.PadState.READY, "pad")
    assert bytes(port.written).endswith(bytes([pp.ACK]) * 3)


@settings(max_examples=300, deadline=None)
@given(st.lists(frame_like, max_size=8).map(b"".join), st.integers(1, 40))
def test_fuzzed_line_with_a_cancel_never_yields_a_pin(incoming: bytes, cancel_at: int) -> None:
    clock = VirtualClock()
    port = FakePort(bytes([pp.ACK]) + incoming, clock)
    pad = PinPad(port, "fuzz", FAST)
    fired: list[bool] = []
    port.hooks[cancel_at] = lambda: fired.append(pad.cancel(wait_s=0))
    with mock.patch("card_reader.pinpad.time", clock):
        try:
            block = pad.get_pin(1, 1, "PIN")
        except CardError as exc:
            assert exc.code in ("pinpad_unavailable", "pin_cancelled", "pin_timeout", "device_busy")
            assert not fired or exc.code in ("pinpad_unavailable", "pin_cancelled")
        else:
            assert not fired, f"a cancelled entry returned {block!r}"
    assert clock.now < 60


@pytest.fixture(scope="module")
def raw_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[serial.Serial, PinPad]]:
    pair = PtyPair(tmp_path_factory.mktemp("fuzzpty"))
    pad_end = serial.Serial(str(pair.pad), timeout=0.01)
    driver = PinPad.open(str(pair.host))
    driver.timing = FAST
    yield pad_end, driver
    driver.close()
    pad_end.close()
    pair.stop()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(frame_like, min_size=1, max_size=4))
def test_fuzzed_frames_over_a_real_pty(raw_pair: tuple[serial.Serial, PinPad], answers: list[bytes]) -> None:
    pad_end, driver = raw_pair
    stop = threading.Event()

    def fake_pad() -> None:  # acknowledges nothing properly: it answers every read with fuzz
        pending = list(answers)
        while not stop.is_set() and pending:
            if pad_end.read(64):
                pad_end.write(pending.pop(0))

    thread = threading.Thread(target=fake_pad)
    thread.start()
    started = time.monotonic()
    try:
        driver.status()
    except CardError as exc:
        assert exc.code in ("pinpad_unavailable", "device_busy")
    finally:
        stop.set()
        thread.join(timeout=5)
        pad_end.reset_input_buffer()
    assert time.monotonic() - started < 5
