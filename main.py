"""smart-parking-bot: the only place where things are wired (DESIGN.md §2).

`python main.py` = `python main.py run`. Sub-commands: run, migrate, seed-demo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web

from core.clock import SystemClock
from core.config import STRIPE_API_BASE_DEFAULT, ConfigError, Settings, load_settings
from core.db import Database
from core.demo import seed_demo
from core.migrate import upgrade_to_head
from payments.service import PaymentService
from payments.stripe_gateway import StripeGateway
from payments.web import add_payment_routes

log = logging.getLogger("parking")


def _settings_or_exit() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")


def cmd_migrate(settings: Settings) -> None:
    upgrade_to_head(settings.database_url)
    log.info("database is at the latest schema")


async def _seed(settings: Settings, lat: float, lon: float) -> None:
    db = Database.from_url(settings.database_url)
    try:
        async with db.transaction() as session:
            result = await seed_demo(
                session,
                lat=lat,
                lon=lon,
                currency=settings.currency,
                timezone=settings.timezone,
                now=SystemClock().now(),
            )
    finally:
        await db.dispose()
    print(
        f"demo premises: {result.premises_created} created, {result.premises_existing} already there; "
        f"{result.spots} spots added"
    )
    if result.blocker_ids:
        print("blocker ids (for `python -m hardware.simulator --blockers ...`):")
        print(",".join(result.blocker_ids))


def build_web_app(db: Database, payments: PaymentService | None, settings: Settings) -> web.Application:
    app = web.Application()
    if payments is not None:
        assert settings.stripe_webhook_secret is not None
        add_payment_routes(app, payments, webhook_secret=settings.stripe_webhook_secret.get_secret_value())

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with db.read() as session:
                await session.connection()
        except Exception:  # the probe reports any database failure as unhealthy
            log.exception("health check: database unreachable")
            return web.json_response({"status": "error", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    return app


async def serve(settings: Settings) -> None:
    db = Database.from_url(settings.database_url)
    gateway: StripeGateway | None = None
    payments: PaymentService | None = None
    if settings.stripe_enabled:
        assert settings.stripe_secret_key is not None
        gateway = StripeGateway(
            settings.stripe_secret_key.get_secret_value(),
            api_base=None
            if settings.stripe_api_base == STRIPE_API_BASE_DEFAULT
            else settings.stripe_api_base,
        )
        payments = PaymentService(db, gateway, SystemClock(), public_url=settings.public_url)
    else:
        log.info("card payments disabled: STRIPE_SECRET_KEY is not set (wallet payments still work)")
    runner = web.AppRunner(build_web_app(db, payments, settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("web app listening on http://%s:%s", settings.http_host, settings.http_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
        if gateway is not None:
            await gateway.close()
        await db.dispose()


def cmd_run(settings: Settings) -> None:
    try:
        settings.require_for_run()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    # Start-up brings the schema up to date so `python main.py` alone works on a fresh machine.
    cmd_migrate(settings)
    asyncio.run(serve(settings))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py",
        description="smart-parking-bot: find, book, pay for and enter parking from Telegram.",
        epilog="Configuration comes from the environment and .env (see .env.example).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("run", help="run the service (default)", description="Run the bot, web app and jobs.")
    sub.add_parser(
        "migrate",
        help="bring the database schema to the latest version",
        description="Apply Alembic migrations up to head on DATABASE_URL.",
    )
    seed = sub.add_parser(
        "seed-demo",
        help="add demo premises, spots and blockers around a point (idempotent)",
        description="Add a handful of demo premises with spots and blocker ids around a point.",
    )
    seed.add_argument("--lat", type=float, default=50.4501, help="latitude (default: Kyiv centre)")
    seed.add_argument("--lon", type=float, default=30.5234, help="longitude (default: Kyiv centre)")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings_or_exit()
    command = args.command or "run"
    if command == "migrate":
        cmd_migrate(settings)
    elif command == "seed-demo":
        if not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180):
            sys.exit("seed-demo: --lat must be within ±90 and --lon within ±180")
        cmd_migrate(settings)
        asyncio.run(_seed(settings, args.lat, args.lon))
    else:
        cmd_run(settings)


if __name__ == "__main__":
    main()
