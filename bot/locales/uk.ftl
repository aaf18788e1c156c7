### Українські тексти. Повідомлення й змінні ті самі, що в англійських (тести перевіряють відповідність).
### Число з іменником обирає форму за категорією CLDR: { $count -> [one] 1, 21… [few] 2–4, 22… [many] 0, 5–20, 25… *[other] дробові }.

## onboarding and menu

cmd-start = Початок і головне меню
cmd-find = Знайти паркінг поруч
cmd-bookings = Мої бронювання
cmd-wallet = Гаманець і картки
cmd-language = Змінити мову
cmd-help = Як це працює
cmd-cancel = Скасувати поточну дію
start-greeting = Вітаю, { $name }! 👋
start-about =
    Я знайду вам паркомісце поруч, забронюю його та прийму оплату.
    Після оплати блокатор місця піднімається й чекає на вас.
    Коли приїдете, опустіть його просто з цього чату й паркуйтеся.
start-share_phone = Поділіться номером телефону, щоб отримувати чеки, а також SMS-сповіщення, коли Telegram недоступний.
btn-share_phone = 📱 Поділитися номером
btn-skip = Пропустити
phone-saved = Дякую, ваш номер { $phone } збережено.
phone-skipped = Добре, більше не питатиму. Поділитися номером можна будь-коли в розділі ❓ Довідка.
phone-not_yours = Будь ласка, надішліть свій контакт кнопкою нижче.
phone-invalid = Це не схоже на номер телефону. Будь ласка, надішліть свій контакт кнопкою нижче.
phone-taken = Цей номер уже прив’язаний до іншого облікового запису.
menu-title = Що бажаєте зробити?
btn-find = 🅿️ Знайти паркінг
btn-book_again_at = 🔁 Знову: { $name }
btn-bookings = 📋 Мої бронювання
btn-wallet = 👛 Гаманець
btn-language = 🌐 Мова
btn-help = ❓ Довідка
btn-menu = 🏠 Меню
btn-back = ⬅️ Назад
btn-cancel = ✖️ Скасувати
help-text =
    <b>Як це працює</b>
    1. /find: надішліть геолокацію або введіть адресу.
    2. Оберіть паркінг, час початку й тривалість.
    3. Оплатіть з гаманця, збереженою карткою або на захищеній сторінці Stripe.
    4. Коли приїдете, натисніть <i>🚗 Я на місці — опустити блокатор</i> і паркуйтеся.

    /bookings: ваші бронювання · /wallet: баланс, поповнення, картки
    /language: змінити мову · /cancel: скасувати поточну дію
cancelled = Гаразд, нічого не змінено. Ось меню.
unknown_input = Вибачте, не розумію. Скористайтеся кнопками або /help, щоб побачити, що я вмію.
stale_button = Ця кнопка застаріла. Ось актуальне меню.
throttled = Забагато повідомлень одразу. Зачекайте трохи, будь ласка.
error-generic = Щось пішло не так з нашого боку. Спробуйте ще раз за мить.
error-no_such_booking = Серед ваших бронювань такого немає.
error-not_found = Цього вже немає.
error-refused = Для цього бронювання це вже неможливо.
error-invalid_transition = Бронювання №{ $id } зараз має статус «{ $status }», тому це вже неможливо.
error-invalid_interval = Цей час не підходить. Оберіть час ще раз.
error-not_started = Це бронювання ще не почалося: його можна скасувати.
error-currency = Це не можна оплатити в цій валюті.
error-invalid_topup = Таку суму поповнення прийняти не можна.
error-insufficient_funds = У гаманці { $balance }, а потрібно { $price }.

## language

language-name = Українська
language-title = Оберіть мову:
language-saved = Мову змінено на українську.

## find

find-ask_location = Надішліть геолокацію кнопкою нижче або введіть адресу.
find-ask_location_again =
    Шукаємо там само, де й минулого разу?
    📍 { $place }

    Або надішліть нову геолокацію чи введіть адресу.
btn-same_place = 📍 Там само, де й минулого разу
btn-send_location = 📍 Надіслати геолокацію
btn-new_location = 📍 Надіслати нову геолокацію
find-address_not_found = Не вдалося знайти «{ $query }». Спробуйте додати місто або надішліть геолокацію.
find-geocoder_down = Пошук за адресою зараз недоступний. Надішліть, будь ласка, геолокацію.
find-results_title =
    🅿️ Паркінги біля { $place }
    🕒 { $window } ({ $tz })
find-item = { $name } · { $distance } · { $price }/год
find-item_line = { $name }: { $free }
find-free =
    { $count ->
        [one] { $count } вільне місце
        [few] { $count } вільні місця
        [many] { $count } вільних місць
       *[other] { $count } вільного місця
    }
find-no_results = У радіусі { $radius } на цей час вільних місць немає.
find-type_address = ✏️ Щоб шукати в іншому місці, введіть адресу.
distance-m = { $value } м
distance-km = { $value } км
btn-wider = 🔎 Шукати в радіусі { $radius }
btn-change_time = 🕒 Змінити час
btn-filters = ⚙️ Фільтри
btn-more = Далі ▶️
btn-prev = ◀️
filters-title = Показувати лише паркінги, де є:
filters-max_price = Ціна до { $price } за годину
filters-any_price = Будь-яка ціна
btn-apply = ✅ Показати
feature-covered = 🏠 Дах
feature-ev_charging = ⚡ Зарядка для електромобілів
feature-cctv = 📹 Відеонагляд
feature-24_7 = 🕐 Цілодобово
feature-accessible = ♿ Безбар’єрний доступ
feature-guarded = 💂 Охорона
premise-card =
    <b>{ $name }</b>{ $code }
    📍 { $address }{ $distance }
    💶 { $price } за годину
    🕐 { $hours }
    { $rating }
    { $features }

    { $stay }

    { $description }
premise-code = · 🔢 Код { $code }
premise-rating =
    { $count ->
        [one] ⭐ { $rating } ({ $count } відгук)
        [few] ⭐ { $rating } ({ $count } відгуки)
        [many] ⭐ { $rating } ({ $count } відгуків)
       *[other] ⭐ { $rating } ({ $count } відгуку)
    }
premise-no_rating = ⭐ відгуків ще немає
premise-review = «{ $text }» — { $stars }
premise-stay = 🅿️ { $window }: { $free }, <b>{ $price }</b> за { $duration }
premise-stay_full = 🅿️ { $window }: усі місця зайняті.
premise-stay_closed = 🚫 { $window }: зачинено (працює { $hours }).
btn-duration_price = { $duration } · { $price }
btn-navigate = 🧭 Маршрут
btn-favourite_add = ☆ До обраних
btn-favourite_remove = ⭐ В обраних · прибрати
favourite-added = ⭐ Додано до обраних: /find показує цей паркінг першим, коли він поруч.
favourite-removed = Прибрано з обраних.

## time and duration

when-title = Коли ви приїдете?
btn-now = Зараз
btn-later_today = Сьогодні пізніше
btn-pick_date = 📅 Інший день
when-out_of_range =
    { $days ->
        [one] Оберіть день від сьогодні до { $days } дня наперед.
       *[other] Оберіть день від сьогодні до { $days } днів наперед.
    }
when-pick_time = Час прибуття { $date } ({ $tz }):
when-no_times_today = Сьогодні вже немає доступного часу прибуття: оберіть інший день.
btn-earlier_times = ◀️ Раніше · { $range }
btn-later_times = Пізніше · { $range } ▶️
duration-title = Як довго ви паркуватиметеся?
btn-custom_duration = Інше…
duration-ask = Введіть тривалість у годинах і хвилинах, наприклад 1:30 або 2 (від 0:30 до 24:00, з кроком 15 хвилин).
duration-invalid = Це не схоже на тривалість від 0:30 до 24:00 з кроком 15 хвилин. Спробуйте, наприклад, 1:45.
duration-hours = { $hours } год
duration-hm = { $hours } год { $minutes } хв
duration-minutes = { $minutes } хв

## quote and hold

quote-title =
    <b>{ $name }</b>
    📍 { $address }
    🕒 { $window }
    ⏱ { $duration }

    Разом: <b>{ $price }</b> ({ $rate })
    { $free }
price-per_hour = { $price }/год
price-line_first_hour = { $minutes ->
        [60] 1-ша година { $amount }
       *[other] 1-ша година ({ $duration }) { $amount }
    }
price-line_base = { $duration } × { $rate }
price-line_period = { $when }: { $duration } × { $rate }
price-line_cap = застосовано добовий ліміт { $cap }
price-invalid_plan = Цей тариф не можна застосувати. Перевірте ціни та періоди.
price-bad_amount = Ціни мають бути від 0.01 до 10000.00, з точністю до сотих.
price-cap_too_low = Добовий ліміт має бути не меншим за ціну найдорожчої години.
price-bad_period = Кожен спеціальний тариф має діяти хоча б в один день тижня, мати час у цілих хвилинах і не перетинатися з іншими.
quote-price_changed = Ціна тепер { $price }: тарифи змінилися, поки екран був відкритий. Нічого не заброньовано: перевірте нову суму й натисніть «Забронювати» ще раз.
quote-no_spot = На жаль, на цей час усі місця зайняті. Спробуйте інший час або паркінг.
btn-waitlist_join = 🔔 Повідомити, коли звільниться місце
waitlist-joined = 🔔 Ви в черзі очікування. Щойно на цей час звільниться місце, ви отримаєте повідомлення з кнопкою, щоб забронювати його; пропозиція діє { $minutes } хв. Запит діє до { $until }.
btn-my_waitlist = 🔔 Моя черга очікування
waitlist-title = 🔔 <b>Ваша черга очікування</b>
waitlist-intro = Ми повідомимо вас, щойно одне з цих місць звільниться. Натисніть на запит, щоб його скасувати.
waitlist-empty = Ви не чекаєте на жодне місце. Коли паркінг заповнений, натисніть там «🔔 Повідомити, коли звільниться місце».
waitlist-item = ✖️ { $start } · { $name }
waitlist-withdrawn = Скасовано: ми не повідомлятимемо про це місце.
waitlist-lapsed = Ця пропозиція вже не діє: місце перейшло наступному водієві в черзі.
waitlist-gone = На жаль, хтось щойно забронював це місце. Ви залишаєтеся першим у черзі на наступне.
waitlist-too_many = Ви вже чекаєте на 5 місць. Спершу скасуйте один запит у /bookings → 🔔 Моя черга очікування.
waitlist-over = Цей час уже настав: чекати більше нічого.
hold-too_many = У вас уже { $limit ->
        [one] { $limit } неоплачене бронювання
        [few] { $limit } неоплачені бронювання
       *[other] { $limit } неоплачених бронювань
    }. Спершу оплатіть або звільніть одне з них у /bookings.
