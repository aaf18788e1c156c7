"""Taking the outbox over from a sender that died or lost its lease (issue 17, jobs/dispatcher.py
`_take_over`): the new holder of the channel's lease sends at once, exactly once, what the old
one had claimed and never started; what was on its way when it stopped goes again (the only
possible duplicates); an outcome the old one records late never overwrites the new one's.
Each process sends to a Bot API fake of its own, so what each chat shows says who sent it."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select, text

from bot.notifications import TelegramSender
from core.clock import Clock, ManualClock
from core.db import Database
from core.models import Channel, Notification, NotificationStatus
from core.notifications import NotificationKind
from core.services import outbox
from demo.botapi import DEFAULT_TOKEN, TelegramFake, Upload
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from jobs.lease import SenderLease
from tests.factories import make_user
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
FIRST_CHAT = 8000
TAKE_OVER = re.compile(r"go again \(maybe twice\): ([\d, ]+)(?: and \d+ more)?;")


class HeldTelegram(TelegramFake):
    """A Bot API fake that takes each message at once (it is in the chat) but answers only
    `answer_after` seconds later, or when `let_go` is set, and then with `error` if given:
    a sender stopped meanwhile never learns that the message went."""

    def __init__(self, *, answer_after: float | None = None, error: tuple[int, str] | None = None) -> None:
        super().__init__()
        self.answer_after, self.error = answer_after, error
        self.let_go = asyncio.Event()

    async def _call(self, method: str, raw: dict[str, str], files: dict[str, Upload]) -> tuple[int, Any]:
        status, result = await super()._call(method, raw, files)
        if method != "sendMessage":
            return status, result
        if self.answer_after is not None:
            await asyncio.sleep(self.answer_after)
        else:
            await self.let_go.wait()
        if self.error is None:
            return status, result
        code, description = self.error
        self.errors.append((method, code, description))
        return code, {"ok": False, "error_code": code, "description": description}


def _chats(tg: TelegramFake) -> Counter[int]:
    return Counter(int(params["chat_id"]) for method, params in tg.calls if method == "sendMessage")


async def _queue(db: Database, now: datetime, count: int) -> dict[int, int]:
    """One message for each of `count` chats; returns notification id -> chat."""
    chat_of: dict[int, int] = {}
    async with db.transaction() as s:
        for i in range(count):
            user = await make_user(s, telegram_id=FIRST_CHAT + i, name=f"U{i}")
            note = await outbox.notify(
                s, user.id, NotificationKind.CARD_SAVED, {"brand": "visa", "last4": f"{i:04d}"}, now=now
            )
            assert note is not None
            chat_of[note.id] = FIRST_CHAT + i
    return chat_of


async def _notes(db: Database) -> list[Notification]:
    async with db.read() as s:
        return list(await s.scalars(select(Notification).order_by(Notification.id)))


async def _all_sent(db: Database) -> bool:
    return {n.status for n in await _notes(db)} == {NotificationStatus.SENT}


@asynccontextmanager
async def _process(
    db: Database, clock: Clock, limits: DispatchLimits, tg: TelegramFake
) -> AsyncIterator[OutboxDispatcher]:
    """A process's Telegram dispatcher, on an engine of its own with its own lease, sending
    to `tg`."""
    own = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    for i in range(100):
        tg.user(FIRST_CHAT + i, f"U{i}")
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
    dispatcher = OutboxDispatcher(
        own,
        {Channel.TELEGRAM: TelegramSender(bot, own)},
        clock,
        limits,
        lease=SenderLease(own, "outbox:telegram"),
    )
    try:
        yield dispatcher
    finally:
        await dispatcher.stop()
        await bot.session.close()
        await own.dispose()


async def _kill_session(db: Database, pid: int | None) -> None:
    assert pid is not None
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def _tick_until_all_sent(dispatcher: OutboxDispatcher, db: Database) -> None:
    async def tick() -> bool:
        await dispatcher.kick()
        return await _all_sent(db)

    await eventually(tick, within=15, what="every message sent")


def _warned(caplog: pytest.LogCaptureFixture) -> list[int]:
    """The ids the take-over's warnings named as possibly sent twice (one warning, or one
    more if a row was locked by the old holder at the first try)."""
    found = [TAKE_OVER.search(r.getMessage()) for r in caplog.records if r.name == "jobs.dispatcher"]
    return [int(i) for m in found if m is not None for i in m.group(1).split(", ")]


@pytest.mark.slow
async def test_a_sender_killed_mid_batch_is_taken_over_at_once_and_only_its_sends_in_flight_go_twice(
    db: Database, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """A real process (tests/jobs/outbox_sender.py) claims 60 messages in one batch, sends
    them at 20 a second to a Bot API that answers each after half a second, and is SIGKILLed
    after 15. Another process takes the lease over on its next tick: its clock stands still
    at the kill, well inside the 2-minute lease of every claimed row, so nothing it sends
    comes from a lease running out."""
    if db.is_sqlite:
        return  # one process per SQLite file: nobody to take over from
    caplog.set_level(logging.INFO, logger="jobs.dispatcher")
    chat_of = await _queue(db, datetime.now(UTC), 60)
    url = db.engine.url.render_as_string(hide_password=False)
    async with HeldTelegram(answer_after=0.5) as tg_a, TelegramFake() as tg_b:
        for i in range(60):
            tg_a.user(FIRST_CHAT + i, f"U{i}")
        log = (tmp_path / "sender.log").open("w")
        sender = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.jobs.outbox_sender",
            url,
            tg_a.base_url,
            cwd=ROOT,
            stdout=log,
            stderr=log,
        )
        try:
            await eventually(
                lambda: sum(_chats(tg_a).values()) >= 15, within=60, what="15 sends by the process"
            )
        finally:
            sender.send_signal(signal.SIGKILL)
            await sender.wait()
            log.close()
        at_kill = {n.id: n for n in await _notes(db)}
        in_flight = {
            i for i, n in at_kill.items() if n.status == NotificationStatus.SENDING and n.send_started_at
        }
        never_started = {
            i for i, n in at_kill.items() if n.status == NotificationStatus.SENDING and not n.send_started_at
        }
        done_before = {i for i, n in at_kill.items() if n.status == NotificationStatus.SENT}
        assert in_flight and never_started, (len(in_flight), len(never_started))
        assert in_flight | never_started | done_before == set(chat_of)  # one claim took them all
        frozen = ManualClock(datetime.now(UTC))
        assert all(
            n.lease_until and n.lease_until > frozen.now()
            for n in at_kill.values()
            if n.id not in done_before
        )

        async with _process(db, frozen, DispatchLimits(per_chat_interval=0.0), tg_b) as b:
            await _tick_until_all_sent(b, db)

    by_a, by_b = _chats(tg_a), _chats(tg_b)
    assert by_a + by_b >= Counter(dict.fromkeys(chat_of.values(), 1))  # nothing lost
    assert {chat_of[i] for i in never_started} <= set(by_b)
    assert all(by_a[chat_of[i]] == 0 and by_b[chat_of[i]] == 1 for i in never_started)  # once, by b
    assert all(by_a[chat_of[i]] == 1 and by_b[chat_of[i]] == 0 for i in done_before)
    assert all(by_a[chat_of[i]] <= 1 and by_b[chat_of[i]] == 1 for i in in_flight)
    twice = {chat for chat, n in (by_a + by_b).items() if n > 1}
    assert twice <= {chat_of[i] for i in in_flight}  # the only duplicates...
    assert sorted(_warned(caplog)) == sorted(in_flight)[:20]  # ...and each was warned about


async def test_a_holder_that_lost_its_lease_connection_never_sends_what_the_new_holder_took_over(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The old holder did not die: only its lease's session ended (a PostgreSQL restart), and
    its drain goes on until its next tick. What it had not started goes to the new holder
    only; what it had started, the new holder sends again. Its outcomes come late (Telegram
    answers it "blocked" while the new holder's own sends of those rows are on their way)
    and change nothing: the rows stay the new holder's, which records them sent."""
    if db.is_sqlite:
        return
    caplog.set_level(logging.INFO, logger="jobs.dispatcher")
    chat_of = await _queue(db, clock.now(), 12)
    # a sends every half second: its next send comes after b has taken over and claimed.
    # Answers are held back here: pacing on them (confirmed_window) would hold the sends too.
    slow, fast = (
        DispatchLimits(messages_per_second=r, per_chat_interval=0.0, confirmed_window=False) for r in (2, 50)
    )
    async with (
        HeldTelegram(error=(403, "Forbidden: bot was blocked by the user")) as tg_a,
        HeldTelegram() as tg_b,
        _process(db, clock, slow, tg_a) as a,
        _process(db, clock, fast, tg_b) as b,
    ):
        assert a.lease is not None and b.lease is not None
        await a.kick()  # a holds the lease and claims all twelve
        await eventually(lambda: sum(_chats(tg_a).values()) >= 3, what="three sends by a, unanswered")
        await _kill_session(db, a.lease.backend_pid)  # a does not tick again: its drain goes on

        async def b_sent_all() -> bool:
            await b.kick()
            return sum(_chats(tg_b).values()) == len(chat_of)

        await eventually(b_sent_all, what="b sending all twelve")  # unanswered yet
        started = _warned(caplog)
        assert started, "b took nothing over from a"
        tg_a.let_go.set()  # a learns now that its messages were "blocked"...
        drain = a._draining
        assert drain is not None
        await drain  # (a saw the take-over at its next mark and stopped; its outcomes are in)
        notes = await _notes(db)
        assert {(n.status, n.claimed_by) for n in notes} == {(NotificationStatus.SENDING, b.lease.holding)}
        tg_b.let_go.set()  # ...and b that they all went
        await _tick_until_all_sent(b, db)

    notes = await _notes(db)
    assert [n.attempts for n in notes] == [2 if n.id in started else 1 for n in notes]
    by_a, by_b = _chats(tg_a), _chats(tg_b)
    assert by_b == Counter(dict.fromkeys(chat_of.values(), 1))  # b sent each once...
    assert by_a == Counter({chat_of[i]: 1 for i in started})  # ...a only what it had started
    assert len(tg_a.errors) == len(started)  # its late answers all came, and were dropped
    dropped = [r for r in caplog.records if "dropped, another sender took it over" in r.getMessage()]
    assert len(dropped) == len(started)


