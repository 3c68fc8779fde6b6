"""Personalisation: issuer keys, card images from a farmer CSV, all rows checked first."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from card_reader.records import CardRecords, parse_records
from card_reader.verify import verify_issuer
from firmware_stubs.card.image import ImageError, load_image
from firmware_stubs.personalise import PersonaliseError, issue_cards, main, make_issuer_key, read_farmer_csv
from kiosk.cards import load_issuer_keys

HEADER = "card_number,nik,name,birth_date,village_code,group_code,expiry,pin\n"
GOOD = "6013010000000001,7312010101800001,La Baco bin La Tenri,1980-01-01,7312010001,KT-SIPAKAINGE,2912,123456\n"
GOOD2 = "6013010000000002,7312014506750002,Hj. Andi Besse,1975-06-05,7312010002,KT MAJU/JAYA,3001,654321\n"


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "farmers.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_issue_from_csv(tmp_path: Path) -> None:
    private, public = make_issuer_key(tmp_path / "keys", "BRI-7312")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    paths = issue_cards(read_farmer_csv(_csv(tmp_path, GOOD, GOOD2)), private, tmp_path / "deck")
    assert [p.name for p in paths] == ["6013010000000001.json", "6013010000000002.json"]
    keys = load_issuer_keys(tmp_path / "keys")
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        image = load_image(path)
        data = parse_records(CardRecords(*image.records))
        verify_issuer(data, keys)
        assert (image.atc, image.pin_tries_left) == (0, 3)
    second = parse_records(CardRecords(*load_image(paths[1]).records))
    assert (second.name, second.group_code, str(second.expiry)) == ("Hj. Andi Besse", "KT MAJU/JAYA", "2030-01-31")


@pytest.mark.parametrize(
    ("row", "column"),
    [
        ("601301000000001,7312010101800001,A,1980-01-01,7312010001,KT,2912,123456\n", "card_number"),
        ("6013010000000001,731201010180000X,A,1980-01-01,7312010001,KT,2912,123456\n", "nik"),
        ("6013010000000001,7312010101800001,,1980-01-01,7312010001,KT,2912,123456\n", "name"),
        ("6013010000000001,7312010101800001,A,1980-02-30,7312010001,KT,2912,123456\n", "birth_date"),
        ("6013010000000001,7312010101800001,A,1980-01-01,731201001,KT,2912,123456\n", "village_code"),
        ("6013010000000001,7312010101800001,A,1980-01-01,7312010001,KT;x,2912,123456\n", "group_code"),
        ("6013010000000001,7312010101800001,A,1980-01-01,7312010001,KT,2913,123456\n", "expiry"),
        ("6013010000000001,7312010101800001,A,1980-01-01,7312010001,KT,2912,12a\n", "pin"),
    ],
)
def test_bad_rows_name_line_and_column(tmp_path: Path, row: str, column: str) -> None:
    with pytest.raises(PersonaliseError) as err:
        read_farmer_csv(_csv(tmp_path, GOOD2, row))
    assert (err.value.line, err.value.column) == (3, column)
    assert err.value.message_id and err.value.message_en


def test_structure_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("card_number,nik\n1,2\n")
    with pytest.raises(PersonaliseError, match="columns"):
        read_farmer_csv(tmp_path / "bad.csv")
    with pytest.raises(PersonaliseError, match="number of columns"):
        read_farmer_csv(_csv(tmp_path, GOOD.strip() + ",extra\n"))
    with pytest.raises(PersonaliseError, match="duplicate"):
        read_farmer_csv(_csv(tmp_path, GOOD, GOOD))


def test_cli_writes_nothing_on_a_bad_row(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["issuer-key", "--out", str(tmp_path / "keys"), "--issuer-id", "BRI-7312"])
    assert result.exit_code == 0, result.output
    bad = _csv(tmp_path, GOOD, GOOD2.replace("654321", "65"))
    result = runner.invoke(main, ["issue", "--issuer-key", str(tmp_path / "keys" / "BRI-7312.key.pem"),
                                  "--csv", str(bad), "--deck", str(tmp_path / "deck")])
    assert result.exit_code == 1 and "line 3, column pin" in result.output
    assert not (tmp_path / "deck").exists() or not list((tmp_path / "deck").iterdir())
    good = _csv(tmp_path, GOOD)
    args = ["issue", "--issuer-key", str(tmp_path / "keys" / "BRI-7312.key.pem"), "--csv", str(good),
            "--deck", str(tmp_path / "deck")]
    assert runner.invoke(main, args).exit_code == 0
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "exists already" in again.output
    assert runner.invoke(main, [*args, "--replace"]).exit_code == 0


def test_issuer_key_is_never_overwritten(tmp_path: Path) -> None:
    make_issuer_key(tmp_path, "BRI-7312")
    with pytest.raises(PersonaliseError):
        make_issuer_key(tmp_path, "BRI-7312")
    with pytest.raises(PersonaliseError):
        make_issuer_key(tmp_path, "bri lower")


def test_image_repr_and_errors(tmp_path: Path) -> None:
    private, _ = make_issuer_key(tmp_path / "keys", "BRI-7312")
    (path,) = issue_cards(read_farmer_csv(_csv(tmp_path, GOOD)), private, tmp_path / "deck")
    image = load_image(path)
    assert "123456" not in repr(image) and "PRIVATE" not in repr(image)
    raw = json.loads(path.read_text())
    for broken in ({**raw, "format": "other"}, {**raw, "atc": 70000}, {**raw, "card_private_key": "x"}, {"format": 1}):
        path.write_text(json.dumps(broken))
        with pytest.raises(ImageError):
            load_image(path)
    path.write_text("{not json")
    with pytest.raises(ImageError):
        load_image(path)
