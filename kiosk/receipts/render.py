"""``render_lines(receipt, width)``: the receipt as styled lines for 32- or 42-column paper. Pure.

Order: (copy banner) kiosk, title, who and when; the body of the kind; total and tender; card
balance and quota left; journal id, QR, footer; (copy banner). Labels are bilingual where they fit
the paper, else Indonesian (see :class:`~kiosk.receipts.layout.Label`).
"""

from __future__ import annotations

from kiosk.receipts.layout import (
    BANNER,
    BOLD,
    CENTER,
    CENTER_BOLD,
    PLAIN,
    QR_MARK,
    TITLE,
    Label,
    Line,
    centered,
    check_width,
    kilograms,
    pair,
    rule,
    rupiah,
    wita,
    wrap,
)
from kiosk.receipts.model import (
    Contribution,
    ContributionReceipt,
    EndOfDayReceipt,
    Header,
    ProductLine,
    QuotaLeft,
    Receipt,
    ReceiptKind,
    ReversalReceipt,
    SaleReceipt,
    Tender,
    TopUpReceipt,
)
from kiosk.receipts.qr import qr_payload
from kiosk.receipts.render_day import day_body, day_head, day_totals

TITLES: dict[ReceiptKind, Label] = {
    ReceiptKind.SALE: Label("PENJUALAN / SALE", "PENJUALAN"),
    ReceiptKind.CONTRIBUTION: Label("IURAN BPJS / CONTRIBUTION", "IURAN BPJS"),
    ReceiptKind.TOPUP: Label("ISI SALDO / TOP-UP", "ISI SALDO"),
    ReceiptKind.REVERSAL: Label("PEMBATALAN / REVERSAL", "PEMBATALAN"),
    ReceiptKind.END_OF_DAY: Label("TUTUP HARIAN / END OF DAY", "TUTUP HARIAN"),
}
TENDERS: dict[Tender, Label] = {
    Tender.CASH: Label("Tunai / Cash", "Tunai"),
    Tender.CARD_BALANCE: Label("Saldo kartu / Card balance", "Saldo kartu"),
}
COPY = Label("SALINAN / COPY", "SALINAN")
KIOSK = Label("Kios / Kiosk", "Kios")
TIME = Label("Waktu / Time", "Waktu")
OPERATOR = Label("Kasir / Operator", "Kasir")
FARMER = Label("Petani / Farmer", "Petani")
AGENT = Label("Penyuluh / Agent", "Penyuluh")
SUPERVISOR = Label("Pengawas / Supervisor", "Pengawas")
CONTRIBUTION = Label("Iuran BPJS / Contribution", "Iuran BPJS")
MONTHS = Label("Bulan / Months", "Bulan")
PAID_THROUGH = Label("Lunas s/d / Paid through", "Lunas s/d")
TOTAL = Label("TOTAL", "TOTAL")
REFUND_TOTAL = Label("TOTAL KEMBALI / REFUND", "TOTAL KEMBALI")
TENDER = Label("Bayar / Tender", "Bayar")
REFUND_TO = Label("Kembali ke / Refund to", "Kembali ke")
BALANCE = Label("Sisa saldo / Balance left", "Sisa saldo")
TOPUP = Label("Isi saldo / Top-up", "Isi saldo")
NEW_BALANCE = Label("Saldo baru / New balance", "Saldo baru")
QUOTA = Label("Sisa kuota / Quota left", "Sisa kuota")
JOURNAL = Label("Jurnal / Journal", "Jurnal")
ORIGINAL = Label("Jurnal asal / Original journal", "Jurnal asal")
REASON = Label("Alasan / Reason", "Alasan")
RETURNED = Label("Dikembalikan / Returned", "Dikembalikan")
FOOTER = Label("Simpan struk ini / Keep this receipt", "Simpan struk ini")
RELEASED = Label("Pupuk diserahkan / Fertilizer released", "Pupuk diserahkan")
REPORT = Label("Laporan / Report", "Laporan")
INDENT = "  "


def render_lines(receipt: Receipt, width: int) -> list[Line]:
    """Every line of ``receipt`` on paper ``width`` characters wide (32 or 42)."""
    check_width(width)
    lines = _banner(receipt.header, width) + _head(receipt, width) + [rule(width)]
    lines += _body(receipt, width) + [rule(width)]
    lines += _totals(receipt, width) + [rule(width)]
    lines += _proof(receipt, width) + _banner(receipt.header, width)
    return lines


def _banner(header: Header, width: int) -> list[Line]:
    return centered(COPY, width, BANNER) if header.copy else []


