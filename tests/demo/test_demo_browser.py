"""`python main.py demo` as a person uses it: Debian's chromium (driven by Playwright) on the
chat page, through the whole journey, against the demo process started as the README says."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.services import MQTT_URL, tcp_open, unavailable

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "STRIPE_SECRET_KEY")}
    return env | extra


@pytest.fixture(params=["mqtt", "in-process"])
def demo_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The demo as a subprocess, its blockers simulated over MQTT (a broker answers) or in the
    process (none does)."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    if request.param == "mqtt" and not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "demo", "--port", str(port), "--fresh"],
        cwd=tmp_path,
        env=demo_env(MQTT_URL=MQTT_URL if request.param == "mqtt" else ""),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()  # blocks until the demo is ready (or died)
        if not line:
            process.kill()
            pytest.fail(f"the demo did not start: {process.communicate()[1][-2000:]}")
        assert line == f"http://127.0.0.1:{port}/demo"
        yield line
    finally:
        process.terminate()
        try:
            out, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        assert process.returncode == 0, err[-2000:]
        assert out == "", out  # the URL is the only line it prints
        assert "Traceback" not in err and "violation" not in err, err[-3000:]


@pytest.fixture
async def page(demo_url: str) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = await browser.new_context(viewport={"width": 430, "height": 900}, device_scale_factor=2)
        tab = await context.new_page()
        await tab.goto(demo_url)
        yield tab
        await browser.close()


async def test_find_book_pay_lower_travel_in_time_and_extend(page: Any, tmp_path: Path) -> None:
    from playwright.async_api import Locator, expect

    chat: Locator = page.locator("#chat")

    async def bot_says(text: str) -> Locator:
        message = chat.locator(".msg.bot", has_text=text).last
        await expect(message).to_be_visible(timeout=15_000)
        return message

    async def press(message: Locator, label: str) -> None:
        await message.locator(".ikb button", has_text=label).first.click()

    try:
        await page.locator("#text").fill("/start")
        await page.locator("#text").press("Enter")
        await expect(chat.locator(".msg.user", has_text="/start")).to_be_visible()
        menu = await bot_says("What would you like to do?")
        await press(menu, "Find parking")
        await bot_says("Send your location")
        await page.locator("#reply button", has_text="Send my location").click()
        await expect(page.locator("#lat")).to_have_value("50.4501")
        await page.locator("#sendLocation").click()
        results = await bot_says("Parking near")
        await press(results, "Central Station")  # the button cuts the long name: it fits a phone
        card = await bot_says("per hour")
        await press(card, "1 h")
        quote = await bot_says("Total:")
        await press(quote, "Hold the spot")
        hold = await bot_says("is held for you")
        await press(hold, "Pay by card")
        pay_screen = await bot_says("I have paid")
        async with page.context.expect_page() as opened:
            await press(pay_screen, "Pay 3.00 EUR")
        checkout = await opened.value
        await expect(checkout.locator("h1")).to_have_text("3.00 EUR")
        await checkout.locator("#pay").click()
        await checkout.wait_for_load_state()
        await checkout.screenshot(path=str(tmp_path / "return.png"))
        await checkout.close()
        confirmed = await bot_says("Booking confirmed")
        await press(confirmed, "lower the blocker")
        await bot_says("Park now!")
        for _ in range(3):
            await page.locator("#plus15").click()
        await expect(page.locator("#clock")).to_contain_text("+45 min")
        reminder = await bot_says("Extend")
        await page.screenshot(path=str(tmp_path / "reminder.png"))
        await press(reminder, "30 min")
        offer = await bot_says("How do you want to pay?")  # the wallet is short of the extension
        new_end = re.search(r"until (\d\d:\d\d) costs", await offer.inner_text())
        assert new_end is not None
        await press(offer, "Pay by card")
        page_link = await bot_says("Open the secure payment page")
        async with page.context.expect_page() as opened:
            await press(page_link, "Open the secure page")
        checkout = await opened.value
        await expect(checkout.locator("h1")).to_have_text("1.50 EUR")
        await checkout.locator("#pay").click()
        await checkout.wait_for_load_state()
        await checkout.close()
        await bot_says(f"now until {new_end.group(1)}")
        if os.environ.get("DEMO_SCREENSHOT"):  # the README's picture
            await page.screenshot(path=os.environ["DEMO_SCREENSHOT"])
        # What a person types is shown as text, never as markup.
        await page.locator("#text").fill("<b>bold?</b><img src=x>")
        await page.locator("#text").press("Enter")
        typed = chat.locator(".msg.user").last
        await expect(typed).to_contain_text("<b>bold?</b><img src=x>")
        assert await typed.locator("b, img").count() == 0
    finally:
        # The chat as the person saw it, kept as the test's artifact.
        await page.screenshot(path=str(tmp_path / "chat.png"))
        print("screenshot of the chat:", tmp_path / "chat.png")
