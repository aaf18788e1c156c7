# Тексти SMS: українська завжди UCS-2 (70 знаків в одній частині, 67 у кожній частині довшого
# повідомлення), тож кожен текст уміщається у 2 частини з довгими значеннями й посиланням на
# оплату (tests/sms). Команди латиницею: PARK, PAY, LOWER, EXT, STATUS, LEAVE, HELP (і MOVE,
# REFUND для заблокованого місця); ніколи
# YES, START чи STOP (це слова Twilio для підписки й відписки; YES теж оплачує, але мовчки).

## Сповіщення
notify-booking_confirmed = Бронювання #{ $id } підтверджено: { $name }, місце { $spot }, { $start }–{ $end }, сплачено { $price }. На місці надішліть LOWER.
notify-booking_cancelled = Бронювання #{ $id } ({ $name }) скасовано. Повернуто { $amount }.
notify-booking_cancelled_free = Бронювання #{ $id } ({ $name }) скасовано. Ви нічого не сплачували.
notify-booking_completed = Чек: бронювання #{ $id }, { $name }, місце { $spot }, { $start }–{ $end }, сплачено { $price }. Дякуємо!
notify-booking_completed_no_show = Бронювання #{ $id } ({ $name }) завершилося о { $end } без заїзду. Сплачені { $price } не повертаються.
notify-booking_left = Ви поїхали з місця { $spot } о { $at }: бронювання #{ $id } завершено. { $amount } за { $minutes } хв повернуто в гаманець.
notify-booking_left_none = Ви поїхали з місця { $spot } о { $at }: бронювання #{ $id } завершено. Невикористаного часу немає.
notify-no_show_check = Ще їдете? Бронювання #{ $id } ({ $name }, { $spot }) з { $start }. О { $at } звільнимо місце. На місці: LOWER; звільнити: LEAVE.
notify-no_show_released = Ніхто не прибув до { $at }: бронювання #{ $id } ({ $name }, місце { $spot }) звільнено для інших. Кошти не повертаються.
notify-bay_blocked_move = Місце { $spot } ({ $name }) заблоковане: { $why }. MOVE — перейти на { $to }, REFUND — повернути { $amount }.
notify-bay_blocked_refund = Місце { $spot } ({ $name }) заблоковане: { $why }. Вільних місць немає. Надішліть REFUND — повернемо { $amount }.
notify-bay_blocked_gone = Бронювання #{ $id } ({ $name }) перенесено, скасовано або ви вже на місці: вибір не потрібен. Надішліть STATUS.
notify-no_show_released_refund = Ніхто не прибув до { $at }: бронювання #{ $id } ({ $name }, місце { $spot }) звільнено. { $amount } повернуто в гаманець.
notify-booking_extended = Бронювання #{ $id } продовжено до { $until }. Сплачено { $added }.
notify-booking_extended_free = Бронювання #{ $id } продовжено до { $until } без доплати.
notify-booking_moved = Бронювання #{ $id }: ваше місце закрили, тепер у вас місце { $spot } ({ $name }). Час той самий.
notify-booking_reminder = { $name }, місце { $spot }: до { $until }. Продовжити: { $options }
notify-booking_reminder_leave = { $name }, місце { $spot }: до { $until }. Після вас місце заброньоване, звільніть його до { $until }.
notify-booking_reminder_end = { $name }, місце { $spot }: до { $until }. Продовжити не можна. Завершити зараз: LEAVE.
notify-hold_expiring = { $name }: місце тримаємо до { $until }. Сплатіть { $price } за посиланням або надішліть PAY.
notify-hold_expired = Бронювання #{ $id } не сплачено вчасно, місце звільнено. Забронювати знову: PARK.
notify-lower_late_ok = Блокер місця { $spot } опущено, можна паркуватися. Бронювання до { $until }.
notify-lower_late_failed = Блокер не опустився. Надішліть LOWER ще раз або зателефонуйте на паркінг.
notify-lower_failed_after_all = Блокер місця { $spot } знову піднявся (бронювання #{ $id }). Надішліть LOWER ще раз.
notify-guest_pass = Гостьове місце { $spot }: { $name }, { $address }, { $start }-{ $end }. Приїхавши, надішліть LOWER.
notify-guest_pass_revoked = Гостьовий доступ до місця { $spot }: { $name }, { $start }-{ $end }, скасував той, хто ним поділився. LOWER більше не діє.
notify-guest_pass_revoked_parked = Гостьовий доступ до { $spot }: { $name } скасовано. Бронювання чуже й діє до { $end }: якщо ваше авто там, домовтеся з власником.
notify-waitlist_offer = Звільнилося місце: { $name }, { $start }-{ $end }. Забронюйте в Telegram до { $until }, далі його отримає наступний у черзі.
notify-waitlist_offer_lapsed = Місце: { $name }, { $start }-{ $end }, перейшло наступному в черзі: його не забронювали протягом { $minutes } хв.
notify-waitlist_wish_ended = Ваш запит на місце: { $name }, { $start }-{ $end }, завершився: місце вчасно не звільнилося.
notify-payment_refunded = { $amount } за бронювання #{ $id } повернуто.
notify-wallet_topped_up = Гаманець поповнено на { $amount }. Баланс: { $balance }.
notify-card_saved = Картку { $brand } *{ $last4 } збережено для наступних оплат.
notify-review_published = Ваш відгук про { $name } опубліковано. Дякуємо!
notify-generic = Є новини щодо вашого паркування. Надішліть STATUS.
notify-admin = Сповіщення для оператора: відкрийте /admin у Telegram.

## Відповіді на команди
reply-help = PARK <код> <час> (1042 2H), PAY, LOWER на місці, EXT 30 — +30 хв, STATUS, LEAVE — кінець. Місце зайняте: MOVE/REFUND. STOP — відписка.
reply-unknown = Не зрозуміли. Спробуйте PARK 1042 2H, PAY, LOWER, EXT 30, STATUS, LEAVE або HELP.
reply-say_pay = Щоб оплатити, надішліть PAY.
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
reply-lower_ok = Блокер місця { $spot } опущено, можна паркуватися. Бронювання до { $until }.
reply-lower_too_early = Ще зарано: блокер можна опустити з { $at }.
reply-lower_no_blocker = На місці { $spot } немає блокера, просто паркуйтеся. Бронювання до { $until }.
reply-lower_busy = Блокер уже рухається. Зачекайте хвилинку.
reply-lower_down = Блокер місця { $spot } уже опущено.
reply-lower_failed = Блокер не опустився. Надішліть LOWER ще раз або зателефонуйте на паркінг.
reply-lower_off = Блокери зараз недоступні. Спробуйте за хвилину.
reply-bay_offer_move = Місце { $spot } заблоковане: { $why }. Надішліть MOVE (місце { $to }, час і ціна ті самі) або REFUND (повернення { $amount }).
reply-bay_offer_refund = Місце { $spot } заблоковане: { $why }. Вільних місць немає. Надішліть REFUND — повернемо { $amount }. Персонал сповіщено.
reply-bay_why_obstacle = щось заважає блокеру
reply-bay_why_car_present = там стоїть інше авто
reply-bay_why_blocker_down = блокер не працює
reply-bay_moved = Перенесено: бронювання #{ $id } тепер на місці { $spot }, { $start }–{ $end }, ціна та сама. На місці надішліть LOWER.
reply-bay_moved_credit = Бронювання #{ $id } тепер на місці { $spot }, { $start }–{ $end }. { $credit } — у гаманці за незручність. На місці: LOWER.
reply-bay_moved_already = Бронювання вже перенесено на місце { $spot }. На місці надішліть LOWER.
reply-bay_no_spot = Вільних місць зараз немає. Надішліть REFUND, щоб повернути всю суму.
reply-bay_refunded_wallet = Бронювання #{ $id } скасовано: місце було заблоковане. { $amount } повернуто в гаманець.
reply-bay_refunded_card = Бронювання #{ $id } скасовано: місце було заблоковане. { $amount } повернуто на картку.
reply-bay_refunded_both = Бронювання #{ $id } скасовано: місце було заблоковане. { $amount } повернуто в гаманець і на картку.
reply-bay_no_offer = Немає чого переносити чи повертати: MOVE і REFUND діють лише для заблокованого місця. Надішліть STATUS.
reply-ext_done = Продовжено до { $until }. Сплачено { $price }.
reply-ext_free = Продовжено до { $until } без доплати.
reply-ext_link = Продовження до { $until }: { $price }. Оплата: { $link }
reply-ext_refused = Продовжити не можна: місце далі заброньоване або паркінг зачиняється.
reply-ext_bad = Продовжуйте кроками по 15 хв, загалом до 24 год, напр. EXT 30.
reply-status = #{ $id } { $name }, місце { $spot }, { $start }–{ $end }: { $state }.
reply-state_pending = чекає на оплату
reply-state_confirmed = заброньовано
reply-state_active = ви на місці
reply-left = Бронювання #{ $id } завершено о { $end }. Чек надішлемо окремо.
reply-released = Бронювання #{ $id } звільнено для інших. Кошти не повертаються.
reply-released_refund = Бронювання #{ $id } звільнено для інших. { $amount } повернуто в гаманець.
reply-cancelled = Бронювання #{ $id } скасовано до початку, кошти повернуто.
reply-error = Не вдалося. Спробуйте ще раз.
