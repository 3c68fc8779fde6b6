"""The security settings: typed, from the environment, refused when nonsensical; Secure cookies by
default in production only."""

from __future__ import annotations

import pytest

from kiosk.settings import ConfigError, load_settings, to_environ

PRODUCTION = {"KIOSK_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://kiosk@db/kiosk"}


def test_defaults() -> None:
    s = load_settings({})
    assert (s.login_max_failures, s.login_address_max_failures, s.login_window_minutes, s.login_lock_minutes) == (5, 20, 15, 15)
    assert (s.session_idle_minutes, s.session_max_hours, s.max_content_length) == (60, 12, 16 * 1024 * 1024)
    assert s.session_cookie_secure is False and s.hsts_seconds == 31_536_000


def test_the_environment_sets_them() -> None:
    s = load_settings({"KIOSK_LOGIN_MAX_FAILURES": "3", "KIOSK_LOGIN_LOCK_MINUTES": "60", "KIOSK_MAX_CONTENT_LENGTH": "1048576",
                       "KIOSK_SESSION_MAX_HOURS": "8"})
    assert (s.login_max_failures, s.login_lock_minutes, s.max_content_length, s.session_max_hours) == (3, 60, 1_048_576, 8)
    again = load_settings(to_environ(s))
    assert again.login_max_failures == 3 and again.max_content_length == 1_048_576


@pytest.mark.parametrize("name,value", [("KIOSK_LOGIN_MAX_FAILURES", "0"), ("KIOSK_LOGIN_WINDOW_MINUTES", "-5"),
                                        ("KIOSK_MAX_CONTENT_LENGTH", "0"), ("KIOSK_SESSION_IDLE_MINUTES", "0")])
def test_nonsense_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_words_where_numbers_belong_are_refused() -> None:
    with pytest.raises(ConfigError, match="KIOSK_LOGIN_LOCK_MINUTES must be a whole number"):
        load_settings({"KIOSK_LOGIN_LOCK_MINUTES": "soon"})


def test_secure_cookies_are_the_production_default() -> None:
    assert load_settings(PRODUCTION).session_cookie_secure is True
    assert load_settings({**PRODUCTION, "KIOSK_SESSION_COOKIE_SECURE": "false"}).session_cookie_secure is False
    assert load_settings({}, env="production", secret_key="s" * 40, database_url="sqlite://").session_cookie_secure is True
    assert load_settings({"KIOSK_ENV": "demo"}).session_cookie_secure is False
    assert load_settings({"KIOSK_ENV": "demo", "KIOSK_SESSION_COOKIE_SECURE": "true"}).session_cookie_secure is True
