"""What the demo refuses before anything heavy is imported: a real Telegram token or Stripe key
(the demo runs against local emulators only, and must never reach a real account), and a point
off the globe. main.py checks this first, so `python main.py demo` with a real token is
refused at once, not after importing the whole service."""

from __future__ import annotations

import sys

from core.config import ConfigError, Settings, load_settings

# Credentials that only the local emulators accept; anything else is refused (see guard()).
DEMO_BOT_TOKEN = "4242424242:DemoTokenForTheLocalEmulatorOnly"
DEMO_STRIPE_KEY = "sk_test_demo_local_payment_page"
DEMO_WEBHOOK_SECRET = "whsec_demo_local_payment_page"
_REAL_STRIPE_KEYS = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")


def guard(settings: Settings) -> str | None:
    """Why the demo must not start with these settings (a real token or key), or None."""
    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    if token and token != DEMO_BOT_TOKEN:
        return "BOT_TOKEN is set"
    key = settings.stripe_secret_key.get_secret_value().strip() if settings.stripe_secret_key else ""
    if key.startswith(_REAL_STRIPE_KEYS) and key != DEMO_STRIPE_KEY:
        return "STRIPE_SECRET_KEY is set"
    return None


def demo_settings(*, lat: float, lon: float) -> Settings:
    """The environment's settings when the demo may run with them; exits with the reason
    otherwise."""
    try:
        env = load_settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    refused = guard(env)
    if refused:
        sys.exit(
            f"demo refused: {refused} (environment or .env); the demo runs without accounts, "
            "unset it to try the demo"
        )
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        sys.exit("demo: --lat must be within ±90 and --lon within ±180")
    return env
