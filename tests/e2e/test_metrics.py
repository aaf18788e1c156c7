"""`GET /metrics` on the running service, read as Prometheus reads it (prometheus_client's
parser): what a booking, a sent message, a 429 and a failing handler move, with which labels."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from core.metrics import process_label
from core.notifications import NotificationKind
from core.services import outbox
from tests.e2e.conftest import E2E, tap
from tests.e2e.test_edges import _hold_via_bot
from tests.factories import make_user
from tests.waiting import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(e2e: E2E, accept: str | None = None) -> tuple[Samples, str, str]:
    """(samples by name and labels, Content-Type, body) of one scrape."""
    headers = {"Accept": accept} if accept else {}
    async with aiohttp.ClientSession() as http, http.get(f"{e2e.app.web_url}/metrics", headers=headers) as r:
        assert r.status == 200
        body = await r.text()
        content_type = r.headers["Content-Type"]
    samples: Samples = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, content_type, body


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sample with exactly these labels besides `process` (0 when not there yet)."""
    for (sample_name, sample_labels), v in samples.items():
        if sample_name == name and {k: x for k, x in sample_labels if k != "process"} == labels:
            return v
    return 0.0


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def labels_of(samples: Samples) -> Mapping[str, set[str]]:
    found: dict[str, set[str]] = {}
    for _name, sample_labels in samples:
        for k, v in sample_labels:
            found.setdefault(k, set()).add(v)
    return found


async def test_a_booking_paid_by_card_moves_the_counters_and_gauges(e2e: E2E) -> None:
    e2e.app.metrics.gauges.cache_seconds = 0  # type: ignore[union-attr]  # every scrape reads
    before, content_type, _ = await scrape(e2e)
    assert content_type.startswith("text/plain; version=0.0.4")
    user, hold = await _hold_via_bot(e2e, 7101)
    held, _, _ = await scrape(e2e)
    assert value(held, "parking_bookings", state="pending_payment") == 1
    assert value(held, "parking_bookings", state="confirmed") == 0

    link_screen = await tap(user, hold, "🔗 Pay by card", lambda m: "secure payment page" in m.text)
    url = next(data for text, data in link_screen.buttons() if text.startswith("💳 Pay 5.00 EUR") and data)
    await e2e.stripe.complete_checkout(url.rsplit("/", 1)[-1])
    await user.wait_for_message(lambda m: "Payment received for booking" in m.text)

    async def confirmation_sent() -> bool:
        now, _, _ = await scrape(e2e)
        return moved(before, now, "parking_notifications_sent_total", channel="telegram", result="sent") >= 1

    await eventually(confirmation_sent, within=10, what="the booking's confirmation sent by the outbox")
    after, _, body = await scrape(e2e)

    # /start, the location, and taps: messages and callback queries, handled, timed.
    assert moved(before, after, "parking_updates_handled_total", type="message", outcome="handled") >= 2
    assert (
        moved(before, after, "parking_updates_handled_total", type="callback_query", outcome="handled") >= 3
    )
    assert moved(before, after, "parking_update_handling_seconds_count", type="callback_query") >= 3
    assert value(after, "parking_update_handling_seconds_bucket", type="message", le="+Inf") >= 2
    assert (
        moved(before, after, "parking_payments_total", method="card", purpose="booking", result="succeeded")
        == 1
    )
    assert value(after, "parking_bookings", state="confirmed") == 1
    assert value(after, "parking_bookings", state="pending_payment") == 0
    assert value(after, "parking_outbox_due", channel="telegram") == 0
    assert value(after, "parking_outbox_oldest_due_age_seconds", channel="telegram") == 0
    assert value(after, "parking_metrics_database_ok") == 1
    assert value(after, "parking_sweep_seconds_count", job="expire_holds") >= 1  # run at start
    assert value(after, "process_cpu_seconds_total") > 0
    # Every sample names this process; no label holds a user's id or a secret.
    assert labels_of(after)["process"] == {process_label()}
    assert all(str(user.id) not in v for vs in labels_of(after).values() for v in vs)
    assert "sk_test_e2e" not in body
    # Nor a sample's name: its value is a number that may hold the id's digits by chance (a
    # process start time 1.79597101994e+09 once held the driver's 7101).
    samples = [line.rpartition(" ")[0] for line in body.splitlines() if not line.startswith("#")]
    assert samples and all(str(user.id) not in sample for sample in samples)


