"""The migration is the schema the models describe; the CLI does what the README says."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, select, text

import main
from core.clock import SystemClock
from core.config import Settings
from core.db import Database
from core.migrate import alembic_config, include_name, upgrade_to_head
from core.models import Base, Premise, Reservation, ReservationStatus, WalletTxKind
from core.rules import Interval
from core.services import booking, payments, wallet
from core.usecases.search import SearchUseCases
from tests.conftest import _in_thread
from tests.factories import make_premise, make_user

ROOT = Path(__file__).resolve().parents[2]


# Expression indexes cannot be reflected, so autogenerate skips them (and says so); their
# presence is checked by name below.
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index:sqlalchemy.exc.SAWarning")
async def test_migrated_schema_matches_the_models(db: Database) -> None:
    def diff(sync_conn: Connection) -> list[object]:
        # The SQLite R*Tree (a virtual table) is left out: see core.migrate.include_name.
        ctx = MigrationContext.configure(sync_conn, opts={"include_name": include_name})
        return list(compare_metadata(ctx, Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    # The nearby search's spatial index, which the comparison cannot see.
    async with db.read() as s:
        if db.is_sqlite:
            rows = await s.execute(
                text("SELECT type, name, sql FROM sqlite_master WHERE name LIKE 'premises_rtree%'")
            )
            objects = {(kind, name): sql for kind, name, sql in rows.tuples()}
            assert "USING rtree" in objects["table", "premises_rtree"]
            assert {name for kind, name in objects if kind == "trigger"} == {
                "premises_rtree_insert",
                "premises_rtree_update",
                "premises_rtree_delete",
            }
        else:
            definition = await s.scalar(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_premises_unit_sphere'")
            )
            assert definition is not None and "USING gist (cube(ARRAY[" in definition


@pytest.mark.postgres
async def test_postgres_has_the_exclusion_constraint(postgres_url: str) -> None:
    db = Database.from_url(postgres_url)
    try:
        async with db.read() as s:
            definition = await s.scalar(
                text(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conname = 'reservations_no_overlap'"
                )
            )
    finally:
        await db.dispose()
    assert definition is not None
    assert "EXCLUDE USING gist (spot_id WITH =, tstzrange(starts_at, ends_at) WITH &&)" in definition


def _cli(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_cli_help_run_without_token_and_idempotent_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The first seed as the separate process an operator runs...
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    first = _cli("seed-demo", "--lat", "48.8566", "--lon", "2.3522", tmp_path=tmp_path, DATABASE_URL=url)
    assert first.returncode == 0 and "6 created" in first.stdout and "BLK-" in first.stdout
    # ...the rest through the same entry point in this process (a process start costs seconds).
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as helped:
        main.main(["--help"])
    assert helped.value.code == 0
    out = capsys.readouterr().out
    for name in ("run", "migrate", "seed-demo", "admin"):
        assert name in out
    with pytest.raises(SystemExit) as no_token:
        main.main([])
    message = str(no_token.value.code)
    assert "BOT_TOKEN is not set" in message and "@BotFather" in message
    monkeypatch.setenv("DATABASE_URL", url)
    main.main(["seed-demo", "--lat", "48.8566", "--lon", "2.3522"])
    second = capsys.readouterr().out
    assert "0 created, 6 already there" in second
    # Whoever lost the ids gets them again: every demo blocker, every time.
    ids = first.stdout.strip().splitlines()[-1]
    assert len(ids.split(",")) == 31 and ids.startswith("BLK-")
    assert second.strip().splitlines()[-1] == ids


@pytest.mark.slow
def test_admin_add_list_and_remove_owners_beside_admin_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'owners.db'}", "ADMIN_IDS": "5"}
    # Once as the separate process an operator runs (migrating first)...
    assert "admin" in _cli("--help", tmp_path=tmp_path).stdout
    first = _cli("admin", "add", "42", tmp_path=tmp_path, **env)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    assert first.stdout.splitlines() == ["42 is now an owner"]
    # ...then through the same entry point in this process: a process start costs seconds here.
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)

    def admin(*args: str, admin_ids: str = "5") -> list[str]:
        monkeypatch.setenv("DATABASE_URL", env["DATABASE_URL"])
        monkeypatch.setenv("ADMIN_IDS", admin_ids)
        main.main(["admin", *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return out.splitlines()

    assert admin("add", "42") == ["42 is already an owner"]
    assert admin("list") == ["5 - (ADMIN_IDS)", "42 - (admin add)"]
    # ADMIN_IDS keeps working: its owners are removed there, not here.
    assert admin("remove", "5") == [
        "5 was not added by `admin add`; an owner through ADMIN_IDS (remove it there)"
    ]
    assert admin("remove", "42") == ["42 removed"]
    assert admin("remove", "42") == ["42 was not added by `admin add`"]
    assert admin("list") == ["5 - (ADMIN_IDS)"]
    assert admin("list", admin_ids="") == [
        "no owners: set ADMIN_IDS or run `python main.py admin add <telegram_id>`"
    ]
    with pytest.raises(SystemExit) as wrong:
        main.main(["admin", "add", "not-a-number"])
    assert wrong.value.code == 2 and "invalid int value" in capsys.readouterr().err


@pytest.mark.slow
def test_run_says_in_one_line_when_telegram_cannot_be_reached(tmp_path: Path) -> None:
    failed = _cli(
        tmp_path=tmp_path,
        BOT_TOKEN="123:abc",
        TELEGRAM_API_BASE="http://127.0.0.1:9",
        MQTT_URL="",
        HTTP_PORT="18099",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
    )
    assert failed.returncode == 1
    assert "start-up failed: cannot reach the Bot API at TELEGRAM_API_BASE" in failed.stderr
    assert "Traceback" not in failed.stderr and "123:abc" not in failed.stderr


@pytest.mark.slow
def test_run_with_a_malformed_token_says_so_in_one_line(tmp_path: Path) -> None:
    failed = _cli(
        "run",
        tmp_path=tmp_path,
        BOT_TOKEN="notatoken",
        MQTT_URL="",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
    )
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith("configuration error: BOT_TOKEN is malformed")
    assert "Traceback" not in failed.stderr and "notatoken" not in failed.stderr + failed.stdout


class _Proxy502(BaseHTTPRequestHandler):
    """A reverse proxy whose upstream is down: an HTML 502 that echoes the request path (and
    with it the token), as some proxies' error pages do."""

    def _answer(self) -> None:
        body = f"<html><body><h1>502 Bad Gateway</h1><p>upstream for {self.path} failed</p></body></html>"
        self.send_response(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
def test_run_says_in_one_line_when_the_bot_api_answers_an_html_502(tmp_path: Path) -> None:
    token = "123456:SecretPartOfTheToken"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Proxy502)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        failed = _cli(
            "run",
            tmp_path=tmp_path,
            BOT_TOKEN=token,
            TELEGRAM_API_BASE=f"http://127.0.0.1:{server.server_address[1]}",
            MQTT_URL="",
            HTTP_PORT="18098",
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        )
    finally:
        server.shutdown()
        server.server_close()
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    failures = [line for line in output.splitlines() if "start-up failed" in line]
    assert len(failures) == 1 and "TELEGRAM_API_BASE" in failures[0], output
    assert "Traceback" not in output and "Bad Gateway" not in output
    assert token not in output and "SecretPartOfTheToken" not in output


