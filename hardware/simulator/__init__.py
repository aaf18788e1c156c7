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

from hardware.simulator.cli import build_parser, main
from hardware.simulator.connection import DeviceConnection
from hardware.simulator.device import SimulatedBlocker
from hardware.simulator.fleet import Simulator

__all__ = ["DeviceConnection", "SimulatedBlocker", "Simulator", "build_parser", "main"]
