"""The printer emulator's pure core: ESC/POS bytes -> tokens -> receipts. Fixtures are hex/bytes."""

from __future__ import annotations

import time

from escpos.printer import Dummy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_stubs.printer.decoder import Command, Decoder, Malformed, Text
from firmware_stubs.printer.device import Faults, realtime_status, transmit_status
from firmware_stubs.printer.paper import Paper, Receipt

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"
QR_STORE = GS + b"(k" + bytes([3 + 5, 0]) + b"1P0" + b"hello"
QR_PRINT = GS + b"(k\x03\x001Q0"
CUT = GS + b"V\x00"


def run(data: bytes, columns: int = 42, chunk: int = 0) -> tuple[list[Receipt], Paper]:
    decoder, paper, done = Decoder(), Paper(columns), []
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] if chunk else [data]
    for piece in pieces:
        for token in decoder.feed(piece):
            receipt = paper.apply(token)
            if receipt is not None:
                done.append(receipt)
    for token in decoder.finish():
        paper.apply(token)
    return done, paper


def test_text_lines_styles_and_cut_make_one_receipt() -> None:
    data = ESC + b"@" + ESC + b"a\x01" + ESC + b"E\x01" + b"KIOS\n" + ESC + b"a\x00" + ESC + b"E\x00" + b"Urea\n" + CUT
    [receipt], _ = run(data)
    assert [line.text for line in receipt.lines] == ["KIOS", "Urea"]
    assert receipt.lines[0].style["align"] == "center" and receipt.lines[0].style["bold"] is True
    assert receipt.lines[1].style["align"] == "left" and receipt.lines[1].style["bold"] is False
    assert receipt.paper_text(42) == " " * 19 + "KIOS\nUrea"
    assert receipt.errors == []


def test_qr_store_then_print_records_the_payload() -> None:
    [receipt], _ = run(ESC + b"@" + QR_STORE + QR_PRINT + CUT)
    assert receipt.qr == ["hello"]
    assert receipt.lines[0].qr == "hello" and receipt.lines[0].text == "[QR]"


def test_qr_print_without_store_is_an_error_in_that_receipt() -> None:
    [receipt], _ = run(b"x\n" + QR_PRINT + CUT)
    assert receipt.qr == []
    assert [e["code"] for e in receipt.errors] == ["bad_parameter"]


def test_unknown_sequence_is_recorded_and_printing_goes_on() -> None:
    [receipt], _ = run(b"a\n" + ESC + b"\x7f" + b"b\n" + b"\x00" + b"c\n" + CUT)
    assert [line.text for line in receipt.lines] == ["a", "b", "c"]
    assert [e["code"] for e in receipt.errors] == ["unknown_command", "unknown_command"]
    assert receipt.errors[0]["detail"] == "1b 7f"


def test_bad_parameters_are_recorded() -> None:
    [receipt], _ = run(ESC + b"a\x07" + GS + b"!\x88" + ESC + b"t\xfe" + b"x\n" + CUT)
    assert [e["code"] for e in receipt.errors] == ["bad_parameter"] * 3


def test_double_width_text_wraps_at_half_the_columns() -> None:
    [receipt], _ = run(GS + b"!\x10" + b"A" * 20 + b"\n" + CUT, columns=32)
    assert [line.text for line in receipt.lines] == ["A" * 16, "A" * 4]
    assert receipt.lines[0].style["width"] == 2


def test_code_page_switch_decodes_accents() -> None:
    printer = Dummy()
    printer.textln("José Ñ €")
    printer.cut()
    [receipt], _ = run(printer.output)
    assert receipt.lines[0].text == "José Ñ €"


def test_images_and_barcodes_become_markers_and_their_data_is_skipped() -> None:
    raster = GS + b"v0\x00" + bytes([2, 0, 3, 0]) + b"\x0a" * 6  # 2 x 3 bytes of LF-looking data
    barcode = GS + b"k\x04" + b"12345\x00"
    [receipt], _ = run(raster + barcode + b"after\n" + CUT)
    assert [line.text for line in receipt.lines] == ["[IMAGE]", "[BARCODE 12345]", "after"]