quote-start_passed = Цей час початку вже минув. Оберіть час ще раз.
closed-at_that_time = 🚫 У цей час зачинено: працює { $hours }.
closed-no_slots = Цього дня немає часу прибуття, щоб простояти { $duration } в межах годин роботи: { $hours }.
btn-other_time = 🕒 Обрати інший час
btn-confirm_hold = ✅ Забронювати місце ({ $price })
quote-plate = 🚗 { $plate }
btn-plate = 🚗 { $plate } · змінити
btn-plate_choose = 🚗 Без номера · обрати
btn-plate_add = 🚗 Додати номер авто (необовʼязково)
plate-title = Який автомобіль? Номер зберігається з бронюванням і друкується в чеку; бронювати можна й без нього.
btn-no_plate = 🚫 Без номера
btn-add_plate = ➕ Додати номер
btn-forget_plate = 🗑 Забути { $plate }
plate-forgotten = Номер { $plate } забуто.
plate-ask = Введіть номерний знак, напр. AA 1234 BB. Пробіли, дефіси, кирилиця чи латиниця — усе підходить.
plate-invalid = Це не схоже на номерний знак: від 2 до 12 літер і цифр, напр. AA 1234 BB.
plate-too_many = У вас уже { $limit } номерів — це найбільше. Оберіть один із них.
hold-title =
    Місце <b>{ $spot }</b> у { $name } заброньовано для вас.
    🕒 { $window }
    💶 <b>{ $price }</b>

    ⏳ Оплатіть протягом { $minutes } хв (до { $until }), інакше місце звільниться.
hold-expired = ⌛ Час на оплату місця { $spot } у { $name } минув, місце звільнено. Можна забронювати знову.
hold-expired_at = ⌛ Час на оплату місця { $spot } у { $name } минув, місце звільнено. Можна забронювати знову.
btn-book_again = 🔁 Забронювати знову
rebook-no_slot = Там немає місця, вільного на стільки часу, у найближчі { $days ->
        [one] { $days } день
        [few] { $days } дні
       *[other] { $days } днів
    }.
btn-pay_wallet = 👛 Гаманець ({ $balance })
btn-pay_wallet_short = 👛 Гаманець: { $balance }, недостатньо
btn-topup_short = ➕ Поповнити на { $amount }
pay-topup_link = Поповнення на { $amount }: відкрийте захищену сторінку оплати, а потім поверніться сюди й оплатіть з гаманця.
btn-back_to_payment = ⬅️ Назад до оплати
btn-pay_card = 💳 { $brand } •••• { $last4 }
btn-pay_link = 🔗 Оплатити карткою (захищена сторінка Stripe)
btn-release_hold = ✖️ Звільнити місце
pay-wallet_short = У гаманці { $balance }, а бронювання коштує { $price }. Натисніть ➕ Поповнити нижче або оплатіть карткою.
pay-processing = Обробляю оплату…
pay-link = Відкрийте захищену сторінку оплати. Я підтверджу тут, щойно оплата надійде.
btn-open_payment = 💳 Оплатити { $price }
btn-open_page = 💳 Відкрити захищену сторінку
btn-check_payment = 🔄 Перевірити оплату
pay-not_yet = Оплата ще не надійшла. Це може зайняти кілька секунд.
pay-card_needs_auth = Ваш банк просить підтвердити платіж. Завершіть його на захищеній сторінці:
pay-card_declined = Картку відхилено ({ $reason }). Можна оплатити іншою карткою на захищеній сторінці:
pay-unavailable = Оплата карткою зараз недоступна. Скористайтеся гаманцем або спробуйте пізніше.
pay-released = Місце звільнено. Нічого не списано.
pay-release_paid = Це бронювання вже оплачене, тож воно залишається за вами.

## confirmation

btn-cancel_booking = ❌ Скасувати бронювання
pay-received =
    ✅ Оплату за бронювання №{ $id } отримано: { $name }, місце <b>{ $spot }</b>, { $window }, { $price }.
    Підтвердження з маршрутом і тим, що робити після прибуття, надійде окремим повідомленням.
btn-pay_booking = 💳 Оплатити { $price }
btn-end_now = 🏁 Завершити паркування

## bookings

bookings-title = Ваші бронювання
bookings-empty = У вас ще немає бронювань. Скористайтеся /find, щоб забронювати місце.
bookings-empty_tab = Тут порожньо. Перегляньте інші вкладки.
bookings-tab-upcoming = Майбутні
bookings-tab-active = Зараз
bookings-tab-past = Минулі
bookings-tab-cancelled = Скасовані
bookings-item = { $start } · { $name } { $icon }
status-pending_payment = ⏳ очікує оплати
status-confirmed = ✅ підтверджено
status-active = 🚗 на місці
status-completed = ✔️ завершено
status-expired = ⌛ прострочено
status-cancelled = ✖️ скасовано
booking-detail =
    <b>Бронювання №{ $id }</b> · { $status }
    { $name }, місце { $spot }
    📍 { $address }
    🕒 { $window }
    💶 { $price }
booking-pay_by = ⏳ Оплатіть до { $until }, інакше місце звільниться.
booking-closed = Бронювання №{ $id }: { $status }. Тут більше нічого не потрібно робити.
booking-payment_line = • { $method }: { $amount } — { $status }
method-wallet = гаманець
method-card = картка
btn-receipt = 🧾 Чек
receipt-none = За це бронювання ще нічого не сплачено, тож чека немає.
receipt-caption = 🧾 Чек № { $number } · { $amount }
receipt-caption_refund = 🧾 Чек повернення № { $number } · { $amount }
receipt-title = Чек № { $number }
receipt-title_refund = Чек повернення № { $number }
receipt-reverses = Повернення за чеком № { $number }
receipt-date = Дата: { $date }
receipt-seller = ПРОДАВЕЦЬ
receipt-vat_number = Номер платника ПДВ: { $number }
receipt-customer = ПОКУПЕЦЬ
receipt-booking = Бронювання №{ $id } · { $name }
receipt-spot = Місце: { $spot }
receipt-plate = Автомобіль: { $plate }
receipt-window = Час: { $window } ({ $tz })
receipt-items = ПОЗИЦІЇ
receipt-line_topup = Поповнення гаманця
receipt-line_first_hour = { $minutes ->
        [60] 1-ша година
       *[other] 1-ша година ({ $duration })
    }
receipt-line_extension = Продовження: { $duration }
receipt-line_refund = Повернення частини оплати
receipt-line_stay = Паркування: { $duration }
receipt-total = Разом (з ПДВ)
receipt-total_refund = Повернено (з ПДВ)
receipt-vat = у тому числі ПДВ { $rate }%
receipt-net = Сума без ПДВ
receipt-no_vat_topup = Поповнення не оподатковується ПДВ (це передоплата): ПДВ зазначено в чеках за паркування, яке воно оплачує.
receipt-method_wallet = гаманець
receipt-method_card = картка { $brand } •••• { $last4 }
receipt-method_card_page = картка (захищена сторінка оплати)
receipt-paid = Сплачено: { $date }, { $method }
receipt-refunded_split = Повернено: { $date }, { $wallet } на гаманець і { $rest } на: { $method }
receipt-refunded = Повернено: { $date }, на: { $method }
receipt-footer = Платіж №{ $payment } · Ціни вказано з ПДВ.
booking-plate = 🚗 { $plate }
paystatus-pending = очікує
paystatus-succeeded = сплачено
paystatus-failed = не вдалося
paystatus-cancelled = скасовано
paystatus-refund_pending = повертається на картку (5–10 днів)
paystatus-refunded = повернено
paystatus-partly_refunded = сплачено, повернуто { $refunded }
paystatus-refund_failed = повернення затримується, ми вже працюємо над цим
paystatus-needs_review = перевіряється нашою командою
cancel-confirm = Скасувати бронювання №{ $id }? { $refund }
cancel-refund_wallet = { $amount } одразу повернеться на ваш гаманець.
cancel-refund_card = { $amount } повернеться на вашу картку (5–10 днів).
cancel-refund_none = Оплати не було, тож повертати нічого.
cancel-too_late = Бронювання вже почалося, тому скасувати його не можна.
btn-yes_cancel = Так, скасувати
btn-no_keep = Ні, залишити
cancel-done = Бронювання №{ $id } скасовано. { $refund }
end-confirm = Завершити бронювання №{ $id } зараз? Місце звільниться для інших; кошти за невикористані повні 15 хвилин решти часу повернуться на ваш гаманець.
end-confirm_refunds_off = Завершити бронювання №{ $id } зараз? Місце звільниться для інших; ця парковка не повертає кошти за решту часу.
btn-yes_end = Так, завершити
btn-no_keep_parking = Ні, продовжую паркування
end-done = Бронювання №{ $id } завершено. { $amount } за { $minutes } невикористаних хв повернуто на ваш гаманець.
end-done_no_refund = Бронювання №{ $id } завершено. Повних невикористаних 15 хвилин не залишилося, тому повернення немає.
end-done_refunds_off = Бронювання №{ $id } завершено. Ця парковка не повертає кошти за невикористаний час.
booking-review_line = Ваш відгук: { $stars } — { $status }
btn-add_to_calendar = 📅 Додати в календар
btn-rate_stay = ⭐ Оцінити паркування
btn-edit_review = ✏️ Змінити мій відгук
btn-my_reviews = 📝 Мої відгуки
calendar-sent = 📅 Бронювання №{ $id }: відкрийте файл, щоб додати його в календар. Після продовження відкрийте новий файл: подію буде оновлено.
calendar-summary = 🅿️ { $name }, місце { $spot }
calendar-description = Бронювання паркування №{ $id }
calendar-alarm = Ваше паркування в { $name }, місце { $spot }, починається за 30 хвилин.
btn-share_guest = 👥 Поділитися з гостем
guest-share =
    👥 <b>Поділитися бронюванням №{ $id } з гостем</b>
    Це посилання дозволяє одній людині опускати й піднімати блокатор місця { $spot } з { $opens } до кінця бронювання, і нічого більше. Гість бачить адресу, місце й час, але не ваше ім'я, номер чи оплати. Посилання отримує той, хто відкриє його першим.

    { $link }
guest-shared_count = { $count ->
        [one] 👥 Поширено: діє { $count } перепустка.
        [few] 👥 Поширено: діють { $count } перепустки.
       *[other] 👥 Поширено: діє { $count } перепусток.
    }
btn-share_sms = 📱 Надіслати SMS
guest-ask_phone = Введіть мобільний номер гостя з кодом країни, наприклад +380501234567. Гість отримає SMS з адресою та часом і, приїхавши, надішле LOWER.
guest-phone_invalid = Це не схоже на номер телефону.
guest-sms_sent = ✅ Надіслано на { $phone }. Приїхавши, гість надішле LOWER.
btn-revoke_guest = 🚫 Скасувати доступ гостя
guest-revoked = 🚫 Доступ гостя до бронювання №{ $id } скасовано: надіслані посилання й SMS більше нічого не відчиняють.
guest-cannot_share = Поділитися можна лише оплаченим бронюванням, яке ще не закінчилося.
guest-invalid = Ця гостьова перепустка нічого не відчиняє: її скасовано, бронювання закінчилося або її вже відкрив хтось інший. Попросіть того, хто її надіслав, про нову.
guest-view =
    👥 <b>Гостьове паркування</b> · { $name }
    📍 { $address }
    🅿️ Місце <b>{ $spot }</b>
    🕒 { $window }
