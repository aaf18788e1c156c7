"""Service configuration: the variables of DESIGN.md §3, read from the environment and `.env`."""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

STRIPE_API_BASE_DEFAULT = "https://api.stripe.com"
TELEGRAM_API_HOST = "api.telegram.org"
# What @BotFather hands out: the bot's numeric id, a colon, then letters, digits, _ and -.
_BOT_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
TWILIO_API_BASE_DEFAULT = "https://api.twilio.com"
_SHARE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    bot_mode: Literal["polling", "webhook"] = "polling"
    public_url: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret_value: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    database_url: str = "sqlite+aiosqlite:///parking.db"
    redis_url: str = ""
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_topic_prefix: str = "parking"
    # None = not set: `parking` on PostgreSQL (several processes share one database), empty on
    # SQLite (one process). Set it empty to turn shared subscriptions off.
    mqtt_shared_group_value: str | None = Field(default=None, alias="MQTT_SHARED_GROUP")
    stripe_secret_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: str = STRIPE_API_BASE_DEFAULT
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str = ""
    twilio_api_base: str = TWILIO_API_BASE_DEFAULT
    # Not in DESIGN.md §3's table (an addition): SMS sent a second at most (Twilio queues a
    # long code's messages at 1 a second; short codes and messaging services take more).
    twilio_rate_per_second: float = Field(default=1.0, gt=0, le=1000)
    geocoder_url: str = ""
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    currency: str = "EUR"
    timezone: str = "UTC"
    hold_minutes: int = Field(default=10, ge=1, le=120)
    reminder_minutes: int = Field(default=30, ge=1, le=24 * 60)
    early_arrival_minutes: int = Field(default=15, ge=0, le=24 * 60)
    ack_timeout_seconds: float = Field(default=10, gt=0, le=300)
    # Not in DESIGN.md §3's table (an addition): how often the sweeps look for due work.
    sweep_interval_seconds: float = Field(default=15, gt=0, le=30)
    # Who runs the wallet (the service's operator), as wallet top-up receipts name them; the
    # car parks' own operators are premise fields (receipts for bookings).
    operator_name: str = Field(default="", max_length=200)
    operator_address: str = Field(default="", max_length=300)
    operator_vat_number: str = Field(default="", max_length=32)
    # After the start, a confirmed booking with no arrival and no car on the bay is released
    # (the driver is asked first); 0 = never.
    no_show_grace_minutes: int = Field(default=30, ge=0, le=24 * 60)
    # A car gone this long (continuously) ends its active booking early.
    leave_grace_minutes: int = Field(default=5, ge=1, le=24 * 60)
    log_format: Literal["text", "json"] = "text"
    # Not in DESIGN.md §3's table (an addition): the `process` label of this process's metrics
    # (empty: hostname:pid); a stable name (web-1) keeps a series across restarts.
    process_name: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9_.:@-]*$")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("must be comma-separated numeric Telegram user ids")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("currency")
    @classmethod
    def _check_currency(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError("must be a three-letter ISO 4217 code such as EUR")
        return value.upper()

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as Europe/Kyiv") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _check_mqtt_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("mqtt", "mqtts"):
            raise ValueError("must be mqtt://host:port or mqtts://user:pass@host:port, or empty")
        return value

    @field_validator("mqtt_shared_group_value")
    @classmethod
    def _check_shared_group(cls, value: str | None) -> str | None:
        # A share name is one topic level: no separators, no wildcards (MQTT 5 §4.8.2).
        if value and not _SHARE_NAME.fullmatch(value):
            raise ValueError("must be at most 64 letters, digits, _ . or -")
        return value

    @field_validator("public_url", "telegram_api_base", "stripe_api_base", "twilio_api_base")
    @classmethod
    def _check_http_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @property
    def webhook_secret(self) -> str:
        """Telegram's secret token: explicit, or derived from the bot token so every process
        agrees without extra configuration (Telegram allows A-Z, a-z, 0-9, _ and -)."""
        if self.webhook_secret_value is not None:
            return self.webhook_secret_value.get_secret_value()
        token = self.bot_token.get_secret_value() if self.bot_token else ""
        return hashlib.sha256(f"webhook:{token}".encode()).hexdigest()

    def secret_values(self) -> list[str]:
        """Every configured secret (keys, tokens, passwords in URLs), for the logs to blank out."""
        found = [
            secret.get_secret_value()
            for secret in (
                self.bot_token,
                self.stripe_secret_key,
                self.stripe_webhook_secret,
                self.twilio_auth_token,
            )
            if secret is not None
        ]
        found.append(self.webhook_secret)
        found += [
            password
            for url in (self.database_url, self.redis_url, self.mqtt_url)
            if (password := urlsplit(url).password)
        ]
        return [s for s in found if s]

    @property
    def mqtt_shared_group(self) -> str:
        """The MQTT v5 shared-subscription group for `state`/`availability` (DESIGN.md §13), or
        empty for plain subscriptions (every process hears every report)."""
        if self.mqtt_shared_group_value is not None:
            return self.mqtt_shared_group_value
        return "" if self.is_sqlite else "parking"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uses_telegram_server(self) -> bool:
        """True when TELEGRAM_API_BASE is Telegram's own Bot API server, not a local one."""
        return (urlsplit(self.telegram_api_base).hostname or "").lower() == TELEGRAM_API_HOST

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_secret_key.get_secret_value())

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)

    def require_for_run(self) -> None:
        """Checks what `run` needs beyond well-formed values; raises ConfigError."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise ConfigError(
                "BOT_TOKEN is not set: create a bot with @BotFather in Telegram (/newbot), "
                "then put BOT_TOKEN=<token> in .env or the environment"
            )
        if not _BOT_TOKEN_SHAPE.fullmatch(self.bot_token.get_secret_value()):
            raise ConfigError(
                "BOT_TOKEN is malformed: @BotFather's token is the bot's number, a colon and a "
                "key of letters, digits, _ and -; copy the whole token again"
            )
        if self.bot_mode == "webhook":
            if not self.public_url:
                raise ConfigError("PUBLIC_URL is required when BOT_MODE=webhook")
            # Telegram's own server calls webhooks over https only; a local Bot API server
            # (telegram-bot-api --local) also calls plain http on any port.
            if self.uses_telegram_server and not self.public_url.startswith("https://"):
                raise ConfigError(
                    "PUBLIC_URL must be an https:// URL when BOT_MODE=webhook with Telegram's "
                    f"Bot API server ({TELEGRAM_API_HOST})"
                )
        if self.stripe_enabled and not (
            self.stripe_webhook_secret and self.stripe_webhook_secret.get_secret_value()
        ):
            raise ConfigError("STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set")
        if self.stripe_enabled and not self.public_url:
            raise ConfigError("PUBLIC_URL is required when STRIPE_SECRET_KEY is set")
        if self.sms_enabled and not self.public_url:
            # Twilio signs its requests for the public URL it calls: without it none can be checked.
            raise ConfigError("PUBLIC_URL is required when TWILIO_ACCOUNT_SID is set")


def load_settings(**overrides: object) -> Settings:
    """Reads the settings; an invalid value becomes one ConfigError line naming the variable
    (never its value, which may be a secret)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        msg = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name}: {msg}") from None
