"""The demo never starts against real accounts, and the chat page shows bot text safely."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from demo.render import entities_to_html
from tests.demo.test_demo_browser import ROOT, demo_env


def _demo(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "demo", "--port", "1"],
        cwd=cwd,
        env=demo_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "value", "where"),
    [
        ("BOT_TOKEN", "123456:AAH-real-looking-token", "environment"),
        ("STRIPE_SECRET_KEY", "sk_live_51Habc", ".env"),
        ("STRIPE_SECRET_KEY", "sk_test_51Habc", "environment"),
    ],
)
def test_the_demo_refuses_real_credentials(tmp_path: Path, variable: str, value: str, where: str) -> None:
    if where == ".env":
        (tmp_path / ".env").write_text(f"{variable}={value}\n")
        done = _demo(tmp_path)
    else:
        done = _demo(tmp_path, **{variable: value})
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"demo refused: {variable} is set (environment or .env); the demo runs without accounts, "
        "unset it to try the demo"
    ], done.stderr[-2000:]
    assert value not in done.stderr
    assert not (tmp_path / "demo.db").exists()


def test_bot_text_is_escaped_and_only_telegram_formatting_becomes_markup() -> None:
    text = "Spot <A1> & co: bold, link, spoiler 🚗 ok"
    entities = [
        {"type": "bold", "offset": 16, "length": 4},
        {"type": "text_link", "offset": 22, "length": 4, "url": 'https://example.org/?a=1&b="2"'},
        {"type": "spoiler", "offset": 28, "length": 7},
        {"type": "italic", "offset": 39, "length": 2},  # after a UTF-16 surrogate pair (🚗)
    ]
    assert entities_to_html(text, entities) == (
        "Spot &lt;A1&gt; &amp; co: <b>bold</b>, "
        '<a href="https://example.org/?a=1&amp;b=&quot;2&quot;" target="_blank" rel="noopener noreferrer">'
        'link</a>, <span class="spoiler">spoiler</span> 🚗 <i>ok</i>'
    )


def test_links_other_than_web_ones_are_shown_as_plain_text() -> None:
    entities = [{"type": "text_link", "offset": 0, "length": 5, "url": "javascript:alert(1)"}]
    assert entities_to_html("click", entities) == "click"
