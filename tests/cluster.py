"""Several `python main.py run` processes behind a private nginx built from
deploy/nginx/parking.conf, for the several-processes test and bench/updates.py.

nginx is Debian's (`nginx-light`), started as a private instance (`nginx -p <dir> -c <dir>/
nginx.conf`, everything it writes in that directory) on free 127.0.0.1 ports. The site is the
deploy file itself; only what cannot be the same on a test machine changes, each by an exact
replacement that fails loudly when the deploy file no longer has that shape: the listen ports,
the upstream's servers (one line per process, with the deploy file's options) and the
certificate directory (a self-signed certificate for 127.0.0.1, which the Bot API fake
trusts as Telegram trusts a certificate uploaded with setWebhook).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import select

from core.config import Settings
from core.db import Database
from core.models import User, WalletTxKind
from core.services import wallet
from demo.botapi import BotMessage, FakeUser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx" / "parking.conf"
STARTED = "sweeps every"  # the last line a service logs once it serves (service.App.start)
START_SECONDS = 60.0  # a loaded machine starts Python, aiogram and Alembic slowly


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_token() -> str:
    """A bot of its own per run: aiogram's Redis keys start with the bot id, so runs sharing
    the Redis server (other tests, other checkouts) never read each other's dialogs."""
    return f"{secrets.randbelow(9 * 10**9) + 10**9}:AAFakeTelegramTokenForTests_{secrets.token_hex(8)}"


def _replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx/parking.conf no longer has {old!r} once"
    return text.replace(old, new)


def proxy_site(site: str, upstreams: Sequence[int], *, http_port: int, https_port: int, certs: Path) -> str:
    """The deploy site with this machine's ports and certificates."""
    servers = re.findall(r"^( +)server web-\d+:8080( [^;]*);\n", site, re.M)
    assert len(servers) >= 2, "deploy/nginx/parking.conf's upstream no longer lists web-N:8080 servers"
    indent, options = servers[0]
    block = "".join(f"{indent}server web-{i + 1}:8080{options};\n" for i in range(len(servers)))
    ours = "".join(f"{indent}server 127.0.0.1:{port}{options};\n" for port in upstreams)
    site = _replace(site, block, ours)
    site = _replace(site, "listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
    site = _replace(
        site, "listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;"
    )
    return site.replace("/etc/nginx/certs", str(certs))


def self_signed(directory: Path) -> ssl.SSLContext:
    """fullchain.pem and privkey.pem for 127.0.0.1 in `directory`; a client context trusting it."""
    openssl = shutil.which("openssl")
    assert openssl is not None
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return ssl.create_default_context(cafile=str(cert))


@dataclass
class Proxy:
    """A running private nginx."""

    url: str  # https://127.0.0.1:<port>
    directory: Path
    ssl: ssl.SSLContext

    def routes(self) -> list[tuple[int, str]]:
        """(update_id, upstream address(es)) of every Telegram webhook request, in the order
        nginx finished them (its access log, written by the private configuration)."""
        seen: list[tuple[int, str]] = []
        for line in (self.directory / "updates.log").read_text().splitlines():
            entry = json.loads(line)
            seen.append((int(json.loads(entry["body"])["update_id"]), entry["upstream"]))
        return seen


def _nginx_conf(directory: Path) -> str:
    d = directory
    # Root (a CI container) would hand the workers to `nobody`, who cannot read this directory.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n"
        f"    fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n"
        # Which process got each update: the update is the request body (small: in memory).
        '    log_format updates escape=json \'{"upstream":"$upstream_addr","status":"$status",'
        '"body":"$request_body"}\';\n'
        "    access_log off;\n"
        f"    include {d}/site.conf;\n"
        "}\n"
    )


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which a user's PATH may lack), if installed with openssl."""
    if shutil.which("openssl") is None:
        return None
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def _prepare_nginx(directory: Path, upstreams: Sequence[int]) -> tuple[str, ssl.SSLContext, int]:
    """Writes the private configuration; (nginx binary, client context, https port)."""
    binary = nginx_binary()
    assert binary is not None, (
        "nginx or openssl is not installed (Debian: apt-get install nginx-light openssl)"
    )
    directory.mkdir(parents=True, exist_ok=True)
    context = self_signed(directory / "certs")
    http_port, https_port = free_port(), free_port()
    site = proxy_site(
        SITE.read_text(), upstreams, http_port=http_port, https_port=https_port, certs=directory / "certs"
    )
    webhook = "location = /telegram/webhook { proxy_pass http://parking; }"
    site = _replace(site, webhook, webhook.replace("}", f"access_log {directory}/updates.log updates; }}"))
    (directory / "site.conf").write_text(site)
    (directory / "nginx.conf").write_text(_nginx_conf(directory))
    return binary, context, https_port


