"""LOG_FORMAT and PROCESS_NAME (DESIGN.md §3 and an addition), and which values the logs blank out."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working folder
    for name in ("LOG_FORMAT", "PROCESS_NAME", "BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "MQTT_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.log_format, settings.process_name) == ("text", "")
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("PROCESS_NAME", "web-1")
    settings = load_settings()
    assert (settings.log_format, settings.process_name) == ("json", "web-1")


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "xml"), ("PROCESS_NAME", "web 1")])
def test_a_wrong_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=rf"^{name}: "):
        load_settings()


def test_secret_values_cover_tokens_keys_and_passwords_in_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:token-part")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://parking:db-password@db/parking")
    monkeypatch.setenv("REDIS_URL", "redis://:redis-password@redis:6379/0")
    monkeypatch.setenv("MQTT_URL", "mqtts://parking-service:mqtt-password@broker:8883")
    settings = load_settings(stripe_secret_key="sk_live_key", twilio_auth_token="twilio-token")
    assert set(settings.secret_values()) == {
        "123456:token-part",
        settings.webhook_secret,
        "sk_live_key",
        "twilio-token",
        "db-password",
        "redis-password",
        "mqtt-password",
    }
