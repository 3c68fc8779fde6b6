"""Card personalisation: the issuer's key pair, and card images from a farmer CSV.

CSV columns (one row per card): ``card_number,nik,name,birth_date,village_code,group_code,expiry,pin``
with birth_date ``YYYY-MM-DD``, expiry ``YYMM`` and a 4-12 digit PIN (6 in the demo). Every row is
checked before anything is written: one bad row stops the run with its line number, and nothing
is issued. Each card gets its own P-256 key pair; the issuer signs records 1-2 and the card's
public key (DESIGN §6).

    python -m firmware_stubs.personalise issuer-key --out KEYS --issuer-id BRI-7312
    python -m firmware_stubs.personalise issue --issuer-key KEYS/BRI-7312.key.pem --csv farmers.csv --deck DECK
"""

from __future__ import annotations

import calendar
import csv
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from card_reader.protocol.card import PIN_MAX_DIGITS, PIN_MIN_DIGITS, PIN_TRIES_MAX, Tag, issuer_signed_data
from firmware_stubs.card import ber
from firmware_stubs.card.image import CardImage
from firmware_stubs.files import write_atomic

COLUMNS = ("card_number", "nik", "name", "birth_date", "village_code", "group_code", "expiry", "pin")
ISSUER_ID_RE = re.compile(r"^[A-Z0-9-]{1,16}$")
GROUP_RE = re.compile(r"^[A-Za-z0-9 ./-]{1,32}$")
MAX_ROWS = 1_000_000


class PersonaliseError(ValueError):
    def __init__(self, message_id: str, message_en: str, line: int | None = None, column: str | None = None) -> None:
        where = f"line {line}" + (f", column {column}" if column else "") + ": " if line else ""
        super().__init__(where + message_en)
        self.message_id, self.message_en, self.line, self.column = message_id, message_en, line, column


@dataclass(frozen=True)
class FarmerCard:
    card_number: str
    nik: str = field(repr=False)
    name: str = field(repr=False)
    birth_date: date = field(repr=False)
    village_code: str
    group_code: str
    expiry: date
    pin: str = field(repr=False)


def _digits(value: str, n: int, column: str, line: int) -> str:
    if len(value) != n or not (value.isascii() and value.isdigit()):
        raise PersonaliseError(f"harus {n} angka", f"must be {n} digits", line, column)
    return value