@contextlib.asynccontextmanager
async def nginx(directory: Path, upstreams: Sequence[int]) -> AsyncIterator[Proxy]:
    """nginx in front of the processes listening on `upstreams`, until the block ends."""
    binary, context, https_port = _prepare_nginx(directory, upstreams)
    process = await asyncio.create_subprocess_exec(
        binary, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log"),
        "-g", "daemon off;", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not _listening(https_port):
            if process.returncode is not None or time.monotonic() > deadline:
                errors = (directory / "error.log").read_text() if (directory / "error.log").exists() else ""
                raise AssertionError(f"nginx did not start: {errors[-2000:]}")
            await asyncio.sleep(0.05)
        yield Proxy(f"https://127.0.0.1:{https_port}", directory, context)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGQUIT)  # graceful: requests under way finish
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()


def _listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


def service_environment(
    *, token: str, api_base: str, database_url: str, redis_url: str, public_url: str
) -> dict[str, str]:
    """What every process shares; nothing of this machine's own configuration leaks in."""
    ours = {name.upper() for name in Settings.model_fields}
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return {
        **inherited,
        "BOT_TOKEN": token,
        "TELEGRAM_API_BASE": api_base,
        "BOT_MODE": "webhook",
        "PUBLIC_URL": public_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MQTT_URL": "",  # blockers are not what these runs are about
        "HTTP_HOST": "127.0.0.1",
        "TIMEZONE": "Europe/Kyiv",
        "CURRENCY": "EUR",
    }


@dataclass
class Service:
    """One `python main.py run` process."""

    name: str
    port: int
    log: Path
    process: asyncio.subprocess.Process
    # SIGTERM sent: never twice, as a second one may reach the process after its event loop
    # (and the handler) is gone, killing it in the middle of a clean exit (status -15).
    terminated: bool = False

    def terminate(self) -> None:
        if self.process.returncode is None and not self.terminated:
            self.terminated = True
            self.process.send_signal(signal.SIGTERM)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


async def start_service(
    directory: Path, environment: dict[str, str], name: str, port: int, log: Path
) -> Service:
    """One process started exactly as `python main.py run`, its output in `log` (not yet
    serving: see `wait_serving`). The fault tests start a killed one again with this."""
    env = environment | {"HTTP_PORT": str(port), "PROCESS_NAME": name}
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "main.py"), "run", cwd=directory, env=env, stdout=out, stderr=out
        )
    return Service(name, port, log, process)


async def wait_serving(started: Sequence[Service]) -> None:
    """Returns once every one of `started` has logged that it serves."""
    deadline = time.monotonic() + START_SECONDS
    for service in started:
        while STARTED not in service.output():
            assert service.process.returncode is None, f"{service.name} stopped:\n{service.output()}"
            assert time.monotonic() < deadline, f"{service.name} did not start:\n{service.output()}"
            await asyncio.sleep(0.1)


async def stop_service(service: Service) -> None:
    """SIGTERM (a graceful stop; once), SIGKILL after 30 s."""
    service.terminate()
    try:
        await asyncio.wait_for(service.process.wait(), 30)
    except TimeoutError:
        service.process.kill()
        await service.process.wait()


