"""Simulated blocker controllers speaking MQTT protocol v1: the reference device side.

    python -m hardware.simulator --blockers B1,B2 [--url mqtt://127.0.0.1:1883] [--prefix parking]

In Python (tests, benchmarks):

    async with Simulator(url, prefix, ["B1", "B2"], move_time=0.05) as sim:
        sim["B1"].set_obstacle(True)
        await sim.go_offline("B2")      # abrupt: the broker publishes B2's Last Will

Connections. A Last Will belongs to an MQTT connection, so by default every blocker gets its
own connection with the Will `offline` (retained, QoS 1) on its availability topic: that is
what a real controller does, and killing the process (or `go_offline`) takes each blocker
offline through the broker. `shared_connection=True` (`--shared-connection`) puts all blockers
on one connection instead, for thousands of blockers on few file descriptors; it can carry no
per-blocker Will, so a crash leaves them all `online` until a restart, and `go_offline`
publishes `offline` itself.

On a clean stop each blocker publishes `offline` (a clean DISCONNECT suppresses the Will).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import ssl
import sys
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Self

from core.clock import Clock
from hardware import protocol
from hardware.broker import BrokerAddress
from hardware.protocol import Availability, Kind
from hardware.sim_connection import DeviceConnection
from hardware.sim_device import SimulatedBlocker

log = logging.getLogger("parking.hardware.simulator")


class Simulator:
    """Simulated blockers on a broker; see the module docstring."""

    def __init__(
        self,
        url: str = "mqtt://127.0.0.1:1883",
        prefix: str = "parking",
        blocker_ids: Iterable[str] = (),
        *,
        move_time: float = 0.2,
        car_arrival_delay: float | None = 1.0,
        ack_delay: float = 0.0,
        battery: int = 100,
        refuse_below: int = 10,
        keepalive: int = 2,
        shared_connection: bool = False,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
        clear_retained_on_stop: bool = False,
    ) -> None:
        ids = [protocol.check_blocker_id(b) for b in blocker_ids]
        if not ids:
            raise ValueError("no blocker ids given")
        if len(set(ids)) != len(ids):
            raise ValueError("blocker ids repeat")
        self.address = BrokerAddress.from_url(url)
        self.prefix = prefix
        self.shared_connection = shared_connection
        self.clear_retained_on_stop = clear_retained_on_stop
        self.blockers = {
            blocker_id: SimulatedBlocker(
                blocker_id,
                clock=clock,
                battery=battery,
                move_time=move_time,
                car_arrival_delay=car_arrival_delay,
                ack_delay=ack_delay,
                refuse_below=refuse_below,
            )
            for blocker_id in ids
        }
        devices = list(self.blockers.values())
        groups = [devices] if shared_connection else [[d] for d in devices]
        self._connections = [
            DeviceConnection(
                self.address,
                prefix,
                group,
                keepalive=keepalive,
                with_will=not shared_connection,
                tls_context=tls_context,
            )
            for group in groups
        ]
        self._by_blocker = {d.id: conn for conn in self._connections for d in conn.devices.values()}
        self._tasks: list[asyncio.Task[None]] = []

    def __getitem__(self, blocker_id: str) -> SimulatedBlocker:
        return self.blockers[blocker_id]

    async def start(self, *, wait: float | None = 5.0) -> None:
        """Connects every blocker; with `wait`, returns once all are online (or raises
        TimeoutError)."""
        if self._tasks:
            raise RuntimeError("the simulator is already running")
        for conn in self._connections:
            if not conn.wanted:
                conn.unplug()
        self._tasks = [asyncio.create_task(c.run(), name=f"sim-{i}") for i, c in enumerate(self._connections)]
        if wait is not None:
            try:
                async with asyncio.timeout(wait):
                    await self.wait_connected()
            except TimeoutError:
                await self.stop()
                raise TimeoutError(f"simulated blockers could not connect to {self.address}") from None

    async def wait_connected(self) -> None:
        """Returns once every blocker that is switched on is connected."""
        await asyncio.gather(*(c.wait_connected() for c in self._connections if c.wanted))

    async def stop(self) -> None:
        for conn in self._connections:
            with contextlib.suppress(Exception):  # best effort: the broker may be gone
                await conn.close(clear_retained=self.clear_retained_on_stop)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for device in self.blockers.values():
            await device.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def connects(self, blocker_id: str) -> int:
        """How many times the blocker's connection has come up."""
        return self._by_blocker[blocker_id].connects

    async def go_offline(self, blocker_id: str) -> None:
        """The blocker loses power or network: its connection drops without a goodbye."""
        device = self.blockers[blocker_id]
        device.online = False
        if self.shared_connection:
            conn = self._by_blocker[blocker_id]
            await conn.publish(
                blocker_id, Kind.AVAILABILITY, Availability.OFFLINE.value.encode(), retain=True
            )
        else:
            await self._by_blocker[blocker_id].pull_the_plug()

    async def go_online(self, blocker_id: str) -> None:
        """Power is back: the blocker reconnects and announces itself (returns once it has)."""
        device = self.blockers[blocker_id]
        device.online = True
        conn = self._by_blocker[blocker_id]
        if self.shared_connection:
            await device.announce()
        else:
            conn.plug_in()
            await conn.wait_connected()


