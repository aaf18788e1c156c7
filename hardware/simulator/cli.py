"""`python -m hardware.simulator`: simulated blockers until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from hardware import protocol
from hardware.broker import BrokerAddress
from hardware.protocol import Kind
from hardware.simulator.fleet import Simulator

log = logging.getLogger("parking.hardware.simulator")


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