async def test_a_due_notification_shows_in_the_queue_and_a_429_is_counted(e2e: E2E) -> None:
    e2e.app.metrics.gauges.cache_seconds = 0  # type: ignore[union-attr]
    e2e.tg.user(7102, "Olha")  # the chat exists at Telegram
    async with e2e.db.transaction() as s:
        user = await make_user(s, telegram_id=7102)
    e2e.app.scheduler.pause()  # the outbox is not drained meanwhile
    await e2e.app.dispatcher.stop()  # nor by a drain that the last tick started
    before, _, _ = await scrape(e2e)
    async with e2e.db.transaction() as s:
        topped_up = {"amount": 500, "balance": 500, "currency": "EUR"}
        await outbox.notify(s, user.id, NotificationKind.WALLET_TOPPED_UP, topped_up, now=e2e.clock.now())
    e2e.clock.advance(timedelta(seconds=90))
    waiting, _, _ = await scrape(e2e)
    assert value(waiting, "parking_outbox_due", channel="telegram") == 1
    assert value(waiting, "parking_outbox_oldest_due_age_seconds", channel="telegram") == 90
    assert value(waiting, "parking_outbox_due", channel="sms") == 0

    # Telegram answers the send with 429: counted, and the message waits for the time asked.
    e2e.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    e2e.app.scheduler.resume()

    async def rate_limited() -> bool:
        now, _, _ = await scrape(e2e)
        return moved(before, now, "parking_notifications_sent_total", channel="telegram", result="retry") == 1

    await eventually(rate_limited, within=10, what="the send answered 429")
    retried, _, _ = await scrape(e2e)
    assert moved(before, retried, "parking_telegram_rate_limited_total", method="sendMessage") == 1
    assert value(retried, "parking_outbox_due", channel="telegram") == 0  # due again in 1 s
    e2e.clock.advance(timedelta(seconds=2))

    async def sent() -> bool:
        now, _, _ = await scrape(e2e)
        return moved(before, now, "parking_notifications_sent_total", channel="telegram", result="sent") == 1

    await eventually(sent, within=10, what="the message sent after the pause Telegram asked for")
    done, _, _ = await scrape(e2e)
    assert value(done, "parking_outbox_due", channel="telegram") == 0


async def test_a_handler_that_fails_counts_as_an_error(e2e: E2E) -> None:
    before, _, _ = await scrape(e2e)
    user = e2e.tg.user(7103, "Petro")
    e2e.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    await user.send_command("/start")
    await user.wait_for_message()  # the generic error text, or the menu once retried

    async def counted() -> bool:
        now, _, _ = await scrape(e2e)
        return moved(before, now, "parking_updates_handled_total", type="message", outcome="error") == 1

    await eventually(counted, what="the failed update counted as an error")
    after, _, _ = await scrape(e2e)
    assert moved(before, after, "parking_telegram_rate_limited_total", method="sendMessage") == 1


async def test_scrapes_read_the_database_at_most_once_per_cache_period(e2e: E2E) -> None:
    """Twenty scrapers at once (or one scraping in a loop) read the database once."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # The gauges' reads (the sweeps run meanwhile, and read other things).
        if "GROUP BY notifications.channel" in statement or "GROUP BY reservations.status" in statement:
            statements.append(statement)

    e2e.app.metrics.gauges._read_at = None  # type: ignore[union-attr]  # forget the start-up read
    event.listen(e2e.db.engine.sync_engine, "before_cursor_execute", count)
    try:
        results = await asyncio.gather(*(scrape(e2e) for _ in range(20)))
    finally:
        event.remove(e2e.db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 2  # one read: the outbox query and the bookings query
    assert all(value(samples, "parking_metrics_database_ok") == 1 for samples, _, _ in results)


async def test_openmetrics_when_the_scraper_asks_for_it(e2e: E2E) -> None:
    _, content_type, body = await scrape(e2e, accept="application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")
