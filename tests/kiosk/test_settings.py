from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.settings import DEV_SECRET, ConfigError, load_settings


def test_demo_defaults_are_safe_and_local(tmp_path: Path) -> None:
    s = load_settings({}, instance_path=str(tmp_path))
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    assert s.keys_dir == str(tmp_path / "keys")
    assert s.secret_key == DEV_SECRET


def test_environment_is_typed() -> None:
    s = load_settings({"KIOSK_PASSWORD_TIME_COST": "4", "KIOSK_SESSION_COOKIE_SECURE": "yes"})
    assert s.password_time_cost == 4
    assert s.session_cookie_secure is True


@pytest.mark.parametrize("name,value", [("KIOSK_PASSWORD_TIME_COST", "three"), ("KIOSK_SESSION_COOKIE_SECURE", "maybe"), ("KIOSK_ENV", "staging")])
def test_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})


def test_production_without_secret_stops_with_clear_message() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"KIOSK_ENV": "production", "DATABASE_URL": "postgresql://x/y"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings({"KIOSK_ENV": "production", "SECRET_KEY": "x" * 40})
    with pytest.raises(ConfigError, match="too short"):
        load_settings({"KIOSK_ENV": "production", "SECRET_KEY": "short", "DATABASE_URL": "postgresql://x/y"})


def test_production_refuses_weak_password_hashing() -> None:
    env = {"KIOSK_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "sqlite:///:memory:", "KIOSK_PASSWORD_MEMORY_KIB": "1024"}
    with pytest.raises(ConfigError, match="OWASP"):
        load_settings(env)


def test_app_factory_refuses_production_without_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_public_dict_hides_secrets() -> None:
    s = load_settings({"SECRET_KEY": "topsecret-value"})
    assert s.public_dict()["secret_key"] == "***"
    assert "topsecret-value" not in repr(s.public_dict())


def test_to_environ_round_trips(tmp_path: Path) -> None:
    from kiosk.settings import to_environ

    s = load_settings({}, instance_path=str(tmp_path), password_time_cost=5, rule_enabled=False)
    assert load_settings(to_environ(s)) == s
