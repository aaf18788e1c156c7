"""Private PostgreSQL, Redis and Mosquitto servers the fault tests may stop, kill and restart,
and the checks those tests make after each fault (issue 17).

Each server is started here, on a free 127.0.0.1 port, in a temporary directory of its own,
and stopped and removed when its block ends: the shared servers other tests (and other
checkouts) use are never touched. PostgreSQL runs as the `postgres` user (initdb refuses
root) with trust authentication and fsync off (nothing here must survive a power cut, and a
cluster starts in about a second; a crash of the server alone loses nothing: the kernel still
has what it wrote). synchronous_commit stays on: off, a crash (`stop -m immediate`) loses
commits already acknowledged, which production never does, and the outbox then sends twice.
Redis and Mosquitto keep nothing on disk, so a restart starts them empty, as a crashed server
without persistence comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select

from core.db import Database
from core.models import (
    Notification,
    NotificationStatus,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Reservation,
    ReservationStatus,
    WalletTransaction,
    WalletTxKind,
)
from core.services.audit import overlapping_holds
from demo.botapi import BotMessage, FakeUser, TelegramFake
from tests.cluster import Service, free_port

READY_SECONDS = 30.0  # a loaded machine starts a server slowly


def postgres_bin() -> Path | None:
    """Debian's newest PostgreSQL server binaries (initdb, pg_ctl), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def missing_servers() -> str | None:
    """Why the fault tests cannot run here, or None. They need root (to run PostgreSQL as
    the `postgres` user) and the three servers' binaries."""
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "the fault tests start a private PostgreSQL as user postgres: they need root and runuser"
    if postgres_bin() is None:
        return "PostgreSQL's server binaries are not installed (Debian: postgresql)"
    for binary in ("redis-server", "mosquitto"):
        if shutil.which(binary) is None and shutil.which(binary, path="/usr/sbin") is None:
            return f"{binary} is not installed"
    return None


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin")
    assert found is not None, f"{name} is not installed"
    return found


async def _run(*argv: str) -> None:
    """A command run to its end without blocking the event loop (the Bot API fake and the
    simulated blockers share it); fails with its output."""
    process = await asyncio.create_subprocess_exec(*argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await process.communicate()
    assert process.returncode == 0, f"{' '.join(argv)} failed:\n{out.decode(errors='replace')[-3000:]}"


async def _until_listening(port: int, what: str, process: asyncio.subprocess.Process | None = None) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        with contextlib.suppress(OSError):
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        assert process is None or process.returncode is None, f"{what} stopped"
        assert time.monotonic() < deadline, f"{what} is not listening on {port}"
        await asyncio.sleep(0.05)


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass
class PrivatePostgres:
    directory: Path  # owned by postgres: the cluster and its log
    port: int
    bin: Path

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "parking") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    async def _pg_ctl(self, *args: str) -> None:
        await _run("runuser", "-u", "postgres", "--", str(self.bin / "pg_ctl"), "-D", str(self.data), *args)

    async def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.directory} "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        await self._pg_ctl("-l", str(self.directory / "server.log"), "-o", options, "-w", "start")

    async def stop(self, mode: str = "fast") -> None:
        """`fast`: sessions are ended, then a clean shutdown; `immediate`: the server quits at
        once, as in a crash (the next start recovers from the WAL)."""
        await self._pg_ctl("-m", mode, "-w", "stop")

    async def restart(self, mode: str = "immediate") -> None:
        await self.stop(mode)
        await self.start()


@contextlib.asynccontextmanager
async def private_postgres() -> AsyncIterator[PrivatePostgres]:
    """A new cluster with one empty database, `parking`, until the block ends."""
    pg_bin = postgres_bin()
    assert pg_bin is not None
    directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    server = PrivatePostgres(directory, free_port(), pg_bin)
    try:
        await _run(
            "runuser", "-u", "postgres", "--", str(pg_bin / "initdb"), "-D", str(server.data),
            "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip
        await server.start()
        conn = await asyncpg.connect(server.url("postgres").replace("+asyncpg", ""))
        try:
            await conn.execute('CREATE DATABASE "parking"')
        finally:
            await conn.close()
        yield server
    finally:
        with contextlib.suppress(AssertionError):
            await server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


# --- Redis and Mosquitto: a process each, killed and started again ----------------------------


@dataclass
class KillableServer:
    """A server process on a fixed port; `restart` kills it (SIGKILL: nothing is saved) and
    starts it again on the same port, empty."""

    what: str
    argv: list[str]
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, stdout=out, stderr=out, start_new_session=True
            )
        await _until_listening(self.port, self.what, self.process)

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def restart(self) -> None:
        await self.kill()
        await self.start()