def _row(raw: dict[str, str], line: int) -> FarmerCard:
    name = raw["name"].strip()
    if not name or len(name.encode("utf-8")) > 64 or not name.isprintable():
        raise PersonaliseError("nama 1-64 bait, huruf cetak", "name: 1-64 bytes of printable text", line, "name")
    try:
        birth = date.fromisoformat(raw["birth_date"])
    except ValueError:
        raise PersonaliseError("tanggal lahir YYYY-MM-DD", "birth_date must be YYYY-MM-DD", line, "birth_date") from None
    yymm = raw["expiry"]
    if len(yymm) != 4 or not yymm.isdigit() or not 1 <= int(yymm[2:]) <= 12:
        raise PersonaliseError("kedaluwarsa YYMM", "expiry must be YYMM", line, "expiry")
    year, month = 2000 + int(yymm[:2]), int(yymm[2:])
    pin = raw["pin"]
    if not (pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        raise PersonaliseError(f"PIN {PIN_MIN_DIGITS}-{PIN_MAX_DIGITS} angka",
                               f"PIN must be {PIN_MIN_DIGITS}-{PIN_MAX_DIGITS} digits", line, "pin")
    if not GROUP_RE.match(raw["group_code"]):
        raise PersonaliseError("kode kelompok tidak sah", "group_code: 1-32 letters, digits, space . / -", line,
                               "group_code")
    return FarmerCard(
        card_number=_digits(raw["card_number"], 16, "card_number", line),
        nik=_digits(raw["nik"], 16, "nik", line),
        name=name,
        birth_date=birth,
        village_code=_digits(raw["village_code"], 10, "village_code", line),
        group_code=raw["group_code"],
        expiry=date(year, month, calendar.monthrange(year, month)[1]),
        pin=pin,
    )


def read_farmer_csv(path: Path) -> list[FarmerCard]:
    """Every row, checked; raises PersonaliseError naming the first bad line."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise PersonaliseError("kolom CSV harus: " + ",".join(COLUMNS), "CSV columns must be: " + ",".join(COLUMNS), 1)
        cards: list[FarmerCard] = []
        seen: set[str] = set()
        for raw in reader:
            line = reader.line_num
            if None in raw or any(v is None for v in raw.values()):
                raise PersonaliseError("jumlah kolom salah", "wrong number of columns", line)
            card = _row(raw, line)
            if card.card_number in seen:
                raise PersonaliseError("nomor kartu ganda", "duplicate card number", line, "card_number")
            seen.add(card.card_number)
            cards.append(card)
            if len(cards) > MAX_ROWS:
                raise PersonaliseError("terlalu banyak baris", "too many rows", line)
    return cards


# ---- keys and records ---------------------------------------------------------------------


def make_issuer_key(out_dir: Path, issuer_id: str) -> tuple[Path, Path]:
    if not ISSUER_ID_RE.match(issuer_id):
        raise PersonaliseError("ID penerbit: A-Z, 0-9, '-', maks. 16", "issuer id: A-Z, 0-9, '-', at most 16")
    out_dir.mkdir(parents=True, exist_ok=True)
    private, public = out_dir / f"{issuer_id}.key.pem", out_dir / f"{issuer_id}.pub.pem"
    if private.exists():
        raise PersonaliseError(f"{private} sudah ada", f"{private} exists already; not overwriting an issuer key")
    key = ec.generate_private_key(ec.SECP256R1())
    write_atomic(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    write_atomic(public, key.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo), mode=0o644)
    return private, public


def load_issuer_key(path: Path) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """The issuer id (from the file name ``<ID>.key.pem``) and the private key."""
    issuer_id = Path(path).name.removesuffix(".key.pem")
    if not ISSUER_ID_RE.match(issuer_id):
        raise PersonaliseError("nama berkas kunci: <ID>.key.pem", "key file name must be <ISSUER-ID>.key.pem")
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise PersonaliseError("kunci penerbit harus P-256", "the issuer key must be a P-256 key")
    return issuer_id, key


def _bcd(digits: str) -> bytes:
    return bytes.fromhex(digits)


def _sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def card_records(card: FarmerCard, issuer_id: str, issuer_key: ec.EllipticCurvePrivateKey,
                 card_key: ec.EllipticCurvePrivateKey) -> tuple[bytes, bytes, bytes]:
    record1 = ber.template(Tag.RECORD_TEMPLATE, [
        (Tag.CARD_NUMBER, _bcd(card.card_number)),
        (Tag.EXPIRY, _bcd(card.expiry.strftime("%y%m%d"))),
        (Tag.NIK, _bcd(card.nik)),
        (Tag.NAME, card.name.encode("utf-8")),
        (Tag.BIRTH_DATE, _bcd(card.birth_date.strftime("%Y%m%d"))),
    ])
    record2 = ber.template(Tag.RECORD_TEMPLATE, [
        (Tag.VILLAGE_CODE, card.village_code.encode("ascii")),
        (Tag.GROUP_CODE, card.group_code.encode("ascii")),
        (Tag.ISSUER_ID, issuer_id.encode("ascii")),
    ])
    point = card_key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    signature = _sign(issuer_key, issuer_signed_data(record1, record2, point))
    record3 = ber.template(Tag.RECORD_TEMPLATE, [(Tag.CARD_PUBLIC_KEY, point), (Tag.ISSUER_SIGNATURE, signature)])
    return record1, record2, record3


def issue_card(card: FarmerCard, issuer_id: str, issuer_key: ec.EllipticCurvePrivateKey, deck: Path) -> CardImage:
    card_key = ec.generate_private_key(ec.SECP256R1())
    image = CardImage(deck / f"{card.card_number}.json", card.card_number,
                      card_records(card, issuer_id, issuer_key, card_key), card_key, card.pin, PIN_TRIES_MAX, 0)
    image.save()
    return image


def issue_cards(cards: list[FarmerCard], issuer_key_path: Path, deck: Path, replace: bool = False) -> list[Path]:
    issuer_id, issuer_key = load_issuer_key(issuer_key_path)
    deck.mkdir(parents=True, exist_ok=True)
    if not replace:
        existing = [c.card_number for c in cards if (deck / f"{c.card_number}.json").exists()]
        if existing:
            raise PersonaliseError(f"kartu sudah ada: {existing[0]}",
                                   f"card image exists already: {existing[0]} (use --replace to re-issue)")
    return [issue_card(c, issuer_id, issuer_key, deck).path for c in cards]


@click.group()
def main() -> None:
    """e-Kartu Tani personalisation (demo and tests)."""


@main.command("issuer-key")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--issuer-id", required=True, help="e.g. BRI-7312")
def issuer_key_command(out_dir: Path, issuer_id: str) -> None:
    """Make an issuer key pair: <ID>.key.pem (0600) and <ID>.pub.pem."""
    try:
        private, public = make_issuer_key(out_dir, issuer_id)
    except PersonaliseError as exc:
        raise click.ClickException(f"{exc.message_id} / {exc}") from None
    click.echo(f"issuer key {private}\npublic key {public}")


@main.command("issue")
@click.option("--issuer-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True)
@click.option("--deck", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--replace", is_flag=True, help="Re-issue cards whose images exist (their ATC starts again).")
def issue_command(issuer_key: Path, csv_path: Path, deck: Path, replace: bool) -> None:
    """Issue one card image per CSV row into the deck folder."""
    try:
        paths = issue_cards(read_farmer_csv(csv_path), issuer_key, deck, replace)
    except PersonaliseError as exc:
        raise click.ClickException(f"{exc.message_id} / {exc}") from None
    click.echo(f"issued {len(paths)} card(s) into {deck}")


if __name__ == "__main__":
    sys.exit(main())
