from __future__ import annotations

import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from fertilizer.errors import KeyStoreError
from fertilizer.keystore import KEYS_DB, LOOKUP_KEY, MASTER_KEY, FileKeyStore, KeyStore, MemoryKeyStore


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    s: KeyStore = MemoryKeyStore() if request.param == "memory" else FileKeyStore(tmp_path / "keys")
    yield s
    s.close()


def test_both_stores_satisfy_the_protocol(store: KeyStore) -> None:
    assert isinstance(store, KeyStore)


def test_create_get_destroy(store: KeyStore) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    made = store.create([a, b])
    assert set(made) == {a, b} and len(made[a]) == 32 and made[a] != made[b]
    assert store.get([a, b, uuid.uuid4()]) == made
    assert store.destroy(a) is True and store.destroy(a) is False
    assert store.get([a, b]) == {b: made[b]}
    assert len(store.lookup_key()) == 32 and store.lookup_key() not in made.values()


def test_keys_are_never_made_twice_not_even_after_destruction(store: KeyStore) -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    store.create([a])
    with pytest.raises(KeyStoreError) as err:
        store.create([b, a])
    assert err.value.code == "key_exists"
    assert store.get([b]) == {}  # all or nothing
    store.destroy(a)
    with pytest.raises(KeyStoreError):
        store.create([a])
    with pytest.raises(KeyStoreError):
        store.create([b, b])


def test_file_store_layout_and_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        s = FileKeyStore(tmp_path / "keys")
        s.create([uuid.uuid4()])
        s.close()
    finally:
        os.umask(old)
    d = tmp_path / "keys"
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for name in (MASTER_KEY, LOOKUP_KEY, KEYS_DB):
        assert stat.S_IMODE((d / name).stat().st_mode) == 0o600, name
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith(KEYS_DB)) == [LOOKUP_KEY, MASTER_KEY]


def test_file_store_survives_reopening(tmp_path: Path) -> None:
    a = uuid.uuid4()
    s = FileKeyStore(tmp_path / "keys")
    made, lookup = s.create([a]), s.lookup_key()
    s.close()
    again = FileKeyStore(tmp_path / "keys")
    try:
        assert again.get([a]) == made and again.lookup_key() == lookup
    finally:
        again.close()


def test_file_store_refuses_unsafe_permissions(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    FileKeyStore(d).close()
    os.chmod(d / MASTER_KEY, 0o644)
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(d)
    assert err.value.code == "unsafe_key_store"
    os.chmod(d / MASTER_KEY, 0o600)
    os.chmod(d, 0o755)
    with pytest.raises(KeyStoreError):
        FileKeyStore(d)


def test_corrupt_master_key_is_detected(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    FileKeyStore(d).close()
    (d / MASTER_KEY).write_bytes(b"short")
    with pytest.raises(KeyStoreError) as err:
        FileKeyStore(d)
    assert err.value.code == "corrupt_key_file"


def test_wrong_master_key_cannot_unwrap(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    s = FileKeyStore(d)
    a = uuid.uuid4()
    s.create([a])
    s.close()
    (d / MASTER_KEY).write_bytes(os.urandom(32))
    s = FileKeyStore(d)
    try:
        with pytest.raises(KeyStoreError) as err:
            s.get([a])
        assert err.value.code == "corrupt_wrapped_key"
    finally:
        s.close()


def test_destroyed_key_leaves_no_copy_in_the_live_files(tmp_path: Path) -> None:
    """Crypto-shredding: after destroy, neither the key nor its wrapped form is in any file of the store."""
    d = tmp_path / "keys"
    s = FileKeyStore(d)
    victim, other = uuid.uuid4(), uuid.uuid4()
    made = s.create([victim, other])
    wrapped = s._db.execute("SELECT wrapped FROM data_keys WHERE farmer_id = ?", (victim.bytes,)).fetchone()[0]
    s.destroy(victim)
    blobs = b"".join(p.read_bytes() for p in d.iterdir() if p.is_file())
    assert wrapped not in blobs and made[victim] not in blobs
    assert s.get([other]) == {other: made[other]}
    s.close()


@pytest.mark.slow
def test_two_processes_creating_the_store_agree_on_its_keys(tmp_path: Path) -> None:
    d = tmp_path / "keys"
    code = f"from fertilizer.keystore import FileKeyStore; s = FileKeyStore({str(d)!r}); print(s.lookup_key().hex()); s.close()"
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    store = FileKeyStore(d)
    try:
        assert len(outs) == 1 and outs == {store.lookup_key().hex()}
    finally:
        store.close()


class KeyStoreMachine(RuleBasedStateMachine):
    """The file store against a dict: create, destroy, reopen; keys match the model after each step."""

    live = Bundle("live")

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.dir = Path(tempfile.mkdtemp(prefix="ks-")) / "keys"
        self.store = FileKeyStore(self.dir)
        self.model: dict[uuid.UUID, bytes] = {}
        self.dead: set[uuid.UUID] = set()

    @rule(target=live)
    def create(self) -> uuid.UUID:
        fid = uuid.uuid4()
        self.model.update(self.store.create([fid]))
        return fid

    @rule(fid=consumes(live))
    def destroy(self, fid: uuid.UUID) -> None:
        assert self.store.destroy(fid) is True
        del self.model[fid]
        self.dead.add(fid)

    @rule()
    def recreate_dead_is_refused(self) -> None:
        for fid in list(self.dead)[:1]:
            with pytest.raises(KeyStoreError):
                self.store.create([fid])

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = FileKeyStore(self.dir)

    @invariant()
    def matches_model(self) -> None:
        assert self.store.get([*self.model, *self.dead]) == self.model

    def teardown(self) -> None:
        import shutil

        self.store.close()
        shutil.rmtree(self.dir.parent, ignore_errors=True)


TestKeyStoreMachine = KeyStoreMachine.TestCase
TestKeyStoreMachine.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
