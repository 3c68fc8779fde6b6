"""The web side's card checks on both databases: highest ATC per card, hotlist, and the facade
the checkout calls (verify_card_read / verify_transaction)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy.orm import Session, sessionmaker

from card_reader import CardRecords, Expired, Hotlisted, MalformedAnswer, NotAuthentic
from card_reader.protocol.card import AuthMode
from firmware_stubs.personalise import make_issuer_key
from kiosk import cards, migrate
from kiosk.cards import (
    HotlistReason,
    accept_atc,
    highest_atc,
    hotlist_card,
    unlist_card,
    verify_card_read,
    verify_transaction,
)
from kiosk.cli.card import card_group
from ledger.storage import create_engine
from tests.card_reader.cards import make_card

NOW = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
CHALLENGE = bytes(range(16))


def test_card_tables_match_their_migration(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), migrate.combined_metadata())
    mine = [d for d in diff if "card_" in repr(d)]
    assert mine == []
    assert {"card_atc", "card_hotlist"} <= set(sa.inspect(engine).get_table_names())


def test_atc_moves_strictly_forward(engine: sa.Engine) -> None:
    with Session(engine) as session, session.begin():
        assert highest_atc(session, "6013010000000001") is None
        accept_atc(session, "6013010000000001", 3, NOW)
        accept_atc(session, "6013010000000001", 4, NOW)
    for replay in (4, 2):
        with Session(engine) as session, session.begin():
            with pytest.raises(NotAuthentic) as err:
                accept_atc(session, "6013010000000001", replay, NOW)
            assert err.value.fields["reason"] == "atc_replay" and err.value.fields["highest_seen"] == 4
    with Session(engine) as session:
        assert highest_atc(session, "6013010000000001") == 4


def test_two_kiosks_racing_on_one_atc_accept_it_once(engine: sa.Engine) -> None:
    with Session(engine) as session, session.begin():
        accept_atc(session, "6013010000000002", 1, NOW)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def kiosk() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with session.begin():
                    accept_atc(session, "6013010000000002", 7, NOW)
                outcomes.append("accepted")
            except NotAuthentic:
                outcomes.append("replay")

    threads = [threading.Thread(target=kiosk) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["accepted", "replay"]


def test_first_sight_race_on_a_new_card(engine: sa.Engine) -> None:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def kiosk(atc: int) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with session.begin():
                    accept_atc(session, "6013010000000003", atc, NOW)
                outcomes.append(f"accepted {atc}")
            except NotAuthentic:
                outcomes.append(f"replay {atc}")

    threads = [threading.Thread(target=kiosk, args=(atc,)) for atc in (5, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["accepted 5", "replay 5"]


def test_hotlist(engine: sa.Engine) -> None:
    with Session(engine) as session, session.begin():
        hotlist_card(session, "6013010000000004", HotlistReason.LOST, NOW, "dilaporkan penyuluh")
        hotlist_card(session, "6013010000000004", HotlistReason.REPLACED, NOW)  # updated, not duplicated
    with Session(engine) as session:
        with pytest.raises(Hotlisted) as err:
            cards.check_hotlist(session, "6013010000000004")
        assert err.value.fields == {"reason": "replaced"} and "diganti" in err.value.message_id
        assert session.scalar(sa.select(sa.func.count()).select_from(cards.CardHotlist)) == 1
    with Session(engine) as session, session.begin():
        assert unlist_card(session, "6013010000000004") is True
        assert unlist_card(session, "6013010000000004") is False
        cards.check_hotlist(session, "6013010000000004")
        with pytest.raises(ValueError):
            hotlist_card(session, "12", HotlistReason.LOST, NOW)


def test_verify_card_read_and_transaction(engine: sa.Engine) -> None:
    card = make_card(card_number="6013010000000005")
    check = card.answer(AuthMode.CARD_CHECK, CHALLENGE)
    with Session(engine) as session, session.begin():
        verified = verify_card_read(session, card.records, check, CHALLENGE, card.issuer_keys, NOW, insertion=7)
    assert (verified.card_number, verified.atc, verified.insertion) == ("6013010000000005", 1, 7)
    assert verified.data.masked_nik == "7312********0001"
    tx_challenge = bytes(16)
    tx = card.answer(AuthMode.TRANSACTION, tx_challenge)
    with Session(engine) as session, session.begin():
        consent = verify_transaction(session, verified, tx_challenge, tx.atc, tx.signature, NOW)
    assert (consent.atc, consent.challenge, len(consent.signature)) == (2, tx_challenge, 64)
    assert consent.signed_data() == b"\x01" + tx_challenge + b"\x00\x02"
    with Session(engine) as session:
        assert highest_atc(session, "6013010000000005") == 2
    with Session(engine) as session, session.begin(), pytest.raises(NotAuthentic):  # the same answer again
        verify_transaction(session, verified, tx_challenge, tx.atc, tx.signature, NOW)
    with Session(engine) as session, session.begin(), pytest.raises(NotAuthentic):  # a card-check is no consent
        late = card.answer(AuthMode.CARD_CHECK, tx_challenge)
        verify_transaction(session, verified, tx_challenge, late.atc, late.signature, NOW)


@pytest.mark.parametrize("case", ["edited", "copied", "replayed", "hotlisted", "expired", "malformed"])
def test_verify_card_read_refusals(engine: sa.Engine, case: str) -> None:
    card = make_card(card_number="6013010000000006", expiry=date(2026, 11, 30) if case == "expired" else date(2030, 1, 31))
    records = card.records
    if case == "edited":
        records = CardRecords(records.record1.replace(b"La Baco", b"La Bacu"), records.record2, records.record3)
    if case == "malformed":
        records = CardRecords(records.record1[:-1], records.record2, records.record3)
    if case == "copied":
        card.card_key = ec.generate_private_key(ec.SECP256R1())
    answer = card.answer(AuthMode.CARD_CHECK, CHALLENGE)
    with Session(engine) as session, session.begin():
        if case == "replayed":
            accept_atc(session, card.farmer.card_number, answer.atc, NOW)
        if case == "hotlisted":
            hotlist_card(session, card.farmer.card_number, HotlistReason.STOLEN, NOW)
    expected = {"edited": NotAuthentic, "copied": NotAuthentic, "replayed": NotAuthentic, "hotlisted": Hotlisted,
                "expired": Expired, "malformed": MalformedAnswer}[case]
    with Session(engine) as session, session.begin(), pytest.raises(expected):
        verify_card_read(session, records, answer, CHALLENGE, card.issuer_keys, NOW)
    if case != "replayed":
        with Session(engine) as session:
            assert highest_atc(session, card.farmer.card_number) is None  # nothing recorded for a refused card


def test_load_issuer_keys(tmp_path: Path) -> None:
    make_issuer_key(tmp_path, "BRI-7312")
    make_issuer_key(tmp_path, "BNI-7312")
    assert sorted(cards.load_issuer_keys(tmp_path)) == ["BNI-7312", "BRI-7312"]
    (tmp_path / "BAD.pub.pem").write_bytes(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ValueError):
        cards.load_issuer_keys(tmp_path)


def test_now_must_be_zone_aware(engine: sa.Engine) -> None:
    card = make_card()
    with Session(engine) as session, pytest.raises(ValueError):
        verify_card_read(session, card.records, card.answer(AuthMode.CARD_CHECK, CHALLENGE), CHALLENGE, card.issuer_keys,
                         datetime(2026, 1, 1))


class AtcMachine(RuleBasedStateMachine):
    """accept_atc against a dict of highest ATCs, on a real SQLite database (STYLE habit 9)."""

    sessions: sessionmaker[Session]

    @initialize()
    def database(self) -> None:
        self.engine = create_engine(AtcMachine.url)
        with self.engine.begin() as conn:
            conn.execute(sa.delete(cards.CardAtc))
        self.sessions = sessionmaker(self.engine)
        self.model: dict[str, int] = {}

    @rule(card=st.sampled_from(["6013000000000001", "6013000000000002"]), atc=st.integers(0, 20))
    def offer(self, card: str, atc: int) -> None:
        accepted = card not in self.model or atc > self.model[card]
        try:
            with self.sessions() as session, session.begin():
                accept_atc(session, card, atc, NOW + timedelta(seconds=atc))
            assert accepted
            self.model[card] = atc
        except NotAuthentic:
            assert not accepted

    @invariant()
    def same_as_model(self) -> None:
        if hasattr(self, "sessions"):
            with self.sessions() as session:
                assert {c: highest_atc(session, c) for c in self.model} == self.model

    def teardown(self) -> None:
        if hasattr(self, "engine"):
            self.engine.dispose()


def test_atc_state_machine(sqlite_databases: object) -> None:
    AtcMachine.url = sqlite_databases.create()  # type: ignore[attr-defined]
    try:
        test = AtcMachine.TestCase()
        test.settings = settings(max_examples=25, stateful_step_count=15, deadline=None,
                                 suppress_health_check=[HealthCheck.too_slow])
        test.runTest()
    finally:
        sqlite_databases.drop(AtcMachine.url)  # type: ignore[attr-defined]


def test_hotlist_commands(app: Flask) -> None:
    runner = app.test_cli_runner()
    added = runner.invoke(card_group, ["hotlist", "add", "6013010000000009", "--reason", "lost", "--note", "di sawah"])
    assert added.exit_code == 0 and "601301******0009" in added.output
    listed = runner.invoke(card_group, ["hotlist", "list"])
    assert "6013010000000009" in listed.output and "lost" in listed.output
    assert runner.invoke(card_group, ["hotlist", "add", "123", "--reason", "lost"]).exit_code != 0
    assert "removed" in runner.invoke(card_group, ["hotlist", "remove", "6013010000000009"]).output