btn-guest_lower = ⬇️ Опустити блокатор
btn-guest_raise = ⬆️ Підняти
guest-raised = ⬆️ Блокатор піднято.
guest-raise_failed = ⚠️ Блокатор не піднявся. Спробуйте ще раз за хвилинку.

## reviews

review-ask = Як усе пройшло? Оцініть паркінг зірками нижче.
review-ask_stars = Як вам паркування в <b>{ $name }</b> ({ $window })?
review-current_stars = Ваша оцінка зараз: { $stars }
review-ask_text = { $stars } Дякуємо! Додайте кілька слів для інших водіїв (до { $max } символів) або пропустіть.
review-current_text = Ваші слова зараз: «{ $text }». Надішліть нові, щоб замінити їх.
btn-skip_text = Пропустити
btn-keep_text = Залишити текст
review-too_long = Це { $length ->
        [one] { $length } символ
        [few] { $length } символи
       *[other] { $length } символів
    }, а відгук може мати до { $max }. Будь ласка, скоротіть його.
review-thanks_stars = Дякуємо: { $stars }
review-quote = «{ $text }»
review-saved =
    ✅ Дякуємо! Ваш відгук про <b>{ $name }</b>: { $stars }{ $words }
    { $status }
    Відгуки з'являються на картці паркінгу після перевірки нашою командою.
review-status-pending = ⏳ очікує модерації
review-status-approved = ✅ опубліковано
review-status-rejected = ❌ не опубліковано (паркінг його відхилив)
reviews-title = <b>Ваші відгуки</b>
reviews-empty = Ви ще не залишали відгуків. Коли паркування завершиться, повідомлення про це запитає, як усе пройшло.
reviews-item =
    <b>{ $name }</b> · { $date }
    { $stars }{ $words }
    { $status }
btn-edit_review_item = ✏️ { $name } · { $date }
review-refused-not_completed = Відгук можна залишити лише про завершене паркування.
review-refused-no_show = Про бронювання, на яке ніхто не приїхав, відгук залишити не можна.
review-refused-closed = Відгук можна написати або змінити протягом { $days ->
        [one] { $days } дня
       *[other] { $days } днів
    } після паркування.
review-refused-rating = Оберіть від 1 до 5 зірок.
review-refused-too_long = Відгук може мати до { $max } символів.

## wallet

wallet-title =
    👛 <b>Гаманець</b>
    Баланс: <b>{ $balance }</b>
btn-topup = ➕ { $amount }
btn-topup_custom = ➕ Інша сума
btn-history = 🧾 Історія
btn-cards = 💳 Збережені картки
topup-ask = На яку суму поповнити? Від { $min } до { $max }, наприклад 15 або 12.50.
topup-invalid = Введіть суму від { $min } до { $max }.
topup-link = Поповнення на { $amount }: відкрийте захищену сторінку оплати. Баланс оновиться одразу після оплати.
history-title = 🧾 Історія гаманця
history-empty = Операцій ще не було.
history-item = { $date } · { $amount } · { $kind }
history-for_booking = { $kind } · бронювання №{ $id } · { $name }
btn-topup_receipts = 🧾 Чеки поповнень
topup_receipts-title = 🧾 Ваші останні поповнення гаманця: торкніться, щоб отримати чек (PDF).
topup_receipts-empty = 🧾 Поповнень гаманця ще не було, тож чеків немає.
btn-topup_receipt = 🧾 { $date } · { $amount }
txkind-deposit = поповнення
txkind-payment = оплата
txkind-refund = повернення
txkind-adjustment = коригування
cards-title = 💳 Збережені картки
cards-empty = Збережених карток немає. Додайте картку, щоб платити в один дотик.
cards-item = { $brand } •••• { $last4 } (до { NUMBER($month, minimumIntegerDigits: 2) }/{ $year })
btn-add_card = ➕ Додати картку
btn-remove_card = 🗑 { $brand } •••• { $last4 }
cards-add_link = Додайте картку на захищеній сторінці Stripe. Номер картки бачить лише Stripe.
cards-removed = Картку видалено.

## notifications

notify-booking_confirmed =
    ✅ <b>Оплату отримано, бронювання підтверджено</b>
    { $name }, місце <b>{ $spot }</b>
    📍 { $address }
    🕒 { $window }
    💶 { $price }
notify-booking_cancelled = ✖️ Бронювання №{ $id } ({ $name }, { $window }) скасовано. { $refund }
notify-booking_cancelled_spot_closed = ✖️ Місце { $spot } у паркінгу { $name } закрито ({ $why }), тож бронювання №{ $id } ({ $window }) скасовано. { $refund }
notify-booking_completed = 🧾 Бронювання №{ $id } у { $name } завершено ({ $window }). Сплачено: { $price }. Дякуємо!
notify-booking_completed_no_show = 🧾 Бронювання №{ $id } у { $name } ({ $window }) завершилося без прибуття. Сплачено: { $price }.
notify-booking_completed_by_staff = 🧾 Бронювання №{ $id } у { $name } ({ $window }) завершив персонал паркінгу. Сплачено: { $price }.
notify-ended_refund = { $amount } за { $minutes } невикористаних хв повернуто на ваш гаманець.
notify-ended_no_refund = Повних невикористаних 15 хвилин не залишилося, тому повернення немає.
notify-ended_refunds_off = Ця парковка не повертає кошти за невикористаний час.
notify-booking_left = 🏁 Ви поїхали о { $left }; { $amount } за { $minutes } невикористаних хвилин повернуто на ваш гаманець. Бронювання №{ $id } у { $name }, місце { $spot }, завершено.
notify-booking_left_no_refund = 🏁 Ви поїхали о { $left }, тож бронювання №{ $id } у { $name }, місце { $spot }, завершено. Повних невикористаних 15 хвилин не залишилося, тому повернення немає.
notify-booking_left_refunds_off = 🏁 Ви поїхали о { $left }, тож бронювання №{ $id } у { $name }, місце { $spot }, завершено. Ця парковка не повертає кошти за невикористаний час.
notify-no_show_check = ⏰ Ще їдете? Бронювання №{ $id } у { $name }, місце <b>{ $spot }</b>, почалося о { $start }, а ви ще не прибули. Якщо не залишите його за собою, о <b>{ $at }</b> місце звільниться для інших водіїв.
btn-keep_booking = ✅ Так, залишити
btn-release_spot = 🔓 Звільнити місце
no_show-kept = ✅ Залишено: місце { $spot } у { $name } ваше до { $until }.
no_show-released = 🔓 Звільнено: місце { $spot } у { $name } тепер доступне іншим водіям. { $refund }
no_show-arrived = ✅ Ви вже прибули: місце ваше.
no_show-gone = Це бронювання вже завершено.
notify-no_show_released = 🔓 Ніхто не прибув на місце { $spot } ({ $name }) до { $at }, тож решту бронювання №{ $id } звільнено для інших водіїв. { $refund }
no_show-not_refunded = Кошти за бронювання не повертаються.
bay_blocked-text =
    ⛔ Місце <b>{ $from_spot }</b> у { $name } зайняте: { $why }. Бронювання №{ $id }.
    { $choice }
bay_blocked-why-obstacle = блокатору щось заважає
bay_blocked-why-car_present = там стоїть інше авто
bay_blocked-why-blocker_down = його блокатор не працює
bay_blocked-move = Місце <b>{ $to_spot }</b> зараз вільне: перейдіть туди на той самий час за ту саму ціну{ $credit ->
        [none] .
       *[other] , а { $credit } за незручність надійде на ваш гаманець.
    } Або отримайте повне повернення { $refund }.
bay_blocked-no_spot = Інших вільних місць тут на ваш час немає. Ви можете отримати повне повернення { $refund }.
bay_blocked-nearby = Вільно поруч на решту вашого часу:
bay_blocked-nearby_line = • { $name }, { $distance }, вільних місць: { $free }
bay_blocked-staff = Ми вже повідомили персонал.
bay_blocked-see_below = ⛔ Це місце зайняте: оберіть нижче.
btn-bay_move = 🔀 Перейти на місце { $spot } (вільне)
btn-bay_refund = ↩️ Повернути кошти
bay_blocked-moved = 🔀 Готово: бронювання №{ $id } тепер на місці <b>{ $spot }</b> у { $name } ({ $window }), ціна та сама.{ $credit ->
        [none] {""}
       *[other] {" "}{ $credit } за незручність уже на вашому гаманці.
    } Опустіть блокатор цього місця, коли будете там.
bay_blocked-refunded = ↩️ Бронювання №{ $id } у { $name } скасовано, бо місце було зайняте. { $refund }
bay_blocked-taken = Вільне місце щойно зайняли, інших вільних зараз немає. Повернення коштів і далі доступне.
bay_blocked-moved_already = Ваше бронювання вже перенесено: місце { $spot }.
bay_blocked-gone = Вибирати вже нічого: бронювання перенесено, скасовано, розпочато або воно завершилося.
notify-booking_extended = ⏱ Продовжено: { $name }, місце { $spot }, тепер до <b>{ $until }</b>. Сплачено: { $added }.
notify-booking_extended_free = ⏱ Продовжено: { $name }, місце { $spot }, тепер до <b>{ $until }</b>. Без доплати: досягнуто добового ліміту вартості.
btn-update_calendar = 📅 Оновити в календарі
notify-booking_extended_goodwill = ⏱ Продовжено: { $name }, місце { $spot }, тепер до <b>{ $until }</b>. Без доплати: за рахунок паркінгу.
notify-booking_moved = 🔀 Місце { $from_spot } у паркінгу { $name } закрито ({ $reason }). Ваше бронювання №{ $id } ({ $window }) перенесено на місце <b>{ $spot }</b>; більше нічого не змінюється.
notify-booking_moved_by_staff = 🔀 Персонал паркінгу переніс ваше бронювання №{ $id } у { $name } ({ $window }) з місця { $from_spot } на місце <b>{ $spot }</b>; більше нічого не змінюється. Опускати тепер треба блокатор нового місця.
notify-hold_expiring = ⏳ Залишилося { $minutes } хв, щоб оплатити місце <b>{ $spot }</b> у { $name } ({ $price }). О { $until } бронювання буде скасовано, а місце звільниться.
btn-pay_now = 💳 Оплатити зараз
notify-hold_expired = ⌛ Неоплачене бронювання №{ $id } (місце { $spot } у { $name }) звільнено, бо оплата не надійшла вчасно.
notify-guest_pass =
    👥 <b>Гостьове паркування для вас</b> · { $name }
    📍 { $address }
    🅿️ Місце <b>{ $spot }</b>
    🕒 { $window }
    Приїхавши, надішліть LOWER у SMS.
notify-guest_pass_revoked = 🚫 Ваш гостьовий доступ до місця <b>{ $spot }</b> у паркінгу { $name } ({ $window }) скасував водій, який ним поділився. Блокатор більше не опуститься для вас.
notify-guest_pass_revoked_parked = 🚫 Ваш гостьовий доступ до місця <b>{ $spot }</b> у паркінгу { $name } ({ $window }) скасував водій, який ним поділився. Бронювання залишається за ним до { $until }: якщо ваше авто на місці, домовтеся з ним, коли його переставити. Блокатор більше не опускатиметься й не підніматиметься для вас.
notify-waitlist_offer =
    🔔 <b>Звільнилося місце: { $name }</b>
    📍 { $address }
    🕒 { $window }
    Забронюйте його до { $until }, далі воно перейде наступному водієві в черзі.
