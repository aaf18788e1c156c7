# Тексти SMS: українська завжди UCS-2 (70 знаків в одній частині, 67 у кожній частині довшого
# повідомлення), тож кожен текст уміщається у 2 частини з довгими значеннями й посиланням на
# оплату (tests/sms). Команди латиницею: PARK, PAY, LOWER, EXT, STATUS, LEAVE, HELP; ніколи
# YES, START чи STOP (це слова Twilio для підписки й відписки; YES у відповідь на ціну теж оплачує).

## Сповіщення
notify-booking_confirmed = Бронювання №{ $id } підтверджено: { $name }, місце { $spot }, { $start }–{ $end }, сплачено { $price }. На місці надішліть LOWER.
notify-booking_cancelled = Бронювання №{ $id } ({ $name }) скасовано. Повернуто { $amount }.
notify-booking_cancelled_free = Бронювання №{ $id } ({ $name }) скасовано. Ви нічого не сплачували.
notify-booking_completed = Чек: бронювання №{ $id }, { $name }, місце { $spot }, { $start }–{ $end }, сплачено { $price }. Дякуємо!
notify-booking_completed_no_show = Бронювання №{ $id } ({ $name }) завершилося о { $end } без заїзду. Сплачені { $price } не повертаються.
notify-booking_left = Ви поїхали з місця { $spot } о { $at }: бронювання №{ $id } завершено. { $amount } за { $minutes } хв повернуто в гаманець.
notify-booking_left_none = Ви поїхали з місця { $spot } о { $at }: бронювання №{ $id } завершено. Невикористаного часу немає.
notify-no_show_check = Ще їдете? Бронювання №{ $id } ({ $name }, { $spot }) з { $start }. О { $at } звільнимо місце. На місці: LOWER; звільнити: LEAVE.
notify-no_show_released = Ніхто не прибув до { $at }: бронювання №{ $id } ({ $name }, місце { $spot }) звільнено для інших. Кошти не повертаються.
notify-bay_blocked = Місце { $spot } ({ $name }) зайняте, бронювання #{ $id }. Персонал повідомлено. У Telegram-боті: інше місце або повернення коштів.
notify-no_show_released_refund = Ніхто не прибув до { $at }: бронювання №{ $id } ({ $name }, місце { $spot }) звільнено. { $amount } повернуто в гаманець.
notify-booking_extended = Бронювання №{ $id } продовжено до { $until }. Сплачено { $added }.
notify-booking_extended_free = Бронювання №{ $id } продовжено до { $until } без доплати.
notify-booking_moved = Бронювання №{ $id }: місце { $from_spot } закрили, тепер у вас місце { $spot } ({ $name }). Час той самий.
notify-booking_moved_by_staff = Персонал переніс бронювання №{ $id } ({ $name }) з { $from_spot } на місце { $spot }. Час той самий; LOWER опустить блокатор нового місця.
notify-booking_moved_blocker = Блокатор місця { $from_spot } ({ $name }) несправний: бронювання №{ $id } перенесено на місце { $spot }. Час той самий.
notify-booking_reminder = { $name }, місце { $spot }: до { $until }. Продовжити: { $options }
notify-booking_reminder_leave = { $name }, місце { $spot }: до { $until }. Після вас місце заброньоване, звільніть його до { $until }.
notify-booking_reminder_end = { $name }, місце { $spot }: до { $until }. Продовжити не можна. Завершити зараз: LEAVE.
notify-hold_expiring = { $name }: місце тримаємо до { $until }. Сплатіть { $price } за посиланням або надішліть PAY.
notify-hold_expired = Бронювання №{ $id } не сплачено вчасно, місце звільнено. Забронювати знову: PARK.
notify-lower_late_ok = Блокатор місця { $spot } опущено, можна паркуватися. Бронювання до { $until }.
notify-lower_late_failed = Блокатор не опустився. Надішліть LOWER ще раз або зателефонуйте на паркінг.
notify-lower_failed_after_all = Блокатор місця { $spot } знову піднявся (бронювання №{ $id }). Надішліть LOWER ще раз.
notify-guest_pass = Гостьове місце { $spot }: { $name }, { $address }, { $start }-{ $end }. Приїхавши, надішліть LOWER.
notify-guest_pass_revoked = Гостьовий доступ до місця { $spot }: { $name }, { $start }-{ $end }, скасував той, хто ним поділився. LOWER більше не діє.
notify-guest_pass_revoked_parked = Гостьовий доступ до { $spot }: { $name } скасовано. Бронювання чуже й діє до { $end }: якщо ваше авто там, домовтеся з власником.
notify-waitlist_offer = Звільнилося місце: { $name }, { $start }-{ $end }. Забронюйте в Telegram до { $until }, далі його отримає наступний у черзі.
notify-waitlist_offer_lapsed = Місце: { $name }, { $start }-{ $end }, перейшло наступному в черзі: його не забронювали протягом { $minutes } хв.
notify-waitlist_wish_ended = Ваш запит на місце: { $name }, { $start }-{ $end }, завершився: місце вчасно не звільнилося.
notify-payment_refunded = { $amount } за бронювання №{ $id } повернуто.
notify-wallet_topped_up = Гаманець поповнено на { $amount }. Баланс: { $balance }.
notify-card_saved = Картку { $brand } *{ $last4 } збережено для наступних оплат.
notify-review_published = Ваш відгук про { $name } опубліковано. Дякуємо!
notify-generic = Є новини щодо вашого паркування. Надішліть STATUS.
notify-admin = Сповіщення для оператора: відкрийте /admin у Telegram.

