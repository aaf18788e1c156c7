"""The screen catalogue: every screen of the driver's journey, in each language, as the driver
sees it (text, then the buttons row by row, plus the plain messages and alerts a step sent),
written in a stable form and compared with the files committed under tests/bot/catalogue/.

Any change to what a driver sees therefore shows up in review as a diff of those files. After
an intended change, regenerate them with `UPDATE_CATALOGUE=1 pytest tests/bot/test_screen_catalogue.py`
and read the diff.

The journey is driven by button position, not label, so one walk serves every language.

Limits checked on every screen: a button label of at most 40 characters (a phone shows about
that many on a full-width button before cutting it with "…"), and a message of at most 1,000
characters and 25 lines (what a phone shows without scrolling, so the buttons under it stay in
view).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.methods import SendDocument
from pydantic import SecretStr

from bot.context import Services
from core.clock import ManualClock
from core.errors import NoSpotFree
from core.models import Blocker, BlockerState, Reservation
from tests.bot.dialog_support import Driver, layout
from tests.bot.screens import (
    HERE,
    TG_ID,
    add_premise,
    add_user,
    book_and_pay,
    complete_a_stay,
    fund,
    hold,
    tomorrow_at,
)

CATALOGUE = Path(__file__).parent / "catalogue"
MAX_LABEL = 40
MAX_TEXT = 1_000
MAX_LINES = 25


def _file_name(method: SendDocument) -> str:
    document = method.document
    return document if isinstance(document, str) else str(document.filename)


class Catalogue:
    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.entries: list[str] = []
        self.problems: list[str] = []
        self._sent = 0
        self._alerts = 0
        self._documents = 0

    async def step(self, title: str, action: Callable[[], Awaitable[None]]) -> None:
        await action()
        d = self.driver
        texts, alerts = d.bot.texts(), d.bot.alerts()
        documents = [m for m in d.bot.calls if isinstance(m, SendDocument)]
        new_texts, new_alerts = texts[self._sent :], alerts[self._alerts :]
        new_documents = documents[self._documents :]
        self._sent, self._alerts, self._documents = len(texts), len(alerts), len(documents)
        before = [f"> message: {t}" for t in new_texts]
        before += [f"> alert: {a}" for a in new_alerts]
        before += [f"> document: {_file_name(m)} · {m.caption}" for m in new_documents]
        self.record(title, d.text, d.layout, before)

    def record(self, title: str, text: str, layout: list[list[str]], before: Sequence[str] = ()) -> None:
        """A screen (or a message outside the dialogs, like an alert with its buttons), checked
        against the phone's limits; `before`: the messages, alerts and files that came first."""
        lines = [f"## {title}", *before, text, ""]
        lines += ["[" + "] [".join(row) + "]" for row in layout]
        self.entries.append("\n".join(lines))
        for label in (b for row in layout for b in row):
            if len(label) > MAX_LABEL:
                self.problems.append(f"{title}: button of {len(label)} characters: {label!r}")
        if len(text) > MAX_TEXT or text.count("\n") + 1 > MAX_LINES:
            count = text.count("\n") + 1
            self.problems.append(f"{title}: message of {len(text)} characters, {count} lines")

    def tap(self, row: int, col: int = 0) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            await self.driver.tap(layout(self.driver.screen)[row][col])

        return action

    def send(self, text: str) -> Callable[[], Awaitable[None]]:
        async def action() -> None:
            await self.driver.send(text)

        return action

    def text(self) -> str:
        return "\n\n".join(self.entries) + "\n"


