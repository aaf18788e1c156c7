"""Bot messages as the chat page shows them: Telegram's entities turned back into a small,
safe HTML subset (the text is escaped; only Telegram's formatting tags are produced)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

JSON = dict[str, Any]

_SIMPLE = {
    "bold": "b", "italic": "i", "underline": "u", "strikethrough": "s", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "expandable_blockquote": "blockquote",
}  # fmt: skip


def _safe_url(url: str) -> str | None:
    return url if urlsplit(url).scheme in ("http", "https", "tg", "mailto") else None


def _open(entity: JSON) -> tuple[str, str]:
    """(opening tag, closing tag) for an entity; ("", "") for those shown as plain text."""
    kind = entity.get("type")
    if kind in _SIMPLE:
        tag = _SIMPLE[kind]
        return f"<{tag}>", f"</{tag}>"
    if kind == "spoiler":
        return '<span class="spoiler">', "</span>"
    if kind in ("text_link", "url"):
        url = entity.get("url") if kind == "text_link" else None
        if kind == "text_link" and (not isinstance(url, str) or _safe_url(url) is None):
            return "", ""
        href = f' href="{html.escape(url, quote=True)}"' if url else ""
        return f'<a{href} target="_blank" rel="noopener noreferrer">', "</a>"
    return "", ""


def entities_to_html(text: str, entities: list[JSON] | None) -> str:
    """Escaped `text` with `entities` (UTF-16 offsets, properly nested as parsed from HTML)."""
    opens: dict[int, list[JSON]] = {}
    for entity in entities or []:
        if isinstance(entity.get("offset"), int) and isinstance(entity.get("length"), int):
            opens.setdefault(entity["offset"], []).append(entity)
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end offset, closing tag)
    pos = 0

    def close_until(offset: int) -> None:
        while stack and stack[-1][0] <= offset:
            out.append(stack.pop()[1])

    for ch in text:
        close_until(pos)
        for entity in sorted(opens.get(pos, []), key=lambda e: -int(e["length"])):
            start, end = _open(entity)
            if entity["type"] == "url":  # a bare URL: the link is the text itself
                start = start.replace("<a", f'<a href="{html.escape(_url_at(text, entity), quote=True)}"', 1)
            out.append(start)
            stack.append((pos + int(entity["length"]), end))
        out.append(html.escape(ch, quote=False))
        pos += len(ch.encode("utf-16-le")) // 2
    while stack:
        out.append(stack.pop()[1])
    return "".join(out)


def _url_at(text: str, entity: JSON) -> str:
    units = text.encode("utf-16-le")
    start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
    url = units[start : start + length].decode("utf-16-le", errors="replace")
    return _safe_url(url) or "#"