def _head(receipt: Receipt, width: int) -> list[Line]:
    header = receipt.header
    lines = centered(header.kiosk.name, width, TITLE)
    if header.kiosk.address:
        lines += centered(header.kiosk.address, width)
    lines += centered(Label(f"{KIOSK.full} {header.kiosk.code}", f"{KIOSK.short} {header.kiosk.code}"), width)
    lines += centered(TITLES[receipt.kind], width, CENTER_BOLD)
    lines += [rule(width)]
    if isinstance(receipt, EndOfDayReceipt):
        lines += day_head(receipt, width)
    lines += pair(TIME, wita(header.at), width) + pair(OPERATOR, header.operator, width)
    if isinstance(receipt, ReversalReceipt):
        lines += pair(SUPERVISOR, receipt.supervisor, width)
    if header.farmer is not None:
        lines += pair(FARMER, header.farmer.name, width) + pair("NIK", header.farmer.masked_nik, width)
    agent = getattr(receipt, "agent", None)
    if agent:
        lines += pair(AGENT, agent, width)
    return lines


def _body(receipt: Receipt, width: int) -> list[Line]:
    if isinstance(receipt, SaleReceipt):
        lines = _products(receipt.products, width)
        return lines + (_contribution(receipt.contribution, width) if receipt.contribution else [])
    if isinstance(receipt, ContributionReceipt):
        return _contribution(receipt.contribution, width)
    if isinstance(receipt, TopUpReceipt):
        return pair(TOPUP, rupiah(receipt.amount), width) + pair(NEW_BALANCE, rupiah(receipt.balance_after), width)
    if isinstance(receipt, EndOfDayReceipt):
        return day_body(receipt, width)
    return _reversal(receipt, width)


def _products(products: tuple[ProductLine, ...], width: int) -> list[Line]:
    lines: list[Line] = []
    for item in products:
        lines += [Line(part) for part in wrap(item.name, width)]
        lines += pair(f"{kilograms(item.kg)} x {rupiah(item.het)}", rupiah(item.amount), width, indent=INDENT)
    return lines


def _contribution(contribution: Contribution, width: int) -> list[Line]:
    first, last = contribution.first_month, contribution.paid_through
    months = f"{first} s/d {last}" if contribution.months > 1 else str(first)
    lines = [Line(_fit(CONTRIBUTION, width))]
    lines += pair("KPJ", contribution.kpj, width, indent=INDENT)
    lines += pair(MONTHS, months, width, indent=INDENT)
    lines += pair(f"{contribution.months} bln/mo x {rupiah(contribution.monthly)}", rupiah(contribution.amount),
                  width, indent=INDENT)
    return lines + pair(PAID_THROUGH, str(last), width, indent=INDENT)


def _reversal(receipt: ReversalReceipt, width: int) -> list[Line]:
    lines = [Line(part) for part in wrap(_fit(ORIGINAL, width), width)]
    lines += [Line(part) for part in wrap(str(receipt.original_journal_id), width)]
    lines += [Line(part) for part in wrap(_fit(REASON, width), width)]
    lines += [Line(part) for part in wrap(receipt.reason, width, INDENT)]
    lines += [Line(part) for part in wrap(_fit(RETURNED, width), width)]
    lines += _products(receipt.products, width)
    if receipt.contribution_kept:
        kept = rupiah(receipt.contribution_kept)
        lines += [Line(part) for part in wrap(f"Iuran BPJS {kept} tetap lunas, tidak dibatalkan.", width)]
        lines += [Line(part) for part in wrap(f"BPJS contribution {kept} stays paid, not reversed.", width)]
    return lines


def _fit(label: Label, width: int) -> str:
    return label.full if len(label.full) <= width else label.short


def _totals(receipt: Receipt, width: int) -> list[Line]:
    if isinstance(receipt, EndOfDayReceipt):
        return day_totals(receipt, width)
    if isinstance(receipt, ReversalReceipt):
        lines = pair(REFUND_TOTAL, rupiah(receipt.total), width, BOLD)
        lines += pair(REFUND_TO, _fit(TENDERS[receipt.refund_to], width - len(REFUND_TO.short) - 1), width)
    else:
        lines = pair(TOTAL, rupiah(receipt.total), width, BOLD)
        lines += pair(TENDER, _fit(TENDERS[receipt.tender], width - len(TENDER.short) - 1), width)
    if isinstance(receipt, SaleReceipt) and receipt.released:
        lines += [Line(_fit(RELEASED, width), BOLD)]
    balance = receipt.balance_after if not isinstance(receipt, TopUpReceipt) else None
    if balance is not None:
        lines += pair(BALANCE, rupiah(balance), width)
    quota: tuple[QuotaLeft, ...] = getattr(receipt, "quota_left", ())
    if quota:
        lines += [Line(_fit(QUOTA, width))]
        for item in quota:
            lines += pair(item.name, kilograms(item.kg), width, indent=INDENT)
    return lines


def _proof(receipt: Receipt, width: int) -> list[Line]:
    header = receipt.header
    lines = [Line(_fit(REPORT if isinstance(receipt, EndOfDayReceipt) else JOURNAL, width))]
    lines += [Line(part) for part in wrap(str(header.proof.journal_id), width)]
    lines += [Line(QR_MARK, CENTER, qr_payload(header.proof))]
    return lines + centered(FOOTER, width, CENTER) + ([Line("", PLAIN)] if header.copy else [])
