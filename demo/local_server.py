"""The one way the emulators (Bot API, payment page) listen: a local aiohttp server on a free
127.0.0.1 port that sends every request to one handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def serve_locally(handler: Handler) -> tuple[web.AppRunner, str]:
    """Starts serving every path and method with `handler`; returns the runner and base URL."""
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def stop_serving(runner: web.AppRunner | None, http: aiohttp.ClientSession | None) -> None:
    """Closes the emulator's own client session (webhooks it calls) and then its server."""
    if http is not None:
        await http.close()
    if runner is not None:
        await runner.cleanup()