@contextlib.asynccontextmanager
async def _killable(what: str, argv: Callable[[int, Path], list[str]]) -> AsyncIterator[KillableServer]:
    directory = Path(tempfile.mkdtemp(prefix=f"faults-{what}-"))
    port = free_port()
    server = KillableServer(what, argv(port, directory), port, directory / f"{what}.log")
    try:
        await server.start()
        yield server
    finally:
        await server.kill()
        shutil.rmtree(directory, ignore_errors=True)


def private_redis() -> contextlib.AbstractAsyncContextManager[KillableServer]:
    return _killable(
        "redis",
        lambda port, d: [
            *(_binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(d)),
        ],
    )


def private_mosquitto() -> contextlib.AbstractAsyncContextManager[KillableServer]:
    def argv(port: int, directory: Path) -> list[str]:
        conf = directory / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nuser root\n")
        return [_binary("mosquitto"), "-c", str(conf)]

    return _killable("mosquitto", argv)


# --- the service's processes -----------------------------------------------------------------

_LEASE_LINE = re.compile(r"this process now sends outbox:telegram|lease outbox:telegram (lost|released)")


def lease_holder(processes: list[Service]) -> Service | None:
    """The process sending Telegram messages now, as their logs tell (jobs/lease.py logs
    each take and each loss): the one whose last lease line is a take."""
    holders = []
    for p in processes:
        lines = [m.group(0) for m in _LEASE_LINE.finditer(p.output())]
        if p.process.returncode is None and lines and lines[-1].startswith("this process now sends"):
            holders.append(p)
    return holders[0] if len(holders) == 1 else None


# --- a driver who keeps trying ---------------------------------------------------------------

ERROR_TEXT = "Something went wrong on our side"  # error-generic
STALE_TEXT = "This button is out of date"  # stale_button


class Refused(Exception):
    """The bot answered a step with an error, or not at all in time: start over."""


def _button(message: BotMessage, contains: str) -> str:
    for text, data in message.buttons():
        if contains in text and data:
            return data
    raise Refused(f"no button {contains!r} in {message.text[:80]!r}")


def _sender(update: dict[str, Any]) -> int | None:
    event = update.get("message") or update.get("callback_query") or {}
    sender: int | None = event.get("from", {}).get("id")
    return sender


async def _step(
    tg: TelegramFake,
    user: FakeUser,
    action: Callable[[], Awaitable[object]],
    expect: Callable[[BotMessage], bool],
    within: float,
) -> BotMessage:
    """One action and the bot's answer; an error, a stale-button notice or silence is Refused
    (a webhook request in flight when its process died is lost: Telegram would deliver it
    again; the fake does not, so the driver taps again, as a person would)."""
    answers, delivered = len(user.callback_answers), len(tg.updates)
    await action()
    # The POST is answered by now: a 502 (its process died with it) Telegram would deliver
    # again; the fake does not, so the driver taps again at once instead of waiting.
    ours = {u["update_id"] for u in tg.updates[delivered:] if _sender(u) == user.id}
    failed = [status for update_id, status in tg.webhook_responses if update_id in ours and status != 200]
    if failed:
        raise Refused(f"the webhook answered {failed[0]}")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        with contextlib.suppress(AssertionError):
            return await user.wait_for_message(lambda m: expect(m) or ERROR_TEXT in m.text, timeout=0.5)
        for answer in user.callback_answers[answers:]:
            if answer.text and (ERROR_TEXT in answer.text or STALE_TEXT in answer.text):
                raise Refused(answer.text)
        if loop.time() > deadline:
            shown = [m.text[:70] for m in user.messages[-2:]]
            raise Refused(f"no answer in {within}s; last shown: {shown}")


async def _checked(message: BotMessage) -> BotMessage:
    if ERROR_TEXT in message.text:
        raise Refused(message.text)
    return message


@dataclass
class Outcome:
    attempts: int = 0
    refusals: list[str] | None = None


def _has(text: str, button: str | None = None) -> Callable[[BotMessage], bool]:
    """A screen with `text` and, when given, a `button` to go on with: aiogram-dialog edits
    the keyboard off a dialog's earlier message when it sends a new one, and that edit shows
    the same text without buttons."""
    return lambda m: text in m.text and (button is None or any(button in t and d for t, d in m.buttons()))


async def _attempt(
    tg: TelegramFake,
    user: FakeUser,
    premise: str,
    location: tuple[float, float],
    within: float,
    before_hold: list[Callable[[], Awaitable[None]]],
) -> None:
    async def go(action: Callable[[], Awaitable[object]], expect: Callable[[BotMessage], bool]) -> BotMessage:
        return await _checked(await _step(tg, user, action, expect, within))

    menu = await go(lambda: user.send_command("/start"), _has("What would you like to do?", "Find parking"))
    # A driver who searched before is offered the same place first; a new location still goes.
    await go(
        lambda: user.tap(menu, _button(menu, "Find parking")),
        lambda m: _has("Send your location")(m) or _has("same place as last time")(m),
    )
    labels = [str(b["text"]) if isinstance(b, dict) else str(b) for b in user.reply_keyboard()]
    share = "📍 Send my location" if "📍 Send my location" in labels else "📍 Share a new one"
    results = await go(lambda: user.tap_reply_button(share, location=location), _has("Parking near", premise))
    card = await go(
        lambda: user.tap(results, _button(results, premise)), _has("How long will you park?", "1 h ·")
    )
    quote = await go(lambda: user.tap(card, _button(card, "1 h ·")), _has("Total:", "Hold the spot"))
    if before_hold:
        await before_hold.pop()()
    hold = await go(
        lambda: user.tap(quote, _button(quote, "Hold the spot")), _has("is held for you", "Wallet")
    )
    await go(lambda: user.tap(hold, _button(hold, "Wallet")), _has("Payment received for booking"))