async def test_each_send_is_marked_before_it_leaves_with_the_holding_that_claimed_it(
    db: Database, clock: ManualClock
) -> None:
    """On SQLite too: the lease is always held, by one holding, and nothing is taken over."""
    await _queue(db, clock.now(), 3)
    async with TelegramFake() as tg, _process(db, clock, DispatchLimits(per_chat_interval=0.0), tg) as d:
        assert d.lease is not None
        assert await d.run() == 3
        holding = d.lease.holding
    assert holding is not None
    notes = await _notes(db)
    assert {(n.status, n.claimed_by) for n in notes} == {(NotificationStatus.SENT, holding)}
    assert all(n.send_started_at == clock.now() for n in notes)


async def test_sqlite_takes_nothing_over(db: Database, clock: ManualClock) -> None:
    """A row another holding left `sending` waits for its lease on SQLite, as before (one
    process per SQLite file: it is this process's own, from before a restart)."""
    if not db.is_sqlite:
        return
    (note_id,) = await _queue(db, clock.now(), 1)
    async with db.transaction() as s:
        note = await s.get(Notification, note_id)
        assert note is not None
        note.status, note.claimed_by = NotificationStatus.SENDING, "elsewhere:1:00000000"
        note.lease_until = clock.now() + DispatchLimits().lease
    async with TelegramFake() as tg, _process(db, clock, DispatchLimits(), tg) as d:
        assert await d.run() == 0
        clock.advance(DispatchLimits().lease + timedelta(seconds=1))
        assert await d.run() == 1
    assert [n.status for n in await _notes(db)] == [NotificationStatus.SENT]