btn-waitlist_hold = 🅿️ Забронювати
notify-waitlist_offer_lapsed = ⌛ Місце в паркінгу { $name } на { $window } перейшло наступному водієві в черзі: ви не забронювали його протягом { $minutes } хв.
waitlist-again = Досі шукаєте місце на цей час? Станьте в чергу знову:
notify-waitlist_wish_ended = 🔕 Ваш запит на місце в паркінгу { $name } ({ $window }) завершився: місце вчасно не звільнилося.
notify-payment_refunded = ↩️ Повертаємо { $amount } за бронювання №{ $id }: { $reason }
refund_reason-spot_taken = місце зайняли до того, як надійшла ваша оплата.
refund_reason-duplicate = це бронювання вже було оплачено.
refund_reason-other = бронювання не вдалося виконати.
refund_reason-operator = повернення коштів від паркінгу.
notify-wallet_topped_up = 👛 Гаманець поповнено на { $amount }. Баланс: { $balance }.
notify-card_saved = 💳 Картку { $brand } •••• { $last4 } збережено для оплати в один дотик.
notify-admin_payment_mismatch = ⚠️ Платіж №{ $payment_id }: невідповідність суми: { $reason }
notify-admin_refund_failed = ⚠️ Повернення платежу №{ $payment_id } ({ $amount }) не вдалося: { $error }
notify-booking_reminder = ⏰ Ваше паркування у { $name }, місце { $spot }, закінчується о <b>{ $until }</b>.
reminder-extend = Потрібно більше часу? Продовжте в один дотик:
reminder-must_leave = Місце заброньоване іншим водієм з <b>{ $at }</b>, тож, будь ласка, звільніть його до цього часу.
btn-extend = ➕ { $duration } · { $price }
btn-extend_free = ➕ { $duration } · без доплати
extend-done = ✅ { $name }, місце { $spot }: продовжено до <b>{ $until }</b> · { $price } списано з гаманця.
extend-done_free = ✅ { $name }, місце { $spot }: продовжено до <b>{ $until }</b> без доплати: досягнуто добового ліміту вартості.
extend-stale = Це нагадування застаріло: ваше бронювання тепер закінчується о { $until }.
extend-taken = На жаль, хтось щойно забронював місце на цей час.
extend-not_possible = Це бронювання вже не можна продовжити.
extend-none_next = Місце заброньоване іншим водієм з { $at }, тому це бронювання не можна продовжити.
extend-pay = Продовження до <b>{ $until }</b> ({ $name }, місце { $spot }) коштує <b>{ $price }</b>. У гаманці лише { $balance }. Як бажаєте оплатити?
btn-pay_extension_wallet = 👛 Оплатити з гаманця
extend-topup_link = Поповнення на { $amount }: відкрийте захищену сторінку оплати, потім поверніться й натисніть «👛 Оплатити з гаманця».
extend-wallet_short = У гаманці { $balance }, а продовження коштує { $price }. Спершу поповніть гаманець або оплатіть карткою.
extend-paid_card = ✅ Оплачено карткою. Підтвердження продовження — у наступному повідомленні.
extend-paid_wallet = ✅ { $price } списано з гаманця. Підтвердження продовження — у наступному повідомленні.
date-weekdays = Пн Вт Ср Чт Пт Сб Нд
date-months = січ лют бер квіт трав черв лип серп вер жовт лист груд
# The calendar's month names standing alone (its header, pager and months view).
calendar-months = Січень Лютий Березень Квітень Травень Червень Липень Серпень Вересень Жовтень Листопад Грудень
find-here = вас
cancel-done_wallet = { $amount } вже повернуто на ваш гаманець.
pay-wallet_short_no_cards = У гаманці { $balance }, а бронювання коштує { $price }. Оплата карткою тут недоступна, тож попросіть оператора поповнити ваш гаманець.
btn-lower = 🚗 Я на місці — опустити блокатор
btn-retry_lower = 🔄 Спробувати ще раз
btn-extend_parking = ➕ Продовжити
lower-progress = ⏳ Опускаю блокатор…
lower-in_progress = ⏳ Блокатор уже опускається. Зачекайте мить…
lower-already_down = ✅ Блокатор уже опущено: місце ваше.
lower-late_ok = ✅ Оновлення: блокатор таки опустився. Паркуйтеся! Місце { $spot }, бронювання діє до { $until }.
lower-late_failed = Оновлення щодо блокатора: { $outcome }
lower-ok = ✅ Блокатор опущено. Паркуйтеся! Місце { $spot }, бронювання діє до { $until }.
lower-obstacle = ⚠️ Щось заважає блокатору. Приберіть перешкоду й спробуйте ще раз.
lower-jammed = ⚠️ Блокатор заклинило. Ми вже повідомили службу підтримки; спробуйте за кілька хвилин.
lower-offline = ⚠️ Блокатор зараз недоступний. Ми вже повідомили службу підтримки.
lower-timeout = ⚠️ Блокатор не відповів вчасно. Спробуйте ще раз; ми вже повідомили службу підтримки.
lower-not_connected = ⚠️ Зараз немає зв’язку з блокаторами. Спробуйте за хвилину; ми вже повідомили службу підтримки.
lower-low_battery = ⚠️ Батарея блокатора надто розряджена. Ми вже повідомили службу підтримки.
lower-busy = Блокатор ще завершує попередній рух. Спробуйте за мить.
lower-expired = Команда йшла до блокатора задовго. Спробуйте ще раз.
lower-too_early = Трохи зарано: опустити блокатор можна з { $time }.
lower-ended = Це бронювання вже завершилося.
lower-wrong_state = За цим бронюванням зараз не можна опустити блокатор.
lower-no_blocker = На цьому місці немає блокатора: просто паркуйтеся.
lower-blocker_down = ⚠️ Блокатор зараз не працює. Ми вже повідомили службу підтримки.
lower-car_present = ⚠️ На місці стоїть авто, тому блокатор лишається опущеним. Спершу виїдьте.
notify-admin_blocker_unhealthy = ⚠️ Блокатор { $blocker_id } не працює ({ $reason }). Його місце знято з продажу до відновлення.
notify-admin_blocker_recovered = ✅ Блокатор { $blocker_id } знову працює.
notify-admin_blockers_unhealthy =
    { $count ->
        [1] ⚠️ Не працює { $count } блокатор. Його місце знято з продажу до відновлення:
        [one] ⚠️ Не працює { $count } блокатор. Їхні місця знято з продажу до відновлення:
        [few] ⚠️ Не працюють { $count } блокатори. Їхні місця знято з продажу до відновлення:
        [many] ⚠️ Не працюють { $count } блокаторів. Їхні місця знято з продажу до відновлення:
       *[other] ⚠️ Не працюють { $count } блокатора. Їхні місця знято з продажу до відновлення:
    }
    { $items }
notify-admin_blockers_recovered =
    { $count ->
        [one] ✅ Знову працює { $count } блокатор.
        [few] ✅ Знову працюють { $count } блокатори.
        [many] ✅ Знову працюють { $count } блокаторів.
       *[other] ✅ Знову працюють { $count } блокатора.
    }
    { $items }
notify-admin_blockers_more = … і ще { $count }
notify-admin_blocker_failed = ⚠️ Блокатор { $blocker_id } не опустився для бронювання №{ $reservation_id }: { $status }.
notify-admin_blocker_ack_conflict = ⚠️ Блокатор { $blocker_id } відповів на одну команду «{ $action }» двічі, і по-різному ({ $first }, потім { $second }). Вважаємо, що стався збій. Одну з відповідей могли підробити: перевірте облікові дані та ACL брокера.
notify-lower_failed_after_all =
    ⚠️ Бронювання №{ $id }, { $name }: блокатор таки повідомив про збій, тож він, можливо, не опущений. Ваше бронювання досі чинне.
    { $reason }
notify-admin_overstay = ⚠️ Перевищення часу: на місці блокатора { $blocker_id } досі стоїть авто після завершення бронювання №{ $reservation_id }.
notify-admin_incident =
    🚨 <b>Блокатор { $blocker } у паркінгу { $name }, місце { $spot }</b>: { $kind } з { $since }.
    { $count ->
        [0] Бронювань у найближчі { $hours } год немає.
        [one] Бронювання, якого це стосується, у найближчі { $hours } год:
        [few] { $count } бронювання, яких це стосується, у найближчі { $hours } год:
        [many] { $count } бронювань, яких це стосується, у найближчі { $hours } год:
       *[other] { $count } бронювань, яких це стосується, у найближчі { $hours } год:
    }{ $lines }{ $ack }
notify-admin_incident_line = • №{ $id } { $driver }, { $window }
notify-admin_incident_ack = ✔️ Взято в роботу: { $who }, о { $at }.
notify-admin_incident_ended = ✅ Блокатор { $blocker } у паркінгу { $name }, місце { $spot }, знову працює (інцидент «{ $kind }» тривав { $duration }).
incident_alert-kind-offline = не на зв'язку
incident_alert-kind-fault = несправність або заклинювання
incident_alert-kind-low_battery = низький заряд
incident_alert-kind-lower_failed = не вдалося опустити
incident_alert-bay_blocked-obstacle = блокатор не опустився: щось заважало (водієві запропоновано інше місце або повернення)
incident_alert-bay_blocked-car_present = на місці стоїть авто до прибуття водія, що його забронював (водієві запропоновано інше місце або повернення)
btn-incident_move = 🔀 Перенести водіїв
btn-incident_refund = 💸 Повернути кошти
btn-incident_test = 🔧 Перевірити блокатор
btn-incident_ack = ✔️ Беру в роботу
incident_alert-moved = { $moved ->
        [0] Нікого не перенесено.
        [one] Перенесено 1 бронювання: { $list }.
       *[other] Перенесено бронювань: { $moved } ({ $list }).
    }{ $stuck ->
        [0] {""}
       *[other] {" "}Не перенесено (немає вільного місця або авто вже на місці): { $stuck_list }.
    }
incident_alert-refunded = { $refunded ->
        [0] Нічого не повернуто.
        [one] Скасовано 1 бронювання, повернуто { $amount }.
       *[other] Скасовано бронювань: { $refunded }, повернуто { $amount }.
    }{ $stuck ->
        [0] {""}
       *[other] {" "}Уже почалися, не скасовано: { $stuck_list }.
    }
incident_alert-acknowledged = ✔️ Взято в роботу. Інші бачать це в сповіщенні.
incident_alert-acknowledged_already = Уже взято в роботу: { $who }, о { $at }.
notify-booking_moved_blocker = 🔀 Блокатор місця { $from_spot } у паркінгу { $name } несправний. Ваше бронювання №{ $id } ({ $window }) перенесено на місце <b>{ $spot }</b>; більше нічого не змінюється.
notify-review_published = ⭐ Ваш відгук про { $name } опубліковано. Дякуємо!
notify-generic = У вас є оновлення щодо паркування.

## Operator console (/admin, DESIGN.md §11)
cmd-admin = Консоль оператора
admin-title =
    🛠 <b>Консоль оператора</b>
    Оберіть паркінг:
admin-no_premises =
    🛠 <b>Консоль оператора</b>
    Паркінгів ще немає.
admin-premise_item = { $name } · { $role }
admin-role-owner = власник
admin-role-manager = менеджер
admin-role-attendant = черговий
admin-btn_audit_all = 📜 Журнал дій: усі паркінги
admin-btn_help = ℹ️ Що я вмію
admin-help =
    <b>Консоль оператора</b>
    • Паркінги: ваші й ваша роль у них. Кожен має код для бронювання через SMS.
    • 📊 Зараз (увесь персонал): стан місць, найближчі заїзди й виїзди, хто стоїть понад час, з кнопками бронювань.
    • 📋 Бронювання (увесь персонал): пошук за номером чи телефоном, історія; завершити, безкоштовно продовжити, перенести, скасувати; повернути кошти (власники й менеджери).
    • 🔌 Блокатори (увесь персонал): стан, спершу проблемні; прив’язати, відв’язати, замінити, перевірити.
    • 💶 Виручка (власники й менеджери): показники за період, графік і CSV.
    • ⭐ Відгуки (власники й менеджери): опублікувати чи відхилити відгуки водіїв.
    • 🏢 Деталі, 🅿️ Місця, 💶 Ціни, 🧾 Оператор і ПДВ (власники й менеджери): паркінг, місця, тарифи, чеки.
    • 👥 Персонал (власники й менеджери): запросити одноразовим посиланням (діє { $hours } год); забрати доступ.
    • 📜 Журнал дій (власники й менеджери): кожна дія, навіть відхилена; експорт у CSV.
    • ➕ Новий паркінг (власники).
    Кожну дію звіряємо з вашою роллю й записуємо.
admin-premise =
    🅿️ <b>{ $name }</b> · код <code>{ $code }</code>
    Ваша роль: { $role }
admin-section-staff = 👥 Персонал
admin-section-prices = 💶 Ціни
admin-section-audit = 📜 Журнал дій
admin-prices =
    💶 <b>Ціни в { $name }</b> · версія { $version }
    { $plan }

    <b>Приклади стоянок</b>{ $samples }
admin-prices_draft =
    ✏️ <b>Нові ціни для { $name }</b> · чернетка версії { $version }
    { $plan }

    <b>Приклади стоянок</b>{ $samples }
    Водії нічого з цього не побачать, доки ви не збережете.
admin-prices_plan =
    Базова: { $base }/год
    Перша година: { $first }
    Добовий ліміт: { $cap }
    { $count ->
        [0] Нічних чи вихідних тарифів немає.
        [one] { $count } особливий тариф:
        [few] { $count } особливі тарифи:
       *[other] { $count } особливих тарифів:
    }{ $periods }
admin-prices_none = немає
admin-prices_cap = { $cap } за кожні 24 год бронювання
admin-prices_period_line = • { $when }: { $rate }/год
admin-prices_sample_line = • { $what }, { $window }: <b>{ $price }</b> ({ $rate })
admin-prices_sample-hour = 1 год, починаючи зараз
admin-prices_sample-three_hours = 3 год, починаючи зараз
admin-prices_sample-night = ніч
admin-prices_sample-day = 24 год, починаючи зараз
admin-prices_btn_edit = ✏️ Змінити ціни
admin-prices_btn-base = 💶 За годину
admin-prices_btn-first = 1️⃣ Перша година
admin-prices_btn-cap = 📅 Добовий ліміт
admin-prices_btn-night = 🌙 Додати нічний тариф
admin-prices_btn-weekend = 🗓 Додати тариф вихідних
admin-prices_btn_remove = ✖️ Прибрати { $when }
admin-prices_btn_save = 💾 Зберегти як версію { $version }
admin-prices_btn_discard = 🗑 Скасувати зміни
admin-prices_btn_clear-first = ✖️ Без ціни першої години
admin-prices_btn_clear-cap = ✖️ Без добового ліміту
admin-prices_ask-base = Введіть базову ціну за годину в { $currency }, наприклад 2.50.
admin-prices_ask-first = Введіть ціну першої години стоянки в { $currency }, наприклад 3.00, або натисніть «Без ціни першої години».
admin-prices_ask-cap = Введіть, скільки найбільше водій платить за кожні 24 години бронювання, в { $currency }, наприклад 20.00, або натисніть «Без добового ліміту».
admin-prices_ask-night = Введіть години й ціну за годину в { $currency }, наприклад 22:00-07:00 1.00. Тариф діє щодня.
admin-prices_ask-weekend = Введіть ціну за годину в суботу й неділю (цілу добу) в { $currency }, наприклад 1.50.
admin-prices_bad_amount = ⚠️ Це не сума в { $currency }. Введіть її так: 2.50.
admin-prices_bad_night = ⚠️ Це не проміжок часу з ціною. Введіть так: 22:00-07:00 1.00.
admin-prices_saved = Збережено: версія { $version } діє відтепер.
admin-section-spots = 🅿️ Місця
admin-spots =
    🅿️ <b>Місця: { $name }</b>
    { $count ->
        [0] Місць ще немає.
        [one] { $count } місце
        [few] { $count } місця
       *[other] { $count } місць
    }{ $closed ->
        [0] {""}
       *[other] , закрито { $closed }:
    }{ $lines }
admin-spot_line = • { $label }: { $status }
admin-spot_open = ✅ відкрите
admin-spot_closed = ⛔ закрите ({ $reason }){ $until ->
        [none] {""}
       *[other] {" "}до { $until }
    }
admin-btn_add_spots = ➕ Додати місця
admin-spots_add = ➕ Введіть місця, які додати: одну назву, як-от <code>B7</code>, або діапазон, як-от <code>A1-A20</code> (кілька — через кому; не більше { $most } за раз).
admin-spots_added = { $count ->
        [one] ✅ Додано { $count } місце.
        [few] ✅ Додано { $count } місця.
       *[other] ✅ Додано { $count } місць.
    }
admin-spots_refused = ⚠️ { $why }
admin-spot =
    🅿️ Місце <b>{ $label }</b>, { $name }
    { $status }
admin-btn_spot_rename = ✏️ Перейменувати
admin-btn_spot_close = ⛔ Закрити
admin-btn_spot_reopen = ✅ Відкрити
admin-btn_spot_bookings = 📋 { $count ->
        [one] { $count } бронювання перенести або скасувати
       *[other] { $count } бронювань перенести або скасувати
    }
admin-spot_rename = ✏️ Введіть нову назву місця:
admin-spot_close_reason = ⛔ Чому місце закрите? Водії, чиї бронювання ви перенесете, побачать цю причину.
admin-spot_close_until = 🕒 До коли? Введіть час, коли місце знову відкриється, як-от <code>{ $example }</code> (час паркінгу), або залиште закритим, доки не відкриєте самі.
admin-btn_spot_no_until = ♾ Доки не відкрию
admin-spot_bad_time = ⚠️ Введіть час у форматі { $example }.
admin-spot_closed_now = { $count ->
        [0] ⛔ Місце { $label } закрито. Бронювань це не зачіпає.
        [one] ⛔ Місце { $label } закрито. На ньому { $count } бронювання: перенесіть або скасуйте його.
       *[other] ⛔ Місце { $label } закрито. На ньому бронювань: { $count }. Перенесіть або скасуйте кожне.
    }
admin-spot_reopened = Місце { $label } знову відкрите.
admin-spot_bookings =
    📋 <b>Бронювання на закритому місці { $label }</b>
    { $count ->
        [0] Не залишилося: усі перенесено або скасовано.
        [one] { $count } бронювання:
       *[other] Бронювань: { $count }.
    }{ $lines }
admin-spot_booking_line = • №{ $id } { $driver }, { $window } ({ $status })
admin-btn_move = 🔀 Перенести №{ $id }
admin-btn_cancel_refund = ✖️ Скасувати й повернути №{ $id }
admin-booking_moved = Бронювання №{ $id } перенесено на місце { $spot }. Водія повідомлено.
admin-booking_cancelled = Бронювання №{ $id } скасовано, повернуто { $refund }. Водія повідомлено.
admin-invalid_spot_labels = Введіть назви, як-от B7, або діапазон, як-от A1-A20 (літери, потім цифри; не довше 32 символів).
admin-too_many_spots = Не більше { $most } місць за раз.
admin-spot_label_taken = У цьому паркінгу вже є такі місця: { $labels }.
admin-invalid_closing = Щоб закрити місце, потрібна причина, а час відкриття має бути в майбутньому.
admin-no_spot_to_move_to = Жодне інше місце цього паркінгу не вільне на цей час. Скасуйте бронювання натомість.
admin-refused = ⛔ У вас немає доступу до цього.
admin-not_permitted = У вас немає доступу до цього.
admin-staff =
    👥 <b>Персонал: { $name }</b>
    { $count ->
        [0] Поки нікого.
        [one] { $count } особа:
        [few] { $count } особи:
       *[other] { $count } осіб:
    }{ $list }
admin-staff_line = • { $name }: { $role }
admin-btn_invite-manager = ➕ Запросити менеджера
admin-btn_invite-attendant = ➕ Запросити чергового
admin-btn_revoke = ✖️ { $name }
admin-invite =
    🔗 Надішліть це посилання тому, кого запрошуєте в паркінг <b>{ $name }</b> на роль «{ $role }». Воно одноразове й діє до { $until }:
    { $link }
admin-revoke_confirm = Забрати в { $name } ({ $role }) доступ до <b>{ $premise }</b>?
admin-btn_revoke_yes = ✅ Так, забрати
admin-btn_revoke_no = ⬅️ Ні, залишити
admin-revoked = { $name } більше не має доступу.
admin-audit =
    📜 <b>Журнал дій: { $scope }</b>
    { $count ->
        [0] Записів ще немає.
        [one] { $count } запис, нові спочатку.
        [few] { $count } записи, нові спочатку.
       *[other] { $count } записів, нові спочатку.
    }{ $lines }
    Сторінка { $page } з { $pages }
admin-audit_line =
    { $when } { $mark } { $who }: { $action }{ $premise }
       { $changes }