async def _journey(c: Catalogue, services: Services, clock: ManualClock, user_id: int) -> None:
    # Menu, help, language.
    await c.step("/start: greeting and menu", c.send("/start"))
    await c.step("Help", c.tap(2, 1))
    await c.step("Back to the menu", c.tap(-1))
    await c.step("Language", c.tap(2, 0))
    await c.step("/start again: the menu, greeting on top", c.send("/start"))
    await c.step("Skip the phone request", c.send("Skip"))

    # Finding: results, a card, filters, durations, the quote.
    garage = await add_premise(
        services,
        "Central Garage",
        north_m=222,
        price=250,
        spots=3,
        features=["covered", "ev_charging"],
        description="Entrance from Khreshchatyk.",
    )
    await add_premise(services, "Riverside Park & Ride", north_m=900, price=150, spots=1)
    await c.step("Results for a shared location", c.send(HERE))
    await c.step("Filters", c.tap(2, 1))
    await c.step("Back to the results", c.tap(-1))
    await c.step("Change time", c.tap(2, 0))
    await c.step("Later today: the next start times", c.tap(0, 1))
    await c.step("The later hours", c.tap(6, 0))
    await c.step("Results again", c.send(HERE))
    await c.step("A car park's card: the stay searched for and the durations", c.tap(0))
    await c.step("A duration from the card: the quote", c.tap(0, 1))
    await c.step("Back to the card", c.tap(-1))
    await c.step("Add to favourites", c.tap(4, 1))
    await c.step("Other duration: the prompt", c.tap(3))
    await c.step("A duration that cannot be read", c.send("seven"))
    await c.step("1:30 typed: the quote", c.send("1:30"))
    await c.step("Add a number plate: which vehicle", c.tap(1))
    await c.step("Add a plate: the prompt", c.tap(1))
    await c.step("Something that is no plate", c.send("A!"))
    await c.step("A plate typed in Cyrillic: the quote with it", c.send("аа 1234 вв"))
    await c.step("Change the plate: the saved ones", c.tap(1))
    await c.step("Back to the quote", c.tap(-1))

    # Holding and paying.
    await c.step("Hold the spot: the payment screen, wallet short", c.tap(0))
    await fund(services, user_id, 10_000)
    await c.step("Any message shows the payment screen again, wallet enough", c.send("paid in"))
    await c.step("Pay from the wallet: confirmed", c.tap(0))

    # My bookings: a booking in progress, one upcoming, an unpaid hold.
    await book_and_pay(services, user_id, garage, tomorrow_at(clock, 10), 120)
    await hold(services, user_id, garage, tomorrow_at(clock, 15), 60)
    clock.advance(timedelta(minutes=5))
    await c.step("/bookings", c.send("/bookings"))
    await c.step("The booking in progress", c.tap(1))
    await c.step("Add to calendar: an .ics file, the booking again below", c.tap(1))
    await c.step("Its receipt: a PDF, the booking again below", c.tap(2))
    await c.step("End parking now: the question", c.tap(0))
    await c.step("No, keep parking", c.tap(0, 1))
    await c.step("Share with a guest: a new link", c.tap(3))
    await c.step("Send by SMS instead: the prompt", c.tap(0))
    await c.step("Something that is no number", c.send("tomorrow"))
    await c.step("A number: sent, the booking again", c.send("+380501234567"))
    await c.step("Revoke guest access", c.tap(4))
    await c.step("Back to the list", c.tap(-1))
    await c.step("Upcoming tab", c.tap(0, 0))
    await c.step("An upcoming booking", c.tap(1))
    await c.step("Cancel booking: the question", c.tap(0))
    await c.step("Yes, cancel", c.tap(0, 0))
    await c.step("Back to the list", c.tap(-1))
    await c.step("An unpaid hold", c.tap(1))

    # Wallet.
    await c.step("/wallet", c.send("/wallet"))
    await c.step("Wallet history", c.tap(0))
    await c.step("Top-up receipts (none: the deposits above were the test's, not card top-ups)", c.tap(-2))
    await c.step("Back to the history", c.tap(-1))
    await c.step("Saved cards", c.send("/testcards"))

    # Anything unexpected.
    await c.step("Text outside any dialog", c.send("/cancel"))
    await c.step("Unknown text on the menu", c.send("hello?"))

    # After a stay: the review, my reviews, book again.
    stay = await complete_a_stay(services, clock, user_id, garage)
    await c.step("/bookings", c.send("/bookings"))
    await c.step("Past tab", c.tap(0, 2))
    await c.step("A completed stay", c.tap(1))
    await c.step("Rate this stay: the stars", c.tap(0))
    await c.step("4 stars: the text prompt", c.tap(0, 3))
    await c.step("Too long a text", c.send("x" * 501))
    await c.step("A short text: thanks, awaiting moderation", c.send("Friendly guard & <clean> floors"))
    await c.step("My reviews", c.tap(0))
    await c.step("/start: the menu offers to book again", c.send("/start"))
    await c.step("Book again: the quote at the next free start", c.tap(1))

    # The waitlist: the quoted stay is taken meanwhile; "Tell me when a spot frees up".
    again = await services.rebook.again(user_id=user_id, reservation_id=stay)
    others = [await add_user(services, TG_ID + n) for n in (1, 2, 3)]
    for other in others:
        with contextlib.suppress(NoSpotFree):
            await hold(services, other, garage, again.starts_at, again.minutes)
    await c.step("Every spot taken meanwhile: the quote again, the waitlist offered", c.send("ok"))
    await c.step("Tell me when a spot frees up", c.tap(0))
    await c.step("My waitlist", c.tap(0))
    await c.step("Withdraw the wish", c.tap(0))

    # A guest: somebody else's booking shared with this driver.
    friend = await add_user(services, TG_ID + 9)
    shared = await book_and_pay(services, friend, garage, tomorrow_at(clock, 18), 60)
    async with services.db.transaction() as s:
        spot_id = (await s.get_one(Reservation, shared)).spot_id
        s.add(Blocker(id="CAT-1", spot_id=spot_id, online=True, state=BlockerState.RAISED, battery=90))
    link = await services.guests.share(owner_id=friend, reservation_id=shared)
    await c.step(
        "A guest pass opened: the place and times, Lower and Raise", c.send(f"/start guest_{link.token}")
    )
    await c.step("A link that opens nothing", c.send("/start guest_NoSuchPassAtAll"))


