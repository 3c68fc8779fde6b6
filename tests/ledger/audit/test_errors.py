"""Every audit error has a message in Bahasa Indonesia and English, and every raise site fills it."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import ledger.audit
from ledger.audit.errors import MESSAGES, AuditError, NoteError, RefusalReason, Text, WitnessRefusal

PACKAGE = Path(ledger.audit.__file__).parent
# The audit core, its database side (ledger/audit/db/) and the offline verifier (ledger/verify/) raise them.
SOURCES = sorted([*PACKAGE.rglob("*.py"), *(PACKAGE.parent / "verify").rglob("*.py")])
ERROR_CLASSES = {"AuditError", "ProofError", "NoteError", "CheckpointError", "KeyFileError", "LogVerificationError",
                 "LogStateError", "WitnessError"}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_both_languages_name_the_same_fields(code: str) -> None:
    message_id, message_en = MESSAGES[code]
    assert message_id.strip() and message_en.strip() and message_id != message_en
    assert placeholders(message_id) == placeholders(message_en)


def _raise_sites() -> list[tuple[str, int, str, set[str]]]:
    sites = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            # a **splat passes fields on from another error: named "**" so the check below trusts it
            keywords = {k.arg or "**" for k in node.keywords}
            first = node.args[0] if node.args else None
            if node.func.id in ERROR_CLASSES and isinstance(first, ast.Constant) and isinstance(first.value, str):
                sites.append((path.name, node.lineno, first.value, keywords))
            elif node.func.id == "WitnessRefusal" and isinstance(first, ast.Attribute):
                sites.append((path.name, node.lineno, RefusalReason[first.attr].value, keywords))
    return sites


def test_every_raise_site_names_a_known_code_with_its_fields() -> None:
    sites = _raise_sites()
    assert len(sites) > 40
    wrong = []
    for file, line, code, keywords in sites:
        if code not in MESSAGES:
            wrong.append(f"{file}:{line} unknown code {code}")
        elif placeholders(MESSAGES[code][1]) - keywords and "**" not in keywords:
            wrong.append(f"{file}:{line} {code} lacks {placeholders(MESSAGES[code][1]) - keywords}")
    assert wrong == []
    used = {code for _, _, code, _ in sites}
    assert set(MESSAGES) - used == set(), "every message is used somewhere"


def test_text_fields_render_in_each_language() -> None:
    err = NoteError("malformed_note", reason=Text("teks rusak", "broken text"))
    assert err.message_id == "Catatan bertanda tangan tidak sah: teks rusak."
    assert err.message_en == "Malformed signed note: broken text."
    assert err.fields["reason"] == Text("teks rusak", "broken text")
    assert str(err) == f"{err.message_en} / {err.message_id}" and err.text == (err.message_id, err.message_en)
    refusal = WitnessRefusal(RefusalReason.ROLLBACK, size=1, last_size=2)
    assert isinstance(refusal, AuditError) and refusal.code == "witness_rollback" and refusal.reason is RefusalReason.ROLLBACK