admin-audit_everywhere = усі паркінги
admin-audit_cli = командний рядок
admin-audit_action = { $action ->
        [staff_invite] Запрошення персоналу
        [staff_accept] Прийняття запрошення
        [staff_revoke] Скасування доступу
        [staff_list] Перегляд персоналу
        [owner_add] Додавання власника
        [owner_remove] Вилучення власника
        [console_open] Відкриття паркінгу
        [audit_view] Перегляд журналу дій
        [audit_export] Експорт журналу дій
        [premises_create] Створення паркінгу
        [premises_edit] Зміна деталей
        [premises_deactivate] Деактивація паркінгу
        [premises_reactivate] Повторна активація паркінгу
        [premises_view] Перегляд деталей
        [operator_edit] Зміна даних оператора й ПДВ
        [operator_view] Перегляд даних оператора й ПДВ
        [spot_add] Додавання місць
        [spot_rename] Перейменування місця
        [spot_close] Закриття місця
        [spot_reopen] Відкриття місця
        [spot_list] Перегляд місць
        [spot_move_booking] Перенесення бронювання з закритого місця
        [spot_cancel_booking] Скасування бронювання на закритому місці
        [blocker_register] Реєстрація блокатора
        [blocker_unbind] Відв’язування блокатора
        [blocker_replace] Заміна блокатора
        [blocker_test] Перевірка блокатора
        [blocker_list] Перегляд блокаторів
        [blocker_view] Перегляд блокатора
        [blocker_unassigned] Перегляд неприв’язаних блокаторів
        [prices_set] Збереження нових цін
        [prices_view] Перегляд цін
        [prices_preview] Попередній перегляд цін
        [reservation_refund] Повернення коштів за бронювання
        [reservation_end] Завершення бронювання
        [reservation_extend_free] Безкоштовне продовження бронювання
        [reservation_move] Перенесення бронювання
        [reservation_cancel] Скасування бронювання
        [reservation_view] Перегляд бронювання
        [reservation_history] Перегляд історії бронювання
        [reservation_list] Перегляд списку бронювань
        [revenue_view] Перегляд виручки
        [revenue_export] Експорт виручки
        [moderation_approve] Публікація відгуку
        [moderation_reject] Відхилення відгуку
        [moderation_queue] Перегляд відгуків
        [incident_move] Перенесення водіїв через несправний блокатор
        [incident_refund] Повернення коштів водіям через несправний блокатор
        [incident_test] Перевірка несправного блокатора
        [incident_acknowledge] Сповіщення про блокатор взято в роботу
        [occupancy_view] Перегляд «Зараз»
       *[other] { $raw }
    }
admin-btn_export = 📄 Експорт CSV
admin-export_caption = 📄 Журнал дій (CSV)
admin-invite_invalid-unknown = Це посилання-запрошення недійсне. Попросіть нове посилання в того, хто вас запросив.
admin-invite_invalid-used = Це посилання-запрошення вже використано. Попросіть нове посилання в того, хто вас запросив.
admin-invite_invalid-expired =
    Термін дії запрошення минув (посилання діє лише { $hours ->
        [one] { $hours } годину
        [few] { $hours } години
       *[other] { $hours } годин
    }). Попросіть нове посилання в того, хто вас запросив.
admin-welcome =
    ✅ Вітаємо! Тепер ви { $role } паркінгу <b>{ $name }</b>.
    /admin відкриває консоль оператора.
admin-blocker_invalid_id = Це не ідентифікатор пристрою: до 64 символів, без пробілів на краях, «/», «+» чи «#».
admin-blocker_bound = Цей пристрій уже прив'язаний до місця. Спершу відв'яжіть його там.
admin-spot_has_blocker = На цьому місці вже є блокатор. Спершу замініть або відв'яжіть його.
admin-blockers_unavailable = Блокатори не підключені (MQTT вимкнено), тож команду надіслати неможливо.
admin-section-blockers = 🔌 Блокатори
admin-blockers =
    🔌 <b>Блокатори: { $name }</b>
    { $count ->
        [0] Блокаторів ще немає: зареєструйте перший.
        [one] { $count } блокатор, спершу проблемні:
        [few] { $count } блокатори, спершу проблемні:
       *[other] { $count } блокаторів, спершу проблемні:
    }{ $lines }
admin-blocker_line = • { $label } · <code>{ $device }</code>: { $health }
admin-blocker_ok = ✅ справний
admin-blocker_offline = не на зв'язку
admin-blocker_fault = несправність
admin-blocker_low_battery = батарея { $battery }%
admin-btn_blocker_register = ➕ Зареєструвати
admin-btn_blockers_unassigned = 📡 Неприв'язані ({ $count })
admin-blocker =
    🔌 Блокатор <code>{ $device }</code> на місці <b>{ $label }</b>
    Стан: { $state }
    Батарея: { $battery }
    Востаннє на зв'язку: { $seen }
    { $health }
admin-blocker_state = { $state ->
        [raised] ⬆️ піднятий
        [lowered] ⬇️ опущений
        [moving] ↕️ рухається
        [fault] 🛑 несправний
       *[other] ❔ ще не повідомляв
    }
admin-blocker_never = ніколи
admin-btn_blocker_lower = ⬇️ Тест: опустити
admin-btn_blocker_raise = ⬆️ Тест: підняти
admin-btn_blocker_replace = 🔁 Замінити
admin-btn_blocker_unbind = 🔓 Відв'язати
admin-blocker_sent = ⏳ Надіслано…
admin-blocker_test = 🧪 Тест «{ $action ->
        [lower] опустити
       *[other] підняти
    }»: { $outcome }
admin-blocker_outcome = { $status ->
        [ok] ✅ підтверджено, тепер { $state }
        [obstacle] ⚠️ відмова: щось заважає
        [jammed] 🛑 відмова: заклинило
        [expired] ⚠️ відмова: команда надійшла запізно
        [low_battery] 🔋 відмова: замало заряду
        [busy] ⏳ відмова: виконує іншу команду
        [offline] 📴 пристрій не на зв'язку; нічого не надіслано
        [timeout] ⌛ відповідь не надійшла вчасно (міг і зрушити)
       *[other] 🔌 немає з'єднання з брокером; нічого не надіслано
    }
admin-blocker_unbind_confirm = 🔓 Відв'язати <code>{ $device }</code> від місця <b>{ $label }</b>? Місце буде без блокатора, доки не зареєструєте інший.
admin-btn_blocker_unbind_yes = 🔓 Так, відв'язати
admin-blocker_unbound = Блокатор { $device } відв'язано від місця { $label }.
admin-blocker_replace = 🔁 Введіть ідентифікатор пристрою, що замінить <code>{ $device }</code> на місці <b>{ $label }</b>:
admin-blocker_replaced = ✅ На місці { $label } тепер блокатор <code>{ $device }</code>.
admin-blocker_register = ➕ Введіть ідентифікатор пристрою блокатора для реєстрації:
admin-blocker_pick_spot = { $count ->
        [0] 🅿️ На всіх місцях уже є блокатори: для <code>{ $device }</code> місця немає.
       *[other] 🅿️ Яке місце отримає блокатор <code>{ $device }</code>?
    }
admin-blocker_registered = Блокатор { $device } тепер на місці { $label }.
admin-blockers_unassigned =
    📡 <b>Неприв'язані блокатори</b>
    { $count ->
        [0] Немає: кожен відомий пристрій прив'язаний до місця.
        [one] { $count } пристрій без місця: торкніться його, потім оберіть місце.
        [few] { $count } пристрої без місця: торкніться одного, потім оберіть місце.
       *[other] { $count } пристроїв без місця: торкніться одного, потім оберіть місце.
    }
admin-blockers_refused = ⚠️ { $why }
admin-section-details = 🏢 Деталі
admin-premise_details =
    🏢 <b>{ $name }</b> · код <code>{ $code }</code>
    📍 { $address } ({ $lat }, { $lon })
    🕒 { $timezone } · 💶 { $price }/год
    🗓 { $hours }
    ✨ { $features }
    📝 { $description }
    { $photos ->
        [one] 🖼 { $photos } фото
        [few] 🖼 { $photos } фото
       *[other] 🖼 { $photos } фото
    } · { $spots ->
        [one] { $spots } місце
        [few] { $spots } місця
       *[other] { $spots } місць
    }
    🅿️ Компенсація за зайняте місце: { $bay_credit }
    { $active ->
        [yes] ✅ Пропонується водіям
       *[no] ⛔ Деактивовано: не пропонується водіям
    }
admin-premise_field-name = ✏️ Назва
admin-premise_field-address = ✏️ Адреса
admin-premise_field-timezone = ✏️ Часовий пояс
admin-premise_field-currency = ✏️ Валюта
admin-premise_field-opening_hours = ✏️ Години роботи
admin-premise_field-description = ✏️ Опис
admin-premise_field-location = ✏️ Локація
admin-premise_field-features = ✏️ Переваги
admin-premise_field-photos = ✏️ Фото
admin-premise_field-blocked_bay_credit = ✏️ Компенсація за зайняте місце
admin-bay_credit_plan_hour = година за тарифом
admin-bay_credit_none = немає
admin-premise_location =
    📍 Зараз тут: <code>{ $lat }, { $lon }</code> ({ $timezone }).
    Надішліть нову локацію (📎 → Локація) або введіть координати, наприклад <code>50.45, 30.52</code>:
admin-premise_timezone_offer =
    📍 Перенесено в <code>{ $lat }, { $lon }</code>.
    Часовий пояс там, схоже, <b>{ $guessed }</b>, а в паркінгу — <b>{ $timezone }</b>. Змінити і його?
admin-btn_change_timezone = 🕒 Змінити на { $value }
admin-premise_features = ✨ Переваги <b>{ $name }</b>: натисніть, щоб увімкнути чи вимкнути (зберігається одразу).
admin-premise_photos = { $photos ->
        [0] 🖼 У <b>{ $name }</b> немає фото. Надішліть їх (до { $most }).
       *[other] 🖼 Фото { $photo } з { $photos }, <b>{ $name }</b>. Надішліть ще фото, щоб додати (до { $most }).
    }
admin-btn_remove_photo = 🗑 Видалити це фото
admin-btn_clear_photos = 🧹 Видалити всі { $count }
admin-photo_removed = Фото видалено.
admin-photos_cleared = Усі фото видалено.
admin-premise_invalid-photos = ⚠️ Не більше 10 фото.
admin-premise_edit =
    { $field }: зараз <code>{ $current }</code>
    Введіть нове значення:
admin-premise_invalid-name = ⚠️ Введіть назву (до 200 символів).
admin-premise_invalid-address = ⚠️ Введіть адресу (до 300 символів).
admin-premise_invalid-timezone = ⚠️ Введіть часовий пояс, наприклад Europe/Kyiv.
admin-premise_invalid-currency = ⚠️ Введіть трилітерний код валюти, наприклад UAH.
admin-premise_invalid-opening_hours = ⚠️ Введіть 24/7 або години, наприклад Mo-Fr 07:00-21:00; Sa 08:00-14:00.
admin-premise_invalid-description = ⚠️ До 2000 символів.
admin-premise_invalid-blocked_bay_credit = ⚠️ Введіть суму, наприклад 5.00, 0 — без компенсації, або «година».
admin-premise_edit_bay_credit =
    🅿️ <b>Компенсація за зайняте місце</b>: що водій отримує на гаманець, коли чуже авто на заброньованому місці змушує нас його перенести. Зараз: <b>{ $current }</b>.
    Введіть суму в { $currency }, наприклад <code>5.00</code>, <code>0</code> — без компенсації, або <code>година</code> — година за тарифом бронювання:
admin-invalid_premise = Це значення не підходить для паркінгу.
admin-btn_premise_deactivate = ⛔ Деактивувати
admin-btn_premise_reactivate = ✅ Активувати знову
admin-btn_premise_bookings = 📋 Майбутні бронювання ({ $count })
admin-premise_deactivated = Паркінг більше не пропонується водіям.
admin-premise_reactivated = Паркінг знову пропонується водіям.
admin-premise_bookings =
    📋 <b>Майбутні бронювання в { $name }</b> (деактивовано)
    { $count ->
        [0] Не залишилося.
        [one] { $count } бронювання. Воно залишається, якщо його не скасувати:
        [few] { $count } бронювання. Вони залишаються, якщо їх не скасувати:
       *[other] { $count } бронювань. Вони залишаються, якщо їх не скасувати:
    }{ $lines }
