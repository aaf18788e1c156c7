"""A booking as an iCalendar file (RFC 5545, the `icalendar` library), in the driver's language:
the car park's name, address and position, the stay in UTC, and a reminder before the start."""

from __future__ import annotations

from datetime import UTC, timedelta

from aiogram import Bot
from aiogram.types import BufferedInputFile
from icalendar import Alarm, Calendar, Event

from bot.context import Caller, Services
from bot.dialogs.common import refusal_text
from bot.i18n import tr, tr_label
from core.errors import DomainError
from core.usecases.calendar import BookingEvent

REMINDER_BEFORE = timedelta(minutes=30)


def ics(event: BookingEvent, lang: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//smart-parking-bot//booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = Event()
    entry.add("uid", event.uid)
    entry.add("sequence", event.sequence)
    entry.add("dtstamp", event.stamp.astimezone(UTC))
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", event.ends_at.astimezone(UTC))
    entry.add(
        "summary",
        tr_label(lang, "calendar.summary", name=event.premise_name, spot=event.spot),
    )
    entry.add("location", f"{event.premise_name}, {event.address}")
    entry.add("geo", (event.lat, event.lon))
    entry.add("description", tr_label(lang, "calendar.description", id=event.reservation_id))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add("description", tr_label(lang, "calendar.alarm", name=event.premise_name, spot=event.spot))
    entry.add_component(alarm)
    calendar.add_component(entry)
    return bytes(calendar.to_ical())


def ics_file(event: BookingEvent, lang: str) -> BufferedInputFile:
    return BufferedInputFile(ics(event, lang), filename=f"parking-{event.reservation_id}.ics")


async def send_calendar(bot: Bot, services: Services, who: Caller, reservation_id: int) -> str | None:
    """Sends the booking's .ics file to the driver's chat; the refusal (plain text, for an
    alert) when the booking is not one a calendar entry is offered for."""
    try:
        event = await services.calendar.event(user_id=who.user_id, reservation_id=reservation_id)
    except DomainError as exc:
        return refusal_text(who.lang, exc)
    await bot.send_document(
        who.telegram_id,
        ics_file(event, who.lang),
        caption=tr(who.lang, "calendar.sent", id=event.reservation_id),
    )
    return None
