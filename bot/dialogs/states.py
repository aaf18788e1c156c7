from aiogram.fsm.state import State, StatesGroup


class MenuSG(StatesGroup):
    main = State()
    help = State()


class FindSG(StatesGroup):
    location = State()
    results = State()
    filters = State()
    when = State()
    date = State()
    time = State()
    premise = State()


class BookSG(StatesGroup):
    duration = State()
    duration_input = State()
    quote = State()
    date = State()  # another time, at this premise: only slots inside its opening hours
    time = State()
    plate = State()  # which vehicle (optional): the driver's saved plates, none, or a new one
    plate_input = State()
    pay = State()
    link = State()
    topup = State()
    done = State()


class BookingsSG(StatesGroup):
    list = State()
    detail = State()
    cancel = State()
    end = State()
    share = State()  # a guest pass just made: its link, SMS, revoke
    share_phone = State()  # the guest's number, for a pass by SMS
    waitlist = State()  # the driver's waitlist wishes, each withdrawn with a tap


class ReviewSG(StatesGroup):
    stars = State()
    text = State()
    done = State()
    mine = State()


class WalletSG(StatesGroup):
    main = State()
    topup_input = State()
    link = State()
    history = State()
    receipts = State()  # the latest top-ups, each a button that sends its receipt
    cards = State()


class LanguageSG(StatesGroup):
    choose = State()