## Відповіді на команди
reply-help = PARK <код> <час> (PARK 1042 2H), PAY — оплата, на місці LOWER, EXT 30 — продовжити, STATUS, LEAVE — завершити. STOP — відписка.
reply-unknown = Не зрозуміли. Спробуйте PARK 1042 2H, PAY, LOWER, EXT 30, STATUS, LEAVE або HELP.
reply-no_premise = Паркінгу з кодом { $code } немає. Перевірте код на табличці біля вʼїзду й надішліть PARK <код> <час>.
reply-bad_duration = На скільки? Надішліть PARK { $code } 2H або PARK { $code } 90 (хвилин): від 30 хв до 24 год, кроком 15 хв.
reply-no_spot = { $name }: зараз немає вільних місць.
reply-closed = { $name }: у цей час зачинено.
reply-too_many_holds = У вас уже є несплачені бронювання. Надішліть PAY, щоб сплатити останнє, або зачекайте, доки їх знімуть.
reply-quote_link = { $name }, місце { $spot } до { $end }: { $price }. Тримаємо { $hold } хв. Оплата: { $link }
reply-quote_yes = { $name }, місце { $spot } до { $end }: { $price }. Надішліть PAY протягом { $hold } хв — спишемо з { $method }.
reply-method_wallet = гаманця ({ $balance })
reply-method_card = картки *{ $last4 }
reply-pay_link = Не вдалося списати кошти з картки. Сплатіть { $price } за посиланням: { $link }
reply-pay_link_new = Сплатіть { $price } за посиланням: { $link }
reply-nothing_to_pay = Немає несплачених бронювань. Почніть з PARK <код> <час>.
reply-payments_off = Оплата карткою тут вимкнена. Поповніть гаманець у Telegram або зверніться до оператора.
reply-no_booking = Зараз у вас немає бронювань. Почніть з PARK <код> <час>.
reply-lower_ok = Блокатор місця { $spot } опущено, можна паркуватися. Бронювання до { $until }.
reply-lower_too_early = Ще зарано: блокатор можна опустити з { $at }.
reply-lower_no_blocker = На місці { $spot } немає блокатора, просто паркуйтеся. Бронювання до { $until }.
reply-lower_busy = Блокатор уже рухається. Зачекайте хвилинку.
reply-lower_down = Блокатор місця { $spot } уже опущено.
reply-lower_failed = Блокатор не опустився. Надішліть LOWER ще раз або зателефонуйте на паркінг.
reply-lower_off = Блокатори зараз недоступні. Спробуйте за хвилину.
reply-ext_done = Продовжено до { $until }. Сплачено { $price }.
reply-ext_free = Продовжено до { $until } без доплати.
reply-ext_link = Продовження до { $until }: { $price }. Оплата: { $link }
reply-ext_refused = Продовжити не можна: місце далі заброньоване або паркінг зачиняється.
reply-ext_bad = Продовжуйте кроками по 15 хв, загалом до 24 год, напр. EXT 30.
reply-status = №{ $id } { $name }, місце { $spot }, { $start }–{ $end }: { $state }.
reply-state_pending = чекає на оплату
reply-state_confirmed = заброньовано
reply-state_active = ви на місці
reply-left = Бронювання №{ $id } завершено о { $end }. Чек надішлемо окремо.
reply-released = Бронювання №{ $id } звільнено для інших. Кошти не повертаються.
reply-released_refund = Бронювання №{ $id } звільнено для інших. { $amount } повернуто в гаманець.
reply-hold_released = Неоплачене бронювання місця { $spot } ({ $name }) скасовано, місце звільнено. Нічого не списано.
reply-hold_paid = Бронювання №{ $id } уже оплачене, тож воно залишається за вами: { $name }, місце { $spot }, { $start }–{ $end }.
reply-hold_gone = Місце { $spot } ({ $name }) вже не тримаємо за вами: неоплачене бронювання завершилося раніше.
reply-cancelled = Бронювання №{ $id } скасовано до початку. Повернуто { $amount }.
reply-cancelled_free = Бронювання №{ $id } скасовано до початку. Ви нічого не сплачували.
reply-leave_later = Бронювання №{ $id } почнеться { $start }, його не скасовано. Скасувати з поверненням коштів: LEAVE з { $at } або в Telegram-боті.
reply-error = Не вдалося. Спробуйте ще раз.