async def book_until_paid(
    tg: TelegramFake,
    user: FakeUser,
    premise: str,
    location: tuple[float, float],
    *,
    attempts: int = 6,
    step_seconds: float = 20.0,
    before_hold: Callable[[], Awaitable[None]] | None = None,
) -> Outcome:
    """The booking walk of tests/cluster.py (/start, Find parking, location, premise, one hour,
    hold, pay from the wallet, which the test funded beforehand), started over from /start
    whenever a step is refused, until "Payment received". `before_hold` runs once, with the
    driver on the quote screen (the Redis test restarts Redis there)."""
    outcome = Outcome(refusals=[])
    assert outcome.refusals is not None
    hooks = [before_hold] if before_hold is not None else []  # run once
    while True:
        outcome.attempts += 1
        try:
            await _attempt(tg, user, premise, location, step_seconds, hooks)
            return outcome
        except Refused as refused:
            outcome.refusals.append(str(refused)[:200])
            if outcome.attempts >= attempts:
                raise AssertionError(f"{user.first_name} could not book: {outcome.refusals}") from None


# --- the invariants --------------------------------------------------------------------------


def sends_by_chat(tg: TelegramFake) -> Counter[int]:
    return Counter(int(params["chat_id"]) for method, params in tg.calls if method == "sendMessage")


async def outbox_settled(db: Database, due_before: datetime) -> bool:
    """No notification due before `due_before` is still waiting or being sent."""
    async with db.read() as s:
        waiting = await s.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.due_at < due_before,
                Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
            )
        )
    return waiting == 0


def settled_before(settle: timedelta = timedelta(seconds=5)) -> datetime:
    """The notifications due this long ago must be sent by now (a confirmation queued a moment
    ago is on its way)."""
    return datetime.now(UTC) - settle


async def check_invariants(db: Database, due_before: datetime | None = None) -> None:
    """What must hold after any fault (issue 17): no two live reservations of a spot overlap;
    every wallet's ledger adds up to what its payments imply and is never negative; every
    paid booking is confirmed (or went on to be active or completed) and every confirmed one
    is paid; every notification due before `due_before` (5 s ago) is sent, none failed or half-sent."""
    async with db.read() as s:
        assert await overlapping_holds(s) == 0
        reservations = {r.id: r for r in await s.scalars(select(Reservation))}
        payments = list(await s.scalars(select(Payment)))
        txs = list(await s.scalars(select(WalletTransaction)))
        notes = list(await s.scalars(select(Notification)))
    paid = {
        p.reservation_id
        for p in payments
        if p.purpose is PaymentPurpose.BOOKING and p.status is PaymentStatus.SUCCEEDED and p.reservation_id
    }
    live = (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)
    wrong = {r: reservations[r].status for r in paid if reservations[r].status not in live}
    assert not wrong, f"paid bookings not confirmed: {wrong}"
    unpaid = [r.id for r in reservations.values() if r.status in live and r.id not in paid]
    assert not unpaid, f"confirmed bookings without a payment: {unpaid}"
    # The ledger: deposits and adjustments, less wallet payments, plus their refunds.
    ledger: Counter[int] = Counter()
    implied: Counter[int] = Counter()
    for tx in txs:
        ledger[tx.user_id] += tx.amount
        if tx.kind in (WalletTxKind.DEPOSIT, WalletTxKind.ADJUSTMENT):
            implied[tx.user_id] += tx.amount
    for p in payments:
        if p.method is PaymentMethodKind.WALLET and (
            p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED) or p.refunded_amount
        ):
            implied[p.user_id] += p.refunded_amount - p.amount
    bad = {u: (ledger[u], implied[u]) for u in set(ledger) | set(implied) if ledger[u] != implied[u]}
    assert not bad, f"wallet ledgers (sum, implied by payments) that disagree: {bad}"
    assert all(v >= 0 for v in ledger.values()), ledger
    cutoff = due_before or settled_before()
    half = [
        (n.id, n.kind, n.status.value, n.attempts, n.last_error)
        for n in notes
        if n.status is not NotificationStatus.SENT and n.due_at < cutoff
    ]
    assert not half, f"notifications due and not sent: {half[:10]}"
