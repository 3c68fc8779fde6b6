"""What the entries mean, replayed in sealed order: journals, their legs and the accounts' balances.

For each entry (docs/audit-entry-encoding.md) the replay checks, and names the first problem:

* the envelope: version 1, a known kind, exactly the member its kind calls for;
* ``account.opened``: a new account id, a valid asset and limit; ``account.closed``: an open account
  with nothing pending;
* ``journal.submitted``: a new journal id, state pending (or posted at once), 1-64 legs of amounts
  1..2^53-1 between two different, open accounts; the journal balances per asset, counting each leg
  in its accounts' own assets (an account of another asset unbalances it), and each leg's asset is its
  accounts' asset;
* ``journal.posted`` / ``voided`` / ``expired``: the journal is pending, keeps every other member
  (legs, key, times, ...), and reaches the matching state;
* and it rebuilds every account's four counters from the legs (pending, then posted or released).

:meth:`Replay.finish` then checks every limited account against its limit and that each asset's
rebuilt balances sum to zero. Memory: one small record per account, 16 bytes (plus set overhead) per
journal, and the pending journals themselves.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NoReturn

from ledger.audit.errors import LogVerificationError, Text
from ledger.verify.entries import AccountBody, Entry, JournalBody

MAX_AMOUNT = 2**53 - 1
MAX_LEGS = 64
LIMITS = ("none", "debits_must_not_exceed_credits", "credits_must_not_exceed_debits")
_ASSET = re.compile(r"(IDR|KG:[A-Z0-9_]{1,32})")
_ADMIN_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}\.[a-z][a-z0-9_]{0,63}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_RESERVED = ("journal", "account", "ledger")
FINGERPRINT = (1 << 64) - 1  # the low 64 bits of a journal id (a UUIDv7's random bits)
# Repeats are looked for in parts split by the lowest bits, which are random in a UUIDv7 (the top two
# of the 64 are its variant, always 0b10): a quarter of the journals' ints is ~10 MB a million journals.
FINGERPRINT_PARTS = 4
FINAL = {"journal.posted": "posted", "journal.voided": "voided", "journal.expired": "voided"}
# Members a journal keeps when it moves from pending to its final state.
FIXED = ("idempotency_key", "kind", "kiosk", "farmer", "remote_ref", "memo", "legs", "created_at", "expires_at")



class AccountState:
    """An account as the replay knows it: asset, limit, closed, and its four rebuilt counters."""

    __slots__ = ("asset", "limit", "closed", "dp", "cp", "dpend", "cpend")

    def __init__(self, asset: str, limit: str) -> None:
        self.asset, self.limit, self.closed = asset, limit, False
        self.dp = self.cp = self.dpend = self.cpend = 0

    def counters(self) -> tuple[int, int, int, int]:
        """(debits_posted, credits_posted, debits_pending, credits_pending)"""
        return self.dp, self.cp, self.dpend, self.cpend


def _bad(seq: int, reason_id: str, reason_en: str) -> LogVerificationError:
    return LogVerificationError("entry_malformed", seq=seq, reason=Text(reason_id, reason_en))


def _journal_key(seq: int, journal_id: str) -> int:
    """The journal id as a 128-bit integer (a hyphenated UUID)."""
    digits = journal_id.replace("-", "")
    shaped = len(journal_id) == 36 and len(digits) == 32 and digits.isalnum() and journal_id[8:24:5] == "----"
    try:
        key = int(digits, 16) if shaped else -1
    except ValueError:
        key = -1
    if key < 0:
        raise _bad(seq, "id jurnal bukan UUID", "the journal id is not a UUID")
    return key


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    entries: int
    journals: int
    accounts: int
    pending: int


class Replay:
    """Feed entries in sealed order with :meth:`add`; :meth:`finish` at the end."""

    def __init__(self, *, exact_ids: bool = False) -> None:
        """``exact_ids`` keeps every journal id in a set (the live verifier compares them with the
        tables); otherwise only 8-byte fingerprints are kept and repeats are confirmed at the end."""
        self.accounts: dict[str, AccountState] = {}
        self.pending: dict[str, JournalBody] = {}
        self._fingerprints = array("Q")
        self._exact: set[int] | None = set() if exact_ids else None
        self.entries = 0

    @property
    def journal_ids(self) -> set[int]:
        """Every journal id seen, as 128-bit integers (``exact_ids`` only)."""
        if self._exact is None:
            raise ValueError("journal ids are kept only with exact_ids=True")
        return self._exact

    def add(self, seq: int, entry: Entry) -> None:
        kind = entry.kind
        if entry.v != 1 or not _TIME.fullmatch(entry.at):
            raise _bad(seq, "versi atau waktu tidak sah", "invalid version or time")
        journal, account, payload = entry.journal, entry.account, entry.payload
        members = (journal is not None) + (account is not None) + (payload is not None)
        if kind == "journal.submitted" and journal is not None and members == 1:
            self._submitted(seq, journal)
        elif kind in FINAL and journal is not None and members == 1:
            self._settled(seq, journal, FINAL[kind])
        elif kind == "account.opened" and account is not None and members == 1:
            self._opened(seq, account)
        elif kind == "account.closed" and account is not None and members == 1:
            self._closed(seq, account)
        elif payload is not None and members == 1 and _ADMIN_KIND.fullmatch(kind) and kind.split(".")[0] not in _RESERVED:
            _check_payload(seq, payload, 0)
        else:
            raise _bad(seq, f"jenis {kind!r} tidak cocok dengan isinya", f"kind {kind!r} does not match its content")
        self.entries += 1

    # -- journals ---------------------------------------------------------------------------

    def _submitted(self, seq: int, j: JournalBody) -> None:
        key = _journal_key(seq, j.id)
        if self._exact is not None:
            if key in self._exact:
                raise LogVerificationError("journal_repeated", seq=seq, journal=j.id)
            self._exact.add(key)
        self._fingerprints.append(key & FINGERPRINT)
        posted = j.state == "posted"
        if j.state == "pending":
            if j.finalized_at is not None or j.reason is not None:
                raise _bad(seq, "jurnal tertunda tidak boleh punya waktu final", "a pending journal has no final time")
        elif not posted or j.finalized_at is None:
            raise _bad(seq, "jurnal baru harus tertunda atau langsung dibukukan", "a new journal is pending or posted at once")
        legs = j.legs
        if not 1 <= len(legs) <= MAX_LEGS:
            raise LogVerificationError("journal_bad_leg", seq=seq, journal=j.id, leg=len(legs),
                                       reason=Text("jurnal harus punya 1-64 baris", "a journal has 1-64 legs"))
        accounts = self.accounts
        for leg in legs:  # the fast path: checked and applied at once (the first problem stops everything)
            d, c, amount, asset = accounts.get(leg.debit), accounts.get(leg.credit), leg.amount, leg.asset
            if (d is None or c is None or d.closed or c.closed or d.asset != asset or c.asset != asset
                    or not 0 < amount <= MAX_AMOUNT or leg.debit == leg.credit):
                self._refuse_legs(seq, j)
            elif posted:
                d.dp += amount  # type: ignore[union-attr]
                c.cp += amount  # type: ignore[union-attr]
            else:
                d.dpend += amount  # type: ignore[union-attr]
                c.cpend += amount  # type: ignore[union-attr]
        if not posted:
            self.pending[j.id] = j

    def _refuse_legs(self, seq: int, j: JournalBody) -> NoReturn:
        """Name the first problem of a journal's legs (the fast path found one)."""
        accounts = self.accounts
        sums: dict[str, int] = {}
        for i, leg in enumerate(j.legs):
            d, c = accounts.get(leg.debit), accounts.get(leg.credit)
            why = _leg_problem(leg.amount, leg.debit, leg.credit, d, c)
            if why is not None or d is None or c is None:
                raise LogVerificationError("journal_bad_leg", seq=seq, journal=j.id, leg=i, reason=why)
            sums[d.asset] = sums.get(d.asset, 0) + leg.amount
            sums[c.asset] = sums.get(c.asset, 0) - leg.amount
            if d.asset == c.asset and leg.asset != d.asset:
                raise LogVerificationError("journal_bad_leg", seq=seq, journal=j.id, leg=i,
                                           reason=Text("asetnya bukan aset akunnya", "its asset is not its accounts' asset"))
        asset, difference = next(((a, n) for a, n in sorted(sums.items()) if n), ("?", 0))
        raise LogVerificationError("journal_unbalanced", seq=seq, journal=j.id, asset=asset, difference=difference)

    def _settled(self, seq: int, j: JournalBody, state: str) -> None:
        before = self.pending.pop(j.id, None)
        if before is None:
            raise LogVerificationError("journal_not_pending", seq=seq, journal=j.id)
        for name in FIXED:
            if getattr(before, name) != getattr(j, name):
                raise LogVerificationError("journal_changed", seq=seq, journal=j.id, field=name)
        if j.state != state or j.finalized_at is None:
            raise _bad(seq, f"status akhir harus {state}", f"the final state must be {state}")
        for leg in j.legs:
            d, c = self.accounts[leg.debit], self.accounts[leg.credit]
            d.dpend -= leg.amount
            c.cpend -= leg.amount
            if state == "posted":
                d.dp += leg.amount
                c.cp += leg.amount

    # -- accounts ---------------------------------------------------------------------------

    def _opened(self, seq: int, a: AccountBody) -> None:
        if a.id in self.accounts:
            raise LogVerificationError("account_repeated", seq=seq, account=a.id)
        if not _ASSET.fullmatch(a.asset) or a.limit not in LIMITS or a.closed_at is not None or len(a.id) != 36:
            raise _bad(seq, "akun baru tidak sah", "invalid new account")
        self.accounts[a.id] = AccountState(a.asset, a.limit)

    def _closed(self, seq: int, a: AccountBody) -> None:
        state = self.accounts.get(a.id)
        if state is None or state.closed:
            why = Text("tidak dibuka atau sudah ditutup", "was never opened or is already closed")
            raise LogVerificationError("account_not_open", seq=seq, account=a.id, reason=why)
        if state.dpend or state.cpend:
            why = Text("ditutup dengan jumlah tertunda", "is closed with pending amounts")
            raise LogVerificationError("account_not_open", seq=seq, account=a.id, reason=why)
        if a.closed_at is None or a.asset != state.asset or a.limit != state.limit:
            raise _bad(seq, "penutupan akun tidak sah", "invalid account closing")
        state.closed = True

    # -- the end ----------------------------------------------------------------------------

    def finish(self, rescan: Callable[[], Iterator[tuple[int, Entry]]] | None = None) -> ReplaySummary:
        """The end-of-log checks. Without ``exact_ids``, journals whose fingerprints repeat are
        confirmed on a second pass over the entries (``rescan``); a repeat names its second entry."""
        if self._exact is None:
            self._confirm_repeats(rescan)
        totals: dict[str, list[int]] = {}
        for account_id in sorted(self.accounts):
            a = self.accounts[account_id]
            over = (a.limit == LIMITS[1] and a.dp + a.dpend > a.cp) or (a.limit == LIMITS[2] and a.cp + a.cpend > a.dp)
            if over:
                raise LogVerificationError("account_over_limit", account=account_id, asset=a.asset, limit=a.limit)
            t = totals.setdefault(a.asset, [0, 0])
            t[0] += a.dp - a.cp
            t[1] += a.dpend - a.cpend
        for asset, (posted, pending) in sorted(totals.items()):
            if posted or pending:
                raise LogVerificationError("assets_unbalanced", asset=asset, difference=posted or pending)
        return ReplaySummary(self.entries, len(self._fingerprints), len(self.accounts), len(self.pending))

    def _confirm_repeats(self, rescan: Callable[[], Iterator[tuple[int, Entry]]] | None) -> None:
        suspects: set[int] = set()
        for part in range(FINGERPRINT_PARTS):  # a part at a time: the sorted list of ints is the replay's peak memory
            ordered = sorted(f for f in self._fingerprints if f % FINGERPRINT_PARTS == part)
            suspects.update(a for a, b in zip(ordered, ordered[1:]) if a == b)
            del ordered
        if not suspects:
            return
        if rescan is None:
            raise ValueError("repeated journal fingerprints need a rescan of the entries")
        seen: set[int] = set()
        for seq, entry in rescan():
            j = entry.journal
            if entry.kind != "journal.submitted" or j is None:
                continue
            key = _journal_key(seq, j.id)
            if key & FINGERPRINT in suspects:
                if key in seen:
                    raise LogVerificationError("journal_repeated", seq=seq, journal=j.id)
                seen.add(key)

    def balances(self) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
        """Every account's rebuilt (debits_posted, credits_posted, debits_pending, credits_pending)."""
        for account_id, a in self.accounts.items():
            yield account_id, a.counters()


def _leg_problem(amount: int, debit: str, credit: str, d: AccountState | None, c: AccountState | None) -> Text | None:
    if not 0 < amount <= MAX_AMOUNT:
        return Text("jumlah harus 1..2^53-1", "the amount must be 1..2^53-1")
    if debit == credit:
        return Text("debit dan kredit akun yang sama", "it debits and credits the same account")
    if d is None or c is None:
        missing = debit if d is None else credit
        return Text(f"akun {missing} belum dibuka", f"account {missing} was never opened")
    if d.closed or c.closed:
        return Text("akunnya sudah ditutup", "an account of it is closed")
    return None


def _check_payload(seq: int, value: object, depth: int) -> None:
    """An admin payload holds only JSON objects, arrays, strings, booleans, nulls and safe integers."""
    if depth > 32:
        raise _bad(seq, "muatan terlalu dalam", "payload nested too deep")
    if isinstance(value, dict):
        for item in value.values():
            _check_payload(seq, item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_payload(seq, item, depth + 1)
    elif isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_AMOUNT):
        raise _bad(seq, "muatan berisi bilangan yang tidak diizinkan", "the payload holds a number that is not allowed")
