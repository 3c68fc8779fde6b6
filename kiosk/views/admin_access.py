"""Admin pages: users and roles, machine tokens, kiosks, card hotlist, key management (issue 11).

The pages are thin: every change goes through the same services as the CLI — accounts
(:mod:`kiosk.auth.accounts`, locks :mod:`kiosk.auth.throttle`), outlets (:mod:`fertilizer.registry`),
the hotlist (:mod:`kiosk.hotlist`) and keys (:mod:`kiosk.keyring`) — each of which appends its audit
entry in the same transaction. Forms follow docs/security.md §5: bad input gets a message next to its
field (422), never a 500. Secrets shown: a new machine token once, in the answer to the request that
made it (never in a flash message, which would travel in the cookie). Private keys: never.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy.orm import Session
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from fertilizer.errors import RegistryError
from fertilizer.ledger_audit import ledger_audit_sink
from fertilizer.registry import add_outlet, outlet, reference_data, rename_outlet
from fertilizer.registry_types import OutletRec
from kiosk import hotlist, keyring
from kiosk.auth import AuthError, access, accounts, throttle, unlock_user
from kiosk.cards import HotlistReason
from kiosk.db import db_session
from kiosk.models import Role
from kiosk.security import UploadRefused, UploadRule, read_upload, render_form, show_refusal
from kiosk.settings import Settings
from kiosk.views import nav
from ledger.audit import AuditError

T = TypeVar("T")
log = logging.getLogger("kiosk.admin")
bp = Blueprint("admin_access", __name__)
# One header link for an admin (the header of 1024 px is shared by every area's pages); the pages'
# own links (templates/admin/_access_nav.html) lead on to tokens, kiosks, the hotlist and keys.
nav.add("admin_access.users", _l("Users"), [Role.ADMIN], _l("Users, kiosks, hotlist and keys"))
nav.add("admin_access.hotlist", _l("Hotlist"), [Role.SUPERVISOR], _l("Card hotlist"))

PUBLIC_PEM = UploadRule(frozenset({"pem", "pub"}), max_bytes=keyring.MAX_PUBLIC_PEM, label="public key")
PERSON_ROLES = [SelectChoice(r.value, r.value) for r in Role if r.is_person]
USER_FIELDS = {"bad_username": "username", "username_taken": "username", "weak_password": "password",
               "operator_needs_kiosk": "kiosk", "unknown_kiosk": "kiosk", "bad_role": "role", "self_demote": "role",
               "bad_token_name": "name", "token_name_taken": "name"}
OUTLET_FIELDS = {"bad_code": "code", "duplicate_code": "code", "unknown_reference": "kecamatan",
                 "bad_outlet_name": "name"}


# ---- forms --------------------------------------------------------------------------------------


def _read(work: Callable[[Session], T]) -> T:
    """A read in its own short transaction of the request's session."""
    session = db_session()
    with session.begin():
        return work(session)


