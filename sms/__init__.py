"""The SMS front end (Twilio, DESIGN.md §12): the outbox's SMS sender, inbound commands and
delivery callbacks. Like bot/, it parses, calls one use case of core/usecases and renders."""
