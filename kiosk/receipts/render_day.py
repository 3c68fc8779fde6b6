"""The end-of-day report's own rows (``render_lines`` draws the header, rules and proof). Pure.

```
Tanggal / Day                   04-12-2026
...
Urea
  3 penjualan/sales               100 kg
                               Rp 180.000
Penjualan / Sales (3)          Rp 270.000
Pembatalan / Reversals (1)      Rp 90.000
Iuran BPJS / Contributions (2)  Rp 33.600
Fee penyuluh / Agent fees        Rp 2.520
Isi saldo / Top-ups (1)        Rp 100.000
------------------------------------------
TOTAL                          Rp 213.600
Saldo kartu / Card balance     Rp 120.000
Tunai / Cash                    Rp 93.600
Kas awal / Cash opening         Rp 50.000
Kas di laci / Cash expected    Rp 243.600
```
"""

from __future__ import annotations

from kiosk.receipts.layout import BOLD, Label, Line, kilograms, pair, rupiah, wrap
from kiosk.receipts.model import EndOfDayReceipt

DAY = Label("Tanggal / Day", "Tanggal")
SALES = Label("Penjualan / Sales", "Penjualan")
REVERSALS = Label("Pembatalan / Reversals", "Pembatalan")
CONTRIBUTIONS = Label("Iuran BPJS / Contributions", "Iuran BPJS")
AGENT_FEES = Label("Fee penyuluh / Agent fees", "Fee penyuluh")
TOPUPS = Label("Isi saldo / Top-ups", "Isi saldo")
TOTAL = Label("TOTAL", "TOTAL")
CARD = Label("Saldo kartu / Card balance", "Saldo kartu")
CASH = Label("Tunai / Cash", "Tunai")
OPENING = Label("Kas awal / Cash opening", "Kas awal")
EXPECTED = Label("Kas di laci / Cash expected", "Kas di laci")
NO_SALES = Label("Tidak ada penjualan / No sales", "Tidak ada penjualan")
INDENT = "  "


def _counted(label: Label, count: int) -> Label:
    return Label(f"{label.full} ({count})", f"{label.short} ({count})")


def day_head(receipt: EndOfDayReceipt, width: int) -> list[Line]:
    return pair(DAY, receipt.day.strftime("%d-%m-%Y"), width)


def day_body(receipt: EndOfDayReceipt, width: int) -> list[Line]:
    lines: list[Line] = []
    for item in receipt.products:
        lines += [Line(part) for part in wrap(item.name, width)]
        lines += pair(f"{item.sales} penjualan/sales", kilograms(item.kg), width, indent=INDENT)
        lines += pair("", rupiah(item.rupiah), width, indent=INDENT)
    if not receipt.products:
        lines += [Line(NO_SALES.full if len(NO_SALES.full) <= width else NO_SALES.short)]
    lines += pair(_counted(SALES, receipt.sales), rupiah(receipt.fertilizer + receipt.refunds), width)
    lines += pair(_counted(REVERSALS, receipt.reversals), rupiah(receipt.refunds), width)
    lines += pair(_counted(CONTRIBUTIONS, receipt.contributions), rupiah(receipt.contribution_total), width)
    lines += pair(AGENT_FEES, rupiah(receipt.agent_fees), width)
    return lines + pair(_counted(TOPUPS, receipt.topups), rupiah(receipt.topup_total), width)


def day_totals(receipt: EndOfDayReceipt, width: int) -> list[Line]:
    lines = pair(TOTAL, rupiah(receipt.total), width, BOLD)
    lines += pair(CARD, rupiah(receipt.card_total), width) + pair(CASH, rupiah(receipt.cash_total), width)
    lines += pair(OPENING, rupiah(receipt.cash_opening), width)
    return lines + pair(EXPECTED, rupiah(receipt.cash_expected), width, BOLD)