def _kiosk_choices() -> list[SelectChoice]:
    outlets = _read(lambda s: reference_data(s).outlets)
    return [SelectChoice("", _("(none)")), *(SelectChoice(o.code, f"{o.code} · {o.name}") for o in outlets)]


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=128)])
    role = SelectField(_l("Role"), choices=PERSON_ROLES, validators=[InputRequired()])
    kiosk = SelectField(_l("Kiosk (required for an operator)"), validate_choice=False)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=PERSON_ROLES, validators=[InputRequired()])
    kiosk = SelectField(_l("Kiosk (required for an operator)"), validate_choice=False)


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(_l("Password again"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class ActiveForm(FlaskForm):
    active = HiddenField(validators=[InputRequired()])


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token (unlock, revoke, retire, generate, rotate)."""


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=64)])
    kiosk = SelectField(_l("Kiosk"), validate_choice=False)


class OutletForm(FlaskForm):
    code = StringField(_l("Kiosk code (e.g. KIOS-001)"), validators=[DataRequired(), Length(max=16)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=128)])
    kecamatan = SelectField(_l("Kecamatan"), validate_choice=False, validators=[DataRequired()])


class RenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=128)])


class HotlistForm(FlaskForm):
    card_number = StringField(_l("Card number (16 digits)"), validators=[DataRequired(), Length(max=32)])
    reason = SelectField(_l("Reason"), choices=[SelectChoice(r.value, r.value) for r in HotlistReason], validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=hotlist.NOTE_MAX)])


class UnlistForm(FlaskForm):
    card_number = HiddenField(validators=[DataRequired(), Length(max=32)])
    reason = StringField(_l("Why is the block lifted?"), validators=[DataRequired(), Length(max=hotlist.NOTE_MAX)])


class IssuerForm(FlaskForm):
    issuer = StringField(_l("Issuer code (e.g. BNI-7312)"), validators=[DataRequired(), Length(max=32)])
    key_file = FileField(_l("Issuer public key (PEM, at most 4 kB)"))


# ---- helpers ------------------------------------------------------------------------------------


def _actor() -> str:
    return str(current_user.username)


def _now() -> datetime:
    return datetime.now(UTC)


def _settings() -> Settings:
    settings: Settings = current_app.extensions["kiosk.settings"]
    return settings


def _done(message: str, endpoint: str, **values: Any) -> ResponseReturnValue:
    flash(message, "ok")
    return redirect(url_for(endpoint, **values), 303)


def _change(form: FlaskForm, fields: dict[str, str], work: Callable[[], object]) -> bool:
    """Run ``work`` in one transaction; a refusal goes next to its field (False), nothing changes."""
    try:
        with db_session().begin():
            work()
    except (AuthError, RegistryError, hotlist.HotlistError, keyring.KeyAdminError) as err:
        field = getattr(err, "field", None) or fields.get(getattr(err, "code", ""))
        show_refusal(form, err, field)
        return False
    except (OSError, AuditError) as err:  # a key file that cannot be written (or appeared meanwhile)
        log.warning("event=admin.key_file_error error=%s", type(err).__name__)
        show_refusal(form, keyring.KeyAdminError(
            "key_file_error", "Berkas kunci tidak dapat ditulis; tidak ada yang diubah. Coba lagi atau periksa izin folder kunci.",
            "The key file could not be written; nothing was changed. Try again or check the key folder's permissions."), None)
        return False
    return True


def _with_kiosks(*forms: FlaskForm) -> None:
    choices = _kiosk_choices()
    for form in forms:
        form.kiosk.choices = choices  # type: ignore[attr-defined]


# ---- users --------------------------------------------------------------------------------------


def _users_page(form: NewUserForm) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        users = accounts.list_users(session, throttle().now())
    return render_form("admin/access_users.html", form, users=users)


@bp.route("/admin/users", methods=["GET", "POST"])
@access(Role.ADMIN)
def users() -> ResponseReturnValue:
    form = NewUserForm()
    _with_kiosks(form)
    if form.validate_on_submit():
        hasher = current_app.extensions["kiosk.hasher"]
        if _change(form, USER_FIELDS, lambda: accounts.add_user(
                db_session(), hasher, actor=_actor(), now=_now(), username=form.username.data or "",
                password=form.password.data or "", role=Role(form.role.data), kiosk_code=form.kiosk.data or None,
                full_name=form.full_name.data or "")):
            return _done(_("User %(name)s added.", name=form.username.data), "admin_access.users")
    return _users_page(form)


def _user_page(username: str, **forms: FlaskForm) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        try:
            user = accounts.get_user(session, username)
        except AuthError:
            abort(404)
        row = next(u for u in accounts.list_users(session, throttle().now()) if u.username == username)
    role_form = forms.get("role_form") or RoleForm(data={"role": user.role.value, "kiosk": user.kiosk_code or ""})
    _with_kiosks(role_form)
    all_forms = {"role_form": role_form, "password_form": forms.get("password_form") or PasswordForm(),
                 "action_form": forms.get("action_form") or ActionForm()}
    failed = next((f for f in forms.values() if f.form_errors or any(x.errors for x in f)), None)
    return render_template("admin/access_user.html", user=row, is_self=username == _actor(),
                           **all_forms), 422 if failed is not None else 200


@bp.get("/admin/users/<username>")
@access(Role.ADMIN)
def user(username: str) -> ResponseReturnValue:
    return _user_page(username)


@bp.post("/admin/users/<username>/role")
@access(Role.ADMIN)
def user_role(username: str) -> ResponseReturnValue:
    form = RoleForm()
    _with_kiosks(form)
    if form.validate_on_submit() and _change(form, USER_FIELDS, lambda: accounts.change_role(
            db_session(), actor=_actor(), now=_now(), username=username, role=Role(form.role.data),
            kiosk_code=form.kiosk.data or None)):
        return _done(_("Role of %(name)s changed.", name=username), "admin_access.user", username=username)
    return _user_page(username, role_form=form)


@bp.post("/admin/users/<username>/password")
@access(Role.ADMIN)
def user_password(username: str) -> ResponseReturnValue:
    form = PasswordForm()
    hasher = current_app.extensions["kiosk.hasher"]
    if form.validate_on_submit() and _change(form, {"weak_password": "password"}, lambda: accounts.reset_password(
            db_session(), hasher, actor=_actor(), now=_now(), username=username, password=form.password.data or "")):
        return _done(_("Password of %(name)s reset.", name=username), "admin_access.user", username=username)
    return _user_page(username, password_form=form)


@bp.post("/admin/users/<username>/active")
@access(Role.ADMIN)
def user_active(username: str) -> ResponseReturnValue:
    form = ActiveForm()
    if form.validate_on_submit() and form.active.data in ("0", "1"):
        active = form.active.data == "1"
        if _change(form, {}, lambda: accounts.set_active(db_session(), actor=_actor(), now=_now(), username=username,
                                                          active=active)):
            return _done(_("%(name)s can log in again.", name=username) if active
                         else _("%(name)s is disabled.", name=username), "admin_access.user", username=username)
    elif not form.form_errors:
        form.form_errors.append(_("Choose enable or disable."))
    return _user_page(username, action_form=form)


@bp.post("/admin/users/<username>/unlock")
@access(Role.ADMIN)
def user_unlock(username: str) -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit() and _change(form, {}, lambda: unlock_user(
            db_session(), throttle(), username, actor=_actor(), now=throttle().now())):
        return _done(_("The login lock of %(name)s is released.", name=username), "admin_access.user", username=username)
    return _user_page(username, action_form=form)


# ---- machine tokens -----------------------------------------------------------------------------


def _tokens_page(form: TokenForm, secret: str | None = None, status: int | None = None) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        tokens = accounts.list_tokens(session)
    page, code = render_form("admin/access_tokens.html", form, tokens=tokens, secret=secret, action_form=ActionForm())
    return page, status or code


@bp.route("/admin/tokens", methods=["GET", "POST"])
@access(Role.ADMIN)
def tokens() -> ResponseReturnValue:
    """The device agent's tokens: issue one for a kiosk (the secret is shown in this answer only), revoke."""
    form = TokenForm()
    _with_kiosks(form)
    issued: list[str] = []
    if form.validate_on_submit() and _change(form, USER_FIELDS, lambda: issued.append(accounts.issue_token(
            db_session(), actor=_actor(), now=_now(), name=form.name.data or "", role=Role.AGENT,
            kiosk_code=form.kiosk.data or None)[1])):
        fresh = TokenForm(formdata=None)
        _with_kiosks(fresh)
        return _tokens_page(fresh, secret=issued[0], status=201)
    return _tokens_page(form)


@bp.post("/admin/tokens/<token_id>/revoke")
@access(Role.ADMIN)
def token_revoke(token_id: str) -> ResponseReturnValue:
    try:
        tid = uuid.UUID(token_id)
    except ValueError:
        abort(404)
    if _change(ActionForm(), {}, lambda: accounts.revoke_token(db_session(), actor=_actor(), now=_now(), token_id=tid)):
        return _done(_("Token revoked."), "admin_access.tokens")
    abort(404)


# ---- kiosks (outlets) ---------------------------------------------------------------------------


def _kiosks_page(form: OutletForm, rename: tuple[str, RenameForm] | None = None) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        data = reference_data(session)
        people = accounts.list_users(session, _now())
    kecamatan = {k.code: k.name for k in data.kecamatan}
    rows = [(o, kecamatan.get(o.kecamatan_code, o.kecamatan_code), [g for g in data.groups if g.outlet_code == o.code],
             [u for u in people if u.kiosk_code == o.code and u.role is Role.OPERATOR]) for o in data.outlets]
    form.kecamatan.choices = [SelectChoice("", "—"), *(SelectChoice(k.code, f"{k.code} · {k.name}") for k in data.kecamatan)]
    forms = {code: RenameForm(formdata=None, name=o.name) for code, o in ((o.code, o) for o in data.outlets)}
    if rename is not None:
        forms[rename[0]] = rename[1]
    failed = rename is not None and bool(rename[1].errors or rename[1].form_errors)
    page, status = render_form("admin/access_kiosks.html", form, rows=rows, rename_forms=forms)
    return page, 422 if failed else status


@bp.route("/admin/kiosks", methods=["GET", "POST"])
@access(Role.ADMIN)
def kiosks() -> ResponseReturnValue:
    form = OutletForm()
    if form.validate_on_submit():
        rec = OutletRec((form.code.data or "").strip().upper(), (form.name.data or "").strip(), form.kecamatan.data or "")
        if _change(form, OUTLET_FIELDS, lambda: add_outlet(db_session(), ledger_audit_sink(), rec, actor=_actor(),
                                                            now=_now())):
            return _done(_("Kiosk %(code)s added.", code=rec.code), "admin_access.kiosks")
    return _kiosks_page(form)


@bp.post("/admin/kiosks/<kiosk>/name")
@access(Role.ADMIN)
def kiosk_rename(kiosk: str) -> ResponseReturnValue:
    try:
        with db_session().begin():
            outlet(db_session(), kiosk)
    except RegistryError:
        abort(404)
    form = RenameForm()
    if form.validate_on_submit() and _change(form, OUTLET_FIELDS, lambda: rename_outlet(
            db_session(), ledger_audit_sink(), kiosk, form.name.data or "", actor=_actor(), now=_now())):
        return _done(_("Kiosk %(code)s renamed.", code=kiosk), "admin_access.kiosks")
    return _kiosks_page(OutletForm(formdata=None), (kiosk, form))


# ---- card hotlist -------------------------------------------------------------------------------


def _hotlist_page(form: HotlistForm, unlist: UnlistForm | None = None) -> ResponseReturnValue:
    session = db_session()
    with session.begin():
        listed = hotlist.entries(session)
    failed = unlist is not None and bool(unlist.errors or unlist.form_errors)
    page, status = render_form("admin/access_hotlist.html", form, listed=listed, unlist_form=unlist or UnlistForm(formdata=None),
                               blank_unlist=UnlistForm(formdata=None),
                               may_remove=current_user.role is Role.ADMIN)
    return page, 422 if failed else status


@bp.route("/admin/hotlist", methods=["GET", "POST"], endpoint="hotlist")
@access(Role.ADMIN, Role.SUPERVISOR)
def hotlist_page() -> ResponseReturnValue:
    """Supervisors may list and add (a lost card must be blocked at once); only an admin lifts a block."""
    form = HotlistForm()
    if form.validate_on_submit() and _change(form, {}, lambda: hotlist.add(
            db_session(), card_number=form.card_number.data or "", reason=HotlistReason(form.reason.data),
            note=form.note.data or "", actor=_actor(), now=_now())):
        return _done(_("The card is blocked on every kiosk."), "admin_access.hotlist")
    return _hotlist_page(form)


@bp.post("/admin/hotlist/remove")
@access(Role.ADMIN)
def hotlist_remove() -> ResponseReturnValue:
    form = UnlistForm()
    if form.validate_on_submit() and _change(form, {}, lambda: hotlist.remove(
            db_session(), card_number=form.card_number.data or "", reason=form.reason.data or "", actor=_actor(),
            now=_now())):
        return _done(_("The block is lifted."), "admin_access.hotlist")
    return _hotlist_page(HotlistForm(formdata=None), form)


# ---- keys ---------------------------------------------------------------------------------------


def _keys_page(form: IssuerForm | None = None, action: ActionForm | None = None) -> ResponseReturnValue:
    settings = _settings()
    issuer_form = form or IssuerForm(formdata=None)
    failed = any(f is not None and bool(f.errors or f.form_errors) for f in (form, action))
    return render_template("admin/access_keys.html", form=issuer_form, action_form=action or ActionForm(),
                           issuers=keyring.issuer_keys(settings), ledger_key=keyring.ledger_key(settings),
                           bpjs=keyring.bpjs_keys(settings)), 422 if failed else 200


@bp.get("/admin/keys")
@access(Role.ADMIN)
def keys() -> ResponseReturnValue:
    return _keys_page()


@bp.post("/admin/keys/issuers")
@access(Role.ADMIN)
def issuer_add() -> ResponseReturnValue:
    form = IssuerForm()
    if form.validate_on_submit():
        try:
            pem = read_upload(form.key_file.data, PUBLIC_PEM, "key_file")
        except UploadRefused as err:
            show_refusal(form, err, err.field)
        else:
            if _change(form, {}, lambda: keyring.add_issuer_key(db_session(), _settings(), issuer=form.issuer.data or "",
                                                                 pem=pem, actor=_actor(), now=_now())):
                return _done(_("Issuer key added; it takes effect when the kiosk server restarts."), "admin_access.keys")
    return _keys_page(form)


def _key_action(work: Callable[[], object], message: str) -> ResponseReturnValue:
    form = ActionForm()
    if form.validate_on_submit() and _change(form, {}, work):
        return _done(message, "admin_access.keys")
    return _keys_page(action=form)


@bp.post("/admin/keys/issuers/<issuer>/retire")
@access(Role.ADMIN)
def issuer_retire(issuer: str) -> ResponseReturnValue:
    return _key_action(lambda: keyring.retire_issuer_key(db_session(), _settings(), issuer=issuer, actor=_actor(),
                                                         now=_now()),
                       _("Issuer key retired; it stops working when the kiosk server restarts."))


@bp.post("/admin/keys/ledger")
@access(Role.ADMIN)
def ledger_create() -> ResponseReturnValue:
    return _key_action(lambda: keyring.create_ledger_key(db_session(), _settings(), actor=_actor(), now=_now()),
                       _("Ledger signing key created."))


@bp.post("/admin/keys/ledger/rotate")
@access(Role.ADMIN)
def ledger_rotate() -> ResponseReturnValue:
    return _key_action(lambda: keyring.rotate_ledger_key(db_session(), _settings(), actor=_actor(), now=_now()),
                       _("Ledger signing key rotated: the next checkpoints are signed with the new key."))


@bp.get("/admin/keys/ledger.vkeys")
@access(Role.ADMIN)
def ledger_vkeys() -> ResponseReturnValue:
    return Response(keyring.ledger_vkeys(_settings()), mimetype="text/plain",
                    headers={"Content-Disposition": "attachment; filename=ledger.vkeys"})


@bp.post("/admin/keys/bpjs/next")
@access(Role.ADMIN)
def bpjs_next() -> ResponseReturnValue:
    return _key_action(lambda: keyring.generate_next_bpjs_key(db_session(), _settings(), actor=_actor(), now=_now()),
                       _("New BPJS partner key pair generated: send its public key to BPJS."))


@bp.get("/admin/keys/bpjs/<which>.pub.pem")
@access(Role.ADMIN)
def bpjs_public(which: str) -> ResponseReturnValue:
    state = keyring.bpjs_keys(_settings())
    key = {"current": state.current, "next": state.next}.get(which)
    if key is None:
        abort(404)
    return Response(key.public_pem, mimetype="application/x-pem-file",
                    headers={"Content-Disposition": f"attachment; filename=bpjs-partner-{which}.pub.pem"})
