"""/healthz of the running service tells the truth about the database: a load balancer or an
operator must see when updates would fail, with the reason and without secrets."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
from aiohttp import web

from core.db import Database
from service import build_web_app
from tests.e2e.conftest import E2E


async def _health(url: str) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
        return resp.status, await resp.json()


async def test_healthy_when_the_database_takes_writes(e2e: E2E) -> None:
    assert await _health(e2e.app.web_url) == (200, {"status": "ok"})


async def test_unhealthy_when_another_process_holds_the_write_lock(e2e: E2E) -> None:
    db_file = e2e.db.engine.url.database
    assert db_file is not None
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sqlite3, sys\n"
        f"c = sqlite3.connect({db_file!r}, isolation_level=None)\n"
        "c.execute('BEGIN IMMEDIATE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and (await holder.stdout.readline()).strip() == b"locked"
        status, body = await _health(e2e.app.web_url)
        assert status == 503 and body["status"] == "error"
        assert "locked" in body["database"]
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        await asyncio.wait_for(holder.wait(), 10)
    assert await _health(e2e.app.web_url) == (200, {"status": "ok"})


async def test_unhealthy_when_the_sqlite_file_is_moved_away(e2e: E2E, tmp_path: Path) -> None:
    db_file = Path(e2e.db.engine.url.database or "")
    await asyncio.to_thread(db_file.rename, tmp_path / "moved.db")
    status, body = await _health(e2e.app.web_url)
    assert status == 503 and "missing" in body["database"] and str(db_file) not in body["database"]
    await asyncio.to_thread((tmp_path / "moved.db").rename, db_file)
    assert (await _health(e2e.app.web_url))[0] == 200


async def test_unhealthy_postgres_says_why_without_the_password() -> None:
    db = Database.from_url("postgresql+asyncpg://parking:s3cr3t-pw@127.0.0.1:9/parking")
    runner = web.AppRunner(build_web_app(db))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        status, body = await _health(f"http://{host}:{port}")
    finally:
        await runner.cleanup()
        await db.dispose()
    assert status == 503 and body["database"].startswith("unreachable")
    assert "s3cr3t-pw" not in str(body) and "parking:" not in str(body)


async def test_healthy_postgres(postgres_url: str) -> None:
    db = Database.from_url(postgres_url)
    try:
        assert await db.health() is None
    finally:
        await db.dispose()
