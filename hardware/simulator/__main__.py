"""`python -m hardware.simulator --blockers B1,B2`: see `hardware.simulator`."""

from hardware.simulator.cli import main

main()
