"""The application layer: one method per thing a driver, an operator, a device or a job asks
for (hold a spot, pay, cancel, lower the blocker, change the language, ...).

Each use case opens its own unit of work, checks the rules (`core/rules.py`), writes through
the domain services (`core/services/`), queues the notifications the change causes in the same
transaction, and returns a plain result for the front end to render. Front ends (the Telegram
bot, later SMS and the operator console) parse input, call one use case and render what it
returns; they never open a transaction or write a model themselves.

Use cases reach the outside world only through ports: `core/blockers.py` (blocker commands)
and the payments port, filled in by the adapters `hardware/` and `payments/`.
"""
