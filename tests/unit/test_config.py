"""Configuration: DESIGN.md §3 names and defaults, one-line errors that never show secrets."""

from __future__ import annotations

import pytest

from core.config import ConfigError, Settings, load_settings

ALL_VARS = [
    "BOT_TOKEN",
    "TELEGRAM_API_BASE",
    "BOT_MODE",
    "PUBLIC_URL",
    "HTTP_HOST",
    "HTTP_PORT",
    "WEBHOOK_SECRET",
    "DATABASE_URL",
    "REDIS_URL",
    "MQTT_URL",
    "MQTT_TOPIC_PREFIX",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_API_BASE",
    "GEOCODER_URL",
    "ADMIN_IDS",
    "CURRENCY",
    "TIMEZONE",
    "HOLD_MINUTES",
    "REMINDER_MINUTES",
    "EARLY_ARRIVAL_MINUTES",
    "ACK_TIMEOUT_SECONDS",
    "NO_SHOW_GRACE_MINUTES",
    "LEAVE_GRACE_MINUTES",
    "MQTT_SHARED_GROUP",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_match_the_design() -> None:
    s = load_settings()
    assert (s.telegram_api_base, s.bot_mode, s.http_host, s.http_port) == (
        "https://api.telegram.org",
        "polling",
        "127.0.0.1",
        8080,
    )
    assert s.database_url == "sqlite+aiosqlite:///parking.db"
    assert (s.mqtt_url, s.mqtt_topic_prefix, s.redis_url) == ("mqtt://127.0.0.1:1883", "parking", "")
    assert (s.currency, s.timezone) == ("EUR", "UTC")
    assert (s.hold_minutes, s.reminder_minutes, s.early_arrival_minutes, s.ack_timeout_seconds) == (
        10,
        30,
        15,
        10,
    )
    assert not s.stripe_enabled and not s.sms_enabled and s.admin_ids == frozenset()
    assert (s.leave_grace_minutes, s.no_show_grace_minutes) == (5, 30)


def test_every_design_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {(f.alias or name).upper() for name, f in Settings.model_fields.items()}
    assert set(ALL_VARS) <= fields
    monkeypatch.setenv("ADMIN_IDS", " 12, 34 ")
    monkeypatch.setenv("HOLD_MINUTES", "15")
    monkeypatch.setenv("CURRENCY", "uah")
    monkeypatch.setenv("NO_SHOW_GRACE_MINUTES", "0")  # 0: no-shows are never released
    monkeypatch.setenv("LEAVE_GRACE_MINUTES", "3")
    s = load_settings()
    assert (s.admin_ids, s.hold_minutes, s.currency) == (frozenset({12, 34}), 15, "UAH")
    assert (s.no_show_grace_minutes, s.leave_grace_minutes) == (0, 3)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOLD_MINUTES", "ten"),
        ("BOT_MODE", "push"),
        ("TIMEZONE", "Mars/Base"),
        ("ADMIN_IDS", "1,bob"),
        ("DATABASE_URL", "mysql://x"),
        ("MQTT_URL", "tcp://x"),
        ("HTTP_PORT", "70000"),
        ("CURRENCY", "EURO"),
        ("NO_SHOW_GRACE_MINUTES", "-5"),
        ("LEAVE_GRACE_MINUTES", "0"),
    ],
)
def test_invalid_values_give_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(f"{name}:") and "\n" not in message and value not in message


def test_run_needs_a_bot_token_and_says_where_to_get_one() -> None:
    with pytest.raises(ConfigError, match=r"BOT_TOKEN.*@BotFather"):
        load_settings().require_for_run()


def test_webhook_secret_is_derived_stably_and_never_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:ABC")
    a, b = load_settings().webhook_secret, load_settings().webhook_secret
    assert a == b and "123:ABC" not in a and a.isalnum()
    monkeypatch.setenv("WEBHOOK_SECRET", "explicit_secret")
    assert load_settings().webhook_secret == "explicit_secret"
    assert "123:ABC" not in repr(load_settings())


def test_stripe_needs_its_webhook_secret_and_a_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        load_settings().require_for_run()


def test_webhook_needs_https_only_against_telegrams_own_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:ABC")
    monkeypatch.setenv("BOT_MODE", "webhook")
    monkeypatch.setenv("PUBLIC_URL", "http://parking.internal:8080")
    with pytest.raises(ConfigError, match=r"PUBLIC_URL must be an https:// URL"):
        load_settings().require_for_run()  # Telegram's server calls https webhooks only
    monkeypatch.setenv("PUBLIC_URL", "https://parking.example")
    load_settings().require_for_run()
    # A local Bot API server (telegram-bot-api --local) calls plain-HTTP webhooks on any port.
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:8081")
    monkeypatch.setenv("PUBLIC_URL", "http://parking.internal:8080")
    load_settings().require_for_run()
    monkeypatch.setenv("PUBLIC_URL", "")
    with pytest.raises(ConfigError, match=r"PUBLIC_URL is required when BOT_MODE=webhook"):
        load_settings().require_for_run()


@pytest.mark.parametrize("token", ["notatoken", "123456", ":abc", "abc:def", "123:abc def", "123:"])
def test_a_malformed_bot_token_is_one_line_without_the_value(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.setenv("BOT_TOKEN", token)
    with pytest.raises(ConfigError) as info:
        load_settings().require_for_run()
    message = str(info.value)
    assert message.startswith("BOT_TOKEN") and "@BotFather" in message
    assert "\n" not in message and token not in message


def test_shared_subscriptions_are_on_by_default_on_postgresql_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().mqtt_shared_group == ""  # SQLite: one process
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@db/parking")
    assert load_settings().mqtt_shared_group == "parking"
    monkeypatch.setenv("MQTT_SHARED_GROUP", "")  # turned off explicitly
    assert load_settings().mqtt_shared_group == ""
    monkeypatch.setenv("MQTT_SHARED_GROUP", "city-1")
    assert load_settings().mqtt_shared_group == "city-1"
    monkeypatch.setenv("MQTT_SHARED_GROUP", "a/#")
    with pytest.raises(ConfigError, match=r"^MQTT_SHARED_GROUP: must be at most 64 letters"):
        load_settings()
