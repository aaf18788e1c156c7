# Тексти SMS: українська завжди UCS-2 (70 знаків частина, 67 у довгому), тож коротко:
# кожен текст вміщається у 2 частини (tests/sms).

## Сповіщення
notify-booking_confirmed = Бронь #{ $id }: { $name }, місце { $spot }, { $start }-{ $end }, { $price }. На місці: LOWER. EXT 30, LEAVE.
notify-booking_cancelled = Бронь #{ $id } ({ $name }) скасовано. Повернено { $amount }.
notify-booking_cancelled_free = Бронь #{ $id } ({ $name }) скасовано. Оплати не було.
notify-booking_completed = Чек: бронь #{ $id }, { $name }, місце { $spot }, { $start }-{ $end }, сплачено { $price }.
notify-booking_completed_no_show = Бронь #{ $id } ({ $name }) завершено о { $end } без заїзду. { $price } не повертаємо.
notify-booking_left = Ви поїхали з місця { $spot } о { $at }: бронь #{ $id } завершено. { $amount } за { $minutes } хв повернуто на гаманець.
notify-booking_left_none = Ви поїхали з місця { $spot } о { $at }: бронь #{ $id } завершено. Повертати нічого.
notify-no_show_check = Ще їдете? Бронь #{ $id } ({ $name }, { $spot }) з { $start }. О { $at } її звільнять. На місці: LOWER; LEAVE звільняє зараз.
notify-no_show_released = Ніхто не прибув до { $at }: бронь #{ $id } ({ $name }, місце { $spot }) звільнено для інших. Без повернення.
notify-no_show_released_refund = Ніхто не прибув до { $at }: бронь #{ $id } ({ $name }, місце { $spot }) звільнено. { $amount } повернуто на гаманець.
notify-booking_extended = Бронь #{ $id } до { $until }. Сплачено { $added }.
notify-booking_extended_free = Бронь #{ $id } до { $until }, без доплати.
notify-booking_moved = Бронь #{ $id }: місце зачинили, тепер місце { $spot }, { $name }. Час той самий.
notify-booking_reminder = Місце { $spot } до { $until }. Відповідь: { $options }
notify-booking_reminder_leave = Місце { $spot } до { $until }. Далі його заброньовано: звільніть до { $until }.
notify-booking_reminder_end = Місце { $spot } до { $until }. Продовжити не можна. LEAVE - завершити.
notify-hold_expiring = Бронь у { $name } знімемо о { $until } без оплати ({ $price }). Оплатіть або YES.
notify-hold_expired = Бронь #{ $id } не сплачено вчасно, місце вільне. Нова: PARK.
notify-lower_late_ok = Блокер місця { $spot } опущено: паркуйтесь. До { $until }.
notify-lower_late_failed = Блокер не опустився. LOWER - ще раз, або дзвоніть паркінгу.
notify-lower_failed_after_all = Блокер місця { $spot } піднявся (бронь #{ $id }). LOWER - ще раз.
notify-payment_refunded = { $amount } за бронь #{ $id } повернено.
notify-wallet_topped_up = Гаманець поповнено на { $amount }. Баланс: { $balance }.
notify-card_saved = Картку { $brand } *{ $last4 } збережено.
notify-generic = Є новини про паркування. Надішліть STATUS.
notify-admin = Сповіщення оператору: відкрийте /admin у Telegram.

## Відповіді на команди
reply-help = PARK <код> <час> (PARK 1042 2H). На місці: LOWER. EXT 30, STATUS, LEAVE. STOP - відписка.
reply-unknown = Не зрозуміли. Спробуйте PARK 1042 2H, LOWER, EXT 30, STATUS, LEAVE, HELP.
reply-no_premise = Паркінгу з кодом { $code } немає. Код є на табличці при вʼїзді.
reply-bad_duration = Час: від 30 хв до 24 год кроком 15 хв, як 2H, 90 чи 1H30.
reply-no_spot = У { $name } зараз немає вільних місць.
reply-closed = { $name } зачинено в цей час.
reply-too_many_holds = У вас вже є несплачені броні. Сплатіть (YES) або зачекайте.
reply-quote_link = { $name }, місце { $spot } до { $end }: { $price }. Тримаємо { $hold } хв, оплата за посиланням.
reply-quote_yes = { $name }, місце { $spot } до { $end }: { $price }. YES за { $hold } хв - оплата: { $method }.
reply-method_wallet = гаманець ({ $balance })
reply-method_card = картка *{ $last4 }
reply-paid = Сплачено { $price }. Бронь #{ $id } підтверджено.
reply-pay_link = Картку треба підтвердити: сплатіть { $price } за посиланням.
reply-nothing_to_pay = Немає чого сплачувати. Почніть з PARK <код> <час>.
reply-payments_off = Оплата карткою тут вимкнена. Поповніть гаманець у Telegram.
reply-no_booking = Зараз немає броні. Почніть з PARK <код> <час>.
reply-lower_ok = Блокер місця { $spot } опущено: паркуйтесь. До { $until }.
reply-lower_too_early = Зарано: блокер можна опустити з { $at }.
reply-lower_no_blocker = Місце { $spot } без блокера: паркуйтесь. До { $until }.
reply-lower_busy = Блокер вже рухається. Зачекайте.
reply-lower_down = Блокер місця { $spot } вже опущено.
reply-lower_failed = Блокер не опустився. LOWER - ще раз, або дзвоніть паркінгу.
reply-lower_off = Блокери зараз недоступні. Спробуйте за хвилину.
reply-ext_done = Продовжено до { $until }. Сплачено { $price }.
reply-ext_free = Продовжено до { $until } без доплати.
reply-ext_link = Продовження до { $until }: { $price }. Оплата за посиланням.
reply-ext_refused = Не продовжити: місце заброньовано далі або паркінг зачиняється.
reply-ext_bad = Продовжуйте кроком 15 хв, до 24 год усього, як EXT 30.
reply-status = #{ $id } { $name }, місце { $spot }, { $start }-{ $end }: { $state }.
reply-state_pending = чекає оплати
reply-state_confirmed = заброньовано
reply-state_active = на місці
reply-left = Бронь #{ $id } завершено о { $end }. Чек надішлемо.
reply-cancelled = Бронь #{ $id } скасовано до початку, кошти повернено.
reply-error = Не вдалося. Спробуйте ще раз.