admin-btn_new_premise = ➕ Новий паркінг
admin-new_location = 📍 <b>Новий паркінг</b>: де він? Надішліть локацію (📎 → Локація) або введіть координати, наприклад <code>50.45, 30.52</code>.
admin-new_name = 🏢 Його назва, як її бачать водії:
admin-new_address = { $lookup ->
        [found] 📍 Його адреса: скористайтеся знайденою за локацією або введіть її:
        [none] 📍 Його адреса (за локацією не знайдено), введіть її:
       *[other] 📍 Його адреса:
    }
admin-btn_use_address = 📍 Використати: { $address }
admin-new_timezone = 🕒 Часовий пояс за локацією: <b>{ $timezone }</b>. Залиште його або введіть інший, наприклад { $example }.
admin-new_currency = 💶 Валюта: <b>{ $currency }</b>. Залиште її або введіть інший трилітерний код, наприклад { $example }.
admin-new_price = 💶 Ціна за годину в { $currency }, наприклад <code>2.50</code> (нічні, вихідні та добові тарифи — потім у Цінах):
admin-new_hours = 🗓 Години роботи: 24/7 або введіть їх, наприклад <code>Mo-Fr 07:00-21:00; Sa 08:00-14:00</code>.
admin-new_features = ✨ Його переваги (натисніть, щоб вибрати), потім Далі:
admin-new_description = 📝 Опис для водіїв (як заїхати, обмеження висоти…) або пропустіть:
admin-new_photos = { $photos ->
        [0] 🖼 Надішліть фото паркінгу або продовжуйте без них.
        [one] 🖼 { $photos } фото. Надішліть ще або продовжуйте.
        [few] 🖼 { $photos } фото. Надішліть ще або продовжуйте.
       *[other] 🖼 { $photos } фото. Надішліть ще або продовжуйте.
    }
admin-new_summary =
    🏢 <b>{ $name }</b>
    📍 { $address } ({ $lat }, { $lon })
    🕒 { $timezone } · 💶 { $price }/год
    🗓 { $hours }
    ✨ { $features }
    📝 { $description }
    { $photos ->
        [one] 🖼 { $photos } фото
        [few] 🖼 { $photos } фото
       *[other] 🖼 { $photos } фото
    }
    Створити? Місця додасте потім у розділі Місця.
admin-btn_keep = ✅ Залишити { $value }
admin-btn_always_open = 🕛 Цілодобово
admin-btn_next = ➡️ Далі
admin-btn_skip = ⏭ Пропустити
admin-btn_create_premise = ✅ Створити
admin-premise_created = { $name } створено, код { $code }. Знайдіть його в /admin, щоб додати місця.
admin-premise_invalid-coordinates = ⚠️ Надішліть локацію або введіть координати, наприклад 50.45, 30.52.
admin-premise_invalid-price_per_hour = ⚠️ Введіть ціну більше нуля, наприклад 2.50.
admin-btn_bookings = 📋 Бронювання
admin-bookings_find =
    📋 <b>Бронювання</b>
    Введіть номер бронювання (наприклад, 1234) або телефон водія з кодом країни (наприклад, +380501234567) чи виберіть паркінг, щоб побачити бронювання на сьогодні й найближчі дні.
admin-bookings_premise = 🅿️ { $name }
admin-bookings_bad_query = ⚠️ Введіть номер бронювання, наприклад 1234, або телефон із кодом країни, наприклад +380501234567.
admin-bookings_none = За запитом «{ $query }» нічого не знайдено.
admin-bookings_refused = ⚠️ { $why }
admin-bookings_found =
    📋 <b>Бронювання за запитом «{ $query }»</b>: { $count }
    Спершу найновіші.
admin-bookings_list =
    📋 <b>Бронювання в { $name }</b>: { $count }
    Сьогодні та наступні { $days } днів, час у поясі { $tz }. Введіть номер або телефон, щоб знайти інше.
admin-booking =
    📋 <b>Бронювання №{ $id }</b> · { $status }
    🅿️ { $name }, місце { $spot }
    🕒 { $window } ({ $tz })
    👤 { $driver } { $phone }
    { $money }
admin-booking_unpaid = 💶 { $price }, не сплачено
admin-booking_money = 💶 { $price } · сплачено { $paid } · повернуто { $refunded }
admin-btn_booking_history = 📜 Історія
admin-btn_booking-refund = ↩️ Повернути кошти
admin-btn_booking-end = 🏁 Завершити зараз
admin-btn_booking-extend = ➕ Продовжити безкоштовно
admin-btn_booking-move = 🔀 Перенести
admin-btn_booking-cancel = ✖️ Скасувати бронювання
admin-booking_history =
    📜 <b>Історія бронювання №{ $id }</b> ({ $tz }), { $first }–{ $last } з { $count }:
    { $lines }
admin-history-created = 📝 утримано, { $price }
admin-history-payment = 💶 платіж №{ $id }: { $method }, { $amount }, { $status }
admin-history-payment_refunded = ↩️ платіж №{ $id } повернуто повністю: { $amount } { $method }
admin-history-extension = ➕ продовження до { $until }, { $price }: { $status }
admin-history-extension_failed = ➕ продовження не застосовано ({ $price })
admin-history-refund = ↩️ повернення №{ $id }: { $amount } { $method }, { $status }
admin-history-refund_succeeded = ↩️ повернення №{ $id } підтвердив платіжний сервіс
admin-history-refund_failed = ⚠️ повернення №{ $id } відхилив платіжний сервіс: кошти знову можна повернути
admin-history-lowered = 🚗 блокатор опущено: водій прибув
admin-history-arrived = 🚗 водій прибув (місце без блокатора)
admin-history-closed = 🏁 { $status }{ $no_show ->
        [yes] : ніхто не прибув
       *[other] {""}
    }
admin-history-admin_blocker_failed = ⚠️ блокатор { $blocker } не опустився: { $status }
admin-history-admin_overstay = ⚠️ перевищення часу: авто досі на місці (блокатор { $blocker })
admin-history-notification = ✉️ { $kind } · { $channel ->
        [sms] SMS
        [telegram] Telegram
       *[other] { $channel }
    }: { $status }
admin-history-audit = { $mark } { $who }: { $action }{ $detail }
admin-history-other = 📌 подія «{ $kind }»
admin-payment_method = { $method ->
        [wallet] гаманець
        [card] збережена картка
        [page] картка на сторінці оплати
       *[other] { $method }
    }
admin-payment_status = { $status ->
        [pending] очікує оплати
        [succeeded] сплачено
        [partly_refunded] сплачено, згодом повернуто { $refunded }
        [failed] не вдалося
        [cancelled] скасовано (не сплачено)
        [refund_pending] повернення на картку в обробці
        [refunded] повернуто
        [refund_failed] повернення на картку не вдалося
        [needs_review] потребує перевірки: платіжний сервіс списав іншу суму
       *[other] { $status }
    }
admin-refund_to = { $method ->
        [wallet] на гаманець
        [card] на картку
        [page] на картку
       *[other] ({ $method })
    }
admin-refund_status = { $status ->
        [pending] очікує платіжного сервісу
        [succeeded] виконано
        [failed] відхилено платіжним сервісом
       *[other] { $status }
    }
admin-extension_status = { $status ->
        [pending_payment] очікує оплати
        [applied] застосовано
        [failed] не застосовано
       *[other] { $status }
    }
admin-lower_failure = { $status ->
        [obstacle] щось заважає
        [jammed] заклинило
        [expired] команда надійшла запізно
        [low_battery] замало заряду
        [busy] виконує іншу команду
        [offline] пристрій не на зв'язку
        [timeout] відповідь не надійшла вчасно
        [not_connected] немає з'єднання з брокером
       *[other] { $status }
    }
admin-audit_refusal = { $code ->
        [not_found] не знайдено або немає доступу
        [not_permitted] немає дозволу
        [invalid_transition] неможливо в поточному стані бронювання
        [refund_too_large] більше, ніж лишилося до повернення
        [invalid_refund] недійсна сума
        [no_spot_to_move_to] це місце не вільне
        [spot_taken] місце зайняте
        [payment_unavailable] платіжний сервіс недоступний
        [too_late_to_cancel] запізно скасовувати
       *[other] відмова: { $raw }
    }
# A notification in a booking's history: what it said, and how far its sending got.
admin-notification_kind = { $kind ->
        [booking_confirmed] Бронювання підтверджено
        [booking_cancelled] Бронювання скасовано
        [booking_completed] Бронювання завершено
        [booking_extended] Бронювання продовжено
        [booking_moved] Перенесено на інше місце
        [booking_reminder] Нагадування: бронювання скоро закінчиться
        [booking_left] Виїзд раніше
        [no_show_check] «Ви ще їдете?»
        [no_show_released] Звільнено: ніхто не приїхав
        [bay_blocked] Місце недоступне: перенесення чи повернення
        [hold_expiring] Неоплачене бронювання скоро скасується
        [hold_expired] Неоплачене бронювання скасовано
        [lower_late] Запізніла відповідь блокатора
        [lower_failed_after_all] Блокатор таки дав збій
        [guest_pass] Гостьовий доступ
        [guest_pass_revoked] Гостьовий доступ скасовано
        [waitlist_offer] Черга: запропоновано місце
        [waitlist_offer_lapsed] Черга: пропозиція минула
        [waitlist_wish_ended] Черга: побажання завершилося
        [payment_refunded] Оформлено повернення коштів
        [wallet_topped_up] Гаманець поповнено
        [card_saved] Картку збережено
        [review_published] Відгук опубліковано
        [admin_blocker_failed] Сповіщення персоналу: блокатор не опустився
        [admin_overstay] Сповіщення персоналу: перевищення часу
        [admin_incident] Сповіщення персоналу: інцидент із блокатором
        [admin_incident_ended] Сповіщення персоналу: інцидент завершено
        [admin_payment_mismatch] Сповіщення персоналу: невідповідність суми платежу
        [admin_refund_failed] Сповіщення персоналу: повернення не вдалося
        [admin_blockers_unhealthy] Сповіщення персоналу: блокатори не працюють
        [admin_blockers_recovered] Сповіщення персоналу: блокатори знову працюють
        [admin_blocker_unhealthy] Сповіщення персоналу: блокатор не працює
        [admin_blocker_recovered] Сповіщення персоналу: блокатор знову працює
        [admin_blocker_ack_conflict] Сповіщення персоналу: суперечливі відповіді блокатора
       *[other] Повідомлення «{ $kind }»
    }
admin-notification_status = { $status ->
        [pending] чекає на надсилання
        [sending] надсилається
        [sent] надіслано о { $sent }
        [failed] не вдалося надіслати
       *[other] { $status }
    }
admin-refund_amount =
    ↩️ <b>Повернення коштів за бронювання №{ $id }</b>
    Сплачено { $paid }, повернуто { $refunded }: можна повернути до <b>{ $left }</b>, туди, звідки їх сплачено (гаманець або картка).
    Введіть суму (наприклад, 2.50) або поверніть усе.
