"""Log in and out. Logins are throttled (kiosk.auth.throttle): a locked username or address gets
429 and a bilingual message that never says whether the username exists."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kiosk.auth import PUBLIC, Attempt, access, attempt, mark_login, throttle
from kiosk.auth.throttle import LOCKED_EN, LOCKED_ID
from kiosk.db import db_session
from kiosk.models import User
from kiosk.security import bilingual, render_form

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


def safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes home (no open redirect)."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    if "\\" in target or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return url_for("home.index")  # browsers read "/\\host" as "//host"; control characters are stripped
    return target


def _start_session(user: User) -> None:
    """A fresh session for the login (only the language choice carries over), then the login's clock."""
    lang = cookie_session.get("lang")
    cookie_session.clear()
    if lang:
        cookie_session["lang"] = lang
    login_user(user)
    mark_login()


def _locked(form: LoginForm, outcome: Attempt) -> ResponseReturnValue:
    lock = outcome.lock
    if lock is None:
        raise ValueError("_locked needs an attempt refused by a lock")
    flash(bilingual(LOCKED_ID, LOCKED_EN), "error")
    wait = max(1, math.ceil((lock.until - throttle().now()).total_seconds()))
    return render_template("login.html", form=form), 429, {"Retry-After": str(wait)}


@bp.route("/login", methods=["GET", "POST"])
@access(PUBLIC)
def login() -> ResponseReturnValue:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_form("login.html", form)
    session = db_session()
    with session.begin():
        outcome = attempt(session, current_app.extensions["kiosk.hasher"], throttle(), form.username.data or "",
                          form.password.data or "", request.remote_addr or "-")
    if outcome.user is not None:
        _start_session(outcome.user)
        return redirect(safe_next(request.args.get("next")))
    if outcome.lock is not None:
        return _locked(form, outcome)
    flash(_("Wrong username or password."), "error")
    return render_template("login.html", form=form), 401


@bp.route("/logout", methods=["POST"])
@access(PUBLIC)
def logout() -> ResponseReturnValue:
    logout_user()
    lang = cookie_session.get("lang")
    cookie_session.clear()
    if lang:
        cookie_session["lang"] = lang
    return redirect(url_for("auth.login"))
