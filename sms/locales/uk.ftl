# Тексти SMS: українська завжди UCS-2 (70 знаків частина, 67 у довгому), тож коротко:
# кожен текст вміщається у 2 частини (tests/sms).

## Сповіщення
notify-booking-confirmed = Бронь #{ $id }: { $name }, місце { $spot }, { $start }-{ $end }, { $price }. На місці: LOWER. EXT 30, LEAVE.
notify-booking-cancelled = Бронь #{ $id } ({ $name }) скасовано. Повернено { $amount }.
notify-booking-cancelled-free = Бронь #{ $id } ({ $name }) скасовано. Оплати не було.
notify-booking-completed = Чек: бронь #{ $id }, { $name }, місце { $spot }, { $start }-{ $end }, сплачено { $price }.
notify-booking-completed-no-show = Бронь #{ $id } ({ $name }) завершено о { $end } без заїзду. { $price } не повертаємо.
notify-booking-extended = Бронь #{ $id } до { $until }. Сплачено { $added }.
notify-booking-extended-free = Бронь #{ $id } до { $until }, без доплати.
notify-booking-moved = Бронь #{ $id }: місце зачинили, тепер місце { $spot }, { $name }. Час той самий.
notify-booking-reminder = Місце { $spot } до { $until }. Відповідь: { $options }
notify-booking-reminder-leave = Місце { $spot } до { $until }. Далі його заброньовано: звільніть до { $until }.
notify-booking-reminder-end = Місце { $spot } до { $until }. Продовжити не можна. LEAVE - завершити.
notify-hold-expiring = Бронь у { $name } знімемо о { $until } без оплати ({ $price }). Оплатіть або YES.
notify-hold-expired = Бронь #{ $id } не сплачено вчасно, місце вільне. Нова: PARK.
notify-lower-late-ok = Блокер місця { $spot } опущено: паркуйтесь. До { $until }.
notify-lower-late-failed = Блокер не опустився. LOWER - ще раз, або дзвоніть паркінгу.
notify-lower-failed-after-all = Блокер місця { $spot } піднявся (бронь #{ $id }). LOWER - ще раз.
notify-payment-refunded = { $amount } за бронь #{ $id } повернено.
notify-wallet-topped-up = Гаманець поповнено на { $amount }. Баланс: { $balance }.
notify-card-saved = Картку { $brand } *{ $last4 } збережено.
notify-generic = Є новини про паркування. Надішліть STATUS.
notify-admin = Сповіщення оператору: відкрийте /admin у Telegram.

## Відповіді на команди
reply-help = PARK <код> <час> (PARK 1042 2H). На місці: LOWER. EXT 30, STATUS, LEAVE. STOP - відписка.
reply-unknown = Не зрозуміли. Спробуйте PARK 1042 2H, LOWER, EXT 30, STATUS, LEAVE, HELP.
reply-no-premise = Паркінгу з кодом { $code } немає. Код є на табличці при вʼїзді.
reply-bad-duration = Час: від 30 хв до 24 год кроком 15 хв, як 2H, 90 чи 1H30.
reply-no-spot = У { $name } зараз немає вільних місць.
reply-closed = { $name } зачинено в цей час.
reply-too-many-holds = У вас вже є несплачені броні. Сплатіть (YES) або зачекайте.
reply-quote-link = { $name }, місце { $spot } до { $end }: { $price }. Тримаємо { $hold } хв, оплата за посиланням.
reply-quote-yes = { $name }, місце { $spot } до { $end }: { $price }. YES за { $hold } хв - оплата: { $method }.
reply-method-wallet = гаманець ({ $balance })
reply-method-card = картка *{ $last4 }
reply-paid = Сплачено { $price }. Бронь #{ $id } підтверджено.
reply-pay-link = Картку треба підтвердити: сплатіть { $price } за посиланням.
reply-nothing-to-pay = Немає чого сплачувати. Почніть з PARK <код> <час>.
reply-payments-off = Оплата карткою тут вимкнена. Поповніть гаманець у Telegram.
reply-no-booking = Зараз немає броні. Почніть з PARK <код> <час>.
reply-lower-ok = Блокер місця { $spot } опущено: паркуйтесь. До { $until }.
reply-lower-too-early = Зарано: блокер можна опустити з { $at }.
reply-lower-no-blocker = Місце { $spot } без блокера: паркуйтесь. До { $until }.
reply-lower-busy = Блокер вже рухається. Зачекайте.
reply-lower-down = Блокер місця { $spot } вже опущено.
reply-lower-failed = Блокер не опустився. LOWER - ще раз, або дзвоніть паркінгу.
reply-lower-off = Блокери зараз недоступні. Спробуйте за хвилину.
reply-ext-done = Продовжено до { $until }. Сплачено { $price }.
reply-ext-free = Продовжено до { $until } без доплати.
reply-ext-link = Продовження до { $until }: { $price }. Оплата за посиланням.
reply-ext-refused = Не продовжити: місце заброньовано далі або паркінг зачиняється.
reply-ext-bad = Продовжуйте кроком 15 хв, до 24 год усього, як EXT 30.
reply-status = #{ $id } { $name }, місце { $spot }, { $start }-{ $end }: { $state }.
reply-state-pending = чекає оплати
reply-state-confirmed = заброньовано
reply-state-active = на місці
reply-left = Бронь #{ $id } завершено о { $end }. Чек надішлемо.
reply-cancelled = Бронь #{ $id } скасовано до початку, кошти повернено.
reply-error = Не вдалося. Спробуйте ще раз.
