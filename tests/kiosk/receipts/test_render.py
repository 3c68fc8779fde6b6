"""Receipt layout: exact text for each kind at both widths, and properties over any receipt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs.printer.decoder import Decoder
from firmware_stubs.printer.paper import Paper
from kiosk.receipts import (
    Contribution,
    ContributionReceipt,
    Farmer,
    Header,
    Kiosk,
    ProductLine,
    Proof,
    QuotaLeft,
    Receipt,
    ReversalReceipt,
    SaleReceipt,
    Tender,
    TopUpReceipt,
    YearMonth,
    as_copy,
    paper_text,
    parse_qr_payload,
    render_lines,
)
from kiosk.receipts.layout import BANNER, WIDTHS, rupiah
from kiosk.receipts.output import send_lines
from tests.kiosk.receipts.samples import SAMPLES

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_exact_text(name: str, width: int) -> None:
    expected = (GOLDEN / f"{name}-{width}.txt").read_text("utf-8").rstrip("\n")
    assert paper_text(render_lines(SAMPLES[name], width), width) == expected


def test_copy_is_the_original_between_two_banners() -> None:
    original, copy = render_lines(SAMPLES["sale"], 42), render_lines(SAMPLES["copy"], 42)
    assert copy[0].text == copy[-1].text == "SALINAN / COPY" and copy[0].style == BANNER
    assert copy[1:-2] == original and copy[-2].text == ""


def test_unknown_width_is_refused() -> None:
    with pytest.raises(ValueError):
        render_lines(SAMPLES["sale"], 40)


# ---- any receipt -------------------------------------------------------------------------------

names = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ '.-éÑüç漢"), min_size=1, max_size=48).filter(str.strip)
products = st.text(st.sampled_from("UreaNPKZSO-36 formulakhus"), min_size=1, max_size=32).filter(str.strip)
masked_niks = st.from_regex(r"\A7312\*{8}[0-9]{4}\Z")
moments = st.datetimes(datetime(2024, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
headers = st.builds(
    Header, st.builds(Kiosk, st.from_regex(r"\A[A-Z0-9-]{1,24}\Z"), names, st.one_of(st.just(""), names)),
    moments, names, st.builds(Farmer, names, masked_niks),
    st.builds(Proof, st.uuids(), st.binary(min_size=32, max_size=32)), st.booleans())
lines_ = st.lists(st.builds(ProductLine, products, st.integers(1, 100_000), st.integers(1, 10_000)), min_size=1, max_size=5)
quotas = st.lists(st.builds(QuotaLeft, products, st.integers(0, 100_000)), max_size=4).map(tuple)
contributions = st.builds(Contribution, st.from_regex(r"\A[0-9]{11}\Z"), st.integers(1, 12), st.integers(1, 100_000),
                          st.builds(YearMonth, st.integers(2024, 2030), st.integers(1, 12)))
tenders = st.sampled_from(Tender)
balances = st.one_of(st.none(), st.integers(0, 10**9))
receipts: st.SearchStrategy[Receipt] = st.one_of(
    st.builds(SaleReceipt, headers, lines_.map(tuple), tenders, st.one_of(st.none(), contributions),
              st.one_of(st.none(), names), quotas, balances),
    st.builds(ContributionReceipt, headers, contributions, tenders, st.one_of(st.none(), names), balances),
    st.builds(lambda h, a, extra: TopUpReceipt(h, a, a + extra), headers, st.integers(1, 10**8), st.integers(0, 10**8)),
    st.builds(ReversalReceipt, headers, st.uuids(), names, st.text(min_size=1, max_size=200).filter(
        lambda s: s.strip() and s.isprintable()), lines_.map(tuple), tenders, st.integers(0, 10**6), quotas, balances),
)


@settings(max_examples=150, deadline=None)
@given(receipts, st.sampled_from(WIDTHS))
def test_every_line_fits_and_the_facts_are_on_it(receipt: Receipt, width: int) -> None:
    lines = render_lines(receipt, width)
    assert all(len(line.text) * line.style.char_width <= width for line in lines)
    [qr] = [line.qr for line in lines if line.qr is not None]
    assert parse_qr_payload(qr) == receipt.header.proof
    text = "\n".join(line.text for line in lines)
    assert receipt.header.farmer.masked_nik in text and rupiah(receipt.total) in text
    assert ("SALINAN / COPY" in text) == receipt.header.copy


@settings(max_examples=60, deadline=None)
@given(receipts, st.sampled_from(WIDTHS))
def test_python_escpos_bytes_decode_back_to_the_same_paper(receipt: Receipt, width: int) -> None:
    """The driver's bytes (python-escpos) read by the emulator's decoder give exactly this text."""
    printer = Dummy()
    lines = render_lines(receipt, width)
    send_lines(printer, lines)
    decoder, paper = Decoder(), Paper(width)
    done = [r for token in decoder.feed(printer.output) if (r := paper.apply(token)) is not None]
    assert len(done) == 1 and not decoder.pending
    assert done[0].errors == []
    assert done[0].paper_text(width) == paper_text(lines, width)
    assert done[0].qr == [qr_line.qr for qr_line in lines if qr_line.qr]
    printed = [(p.text, p.style["align"], p.style["bold"], p.style["width"], p.style["height"])
               for p in done[0].trimmed_lines()]
    assert printed == [(line.text, line.style.align.value, line.style.bold, line.style.char_width,
                        2 if line.style.double_height else 1) for line in lines]


def test_reprint_of_every_kind_is_marked() -> None:
    for receipt in SAMPLES.values():
        text = paper_text(render_lines(as_copy(receipt), 32), 32)
        assert text.count("SALINAN / COPY") == 2


def test_time_shown_is_wita_whatever_zone_it_came_in() -> None:
    sale = SAMPLES["sale"]
    in_jakarta = sale.header.at.astimezone(timezone(timedelta(hours=7)))
    moved = render_lines(SaleReceipt(Header(sale.header.kiosk, in_jakarta, sale.header.operator, sale.header.farmer,
                                            Proof(uuid.UUID(int=1), bytes(32))), (ProductLine("Urea", 1, 1),),
                                     Tender.CASH), 42)
    assert any(line.text.endswith("04-12-2026 14:05 WITA") for line in moved)
