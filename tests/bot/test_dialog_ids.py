"""Dialog context ids must not collide when a driver opens several dialogs within a second."""

from __future__ import annotations

from aiogram.fsm.state import State
from aiogram_dialog.api.entities.stack import Stack

from bot.runtime import use_unique_dialog_ids


def test_ids_made_in_one_burst_are_unique_and_short() -> None:
    use_unique_dialog_ids()
    state = State("main", "TestSG")
    ids = [Stack().push(state, None).id for _ in range(20_000)]  # all within a second or two
    assert len(set(ids)) == len(ids)
    assert max(len(i) for i in ids) <= 7