def test_truncated_command_at_end_of_stream_is_reported() -> None:
    _, paper = run(b"x\n" + GS + b"(k\x10\x00" + b"1P0")
    assert paper.receipt.errors[-1]["code"] == "truncated"


def test_a_cut_with_nothing_printed_makes_no_receipt() -> None:
    done, _ = run(CUT + ESC + b"d\x06" + CUT)
    assert done == []


def test_initialize_discards_an_unprinted_line() -> None:
    [receipt], _ = run(b"lost" + ESC + b"@" + b"kept\n" + CUT)
    assert [line.text for line in receipt.lines] == ["kept"]


def test_realtime_status_commands_are_tokens_not_text() -> None:
    tokens = Decoder().feed(DLE + b"\x04\x01" + DLE + b"\x04\x04" + b"A")
    assert tokens == [Command("realtime_status", b"\x01"), Command("realtime_status", b"\x04"), Text(b"A")]


def test_status_bytes_are_what_an_epson_printer_sends() -> None:
    ok, out, near = Faults(), Faults(paper="out"), Faults(paper="near_end")
    assert [realtime_status(n, ok) for n in (1, 2, 3, 4)] == [b"\x12"] * 4
    assert [realtime_status(n, out) for n in (1, 2, 4)] == [b"\x1a", b"\x32", b"\x7e"]
    assert realtime_status(4, near) == b"\x1e" and realtime_status(1, near) == b"\x12"
    assert realtime_status(2, Faults(cover_open=True)) == b"\x16"
    assert realtime_status(9, ok) == b""
    assert transmit_status(1, out) == b"\x0f" and transmit_status(49, ok) == b"\x00"


def test_huge_image_header_is_skipped_not_buffered() -> None:
    decoder = Decoder()
    tokens = decoder.feed(GS + b"8L" + (2**31).to_bytes(4, "little") + b"\x00" * 1000)
    assert tokens == [Command("graphics", b"L" + (2**31).to_bytes(4, "little"), size=2**31)]
    assert decoder.pending and len(decoder._buf) == 0


# ---- fuzzing -------------------------------------------------------------------------------

# Random bytes, biased towards the bytes that start commands so that every parser path is hit.
interesting = st.sampled_from([0x1B, 0x1D, 0x10, 0x1C, 0x0A, 0x04, 0x28, 0x6B, 0x56, 0x00, 0xFF, 0x31, 0x50, 0x51])
streams = st.lists(st.one_of(st.integers(0, 255), interesting), max_size=600).map(bytes)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams, st.integers(min_value=1, max_value=64))
def test_fuzz_any_bytes_any_chunking_never_crash_and_agree(data: bytes, chunk: int) -> None:
    started = time.perf_counter()
    whole_done, whole = run(data)
    parts_done, parts = run(data, chunk=chunk)
    assert time.perf_counter() - started < 2.0  # linear work: no hang, no blow-up
    assert [r.as_dict(42) for r in whole_done] == [r.as_dict(42) for r in parts_done]
    assert whole.receipt.as_dict(42) == parts.receipt.as_dict(42)


@settings(max_examples=200, deadline=None)
@given(streams)
def test_fuzz_every_byte_is_consumed_or_reported(data: bytes) -> None:
    decoder = Decoder()
    tokens = decoder.feed(data) + decoder.finish()
    assert not decoder.pending
    assert all(isinstance(t, (Text, Command, Malformed)) for t in tokens)


@settings(max_examples=100, deadline=None)
@given(streams, streams)
def test_fuzz_garbage_then_a_good_receipt_still_prints_it(garbage: bytes, tail: bytes) -> None:
    """Whatever came before, ESC @ + text + cut gives a receipt ending with that text (the
    garbage may leave an open command that swallows bytes: a cut and an idle flush end it)."""
    decoder, paper = Decoder(), Paper(42)
    for token in decoder.feed(garbage) + decoder.finish():
        paper.apply(token)
    done = [r for t in decoder.feed(ESC + b"@" + b"TOTAL Rp 16.800\n" + CUT) if (r := paper.apply(t)) is not None]
    assert done and done[-1].lines[-1].text == "TOTAL Rp 16.800"
