"""The receipts added for money (pure): the end-of-day report and the sale's "fertilizer released"
line, exact at both widths, through python-escpos and the emulator's decoder, and the JSON codec."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_stubs.printer.decoder import Decoder
from firmware_stubs.printer.paper import Paper
from kiosk.receipts import (
    DayProduct,
    EndOfDayReceipt,
    Header,
    InvalidReceipt,
    Kiosk,
    Proof,
    SaleReceipt,
    TopUpReceipt,
    as_copy,
    paper_text,
    parse_qr_payload,
    receipt_from_dict,
    receipt_to_dict,
    render_lines,
)
from kiosk.receipts.layout import WIDTHS, rupiah
from kiosk.receipts.output import send_lines
from tests.kiosk.receipts.samples import SALE

KIOSK = Kiosk("KIOS-007", "Kios Tani Makmur", "Kec. Lalabata")
PROOF = Proof(uuid.UUID("0190f3a2-7c1e-7d2b-9a41-5e3f2b1c0d9e"), bytes(range(32)))
AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)  # 18:00 WITA
DAY = EndOfDayReceipt(Header(KIOSK, AT, "Andi Mappe", None, PROOF), date(2026, 12, 4),
                      (DayProduct("Urea", 3, 100, 180_000), DayProduct("NPK formula khusus", 1, 25, 66_000)),
                      3, 246_000, 1, 90_000, 2, 33_600, 2_520, 1, 100_000, 150_000, 129_600, 50_000, 279_600)

DAY_42 = """\
             Kios Tani Makmur
              Kec. Lalabata
          Kios / Kiosk KIOS-007
        TUTUP HARIAN / END OF DAY
------------------------------------------
Tanggal / Day                   04-12-2026
Waktu / Time         04-12-2026 18:00 WITA
Kasir / Operator                Andi Mappe
------------------------------------------
Urea
  3 penjualan/sales                 100 kg
                                Rp 180.000
NPK formula khusus
  1 penjualan/sales                  25 kg
                                 Rp 66.000
Penjualan / Sales (3)           Rp 336.000
Pembatalan / Reversals (1)       Rp 90.000
Iuran BPJS / Contributions (2)   Rp 33.600
Fee penyuluh / Agent fees         Rp 2.520
Isi saldo / Top-ups (1)         Rp 100.000
------------------------------------------
TOTAL                           Rp 279.600
Saldo kartu / Card balance      Rp 150.000
Tunai / Cash                    Rp 129.600
Kas awal / Cash opening          Rp 50.000
Kas di laci / Cash expected     Rp 279.600
------------------------------------------
Laporan / Report
0190f3a2-7c1e-7d2b-9a41-5e3f2b1c0d9e
                   [QR]
   Simpan struk ini / Keep this receipt"""


def test_end_of_day_report_exact_text() -> None:
    assert paper_text(render_lines(DAY, 42), 42) == DAY_42
    narrow = paper_text(render_lines(DAY, 32), 32).splitlines()
    assert narrow[3].strip() == "TUTUP HARIAN / END OF DAY" and "Kas di laci           Rp 279.600" in narrow
    assert paper_text(render_lines(as_copy(DAY), 42), 42).count("SALINAN / COPY") == 2


def test_released_line_only_when_the_journal_posted() -> None:
    released = paper_text(render_lines(dataclasses.replace(SALE, released=True), 42), 42).splitlines()
    plain = paper_text(render_lines(SALE, 42), 42).splitlines()
    assert "Pupuk diserahkan / Fertilizer released" in released and len(released) == len(plain) + 1
    assert "Pupuk diserahkan" in paper_text(render_lines(dataclasses.replace(SALE, released=True), 32), 32).splitlines()
    assert "released" not in receipt_to_dict(SALE)  # older receipts keep their documented shape
    assert receipt_from_dict(receipt_to_dict(dataclasses.replace(SALE, released=True))).released is True  # type: ignore[union-attr]


def test_only_an_end_of_day_report_may_name_no_farmer() -> None:
    with pytest.raises(InvalidReceipt) as refused:
        TopUpReceipt(Header(KIOSK, AT, "Andi Mappe", None, PROOF), 1_000, 1_000)
    assert refused.value.fields["field"] == "farmer"
    with pytest.raises(InvalidReceipt):
        SaleReceipt(dataclasses.replace(SALE.header, farmer=None), SALE.products, SALE.tender)
    body = receipt_to_dict(DAY)
    assert body["header"]["farmer"] is None and receipt_from_dict(body) == DAY
    for change, field in (({"day": "04-12-2026"}, "day"), ({"sales": -1}, "sales"), ({"cash_total": 1.5}, "receipt.cash_total"),
                          ({"products": [{"name": "Urea", "sales": 1, "kg": 1}]}, "products[0].rupiah")):
        with pytest.raises(InvalidReceipt) as bad:
            receipt_from_dict(body | change)
        assert bad.value.fields["field"] == field, (change, bad.value.fields)


names = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEF '.-é"), min_size=1, max_size=32).filter(str.strip)
amounts = st.integers(0, 10**10)
days = st.builds(
    EndOfDayReceipt,
    st.builds(Header, st.just(KIOSK), st.datetimes(datetime(2024, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)),
              names, st.none(), st.builds(Proof, st.uuids(), st.binary(min_size=32, max_size=32)), st.booleans()),
    st.dates(date(2024, 1, 1), date(2030, 1, 1)),
    st.lists(st.builds(DayProduct, names, st.integers(0, 999), st.integers(0, 10**6), amounts), max_size=6).map(tuple),
    *(st.integers(0, 9999) if i in (0, 2, 4, 7) else amounts for i in range(13)))


@settings(max_examples=80, deadline=None)
@given(days, st.sampled_from(WIDTHS))
def test_any_day_fits_the_paper_and_decodes_back_the_same(day: EndOfDayReceipt, width: int) -> None:
    lines = render_lines(day, width)
    assert all(len(line.text) * line.style.char_width <= width for line in lines)
    [qr] = [line.qr for line in lines if line.qr is not None]
    assert parse_qr_payload(qr) == day.header.proof and rupiah(day.total) in "\n".join(ln.text for ln in lines)
    printer = Dummy()
    send_lines(printer, lines)
    paper = Paper(width)
    done = [r for token in Decoder().feed(printer.output) if (r := paper.apply(token)) is not None]
    assert len(done) == 1 and done[0].errors == [] and done[0].paper_text(width) == paper_text(lines, width)
    assert receipt_from_dict(receipt_to_dict(day)) == day
