"""The PIN pad driver against the emulator on a real pty pair, its resend rules, and fuzzed
serial frames (only CardErrors, never a crash or a hang)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from card_reader.errors import CardError, PinEntryCancelled, PinEntryTimeout, PinPadUnavailable
from card_reader.pinpad import PadTiming, PinPad
from card_reader.protocol import card as card_proto
from card_reader.protocol import pinpad as pp
from tests.support.devices import PinPadProcess, PtyPair


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
    """A SerialPort (same Protocol as pyserial's) that answers with scripted bytes, on a virtual clock."""

    def __init__(self, incoming: bytes, clock: VirtualClock) -> None:
        self.incoming = bytearray(incoming)
        self.timeout: float | None = 0.0
        self.written = bytearray()
        self.clock = clock

    def read(self, size: int = 1) -> bytes:
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
