"""Demo mode (`python main.py demo`, DESIGN.md §14): the real service against a local Bot API
emulator with a chat page at /demo, a local payment page in place of Stripe Checkout and
simulated blockers, on a demo clock that can be moved forward."""