def _with_sms(services: Services) -> Services:
    """The same services with SMS configured (a guest pass can then be texted); nothing is
    sent in this walk: the outbox is not dispatched."""
    settings = services.settings.model_copy(
        update={
            "twilio_account_sid": "AC" + "0" * 32,
            "twilio_auth_token": SecretStr("x"),
            "twilio_from_number": "+15005550006",
        }
    )
    return Services(db=services.db, clock=services.clock, settings=settings, payments=None, geocoder=None)


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_screen_catalogue(
    services: Services, clock: ManualClock, lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A guest link's token is random: the catalogue shows a fixed one.
    tokens = (f"GuestPassTokenForTheCatalog{n}" for n in itertools.count(1))
    monkeypatch.setattr(secrets, "token_urlsafe", lambda _n=None: next(tokens))
    services = _with_sms(services)
    user_id = await add_user(services, TG_ID, language=lang)
    catalogue = Catalogue(Driver(services, TG_ID))
    path = CATALOGUE / f"driver.{lang}.txt"
    try:
        await _journey(catalogue, services, clock, user_id)
    finally:
        if os.environ.get("UPDATE_CATALOGUE") == "1":
            path.write_text(catalogue.text(), encoding="utf-8")
    assert catalogue.text() == path.read_text(encoding="utf-8"), (
        f"what a driver sees changed: regenerate with UPDATE_CATALOGUE=1 and read the diff of {path.name}"
    )


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_screens_fit_a_phone(services: Services, clock: ManualClock, lang: str) -> None:
    services = _with_sms(services)
    user_id = await add_user(services, TG_ID, language=lang)
    catalogue = Catalogue(Driver(services, TG_ID))
    await _journey(catalogue, services, clock, user_id)
    assert catalogue.problems == []
