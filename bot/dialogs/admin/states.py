from aiogram.fsm.state import State, StatesGroup


class AdminSG(StatesGroup):
    premises = State()  # the premises the caller may manage
    premise = State()  # one premise's console: the sections the role allows
    staff = State()
    invite = State()  # the one-time link just made
    revoke = State()  # confirmation
    audit = State()
    help = State()
