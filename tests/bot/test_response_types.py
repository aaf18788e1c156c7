"""The Bot API answers' models are built once per method, not after every garbage collection."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from aiogram import Bot
from aiogram.methods import EditMessageText, Response

from bot.runtime import KeepResponseTypes


async def test_a_methods_answer_model_outlives_the_garbage_collector() -> None:
    edit = EditMessageText(text="x", chat_id=1, message_id=1)
    returning: Any = edit.__returning__

    async def sent(bot: Bot, method: Any) -> Any:  # the Bot API's answer, not asked for here
        return Response[Any](ok=True, result=True)

    await KeepResponseTypes()(sent, Bot("1:test"), edit)
    # pydantic keeps a parametrised model only in a weak cache: unheld, it is gone here.
    model = weakref.ref(Response[returning])
    gc.collect()
    assert model() is not None
    assert Response[returning] is model()
