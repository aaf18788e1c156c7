"""smart-parking-bot's command line (DESIGN.md §2, §4); the running service is wired in
service.py, imported only by `run`.

`python main.py` = `python main.py run`. Sub-commands: run, migrate, seed-demo, demo,
blockers credentials, admin add|remove|list.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.clock import SystemClock
from core.config import ConfigError, Settings, load_settings
from core.db import Database
from core.demo import seed_demo
from core.logs import configure_logging
from core.migrate import upgrade_to_head
from core.usecases.admin import AdminUseCases
from hardware.credentials import SERVICE_USERNAME, new_credentials, write_password_file

log = logging.getLogger("parking")


# The running service's wiring is service.py's (imported by `run` only, so the other commands
# start without aiogram); `main.App` and the rest still work, imported when first asked for.
_SERVICE_NAMES = frozenset(
    {"App", "serve", "build_web_app", "build_stripe", "build_twilio", "telegram_failure"}
)


def __getattr__(name: str) -> Any:
    if name in _SERVICE_NAMES:
        import service

        return getattr(service, name)
    raise AttributeError(f"module 'main' has no attribute {name!r}")


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
    # Every time, not only when created: the simulator needs them to put the spots on sale.
    print("blocker ids (for `python -m hardware.simulator --blockers ...`):")
    print(",".join(result.blocker_ids) if result.blocker_ids else "(none)")


async def _admin(settings: Settings, action: str, telegram_id: int | None) -> None:
    """`admin add|remove|list`: owners besides ADMIN_IDS (DESIGN.md §11). One line per result."""
    db = Database.from_url(settings.database_url)
    admin = AdminUseCases(db, SystemClock(), settings)
    try:
        if action == "list":
            owners = await admin.owners()
            for owner in owners:
                sources = ", ".join(
                    source
                    for source, yes in (
                        ("ADMIN_IDS", owner.from_admin_ids),
                        ("admin add", owner.added_by_cli),
                    )
                    if yes
                )
                print(f"{owner.telegram_id} {owner.name or '-'} ({sources})")
            if not owners:
                print("no owners: set ADMIN_IDS or run `python main.py admin add <telegram_id>`")
            return
        assert telegram_id is not None
        listed = telegram_id in settings.admin_ids
        if action == "add":
            added = await admin.add_owner(telegram_id)
            print(f"{telegram_id} is {'now' if added else 'already'} an owner")
        elif await admin.remove_owner(telegram_id):
            print(f"{telegram_id} removed" + ("; still an owner through ADMIN_IDS" if listed else ""))
        else:
            print(
                f"{telegram_id} was not added by `admin add`"
                + ("; an owner through ADMIN_IDS (remove it there)" if listed else "")
            )
    finally:
        await db.dispose()


def cmd_blocker_credentials(usernames: Sequence[str], password_file: Path | None) -> None:
    """Prints a new password per device (shown once, stored nowhere) and its password_file
    entry, or writes the entries into `password_file`."""
    try:
        issued = [new_credentials(name) for name in dict.fromkeys(usernames)]
    except ValueError as exc:
        sys.exit(f"blockers credentials: {exc}")
    if password_file is not None:
        try:
            write_password_file(password_file, issued)
        except OSError as exc:
            sys.exit(f"blockers credentials: cannot write {password_file}: {exc.strerror}")
        print(f"{len(issued)} entries written to {password_file}; reload Mosquitto (kill -HUP) to apply")
    else:
        print("# add to Mosquitto's password_file, then reload it (kill -HUP):")
        for c in issued:
            print(c.entry)
    print("# give each device its own username and password (shown only now):")
    for c in issued:
        print(f"{c.username} {c.password}")


def cmd_run(settings: Settings) -> None:
    try:
        settings.require_for_run()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    # Start-up brings the schema up to date so `python main.py` alone works on a fresh machine.
    cmd_migrate(settings)
    from service import serve  # aiogram and the rest: only the service needs them

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
    blockers = sub.add_parser(
        "blockers",
        help="blocker devices: broker credentials",
        description="Blocker devices on the MQTT broker.",
    )
    blockers_sub = blockers.add_subparsers(dest="blockers_command", metavar="ACTION", required=True)
    credentials = blockers_sub.add_parser(
        "credentials",
        help="new broker passwords for devices (Mosquitto password_file entries)",
        description=(
            "Generate a password per device for the broker (username = device id, as "
            "deploy/mosquitto/acl expects) and print the Mosquitto password_file entries, or add "
            f"them to --password-file. The service's own account is {SERVICE_USERNAME!r}."
        ),
    )
    credentials.add_argument("device_ids", nargs="+", metavar="DEVICE_ID", help="blocker id(s)")
    credentials.add_argument(
        "--password-file", type=Path, help="add (or replace) the entries in this Mosquitto password_file"
    )
    admin = sub.add_parser(
        "admin",
        help="owners of the operator console (besides ADMIN_IDS)",
        description=(
            "Owners may do everything at every premise in /admin. Users in ADMIN_IDS are always "
            "owners; these commands add and remove owners in the database, which stay until removed."
        ),
    )
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    for action, text in (("add", "make a Telegram user an owner"), ("remove", "undo `admin add`")):
        parsed = admin_sub.add_parser(action, help=text, description=text[0].upper() + text[1:] + ".")
        parsed.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID", help="the user's Telegram id")
    admin_sub.add_parser("list", help="every owner and where it comes from", description="List the owners.")
    demo = sub.add_parser(
        "demo",
        help="try it without Telegram: a local chat in the browser driving the real bot",
        description=(
            "Everything in one process, no accounts: the real bot against a local Bot API emulator, "
            "a chat page at /demo, a local payment page instead of Stripe, simulated blockers and a "
            "demo clock to move forward. Prints the URL to open. Refuses to start when a real "
            "BOT_TOKEN or Stripe key is set."
        ),
    )
    demo.add_argument("--port", type=int, default=8080, help="port of the chat page (default: 8080)")
    demo.add_argument(
        "--lat", type=float, default=50.4501, help="latitude of the demo point (default: Kyiv centre)"
    )
    demo.add_argument("--lon", type=float, default=30.5234, help="longitude (default: Kyiv centre)")
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo.db")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    configure_logging("text")
    if args.command == "demo":  # its own settings: it must never pick up a real token or key
        from demo.safety import demo_settings

        env = demo_settings(lat=args.lat, lon=args.lon)  # refused at once, before the import below
        from demo.run import cmd_demo

        cmd_demo(env, port=args.port, lat=args.lat, lon=args.lon, fresh=args.fresh)
        return
    settings = _settings_or_exit()
    configure_logging(settings.log_format, secrets=settings.secret_values())
    command = args.command or "run"
    if command == "blockers":
        cmd_blocker_credentials(args.device_ids, args.password_file)
    elif command == "admin":
        cmd_migrate(settings)
        asyncio.run(_admin(settings, args.admin_command, getattr(args, "telegram_id", None)))
    elif command == "migrate":
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