# --- command line ------------------------------------------------------------------------------


def _ids(value: str) -> list[str]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("expected ID[,ID...]")
    return ids


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hardware.simulator",
        description="Simulated parking blockers speaking MQTT protocol v1 (DESIGN.md §6).",
        epilog="--url and --prefix default to MQTT_URL and MQTT_TOPIC_PREFIX (environment or .env). "
        "Fault switches take comma-separated blocker ids. Stop with Ctrl-C (blockers go offline "
        "cleanly); a killed process leaves it to the broker to publish each blocker's Last Will.",
    )
    parser.add_argument("--blockers", type=_ids, required=True, metavar="ID[,ID...]", help="blocker ids")
    parser.add_argument("--url", help="broker URL, mqtt://host:port or mqtts://user:pass@host:port")
    parser.add_argument("--prefix", help="topic prefix")
    parser.add_argument("--move-time", type=float, default=0.2, metavar="S", help="seconds per move (0.2)")
    parser.add_argument(
        "--car-delay",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds after lowering until a car is present (1.0; negative: never)",
    )
    parser.add_argument(
        "--battery", type=int, default=100, metavar="PCT", help="battery of every blocker (100)"
    )
    parser.add_argument(
        "--refuse-below",
        type=int,
        default=10,
        metavar="PCT",
        help="battery below which moves are refused (10)",
    )
    parser.add_argument(
        "--ack-delay", type=float, default=0.0, metavar="S", help="delay before every ack (0)"
    )
    parser.add_argument("--keepalive", type=int, default=2, metavar="S", help="MQTT keepalive in seconds (2)")
    parser.add_argument(
        "--shared-connection",
        action="store_true",
        help="one connection for all blockers (no per-blocker Last Will); default: one each",
    )
    faults = parser.add_argument_group("fault switches")
    faults.add_argument("--obstacle", type=_ids, default=[], metavar="IDS", help="refuse moves with obstacle")
    faults.add_argument("--jam", type=_ids, default=[], metavar="IDS", help="jam on the next move (fault)")
    faults.add_argument("--low-battery", type=_ids, default=[], metavar="IDS", help="battery at --low-level")
    faults.add_argument(
        "--low-level", type=int, default=8, metavar="PCT", help="battery of --low-battery (8)"
    )
    faults.add_argument("--slow", type=_ids, default=[], metavar="IDS", help="ack after --slow-delay")
    faults.add_argument(
        "--slow-delay", type=float, default=3.0, metavar="S", help="ack delay of --slow (3.0)"
    )
    faults.add_argument("--offline", type=_ids, default=[], metavar="IDS", help="start switched off")
    parser.add_argument(
        "--clear-retained",
        action="store_true",
        help="on a clean stop, also delete the retained state and availability (test runs)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _defaults(args: argparse.Namespace) -> tuple[str, str]:
    if args.url and args.prefix:
        return args.url, args.prefix
    from core.config import ConfigError, load_settings

    try:
        settings = load_settings()
    except ConfigError as exc:
        sys.exit(f"configuration error: {exc}")
    url = args.url or settings.mqtt_url
    if not url:
        sys.exit("MQTT_URL is empty (hardware disabled): pass --url")
    return url, args.prefix or settings.mqtt_topic_prefix


async def _run(args: argparse.Namespace, url: str, prefix: str) -> None:
    sim = Simulator(
        url,
        prefix,
        args.blockers,
        move_time=args.move_time,
        car_arrival_delay=args.car_delay if args.car_delay >= 0 else None,
        ack_delay=args.ack_delay,
        battery=args.battery,
        refuse_below=args.refuse_below,
        keepalive=args.keepalive,
        shared_connection=args.shared_connection,
        clear_retained_on_stop=args.clear_retained,
    )
    unknown = {*args.obstacle, *args.jam, *args.low_battery, *args.slow, *args.offline} - set(sim.blockers)
    if unknown:
        sys.exit(f"fault switches name blockers not in --blockers: {','.join(sorted(unknown))}")
    for blocker_id in args.obstacle:
        sim[blocker_id].set_obstacle(True)
    for blocker_id in args.jam:
        sim[blocker_id].jam = True
    for blocker_id in args.low_battery:
        sim[blocker_id].battery = args.low_level
    for blocker_id in args.slow:
        sim[blocker_id].ack_delay = args.slow_delay
    for blocker_id in args.offline:
        sim[blocker_id].online = False
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sim.start(wait=None)
    try:
        async with asyncio.timeout(10):
            await sim.wait_connected()
        log.info("%d blocker(s) online at %s under %s/blockers/", len(sim.blockers), sim.address, prefix)
    except TimeoutError:
        log.warning("not every blocker is connected yet to %s; still trying", sim.address)
    try:
        await stop.wait()
    finally:
        log.info("stopping: blockers go offline")
        await sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    url, prefix = _defaults(args)
    try:
        BrokerAddress.from_url(url)
        protocol.wildcard(prefix, Kind.STATE)
    except ValueError as exc:
        sys.exit(f"simulator: {exc}")
    asyncio.run(_run(args, url, prefix))


if __name__ == "__main__":
    main()