@contextlib.asynccontextmanager
async def services(
    directory: Path, environment: dict[str, str], ports: Sequence[int]
) -> AsyncIterator[list[Service]]:
    """A process per port started exactly as `python main.py run` (web-1, web-2, ...), all
    serving once the block starts; stopped with SIGTERM when it ends."""
    os.makedirs(directory, exist_ok=True)
    started: list[Service] = []
    try:
        for i, port in enumerate(ports):
            name = f"web-{i + 1}"
            started.append(await start_service(directory, environment, name, port, directory / f"{name}.log"))
        await wait_serving(started)
        yield started
    finally:
        for service in started:  # all at once, then each waited for
            service.terminate()
        for service in started:
            await stop_service(service)


async def updates_handled(http: aiohttp.ClientSession, service: Service) -> dict[str, float]:
    """parking_updates_handled_total of one process by outcome, from its own GET /metrics."""
    async with http.get(f"{service.url}/metrics") as resp:
        body = await resp.text()
    found: dict[str, float] = {}
    for match in re.finditer(r"^parking_updates_handled_total\{([^}]*)\} (\S+)$", body, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        assert labels.get("process") == service.name, labels
        found[labels["outcome"]] = found.get(labels["outcome"], 0.0) + float(match.group(2))
    return found


# --- a driver's booking, as the walks of the test and the bench make it -------------------------


@dataclass
class Walk:
    """Each action's latency: from the update's delivery to the bot's answer on screen.
    `before` runs before each action (the bench paces its drivers with it)."""

    latencies: list[float] = field(default_factory=list)
    before: Callable[[], Awaitable[None]] | None = None


async def act(
    walk: Walk, user: FakeUser, action: Callable[[], Awaitable[object]], expect: Callable[[BotMessage], bool]
) -> BotMessage:
    if walk.before is not None:
        await walk.before()
    start = time.perf_counter()
    await action()
    answer = await user.wait_for_message(expect, timeout=30)
    walk.latencies.append(time.perf_counter() - start)
    return answer


def _button(message: BotMessage, contains: str) -> str:
    for text, data in message.buttons():
        if contains in text and data:
            return data
    raise AssertionError(f"no button {contains!r} in {message.buttons()} of {message.text!r}")


def wallet_top_up(db: Database, reference: str, amount: int = 1000) -> Callable[[int], Awaitable[None]]:
    """`fund` for `book_a_spot`: tops up the wallet of the driver the bot registered on /start."""

    async def fund(telegram_id: int) -> None:
        async with db.transaction() as s:
            user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
            assert user_id is not None, "the bot registered the driver on /start"
            await wallet.credit(
                s, user_id, amount, "EUR", kind=WalletTxKind.ADJUSTMENT, reference=reference,
                now=datetime.now(UTC),
            )  # fmt: skip

    return fund


async def book_a_spot(
    walk: Walk,
    user: FakeUser,
    premise: str,
    location: tuple[float, float],
    fund: Callable[[int], Awaitable[None]],
) -> None:
    """/start, Find parking, share the location, pick `premise`, one hour, hold, pay from the
    wallet (`fund(telegram_id)` tops it up once the bot has registered the driver)."""
    menu = await act(
        walk, user, lambda: user.send_command("/start"), lambda m: "What would you like to do?" in m.text
    )
    await fund(user.id)
    prompt = await act(
        walk,
        user,
        lambda: user.tap(menu, _button(menu, "Find parking")),
        lambda m: "Send your location" in m.text,
    )
    assert prompt.reply_buttons()
    results = await act(
        walk, user, lambda: user.tap_reply_button("📍 Send my location", location=location),
        lambda m: "Parking near" in m.text,
    )  # fmt: skip
    card = await act(
        walk, user, lambda: user.tap(results, _button(results, premise)),
        lambda m: "How long will you park?" in m.text,
    )  # fmt: skip
    quote = await act(
        walk, user, lambda: user.tap(card, _button(card, "1 h ·")), lambda m: "Total:" in m.text
    )
    hold = await act(
        walk,
        user,
        lambda: user.tap(quote, _button(quote, "Hold the spot")),
        lambda m: "is held for you" in m.text,
    )
    await act(
        walk, user, lambda: user.tap(hold, _button(hold, "Wallet")),
        lambda m: "Payment received for booking" in m.text,
    )  # fmt: skip