async def test_the_migrations_go_down_and_up_again_on_a_database_in_use(empty_database_url: str) -> None:
    """Every downgrade back to 0001 and up to head again, on a database holding a paid booking,
    an extension and their payments: a rebuilt SQLite table must keep the rows others refer to."""
    url = empty_database_url
    _in_thread(lambda: upgrade_to_head(url))
    now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    db = Database.from_url(url)
    try:
        async with db.transaction() as s:
            premise = await make_premise(s, price_per_hour=200, now=now)
            user = await make_user(s)
            await wallet.credit(s, user.id, 1_000, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=now)
            held = await booking.hold(
                s, user_id=user.id, premise_id=premise.id, starts_at=now, minutes=60, now=now, hold_minutes=10
            )
            await payments.pay_booking_with_wallet(s, reservation_id=held.id, user_id=user.id, now=now)
            extension = await booking.request_extension(s, held.id, user_id=user.id, minutes=30, now=now)
            await payments.pay_extension_with_wallet(s, extension_id=extension.id, user_id=user.id, now=now)
            reservation_id = held.id
    finally:
        await db.dispose()
    _in_thread(lambda: command.downgrade(alembic_config(url), "0001"))
    _in_thread(lambda: upgrade_to_head(url))
    db = Database.from_url(url)
    try:
        async with db.read() as s:
            kept = await s.get(Reservation, reservation_id)
            paid = (await s.execute(text("SELECT count(*) FROM payments"))).scalar_one()
        assert kept is not None and (kept.status, kept.price) == (ReservationStatus.CONFIRMED, 300)
        assert paid == 2
    finally:
        await db.dispose()


async def test_the_premise_code_migration_gives_existing_premises_unique_codes(
    empty_database_url: str,
) -> None:
    """Premises made before the short code get a unique 4-digit one; new ones get theirs on
    insert, and the nearby search (SQLite's R*Tree triggers) still finds the new one."""
    url = empty_database_url
    _in_thread(lambda: command.upgrade(alembic_config(url), "0012"))
    db = Database.from_url(url)
    try:
        async with db.transaction() as s:
            for n in range(3):
                await s.execute(
                    text(
                        "INSERT INTO premises (name, address, lat, lon, timezone, price_per_hour, currency,"
                        " features, photos, description, opening_hours, is_active, created_at)"
                        " VALUES (:name, '', 50.45, 30.52, 'UTC', 200, 'EUR', '[]', '[]', '', '24/7',"
                        " true, :at)"
                    ),
                    {"name": f"Old {n}", "at": datetime(2026, 11, 1, tzinfo=UTC)},
                )
    finally:
        await db.dispose()
    _in_thread(lambda: upgrade_to_head(url))
    db = Database.from_url(url)
    try:
        async with db.transaction() as s:
            await make_premise(s, name="New")
        async with db.read() as s:
            codes = dict((await s.execute(select(Premise.name, Premise.code))).tuples().all())
        assert set(codes) == {"Old 0", "Old 1", "Old 2", "New"}
        assert len(set(codes.values())) == 4
        assert all(code is not None and len(code) == 4 and code.isdigit() for code in codes.values())
        search = SearchUseCases(db, SystemClock(), Settings(_env_file=None, bot_token="1:x"))
        now = datetime.now(UTC)
        page = await search.nearby(
            50.45, 30.52, interval=Interval(now, now + timedelta(hours=1)), radius_m=500, limit=10
        )
        assert {p.name for p in page.items} >= {"New"}
    finally:
        await db.dispose()


def test_the_cli_starts_without_the_service_and_main_app_still_names_it() -> None:
    """`migrate`, `admin` and the rest start in about a second: importing main imports neither
    aiogram nor the service's wiring (service.py), which `main.App` still reaches."""
    probe = (
        "import sys, main\n"
        "assert 'aiogram' not in sys.modules and 'service' not in sys.modules\n"
        "import service\n"
        "assert main.App is service.App and main.serve is service.serve\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
