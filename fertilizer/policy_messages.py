"""What the operator reads to the farmer, per reason and card status (Bahasa Indonesia, English).

``{product}``, ``{months}``, ``{amount}`` and ``{detail}`` are filled in by the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fertilizer.policy_types import CardStatus, ReasonCode, Severity

REASONS: Mapping[ReasonCode, tuple[Severity, str, str]] = MappingProxyType({
    ReasonCode.CARD_PROBLEM: (Severity.REFUSE, "Masalah kartu: {detail}", "Card problem: {detail}"),
    ReasonCode.NOT_IN_RDKK: (
        Severity.REFUSE, "Petani tidak terdaftar di e-RDKK.", "The farmer is not in the e-RDKK."),
    ReasonCode.OUT_OF_SEASON: (
        Severity.REFUSE, "Tidak ada alokasi RDKK untuk musim tanam ini ({season}).",
        "No RDKK allocation for this planting season ({season})."),
    ReasonCode.WRONG_KIOSK: (
        Severity.REFUSE, "Kelompok tani ini menebus di kios {outlet}, bukan di sini.",
        "This farmer group redeems at kiosk {outlet}, not here."),
    ReasonCode.QUOTA_EXHAUSTED: (
        Severity.PRODUCT, "Kuota {product} musim ini sudah habis.", "This season's {product} quota is used up."),
    ReasonCode.OUT_OF_STOCK: (
        Severity.PRODUCT, "Stok {product} di kios ini habis.", "This kiosk is out of {product}."),
    ReasonCode.NOT_FOR_SALE: (
        Severity.PRODUCT, "{product} belum punya HET yang berlaku; tidak dijual.",
        "{product} has no HET in force; it is not for sale."),
    ReasonCode.BPJS_NOT_REGISTERED: (
        Severity.CONDITION, "Belum terdaftar BPJS Ketenagakerjaan: pendaftaran dan iuran {amount} dibayar dalam gesekan ini.",
        "Not registered with BPJS Ketenagakerjaan: registration and the {amount} contribution are paid in this swipe."),
    ReasonCode.CONTRIBUTION_DUE: (
        Severity.CONDITION, "Iuran BPJS {months} ({amount}) dibayar dalam gesekan ini.",
        "The BPJS contribution for {months} ({amount}) is collected in this swipe."),
    ReasonCode.CONTRIBUTION_UNSETTLED: (
        Severity.REFUSE, "Iuran BPJS tidak bisa dilunasi sampai bulan ini di kios; hubungi penyuluh atau BPJS.",
        "The BPJS contribution cannot be brought up to this month here; see the penyuluh or BPJS."),
    ReasonCode.BPJS_UNAVAILABLE: (
        Severity.REFUSE, "Layanan BPJS tidak dapat dihubungi dan status iuran tidak dapat dipastikan. Coba lagi nanti.",
        "BPJS cannot be reached and the contribution status cannot be confirmed. Try again later."),
    ReasonCode.BPJS_CACHED: (
        Severity.NOTICE, "BPJS tidak dapat dihubungi; status lunas terakhir ({months}) dipakai.",
        "BPJS cannot be reached; the last paid-through status ({months}) is used."),
    ReasonCode.RULE_NOT_IN_FORCE: (
        Severity.NOTICE, "Aturan Perbup (iuran BPJS sebagai syarat) belum berlaku; hanya kuota dan stok yang diperiksa.",
        "The Perbup rule (BPJS contribution as a condition) is not in force; only quota and stock apply."),
})

CARD_DETAILS: Mapping[CardStatus, tuple[str, str]] = MappingProxyType({
    CardStatus.NOT_READ: ("kartu tidak terbaca, masukkan ulang.", "the card could not be read; insert it again."),
    CardStatus.UNKNOWN_CARD: ("kartu belum terdaftar untuk petani mana pun.", "the card is not registered to any farmer."),
    CardStatus.EXPIRED: ("Kartu Tani sudah kedaluwarsa; minta kartu baru di bank.", "the card has expired; ask the bank for a new one."),
    CardStatus.PIN_BLOCKED: ("PIN terblokir setelah 3 kali salah; buka blokir di bank penerbit.",
                             "the PIN is blocked after 3 wrong tries; the issuing bank unblocks it."),
    CardStatus.HOTLISTED: ("kartu dilaporkan hilang atau diblokir.", "the card was reported lost or blocked."),
    CardStatus.FORGED: ("data kartu tidak sah (tanda tangan penerbit salah).", "the card's data is not genuine (issuer signature fails)."),
    CardStatus.CLONED: ("kartu gagal autentikasi (diduga kartu salinan).", "the card failed authentication (suspected copy)."),
    CardStatus.REPLAYED: ("penghitung transaksi kartu tidak sah (diduga pemutaran ulang).",
                          "the card's transaction counter is not valid (suspected replay)."),
})


def rupiah(amount: int) -> str:
    """``Rp 16.800`` (Indonesian thousands separator)."""
    return "Rp " + f"{amount:,}".replace(",", ".")