admin-btn_refund_all = ↩️ Усе: { $amount }
admin-refund_bad_amount = ⚠️ Введіть суму, наприклад 2.50.
admin-refund_too_large = За цим бронюванням можна повернути лише { $left }.
admin-extend_minutes = ➕ Бронювання №{ $id } закінчується о { $until }. Продовжити безкоштовно на:
admin-btn_extend_by = ➕ { $duration }
admin-move_spot = 🔀 На яке вільне місце перенести бронювання №{ $id } з місця { $spot }?
admin-move_none = 🔀 На час бронювання №{ $id } інших вільних місць у цьому паркінгу немає.
admin-booking_reason =
    ✍️ <b>Чому?</b> { $what }
    Виберіть причину або введіть свою. Її зберігає журнал дій; водій її не бачить.
admin-booking_what-refund = (повернення коштів)
admin-booking_what-end = (завершити зараз)
admin-booking_what-extend = (безкоштовне продовження)
admin-booking_what-move = (перенесення)
admin-booking_what-cancel = (скасування)
admin-reason-blocker = 🔌 Блокатор не спрацював
admin-reason-bay_blocked = 🚧 Місце зайняте або заблоковане
admin-reason-driver_asked = 📞 Водій попросив
admin-reason-billing = 💶 Помилка в оплаті
admin-reason-goodwill = 🤝 Жест доброї волі
admin-booking_confirm-refund =
    ↩️ Повернути <b>{ $amount }</b> за бронювання №{ $id } туди, звідки сплачено? Водія буде повідомлено.
    Причина: { $reason }
admin-booking_confirm-end =
    🏁 Завершити бронювання №{ $id } зараз? Місце звільниться; якщо ця парковка повертає кошти за невикористаний час, невикористані повні 15 хвилин повернуться на гаманець водія. Водія буде повідомлено.
    Причина: { $reason }
admin-booking_confirm-extend =
    ➕ Продовжити бронювання №{ $id } на { $duration } безкоштовно? Водія буде повідомлено.
    Причина: { $reason }
admin-booking_confirm-move =
    🔀 Перенести бронювання №{ $id } з місця { $spot_from } на місце <b>{ $spot_to }</b>? Водія буде повідомлено, і він опускатиме блокатор нового місця.
    Причина: { $reason }
admin-booking_confirm-cancel =
    ✖️ Скасувати бронювання №{ $id }? Решта сплаченого повернеться туди, звідки її сплачено. Водія буде повідомлено.
    Причина: { $reason }
admin-btn_booking_confirm = ✅ Підтвердити
admin-booking_refunded = ✅ Повернуто { $amount }: { $where } Водія повідомлено.
admin-booking_refund_failed = ⚠️ Картка відхилила повернення { $failed }: ці кошти знову можна повернути, адміністраторів сповіщено. { $where }
admin-booking_done-end = ✅ Бронювання №{ $id } завершено. { $refund } Водія повідомлено.
admin-booking_end_no_refund = Нічого не повернуто: повних невикористаних 15 хвилин не залишилося або ця парковка не повертає кошти за невикористаний час.
admin-booking_done-extend = ✅ Бронювання №{ $id } тепер закінчується о { $until }. Водія повідомлено.
admin-booking_done-move = ✅ Бронювання №{ $id } перенесено на місце { $spot }. Водія повідомлено.
admin-booking_done-cancel = ✅ Бронювання №{ $id } скасовано. { $refund } Водія повідомлено.
admin-refund_to_wallet = { $amount } повернуто в гаманець водія.
admin-refund_to_card = { $amount } повертається на картку водія.
admin-refund_to_nothing = Нічого не сплачено, тож нічого не повертається.
admin-btn_now = 📊 Зараз
admin-btn_revenue = 💶 Виручка
admin-btn_refresh = 🔄 Оновити
admin-now_scope = 📊 <b>Зараз</b>: який паркінг?
admin-now =
    📊 <b>Зараз: { $scope }</b> · оновлено о { $time }
    { $counts }
admin-now_everywhere = усі паркінги
admin-now_counts = { $total ->
        [one] { $total } місце
        [few] { $total } місця
       *[other] { $total } місць
    }: 🟢 вільно { $free } · 🟡 утримано { $held } · 🔵 заброньовано { $booked } · 🚗 з авто { $occupied } · ⛔ закрито { $closed } · ⚠️ блокатор не працює: { $unhealthy }
admin-now_premise_line = • <b>{ $name }</b>: { $counts }
admin-now_arrivals = 🅿️ <b>Найближчі заїзди</b>
admin-now_arrival = • №{ $id } { $when } { $spot }{ $premise }, { $driver }{ $late ->
        [yes] {" "}(запізнюється)
       *[other] {""}
    }
admin-now_departures = 🚙 <b>Найближчі виїзди</b>
admin-now_departure = • №{ $id } { $when } { $spot }{ $premise }, { $driver }
admin-now_overstays = ⏰ <b>Понад час</b>
admin-now_overstay = • №{ $id } { $spot }{ $premise }, { $driver }: закінчилося о { $ended }
admin-now_intruder = • { $spot }{ $premise }: авто без бронювання
admin-now_none = немає
admin-now_more = …і ще { $count }
admin-now_open = 📊 { $name }
admin-btn_now_booking = { $kind ->
        [arrival] 🅿️
        [departure] 🚙
       *[other] ⏰
    } №{ $id } { $spot } { $when }
admin-revenue_scope = 💶 <b>Виручка</b>: який паркінг?
admin-revenue_all = 🏢 Усі паркінги
admin-revenue_everywhere = усі паркінги
admin-revenue_pick_period =
    💶 <b>Виручка: { $name }</b>
    За який період?
admin-revenue_period-today = Сьогодні
admin-revenue_period-yesterday = Учора
admin-revenue_period-week = Цей тиждень
admin-revenue_period-month = Цей місяць
admin-revenue_period-custom = Свій період
admin-revenue_first_day = 🗓 Свій період: оберіть перший день.
admin-revenue_last_day = 🗓 З { $first }: оберіть останній день.
admin-revenue =
    💶 <b>Виручка: { $name }</b>
    { $period }: { $span } ({ $timezone })
admin-revenue_no_money = Ні оплат, ні повернень.
admin-revenue_currency =
    <b>{ $net } чистими</b> = { $gross } оплат − { $refunds } повернень
    { $methods }
    { $payments ->
        [one] { $payments } оплата
        [few] { $payments } оплати
       *[other] { $payments } оплат
    }, { $refund_count ->
        [one] { $refund_count } повернення
        [few] { $refund_count } повернення
       *[other] { $refund_count } повернень
    }
admin-revenue_method-card = 💳 картка { $gross } − { $refunds }
admin-revenue_method-wallet = 👛 гаманець { $gross } − { $refunds }
admin-revenue_pending = ⏳ Повернення на картки ще тривають (не враховано): { $amount }
admin-revenue_stays = 🅿️ { $bookings ->
        [one] { $bookings } бронювання
        [few] { $bookings } бронювання
       *[other] { $bookings } бронювань
    } · середня стоянка { $average } · зайнятість { $occupancy }
admin-revenue_by_premise = <b>За паркінгами</b>
admin-revenue_premise_line = • { $name }: { $net } · { $bookings ->
        [one] { $bookings } бронювання
        [few] { $bookings } бронювання
       *[other] { $bookings } бронювань
    } · зайнятість { $occupancy }
admin-revenue_btn_chart = 📈 Графік
admin-revenue_btn_csv = 📄 CSV
admin-revenue_btn_other_period = 🗓 Інший період
admin-revenue_chart_title = Виручка: { $name }, { $span } ({ $timezone })
admin-revenue_chart_axis = Чиста виручка за день, { $currency }
admin-revenue_chart_net = Чиста виручка
admin-revenue_chart_occupancy = Зайнятість
admin-revenue_chart_caption = 📈 Виручка й зайнятість, { $span }
admin-revenue_csv_caption = 📄 Оплати й повернення, { $span } (CSV)
admin-btn_reviews = { $count ->
        [0] ⭐ Відгуки
       *[other] ⭐ Відгуки (очікують: { $count })
    }
admin-reviews_empty = ⭐ <b>Відгуки</b>
    Немає відгуків, що чекають на модерацію.
admin-review =
    ⭐ <b>Відгук { $n } з { $total }</b> чекає на модерацію
    { $stars } ({ $rating }/5) · { $premise }{ $booking } · { $when }
    «{ $text }»
    — { $driver }
admin-review_booking = {" "}· бронювання №{ $id }
admin-review_no_text = (без тексту)
admin-btn_review_approve = ✅ Схвалити
admin-btn_review_reject = ❌ Відхилити
admin-btn_review_next = ⏭ Наступний відгук
admin-review_approved = Опубліковано. Водія повідомлено.
admin-review_reject = ❌ Чому відгук №{ $id } відхилено? Оберіть причину або введіть свою (водію не повідомляємо):
admin-review_reason-spam = Спам або реклама
admin-review_reason-offensive = Образлива лексика
admin-review_reason-off_topic = Не про цей паркінг
admin-review_reason-personal_data = Персональні дані
admin-review_rejected = ❌ Відгук відхилено.
admin-reviews_refused = ⚠️ { $why }
admin-review_invalid = Цей відгук не можна розглянути: його вже розглянуто або причина порожня.
admin-section-operator = 🧾 Оператор і ПДВ
admin-operator =
    🧾 <b>Оператор і ПДВ</b> · { $premise }
    Хто продає паркування тут, як зазначено в чеках:

    Юридична назва: { $name }
    Адреса: { $address }
    Номер платника ПДВ: { $vat_number }
    ПДВ у цінах: { $vat_rate }

    Паркінги з однаковим номером платника ПДВ мають спільну нумерацію чеків.
admin-operator_field-operator_name = ✏️ Юридична назва
admin-operator_field-operator_address = ✏️ Адреса
admin-operator_field-vat_number = ✏️ Номер ПДВ
admin-operator_field-vat_rate = ✏️ Ставка ПДВ
admin-operator_edit =
    { $field }: зараз <code>{ $current }</code>
    { $hint }
admin-operator_hint-operator_name = Введіть юридичну назву оператора, як її друкують у чеках:
admin-operator_hint-operator_address = Введіть юридичну адресу оператора (дефіс - залишає її порожньою):
admin-operator_hint-vat_number = Введіть номер платника ПДВ, напр. UA123456789012 (дефіс - залишає його порожнім):
admin-operator_hint-vat_rate = Введіть ставку ПДВ, яку містять ціни, у відсотках: напр. 20, 7,5 або 0.
admin-operator_invalid = ⚠️ Таке значення не підходить: назва до 200 символів, адреса до 300, номер ПДВ до 32, ставка ПДВ від 0 до 50 %.
admin-btn_refund_unused = { $on ->
        [yes] ↩️ Повертати за невикористаний час: так
       *[no] ↩️ Повертати за невикористаний час: ні
    }
admin-btn_refund_no_show = { $on ->
        [yes] 🚫 Повертати, якщо водій не приїхав: так
       *[no] 🚫 Повертати, якщо водій не приїхав: ні
    }
