### English texts. Every language has the same messages with the same variables (tests check it).
### Ids are the code's keys with "-" for ".": tr(lang, "find.free") shows find-free.
### A count picks its words by the language's CLDR plural category: { $count -> [one] … *[other] … }.

## onboarding and menu

cmd-start = Start and main menu
cmd-find = Find parking nearby
cmd-bookings = My bookings
cmd-wallet = Wallet and cards
cmd-language = Change language
cmd-help = How it works
cmd-cancel = Leave the current step
start-greeting = Hi, { $name }! 👋
start-about =
    I find you a parking spot nearby, book it and take the payment.
    Once paid, the spot's blocker is raised and waits for you.
    When you arrive, you lower it from this chat and park.
start-share_phone = Share your phone number to get receipts and SMS updates when Telegram cannot reach you.
btn-share_phone = 📱 Share my phone number
btn-skip = Skip
phone-saved = Thanks, your number { $phone } is saved.
phone-skipped = OK, I will not ask again. You can still share your number from ❓ Help.
phone-not_yours = Please share your own contact with the button below.
phone-invalid = That does not look like a phone number. Please share your own contact with the button below.
phone-taken = This number is already linked to another account.
menu-title = What would you like to do?
btn-find = 🅿️ Find parking
btn-book_again_at = 🔁 Book again: { $name }
btn-bookings = 📋 My bookings
btn-wallet = 👛 Wallet
btn-language = 🌐 Language
btn-help = ❓ Help
btn-menu = 🏠 Menu
btn-back = ⬅️ Back
btn-cancel = ✖️ Cancel
help-text =
    <b>How it works</b>
    1. /find: share your location or type an address.
    2. Pick a car park, a start time and how long you stay.
    3. Pay from your wallet, with a saved card or on a secure Stripe page.
    4. On arrival tap <i>🚗 I've arrived — lower the blocker</i> and park.

    /bookings: your bookings · /wallet: balance, top-ups, cards
    /language: change language · /cancel: leave the current step
cancelled = Done, nothing was changed. Here is the menu.
unknown_input = I did not get that. Use the buttons, or /help to see what I can do.
stale_button = This button is out of date. Here is the current menu.
throttled = Too many messages at once. Please wait a moment.
error-generic = Something went wrong on our side. Please try again in a moment.
error-no_such_booking = There is no such booking among yours.
error-not_found = This item no longer exists.
error-refused = That is not possible for this booking any more.
error-invalid_transition = Booking #{ $id } is { $status } now, so this is no longer possible.
error-invalid_interval = That time is not possible. Please choose the time again.
error-not_started = This booking has not started yet: cancel it instead.
error-currency = This cannot be paid in that currency.
error-invalid_topup = That top-up amount is not possible.
error-insufficient_funds = Your wallet has { $balance }; this costs { $price }.

## language

language-name = English
language-title = Choose your language:
language-saved = Language set to English.

## find

find-ask_location = Send your location with the button below, or type an address.
find-ask_location_again =
    Park near the same place as last time?
    📍 { $place }

    Or share a new location, or type an address.
btn-same_place = 📍 Same place as last time
btn-send_location = 📍 Send my location
btn-new_location = 📍 Share a new one
find-address_not_found = I could not find “{ $query }”. Try adding the city, or send your location.
find-geocoder_down = Address search is unavailable right now. Please send your location instead.
find-results_title =
    🅿️ Parking near { $place }
    🕒 { $window } ({ $tz })
find-item = { $name } · { $distance } · { $price }/h
find-item_line = { $name }: { $free }
find-free = { $count } free
find-no_results = No free spots within { $radius } for that time.
find-type_address = ✏️ Type an address to search elsewhere.
distance-m = { $value } m
distance-km = { $value } km
btn-wider = 🔎 Search within { $radius }
btn-change_time = 🕒 Change time
btn-filters = ⚙️ Filters
btn-more = More ▶️
btn-prev = ◀️
filters-title = Show only car parks with:
filters-max_price = Max price per hour: { $price }
filters-any_price = Any price
btn-apply = ✅ Show results
feature-covered = 🏠 Covered
feature-ev_charging = ⚡ EV charging
feature-cctv = 📹 CCTV
feature-24_7 = 🕐 24/7
feature-accessible = ♿ Accessible
feature-guarded = 💂 Guarded
premise-card =
    <b>{ $name }</b>{ $code }
    📍 { $address }{ $distance }
    💶 { $price } per hour
    🕐 { $hours }
    { $rating }
    { $features }

    { $stay }

    { $description }
premise-code = · 🔢 Code { $code }
premise-rating =
    { $count ->
        [one] ⭐ { $rating } ({ $count } review)
       *[other] ⭐ { $rating } ({ $count } reviews)
    }
premise-no_rating = ⭐ no reviews yet
premise-review = “{ $text }” — { $stars }
premise-stay = 🅿️ { $window }: { $free }, <b>{ $price }</b> for { $duration }
premise-stay_full = 🅿️ { $window }: every spot is taken.
premise-stay_closed = 🚫 { $window }: closed (open { $hours }).
btn-duration_price = { $duration } · { $price }
btn-navigate = 🧭 Navigate
btn-favourite_add = ☆ Add to favourites
btn-favourite_remove = ⭐ Favourite · remove
favourite-added = ⭐ Added to your favourites: /find lists it first when it is near.
favourite-removed = Removed from your favourites.

## time and duration

when-title = When do you arrive?
btn-now = Now
btn-later_today = Later today
btn-pick_date = 📅 Another day
when-out_of_range =
    { $days ->
        [one] Please pick a day from today to { $days } day ahead.
       *[other] Please pick a day from today to { $days } days ahead.
    }
when-pick_time = Arrival time on { $date } ({ $tz }):
when-no_times_today = No arrival times are left today: pick another day.
btn-earlier_times = ◀️ Earlier · { $range }
btn-later_times = Later · { $range } ▶️
duration-title = How long will you park?
btn-custom_duration = Other…
duration-ask = Type the duration in hours and minutes, e.g. 1:30 or 2 (from 0:30 to 24:00, in 15-minute steps).
duration-invalid = That does not look like a duration from 0:30 to 24:00 in 15-minute steps. Try e.g. 1:45.
duration-hours = { $hours } h
duration-hm = { $hours } h { $minutes } min
duration-minutes = { $minutes } min

## quote and hold

quote-title =
    <b>{ $name }</b>
    📍 { $address }
    🕒 { $window }
    ⏱ { $duration }

    Total: <b>{ $price }</b> ({ $rate })
    { $free }
price-per_hour = { $price }/h
price-line_first_hour = { $minutes ->
        [60] 1st hour { $amount }
       *[other] 1st hour ({ $duration }) { $amount }
    }
price-line_base = { $duration } × { $rate }
price-line_period = { $when }: { $duration } × { $rate }
price-line_cap = daily cap { $cap } applied
price-invalid_plan = This price plan cannot be used. Check its prices and periods.
price-bad_amount = Prices must be from 0.01 up to 10000.00, with at most two decimals.
price-cap_too_low = The daily cap must be at least the price of the dearest hour.
price-bad_period = Each special rate needs at least one weekday, times in whole minutes, and no overlap with another.
quote-price_changed = The price is now { $price }: the rates changed since this screen was drawn. Nothing is held: check the new total and tap Hold again.
quote-no_spot = Sorry, every spot is taken for that time. Try another time or car park.
btn-waitlist_join = 🔔 Tell me when a spot frees up
waitlist-joined = 🔔 You are on the waitlist. When a spot frees up for this time, you get a message with a button to hold it; the offer stands { $minutes } min. Your wish stands until { $until }.
btn-my_waitlist = 🔔 My waitlist
waitlist-title = 🔔 <b>Your waitlist</b>
waitlist-intro = You hear from us as soon as one of these frees up. Tap one to withdraw it.
waitlist-empty = You are not waiting for any spot. When a car park is full, tap “🔔 Tell me when a spot frees up” there.
waitlist-item = ✖️ { $start } · { $name }
waitlist-withdrawn = Withdrawn: you will not hear about that spot.
waitlist-lapsed = This offer has lapsed: the spot went to the next driver in line.
waitlist-gone = Sorry, someone booked that spot a moment ago. You stay first in line for the next one.
waitlist-too_many = You are already waiting for 5 spots. Withdraw one first in /bookings → 🔔 My waitlist.
waitlist-over = That time has begun: there is nothing left to wait for.
hold-too_many = You already have { $limit ->
        [one] { $limit } unpaid booking
       *[other] { $limit } unpaid bookings
    }. Pay for one or release it in /bookings first.
quote-start_passed = That start time has passed. Please choose the time again.
closed-at_that_time = 🚫 Closed at that time: open { $hours }.
closed-no_slots = No arrival time that day fits a stay of { $duration } within the opening hours: { $hours }.
btn-other_time = 🕒 Choose another time
btn-confirm_hold = ✅ Hold the spot ({ $price })
quote-plate = 🚗 { $plate }
btn-plate = 🚗 { $plate } · change
btn-plate_choose = 🚗 No plate · choose one
btn-plate_add = 🚗 Add a number plate (optional)
plate-title = Which vehicle is it? The plate is kept with the booking and printed on its receipt; booking without one works too.
btn-no_plate = 🚫 No plate
btn-add_plate = ➕ Add a plate
btn-forget_plate = 🗑 Forget { $plate }
plate-forgotten = { $plate } is forgotten.
plate-ask = Type the number plate, e.g. AA 1234 BB. Spaces, dashes and Cyrillic or Latin letters are all fine.
plate-invalid = That does not look like a number plate: 2 to 12 letters and digits, e.g. AA 1234 BB.
plate-too_many = You already keep { $limit } plates, the most there can be. Choose one of them.
hold-title =
    Spot <b>{ $spot }</b> at { $name } is held for you.
    🕒 { $window }
    💶 <b>{ $price }</b>

    ⏳ Pay within { $minutes } min (until { $until }) or the spot is released.
hold-expired = ⌛ The hold ran out on spot { $spot } at { $name }, and the spot was released. You can book again.
hold-expired_at = ⌛ The hold on spot { $spot } at { $name } ran out and the spot was released. You can book again.
btn-book_again = 🔁 Book again
rebook-no_slot = No spot there is free for that long in the next { $days ->
        [one] { $days } day
       *[other] { $days } days
    }.
btn-pay_wallet = 👛 Wallet ({ $balance })
btn-pay_wallet_short = 👛 Wallet: { $balance }, not enough
btn-topup_short = ➕ Top up { $amount }
pay-topup_link = Top up { $amount }: open the secure payment page, then come back here and pay from your wallet.
btn-back_to_payment = ⬅️ Back to payment
btn-pay_card = 💳 { $brand } •••• { $last4 }
btn-pay_link = 🔗 Pay by card (secure Stripe page)
btn-release_hold = ✖️ Release the spot
pay-wallet_short = Your wallet has { $balance }; this booking costs { $price }. Tap ➕ Top up below, or pay by card.
pay-processing = Processing your payment…
pay-link = Open the secure payment page. I will confirm here as soon as the payment arrives.
btn-open_payment = 💳 Pay { $price }
btn-open_page = 💳 Open the secure page
btn-check_payment = 🔄 I have paid
pay-not_yet = The payment has not arrived yet. It can take a few seconds.
pay-card_needs_auth = Your bank wants to confirm this payment. Please finish it on the secure page:
pay-card_declined = The card was declined ({ $reason }). You can pay on the secure page with another card:
pay-unavailable = Card payments are unavailable right now. Please use your wallet or try again later.
pay-released = The spot was released. Nothing was charged.
pay-release_paid = This booking is already paid, so it stays yours.

## confirmation

btn-cancel_booking = ❌ Cancel booking
pay-received =
    ✅ Payment received for booking #{ $id }: { $name }, spot <b>{ $spot }</b>, { $window }, { $price }.
    The confirmation, with directions and what to do on arrival, comes in a separate message.
btn-pay_booking = 💳 Pay { $price }
btn-end_now = 🏁 End parking now

## bookings

bookings-title = Your bookings
bookings-empty = You have no bookings yet. Use /find to book a spot.
bookings-empty_tab = Nothing here. Look at the other tabs.
bookings-tab-upcoming = Upcoming
bookings-tab-active = Now
bookings-tab-past = Past
bookings-tab-cancelled = Cancelled
bookings-item = { $start } · { $name } { $icon }
status-pending_payment = ⏳ awaiting payment
status-confirmed = ✅ confirmed
status-active = 🚗 parked
status-completed = ✔️ completed
status-expired = ⌛ expired
status-cancelled = ✖️ cancelled
booking-detail =
    <b>Booking #{ $id }</b> · { $status }
    { $name }, spot { $spot }
    📍 { $address }
    🕒 { $window }
    💶 { $price }
booking-pay_by = ⏳ Pay by { $until } or the spot is released.
booking-closed = Booking #{ $id } is { $status }: nothing left to do here.
booking-payment_line = • { $method }: { $amount } — { $status }
method-wallet = wallet
method-card = card
btn-receipt = 🧾 Receipt
receipt-none = Nothing has been paid for this booking yet, so there is no receipt.
receipt-caption = 🧾 Receipt No. { $number } · { $amount }
receipt-caption_refund = 🧾 Refund receipt No. { $number } · { $amount }
receipt-title = Receipt No. { $number }
receipt-title_refund = Refund receipt No. { $number }
receipt-reverses = Refund of receipt No. { $number }
receipt-date = Date: { $date }
receipt-seller = SELLER
receipt-vat_number = VAT number: { $number }
receipt-customer = CUSTOMER
receipt-booking = Booking #{ $id } · { $name }
receipt-spot = Spot: { $spot }
receipt-plate = Vehicle: { $plate }
receipt-window = Time: { $window } ({ $tz })
receipt-items = ITEMS
receipt-line_topup = Wallet top-up
receipt-line_first_hour = { $minutes ->
        [60] 1st hour
       *[other] 1st hour ({ $duration })
    }
receipt-line_extension = Extension: { $duration }
receipt-line_refund = Part of the payment given back
receipt-line_stay = Parking: { $duration }
receipt-total = Total (VAT included)
receipt-total_refund = Refunded (VAT included)
receipt-vat = of which VAT { $rate }%
receipt-net = Amount without VAT
receipt-no_vat_topup = No VAT on a top-up (a prepayment): VAT is shown on the receipts of the parking it pays for.
receipt-method_wallet = wallet
receipt-method_card = { $brand } card •••• { $last4 }
receipt-method_card_page = card (secure payment page)
receipt-paid = Paid: { $date }, { $method }
receipt-refunded_split = Refunded: { $date }, { $wallet } to the wallet and { $rest } to: { $method }
receipt-refunded = Refunded: { $date }, to: { $method }
receipt-footer = Payment #{ $payment } · Prices include VAT.
booking-plate = 🚗 { $plate }
paystatus-pending = pending
paystatus-succeeded = paid
paystatus-failed = failed
paystatus-cancelled = cancelled
paystatus-refund_pending = refund on its way to your card (5–10 days)
paystatus-refunded = refunded
paystatus-partly_refunded = paid, { $refunded } refunded
paystatus-refund_failed = refund delayed, our team is on it
paystatus-needs_review = under review by our team
cancel-confirm = Cancel booking #{ $id }? { $refund }
cancel-refund_wallet = { $amount } goes back to your wallet at once.
cancel-refund_card = { $amount } goes back to your card (5–10 days).
cancel-refund_none = Nothing was paid, so nothing is refunded.
cancel-too_late = The booking has already started, so it can no longer be cancelled.
btn-yes_cancel = Yes, cancel
btn-no_keep = No, keep it
cancel-done = Booking #{ $id } is cancelled. { $refund }
end-confirm = End booking #{ $id } now? The spot is released for others; the unused whole 15 minutes of the time left go back to your wallet.
end-confirm_refunds_off = End booking #{ $id } now? The spot is released for others; this car park does not refund the time left.
btn-yes_end = Yes, end now
btn-no_keep_parking = No, keep parking
end-done = Booking #{ $id } has ended. { $amount } for { $minutes } unused min is back in your wallet.
end-done_no_refund = Booking #{ $id } has ended. No whole 15 minutes were left unused, so nothing is refunded.
end-done_refunds_off = Booking #{ $id } has ended. This car park does not refund unused time.
booking-review_line = Your review: { $stars } — { $status }
btn-add_to_calendar = 📅 Add to calendar
btn-rate_stay = ⭐ Rate this stay
btn-edit_review = ✏️ Change my review
btn-my_reviews = 📝 My reviews
calendar-sent = 📅 Booking #{ $id }: open the file to add it to your calendar. After an extension, open the new file: the event is updated.
calendar-summary = 🅿️ { $name }, spot { $spot }
calendar-description = Parking booking #{ $id }
calendar-alarm = Your parking at { $name }, spot { $spot }, starts in 30 minutes.
btn-share_guest = 👥 Share with a guest
guest-share =
    👥 <b>Share booking #{ $id } with a guest</b>
    This link lets one person lower and raise the blocker of spot { $spot } from { $opens } until the booking ends, and nothing else. They see the address, the spot and the times; not your name, number or payments. The first person to open it gets it.

    { $link }
guest-shared_count = { $count ->
        [one] 👥 Shared: 1 pass is valid.
       *[other] 👥 Shared: { $count } passes are valid.
    }
btn-share_sms = 📱 Send by SMS instead
guest-ask_phone = Type the guest's mobile number with the country code, like +380501234567. They get a text with the address and times and reply LOWER when they arrive.
guest-phone_invalid = That does not look like a phone number.
guest-sms_sent = ✅ Sent to { $phone }. They reply LOWER when they arrive.
btn-revoke_guest = 🚫 Revoke guest access
guest-revoked = 🚫 Guest access to booking #{ $id } is revoked: the links and texts sent open nothing any more.
guest-cannot_share = Only a paid booking that has not ended can be shared.
guest-invalid = This guest pass opens nothing: it was revoked, its booking is over, or it was opened by someone else. Ask the person who sent it for a new one.
guest-view =
    👥 <b>Guest parking</b> · { $name }
    📍 { $address }
    🅿️ Spot <b>{ $spot }</b>
    🕒 { $window }
btn-guest_lower = ⬇️ Lower the blocker
btn-guest_raise = ⬆️ Raise
guest-raised = ⬆️ The blocker is up.
guest-raise_failed = ⚠️ The blocker did not go up. Please try again in a moment.

## reviews

review-ask = How was it? Rate the car park with the stars below.
review-ask_stars = How was your stay at <b>{ $name }</b> ({ $window })?
review-current_stars = Your rating now: { $stars }
review-ask_text = { $stars } Thank you! Add a few words for other drivers (up to { $max } characters), or skip.
review-current_text = Your words now: “{ $text }”. Send new ones to replace them.
btn-skip_text = Skip
btn-keep_text = Keep the text
review-too_long = That is { $length ->
        [one] { $length } character
       *[other] { $length } characters
    }; a review takes up to { $max }. Please shorten it.
review-thanks_stars = Thank you: { $stars }
review-quote = “{ $text }”
review-saved =
    ✅ Thank you! Your review of <b>{ $name }</b>: { $stars }{ $words }
    { $status }
    Reviews appear on the car park's card once our team has checked them.
review-status-pending = ⏳ awaiting moderation
review-status-approved = ✅ published
review-status-rejected = ❌ not published (the car park declined it)
reviews-title = <b>Your reviews</b>
reviews-empty = You have not reviewed a stay yet. When a stay ends, its message asks how it was.
reviews-item =
    <b>{ $name }</b> · { $date }
    { $stars }{ $words }
    { $status }
btn-edit_review_item = ✏️ { $name } · { $date }
review-refused-not_completed = Only a stay that has ended can be reviewed.
review-refused-no_show = A booking nobody arrived for cannot be reviewed.
review-refused-closed = A review can be written or changed for { $days ->
        [one] { $days } day
       *[other] { $days } days
    } after the stay.
review-refused-rating = Choose from 1 to 5 stars.
review-refused-too_long = A review takes up to { $max } characters.

## wallet

wallet-title =
    👛 <b>Wallet</b>
    Balance: <b>{ $balance }</b>
btn-topup = ➕ { $amount }
btn-topup_custom = ➕ Other amount
btn-history = 🧾 History
btn-cards = 💳 Saved cards
topup-ask = How much do you want to add? From { $min } to { $max }, e.g. 15 or 12.50.
topup-invalid = Please type an amount from { $min } to { $max }.
topup-link = Top up { $amount }: open the secure payment page. The balance updates as soon as it is paid.
history-title = 🧾 Wallet history
history-empty = No wallet transactions yet.
history-item = { $date } · { $amount } · { $kind }
history-for_booking = { $kind } · booking #{ $id } · { $name }
btn-topup_receipts = 🧾 Top-up receipts
topup_receipts-title = 🧾 Your latest wallet top-ups: tap one for its receipt (PDF).
topup_receipts-empty = 🧾 No wallet top-ups yet, so no receipts.
btn-topup_receipt = 🧾 { $date } · { $amount }
txkind-deposit = top-up
txkind-payment = payment
txkind-refund = refund
txkind-adjustment = adjustment
cards-title = 💳 Saved cards
cards-empty = No saved cards. Add one to pay in one tap.
cards-item = { $brand } •••• { $last4 } (exp. { NUMBER($month, minimumIntegerDigits: 2) }/{ $year })
btn-add_card = ➕ Add a card
btn-remove_card = 🗑 { $brand } •••• { $last4 }
cards-add_link = Add a card on the secure Stripe page. Only Stripe sees the card number.
cards-removed = Card removed.

## notifications

notify-booking_confirmed =
    ✅ <b>Payment received, booking confirmed</b>
    { $name }, spot <b>{ $spot }</b>
    📍 { $address }
    🕒 { $window }
    💶 { $price }
notify-booking_cancelled = ✖️ Booking #{ $id } ({ $name }, { $window }) is cancelled. { $refund }
notify-booking_cancelled_spot_closed = ✖️ Spot { $spot } at { $name } is closed ({ $why }), so booking #{ $id } ({ $window }) is cancelled. { $refund }
notify-booking_completed = 🧾 Booking #{ $id } at { $name } has ended ({ $window }). Total paid: { $price }. Thank you!
notify-booking_completed_no_show = 🧾 Booking #{ $id } at { $name } ({ $window }) ended without arrival. Total paid: { $price }.
notify-booking_completed_by_staff = 🧾 Booking #{ $id } at { $name } ({ $window }) was ended by the car park's staff. Total paid: { $price }.
notify-ended_refund = { $amount } for { $minutes } unused min is back in your wallet.
notify-ended_no_refund = No whole 15 minutes were left unused, so nothing is refunded.
notify-ended_refunds_off = This car park does not refund unused time.
notify-booking_left = 🏁 You left at { $left }; { $amount } for { $minutes } unused minutes is back in your wallet. Booking #{ $id } at { $name }, spot { $spot }, has ended.
notify-booking_left_no_refund = 🏁 You left at { $left }, so booking #{ $id } at { $name }, spot { $spot }, has ended. No whole 15 minutes were left unused, so nothing is refunded.
notify-booking_left_refunds_off = 🏁 You left at { $left }, so booking #{ $id } at { $name }, spot { $spot }, has ended. This car park does not refund unused time.
notify-no_show_check = ⏰ Still coming? Booking #{ $id } at { $name }, spot <b>{ $spot }</b>, started at { $start } and nobody has arrived yet. Unless you keep it, the spot is released for other drivers at <b>{ $at }</b>.
btn-keep_booking = ✅ Yes, keep it
btn-release_spot = 🔓 Release the spot
no_show-kept = ✅ Kept: spot { $spot } at { $name } stays yours until { $until }.
no_show-released = 🔓 Released: spot { $spot } at { $name } is free for other drivers now. { $refund }
no_show-arrived = ✅ You have arrived already: the spot is yours.
no_show-gone = This booking is over already.
notify-no_show_released = 🔓 Nobody arrived at spot { $spot } ({ $name }) by { $at }, so the rest of booking #{ $id } was released for other drivers. { $refund }
no_show-not_refunded = The booking is not refunded.
bay_blocked-text =
    ⛔ Spot <b>{ $from_spot }</b> at { $name } is blocked: { $why }. Booking #{ $id }.
    { $choice }
bay_blocked-why-obstacle = something is in the way of the blocker
bay_blocked-why-car_present = another car is parked there
bay_blocked-why-blocker_down = its blocker is out of order
bay_blocked-move = Spot <b>{ $to_spot }</b> is free now: move there for the same time and price{ $credit ->
        [none] .
       *[other] , and { $credit } goes to your wallet for the trouble.
    } Or get a full refund of { $refund }.
bay_blocked-no_spot = No other spot here is free for your time. You can get a full refund of { $refund }.
bay_blocked-nearby = Free nearby for the rest of your time:
bay_blocked-nearby_line = • { $name }, { $distance }, { $free } free
bay_blocked-staff = Our team has been alerted.
bay_blocked-see_below = ⛔ This spot is blocked: choose below.
btn-bay_move = 🔀 Move me to spot { $spot } (free now)
btn-bay_refund = ↩️ Refund me
bay_blocked-moved = 🔀 Moved: booking #{ $id } is now on spot <b>{ $spot }</b> at { $name } ({ $window }), same price.{ $credit ->
        [none] {""}
       *[other] {" "}{ $credit } is in your wallet for the trouble.
    } Lower that spot's blocker when you are there.
bay_blocked-refunded = ↩️ Booking #{ $id } at { $name } is cancelled because the spot was blocked. { $refund }
bay_blocked-taken = The free spot was taken meanwhile and no other is free now. The refund is still yours to choose.
bay_blocked-moved_already = Your booking was moved already: spot { $spot }.
bay_blocked-gone = Nothing left to choose: this booking was moved, refunded, entered or has ended.
notify-booking_extended = ⏱ Extended: { $name }, spot { $spot }, now until <b>{ $until }</b>. Paid: { $added }.
notify-booking_extended_free = ⏱ Extended: { $name }, spot { $spot }, now until <b>{ $until }</b>. No charge: the daily cap is reached.
btn-update_calendar = 📅 Update my calendar
notify-booking_extended_goodwill = ⏱ Extended: { $name }, spot { $spot }, now until <b>{ $until }</b>. No charge: a courtesy of the car park.
notify-booking_moved = 🔀 Spot { $from_spot } at { $name } is closed ({ $reason }). Your booking #{ $id } ({ $window }) is moved to spot <b>{ $spot }</b>; nothing else changes.
notify-booking_moved_by_staff = 🔀 The car park's staff moved your booking #{ $id } at { $name } ({ $window }) from spot { $from_spot } to spot <b>{ $spot }</b>; nothing else changes. The blocker to lower is the new spot's.
notify-hold_expiring = ⏳ { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    } left to pay for spot <b>{ $spot }</b> at { $name } ({ $price }). At { $until } the hold ends and the spot is released.
btn-pay_now = 💳 Pay now
notify-hold_expired = ⌛ Your unpaid booking #{ $id } (spot { $spot } at { $name }) was released because the payment did not arrive in time.
notify-guest_pass =
    👥 <b>Guest parking for you</b> · { $name }
    📍 { $address }
    🅿️ Spot <b>{ $spot }</b>
    🕒 { $window }
    Reply LOWER by SMS when you arrive.
notify-guest_pass_revoked = 🚫 Your guest pass for spot <b>{ $spot }</b> at { $name } ({ $window }) was cancelled by the driver who shared it. The blocker will no longer lower for you.
notify-guest_pass_revoked_parked = 🚫 Your guest pass for spot <b>{ $spot }</b> at { $name } ({ $window }) was cancelled by the driver who shared it. The booking stays theirs until { $until }: if your car is on the spot, agree with them when to move it. The blocker will no longer go down or up for you.
notify-waitlist_offer =
    🔔 <b>A spot is free at { $name }</b>
    📍 { $address }
    🕒 { $window }
    Hold it by { $until }; after that it goes to the next driver in line.
btn-waitlist_hold = 🅿️ Hold it
notify-waitlist_offer_lapsed = ⌛ The spot at { $name } for { $window } went to the next driver in line: you did not hold it within { $minutes } min.
waitlist-again = Still looking for that time? Join the waitlist again:
notify-waitlist_wish_ended = 🔕 Your wish for a spot at { $name } ({ $window }) has ended: no spot freed up in time.
notify-payment_refunded = ↩️ { $amount } is being refunded for booking #{ $id }: { $reason }
refund_reason-spot_taken = the spot was taken before your payment arrived.
refund_reason-duplicate = this booking was already paid.
refund_reason-other = the booking could not be honoured.
refund_reason-operator = a refund from the car park.
notify-wallet_topped_up = 👛 { $amount } added to your wallet. Balance: { $balance }.
notify-card_saved = 💳 { $brand } •••• { $last4 } is saved for one-tap payments.
notify-admin_payment_mismatch = ⚠️ Payment #{ $payment_id }: amount mismatch: { $reason }
notify-admin_refund_failed = ⚠️ Refund of payment #{ $payment_id } ({ $amount }) failed: { $error }
notify-booking_reminder = ⏰ Your parking at { $name }, spot { $spot }, ends at <b>{ $until }</b>.
reminder-extend = Need more time? Extend with one tap:
reminder-must_leave = The spot is booked by someone else from <b>{ $at }</b>, so please leave by then.
btn-extend = ➕ { $duration } · { $price }
btn-extend_free = ➕ { $duration } · no charge
extend-done = ✅ { $name }, spot { $spot }: extended to <b>{ $until }</b> · { $price } paid from your wallet.
extend-done_free = ✅ { $name }, spot { $spot }: extended to <b>{ $until }</b> at no charge: the daily cap is reached.
extend-stale = This reminder is out of date: your booking now ends at { $until }.
extend-taken = Sorry, someone has just booked the spot for that time.
extend-not_possible = This booking can no longer be extended.
extend-none_next = The spot is booked by someone else from { $at }, so this booking cannot be extended.
extend-pay = Extending { $name }, spot { $spot }, until <b>{ $until }</b> costs <b>{ $price }</b>. Your wallet has { $balance }, not enough. How do you want to pay?
btn-pay_extension_wallet = 👛 Pay from my wallet
extend-topup_link = Top up { $amount }: open the secure payment page, then come back and tap “👛 Pay from my wallet”.
extend-wallet_short = Your wallet has { $balance }; the extension costs { $price }. Top up first, or pay by card.
extend-paid_card = ✅ Paid by card. The extension is confirmed in the next message.
extend-paid_wallet = ✅ { $price } paid from your wallet. The extension is confirmed in the next message.
date-weekdays = Mon Tue Wed Thu Fri Sat Sun
date-months = Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec
# The calendar's month names standing alone (its header, pager and months view).
calendar-months = January February March April May June July August September October November December
find-here = you
cancel-done_wallet = { $amount } is back in your wallet.
pay-wallet_short_no_cards = Your wallet has { $balance }; this booking costs { $price }. Card payments are not available here, so please ask the operator to top up your wallet.
btn-lower = 🚗 I've arrived — lower the blocker
btn-retry_lower = 🔄 Try again
btn-extend_parking = ➕ Extend
lower-progress = ⏳ Lowering the blocker…
lower-in_progress = ⏳ The blocker is already being lowered. One moment…
lower-already_down = ✅ The blocker is already down: the spot is yours.
lower-late_ok = ✅ Update: the blocker went down after all. Park now! Spot { $spot }, your booking runs until { $until }.
lower-late_failed = Update on the blocker: { $outcome }
lower-ok = ✅ The blocker is down. Park now! Spot { $spot }, your booking runs until { $until }.
lower-obstacle = ⚠️ Something is in the way of the blocker. Please clear it and try again.
lower-jammed = ⚠️ The blocker is stuck. Our team has been alerted; please try again in a few minutes.
lower-offline = ⚠️ The blocker cannot be reached right now. Our team has been alerted.
lower-timeout = ⚠️ The blocker did not answer in time. Please try again; our team has been alerted.
lower-not_connected = ⚠️ We cannot reach the blockers right now. Please try again in a minute; our team has been alerted.
lower-low_battery = ⚠️ The blocker's battery is too low to move. Our team has been alerted.
lower-busy = The blocker is still finishing a previous move. Please try again in a moment.
lower-expired = The command took too long to reach the blocker. Please try again.
lower-too_early = It is a bit early: you can lower the blocker from { $time }.
lower-ended = This booking has ended.
lower-wrong_state = This booking cannot open the blocker now.
lower-no_blocker = This spot has no blocker: just park.
lower-blocker_down = ⚠️ The blocker is out of service right now. Our team has been alerted.
lower-car_present = ⚠️ A car is on the spot, so the blocker stays down. Drive off first.
notify-admin_blocker_unhealthy = ⚠️ Blocker { $blocker_id } is out of service ({ $reason }). Its spot is off sale until it recovers.
notify-admin_blocker_recovered = ✅ Blocker { $blocker_id } is back in service.
notify-admin_blockers_unhealthy =
    { $count ->
        [one] ⚠️ Blocker out of service: { $count }. Its spot is off sale until it recovers:
       *[other] ⚠️ Blockers out of service: { $count }. Their spots are off sale until they recover:
    }
    { $items }
notify-admin_blockers_recovered =
    { $count ->
        [one] ✅ Blocker back in service: { $count }.
       *[other] ✅ Blockers back in service: { $count }.
    }
    { $items }
notify-admin_blockers_more = … and { $count } more
notify-admin_blocker_failed = ⚠️ Blocker { $blocker_id } did not lower for booking #{ $reservation_id }: { $status }.
notify-admin_blocker_ack_conflict = ⚠️ Blocker { $blocker_id } answered one “{ $action }” command twice, differently ({ $first }, then { $second }). The failure is believed. One answer may be forged: check the broker's credentials and ACL.
notify-lower_failed_after_all =
    ⚠️ Booking #{ $id } at { $name }: the blocker reported a failure after all, so it may not be down. Your booking is still valid.
    { $reason }
notify-admin_overstay = ⚠️ Overstay: a car is still on the spot of blocker { $blocker_id } after booking #{ $reservation_id } ended.
notify-admin_incident =
    🚨 <b>Blocker { $blocker } at { $name }, spot { $spot }</b>: { $kind } since { $since }.
    { $count ->
        [0] No bookings in the next { $hours } h.
        [one] Booking affected in the next { $hours } h:
       *[other] { $count } bookings affected in the next { $hours } h:
    }{ $lines }{ $ack }
notify-admin_incident_line = • #{ $id } { $driver }, { $window }
notify-admin_incident_ack = ✔️ Acknowledged by { $who } at { $at }.
notify-admin_incident_ended = ✅ Blocker { $blocker } at { $name }, spot { $spot }, is working again ({ $kind } for { $duration }).
incident_alert-kind-offline = offline
incident_alert-kind-fault = fault or jam
incident_alert-kind-low_battery = low battery
incident_alert-kind-lower_failed = a lowering failed
incident_alert-bay_blocked-obstacle = a lowering failed: something was in the way (the driver was offered a move or a refund)
incident_alert-bay_blocked-car_present = a car on the bay before the booked driver arrived (the driver was offered a move or a refund)
btn-incident_move = 🔀 Move these drivers
btn-incident_refund = 💸 Refund them
btn-incident_test = 🔧 Test blocker
btn-incident_ack = ✔️ Acknowledge
incident_alert-moved = { $moved ->
        [0] Nobody moved.
        [one] 1 booking moved: { $list }.
       *[other] { $moved } bookings moved: { $list }.
    }{ $stuck ->
        [0] {""}
       *[other] {" "}Not moved (no free spot, or the car is parked already): { $stuck_list }.
    }
incident_alert-refunded = { $refunded ->
        [0] Nothing refunded.
        [one] 1 booking cancelled, { $amount } refunded.
       *[other] { $refunded } bookings cancelled, { $amount } refunded.
    }{ $stuck ->
        [0] {""}
       *[other] {" "}Started already, not cancelled: { $stuck_list }.
    }
incident_alert-acknowledged = ✔️ Acknowledged. The others see it on the alert.
incident_alert-acknowledged_already = Already acknowledged by { $who } at { $at }.
notify-booking_moved_blocker = 🔀 The blocker of spot { $from_spot } at { $name } is out of order. Your booking #{ $id } ({ $window }) is moved to spot <b>{ $spot }</b>; nothing else changes.
notify-review_published = ⭐ Your review of { $name } is published. Thank you!
notify-generic = You have an update about your parking.

## Operator console (/admin, DESIGN.md §11)
cmd-admin = Operator console
admin-title =
    🛠 <b>Operator console</b>
    Choose a car park:
admin-no_premises =
    🛠 <b>Operator console</b>
    There are no car parks yet.
admin-premise_item = { $name } · { $role }
admin-role-owner = owner
admin-role-manager = manager
admin-role-attendant = attendant
admin-btn_audit_all = 📜 Audit log: all car parks
admin-btn_help = ℹ️ What I can do
admin-help =
    <b>Operator console</b>
    • Car parks: yours, with your role. Each shows its code, for booking by SMS.
    • 📊 Now (all staff): spots by state, the next arrivals and departures, overstays; tap a booking to open it.
    • 📋 Bookings (all staff): find one by number or phone; its history; end, extend for free, move, cancel; refund (owners and managers).
    • 🔌 Blockers (all staff): health, worst first; register, unbind, replace, test.
    • 💶 Revenue (owners and managers): a period's figures, a chart and a CSV.
    • ⭐ Reviews (owners and managers): publish or reject drivers' reviews.
    • 🏢 Details, 🅿️ Spots, 💶 Prices, 🧾 Operator &amp; VAT (owners and managers): the car park, its spots, its rates, its receipts.
    • 👥 Staff (owners and managers): invite a manager or an attendant with a one-time link (valid { $hours } h); revoke access.
    • 📜 Audit log (owners and managers): every action, refused ones too; CSV export.
    • ➕ New car park (owners).
    Every action is checked against your role and recorded.
admin-premise =
    🅿️ <b>{ $name }</b> · code <code>{ $code }</code>
    Your role: { $role }
admin-section-staff = 👥 Staff
admin-section-prices = 💶 Prices
admin-section-audit = 📜 Audit log
admin-prices =
    💶 <b>Prices at { $name }</b> · version { $version }
    { $plan }

    <b>Sample stays</b>{ $samples }
admin-prices_draft =
    ✏️ <b>New prices for { $name }</b> · draft of version { $version }
    { $plan }

    <b>Sample stays</b>{ $samples }
    Drivers see nothing of this until you save it.
admin-prices_plan =
    Base: { $base }/h
    First hour: { $first }
    Daily cap: { $cap }
    { $count ->
        [0] No night or weekend rates.
        [one] { $count } special rate:
       *[other] { $count } special rates:
    }{ $periods }
admin-prices_none = none
admin-prices_cap = { $cap } per 24 h of a booking
admin-prices_period_line = • { $when }: { $rate }/h
admin-prices_sample_line = • { $what }, { $window }: <b>{ $price }</b> ({ $rate })
admin-prices_sample-hour = 1 h from now
admin-prices_sample-three_hours = 3 h from now
admin-prices_sample-night = a night
admin-prices_sample-day = 24 h from now
admin-prices_btn_edit = ✏️ Change prices
admin-prices_btn-base = 💶 Per hour
admin-prices_btn-first = 1️⃣ First hour
admin-prices_btn-cap = 📅 Daily cap
admin-prices_btn-night = 🌙 Add a night rate
admin-prices_btn-weekend = 🗓 Add a weekend rate
admin-prices_btn_remove = ✖️ Remove { $when }
admin-prices_btn_save = 💾 Save as version { $version }
admin-prices_btn_discard = 🗑 Discard
admin-prices_btn_clear-first = ✖️ No first-hour price
admin-prices_btn_clear-cap = ✖️ No daily cap
admin-prices_ask-base = Type the base price per hour in { $currency }, for example 2.50.
admin-prices_ask-first = Type the price of a stay's first hour in { $currency }, for example 3.00, or tap "No first-hour price".
admin-prices_ask-cap = Type the most a driver pays for each 24 hours of a booking, in { $currency }, for example 20.00, or tap "No daily cap".
admin-prices_ask-night = Type the hours and the price per hour in { $currency }, for example 22:00-07:00 1.00. The rate applies every day.
admin-prices_ask-weekend = Type the price per hour on Saturdays and Sundays (all day) in { $currency }, for example 1.50.
admin-prices_bad_amount = ⚠️ That is not an amount in { $currency }. Type it like 2.50.
admin-prices_bad_night = ⚠️ That is not a time range with a price. Type it like 22:00-07:00 1.00.
admin-prices_saved = Saved: version { $version } is in force from now on.
admin-section-spots = 🅿️ Spots
admin-spots =
    🅿️ <b>Spots of { $name }</b>
    { $count ->
        [0] No spots yet.
        [one] { $count } spot
       *[other] { $count } spots
    }{ $closed ->
        [0] {""}
        [one] , { $closed } closed:
       *[other] , { $closed } closed:
    }{ $lines }
admin-spot_line = • { $label }: { $status }
admin-spot_open = ✅ open
admin-spot_closed = ⛔ closed ({ $reason }){ $until ->
        [none] {""}
       *[other] {" "}until { $until }
    }
admin-btn_add_spots = ➕ Add spots
admin-spots_add = ➕ Type the spots to add: one label like <code>B7</code>, or a range like <code>A1-A20</code> (several separated by commas; at most { $most } at once).
admin-spots_added = { $count ->
        [one] ✅ { $count } spot added.
       *[other] ✅ { $count } spots added.
    }
admin-spots_refused = ⚠️ { $why }
admin-spot =
    🅿️ Spot <b>{ $label }</b> at { $name }
    { $status }
admin-btn_spot_rename = ✏️ Rename
admin-btn_spot_close = ⛔ Close
admin-btn_spot_reopen = ✅ Reopen
admin-btn_spot_bookings = 📋 { $count ->
        [one] { $count } booking to move or cancel
       *[other] { $count } bookings to move or cancel
    }
admin-spot_rename = ✏️ Type the spot's new label:
admin-spot_close_reason = ⛔ Why is the spot closed? Drivers whose bookings you move are told this.
admin-spot_close_until = 🕒 Until when? Type the time it opens again, like <code>{ $example }</code> (the car park's time), or keep it closed until you reopen it.
admin-btn_spot_no_until = ♾ Until I reopen it
admin-spot_bad_time = ⚠️ Type the time like { $example }.
admin-spot_closed_now = { $count ->
        [0] ⛔ Spot { $label } is closed. No bookings are affected.
        [one] ⛔ Spot { $label } is closed. { $count } booking is on it: move it or cancel it.
       *[other] ⛔ Spot { $label } is closed. { $count } bookings are on it: move or cancel each.
    }
admin-spot_reopened = Spot { $label } is open again.
admin-spot_bookings =
    📋 <b>Bookings on closed spot { $label }</b>
    { $count ->
        [0] None left: every booking is moved or cancelled.
        [one] { $count } booking:
       *[other] { $count } bookings:
    }{ $lines }
admin-spot_booking_line = • #{ $id } { $driver }, { $window } ({ $status })
admin-btn_move = 🔀 Move #{ $id }
admin-btn_cancel_refund = ✖️ Cancel & refund #{ $id }
admin-booking_moved = Booking #{ $id } is moved to spot { $spot }. The driver is told.
admin-booking_cancelled = Booking #{ $id } is cancelled, { $refund } refunded. The driver is told.
admin-invalid_spot_labels = Type labels like B7, or a range like A1-A20 (letters, then numbers; at most 32 characters a label).
admin-too_many_spots = At most { $most } spots at once.
admin-spot_label_taken = This car park has these spots already: { $labels }.
admin-invalid_closing = A closing needs a reason, and a reopen time still to come.
admin-no_spot_to_move_to = No other spot of this car park is free for that time. Cancel the booking instead.
admin-refused = ⛔ You do not have access to this.
admin-not_permitted = You do not have access to this.
admin-staff =
    👥 <b>Staff of { $name }</b>
    { $count ->
        [0] Nobody yet.
        [one] { $count } person:
       *[other] { $count } people:
    }{ $list }
admin-staff_line = • { $name }: { $role }
admin-btn_invite-manager = ➕ Invite a manager
admin-btn_invite-attendant = ➕ Invite an attendant
admin-btn_revoke = ✖️ { $name }
admin-invite =
    🔗 Send this link to your new { $role } at <b>{ $name }</b>. It works once, until { $until }:
    { $link }
admin-revoke_confirm = Revoke access to <b>{ $premise }</b> for { $name } ({ $role })?
admin-btn_revoke_yes = ✅ Yes, revoke
admin-btn_revoke_no = ⬅️ No, keep
admin-revoked = { $name } no longer has access.
admin-audit =
    📜 <b>Audit log: { $scope }</b>
    { $count ->
        [0] No entries yet.
        [one] { $count } entry, newest first.
       *[other] { $count } entries, newest first.
    }{ $lines }
    Page { $page } of { $pages }
admin-audit_line =
    { $when } { $mark } { $who }: { $action }{ $premise }
       { $changes }
admin-audit_everywhere = all car parks
admin-audit_cli = command line
admin-audit_action = { $action ->
        [staff_invite] Invite staff
        [staff_accept] Accept an invite
        [staff_revoke] Revoke access
        [staff_list] View the staff
        [owner_add] Add an owner
        [owner_remove] Remove an owner
        [console_open] Open a car park
        [audit_view] View the audit log
        [audit_export] Export the audit log
        [premises_create] Create a car park
        [premises_edit] Edit details
        [premises_deactivate] Deactivate the car park
        [premises_reactivate] Reactivate the car park
        [premises_view] View details
        [operator_edit] Edit operator &amp; VAT
        [operator_view] View operator &amp; VAT
        [spot_add] Add spots
        [spot_rename] Rename a spot
        [spot_close] Close a spot
        [spot_reopen] Reopen a spot
        [spot_list] View spots
        [spot_move_booking] Move a booking off a closed spot
        [spot_cancel_booking] Cancel a booking on a closed spot
        [blocker_register] Register a blocker
        [blocker_unbind] Unbind a blocker
        [blocker_replace] Replace a blocker
        [blocker_test] Test a blocker
        [blocker_list] View blockers
        [blocker_view] View a blocker
        [blocker_unassigned] View unassigned blockers
        [prices_set] Save new prices
        [prices_view] View prices
        [prices_preview] Preview prices
        [reservation_refund] Refund a booking
        [reservation_end] End a booking
        [reservation_extend_free] Extend a booking for free
        [reservation_move] Move a booking
        [reservation_cancel] Cancel a booking
        [reservation_view] View a booking
        [reservation_history] View a booking's history
        [reservation_list] List bookings
        [revenue_view] View revenue
        [revenue_export] Export revenue
        [moderation_approve] Publish a review
        [moderation_reject] Reject a review
        [moderation_queue] View reviews
        [incident_move] Move drivers off a broken blocker
        [incident_refund] Refund drivers of a broken blocker
        [incident_test] Test a broken blocker
        [incident_acknowledge] Acknowledge a blocker alert
        [occupancy_view] View Now
       *[other] { $raw }
    }
admin-btn_export = 📄 Export CSV
admin-export_caption = 📄 Audit log (CSV)
admin-invite_invalid-unknown = This invite link is not valid. Ask whoever invited you for a new link.
admin-invite_invalid-used = This invite link has been used already. Ask whoever invited you for a new link.
admin-invite_invalid-expired =
    This invite link has expired (links work for { $hours ->
        [one] { $hours } hour
       *[other] { $hours } hours
    }). Ask whoever invited you for a new link.
admin-welcome =
    ✅ Welcome! Your role at <b>{ $name }</b> is now { $role }.
    /admin opens the operator console.
admin-blocker_invalid_id = That is not a device id: up to 64 characters, without spaces around it, “/”, “+” or “#”.
admin-blocker_bound = That device is already on a spot. Unbind it there first.
admin-spot_has_blocker = That spot already has a blocker. Replace or unbind it first.
admin-blockers_unavailable = Blockers are not connected (MQTT is off), so no command can be sent.
admin-section-blockers = 🔌 Blockers
admin-blockers =
    🔌 <b>Blockers of { $name }</b>
    { $count ->
        [0] No blockers yet: register one.
        [one] 1 blocker, worst first:
       *[other] { $count } blockers, worst first:
    }{ $lines }
admin-blocker_line = • { $label } · <code>{ $device }</code>: { $health }
admin-blocker_ok = ✅ ok
admin-blocker_offline = offline
admin-blocker_fault = fault
admin-blocker_low_battery = battery { $battery }%
admin-btn_blocker_register = ➕ Register
admin-btn_blockers_unassigned = 📡 Unassigned ({ $count })
admin-blocker =
    🔌 Blocker <code>{ $device }</code> on spot <b>{ $label }</b>
    State: { $state }
    Battery: { $battery }
    Last seen: { $seen }
    { $health }
admin-blocker_state = { $state ->
        [raised] ⬆️ raised
        [lowered] ⬇️ lowered
        [moving] ↕️ moving
        [fault] 🛑 fault
       *[other] ❔ not reported yet
    }
admin-blocker_never = never
admin-btn_blocker_lower = ⬇️ Test: lower
admin-btn_blocker_raise = ⬆️ Test: raise
admin-btn_blocker_replace = 🔁 Replace
admin-btn_blocker_unbind = 🔓 Unbind
admin-blocker_sent = ⏳ Sent…
admin-blocker_test = 🧪 Test “{ $action ->
        [lower] lower
       *[other] raise
    }”: { $outcome }
admin-blocker_outcome = { $status ->
        [ok] ✅ acknowledged, now { $state }
        [obstacle] ⚠️ refused: something is in the way
        [jammed] 🛑 refused: jammed
        [expired] ⚠️ refused: the command came too late
        [low_battery] 🔋 refused: battery too low
        [busy] ⏳ refused: busy with another command
        [offline] 📴 the device is offline; nothing was sent
        [timeout] ⌛ no answer in time (it may or may not have moved)
       *[other] 🔌 no connection to the broker; nothing was sent
    }
admin-blocker_unbind_confirm = 🔓 Unbind <code>{ $device }</code> from spot <b>{ $label }</b>? The spot has no blocker until another is registered.
admin-btn_blocker_unbind_yes = 🔓 Yes, unbind
admin-blocker_unbound = Blocker { $device } is unbound from spot { $label }.
admin-blocker_replace = 🔁 Type the id of the device that replaces <code>{ $device }</code> on spot <b>{ $label }</b>:
admin-blocker_replaced = ✅ Spot { $label } now has blocker <code>{ $device }</code>.
admin-blocker_register = ➕ Type the device id of the blocker to register:
admin-blocker_pick_spot = { $count ->
        [0] 🅿️ Every spot has a blocker already: there is no spot for <code>{ $device }</code>.
       *[other] 🅿️ Which spot gets blocker <code>{ $device }</code>?
    }
admin-blocker_registered = Blocker { $device } is on spot { $label }.
admin-blockers_unassigned =
    📡 <b>Unassigned blockers</b>
    { $count ->
        [0] None: every known device is on a spot.
        [one] 1 device is on no spot: tap it, then pick its spot.
       *[other] { $count } devices are on no spot: tap one, then pick its spot.
    }
admin-blockers_refused = ⚠️ { $why }
admin-section-details = 🏢 Details
admin-premise_details =
    🏢 <b>{ $name }</b> · code <code>{ $code }</code>
    📍 { $address } ({ $lat }, { $lon })
    🕒 { $timezone } · 💶 { $price }/h
    🗓 { $hours }
    ✨ { $features }
    📝 { $description }
    { $photos ->
        [one] 🖼 { $photos } photo
       *[other] 🖼 { $photos } photos
    } · { $spots ->
        [one] { $spots } spot
       *[other] { $spots } spots
    }
    🅿️ Blocked-bay credit: { $bay_credit }
    { $active ->
        [yes] ✅ Offered to drivers
       *[no] ⛔ Deactivated: not offered to drivers
    }
admin-premise_field-name = ✏️ Name
admin-premise_field-address = ✏️ Address
admin-premise_field-timezone = ✏️ Time zone
admin-premise_field-currency = ✏️ Currency
admin-premise_field-opening_hours = ✏️ Opening hours
admin-premise_field-description = ✏️ Description
admin-premise_field-location = ✏️ Location
admin-premise_field-features = ✏️ Features
admin-premise_field-photos = ✏️ Photos
admin-premise_field-blocked_bay_credit = ✏️ Blocked-bay credit
admin-bay_credit_plan_hour = one hour of the price plan
admin-bay_credit_none = none
admin-premise_location =
    📍 Now at <code>{ $lat }, { $lon }</code> ({ $timezone }).
    Send the new location (📎 → Location) or type its coordinates, like <code>50.45, 30.52</code>:
admin-premise_timezone_offer =
    📍 Moved to <code>{ $lat }, { $lon }</code>.
    The time zone there looks like <b>{ $guessed }</b>, and the car park is on <b>{ $timezone }</b>. Change it too?
admin-btn_change_timezone = 🕒 Change to { $value }
admin-premise_features = ✨ Features of <b>{ $name }</b>: tap one to switch it on or off (saved at once).
admin-premise_photos = { $photos ->
        [0] 🖼 <b>{ $name }</b> has no photos. Send some (at most { $most }).
       *[other] 🖼 Photo { $photo } of { $photos } of <b>{ $name }</b>. Send photos to add more (at most { $most }).
    }
admin-btn_remove_photo = 🗑 Remove this photo
admin-btn_clear_photos = 🧹 Remove all { $count }
admin-photo_removed = The photo is removed.
admin-photos_cleared = Every photo is removed.
admin-premise_invalid-photos = ⚠️ At most 10 photos.
admin-premise_edit =
    { $field }: now <code>{ $current }</code>
    Type the new value:
admin-premise_invalid-name = ⚠️ Type a name (at most 200 characters).
admin-premise_invalid-address = ⚠️ Type an address (at most 300 characters).
admin-premise_invalid-timezone = ⚠️ Type a time zone like Europe/Kyiv.
admin-premise_invalid-currency = ⚠️ Type a three-letter currency code like EUR.
admin-premise_invalid-opening_hours = ⚠️ Type 24/7, or hours like Mo-Fr 07:00-21:00; Sa 08:00-14:00.
admin-premise_invalid-description = ⚠️ At most 2000 characters.
admin-premise_invalid-blocked_bay_credit = ⚠️ Type an amount like 5.00, 0 for none, or hour.
admin-premise_edit_bay_credit =
    🅿️ <b>Blocked-bay credit</b>: what a driver gets in the wallet when a car on their booked bay makes us move them. Now: <b>{ $current }</b>.
    Type an amount in { $currency } like <code>5.00</code>, <code>0</code> for none, or <code>hour</code> for one hour of the booking's price plan:
admin-invalid_premise = This value cannot be used for the car park.
admin-btn_premise_deactivate = ⛔ Deactivate
admin-btn_premise_reactivate = ✅ Reactivate
admin-btn_premise_bookings = 📋 Future bookings ({ $count })
admin-premise_deactivated = The car park is no longer offered to drivers.
admin-premise_reactivated = The car park is offered to drivers again.
admin-premise_bookings =
    📋 <b>Future bookings at { $name }</b> (deactivated)
    { $count ->
        [0] None left.
        [one] { $count } booking. It stays unless you cancel it:
       *[other] { $count } bookings. They stay unless you cancel them:
    }{ $lines }
admin-btn_new_premise = ➕ New car park
admin-new_location = 📍 <b>New car park</b>: where is it? Send its location (📎 → Location) or type its coordinates, like <code>50.45, 30.52</code>.
admin-new_name = 🏢 Its name, as drivers see it:
admin-new_address = { $lookup ->
        [found] 📍 Its address: use the one found at the location, or type it:
        [none] 📍 Its address (none found at the location), type it:
       *[other] 📍 Its address:
    }
admin-btn_use_address = 📍 Use: { $address }
admin-new_timezone = 🕒 Its time zone, guessed from the location: <b>{ $timezone }</b>. Keep it or type another, like { $example }.
admin-new_currency = 💶 Its currency: <b>{ $currency }</b>. Keep it or type another three-letter code, like { $example }.
admin-new_price = 💶 The price per hour in { $currency }, like <code>2.50</code> (Prices sets night, weekend and daily rates later):
admin-new_hours = 🗓 Opening hours: 24/7, or type them like <code>Mo-Fr 07:00-21:00; Sa 08:00-14:00</code>.
admin-new_features = ✨ Its features (tap to choose), then Next:
admin-new_description = 📝 A description drivers read (how to enter, height limit…), or skip:
admin-new_photos = { $photos ->
        [0] 🖼 Send photos of the car park, or go on without.
        [one] 🖼 { $photos } photo. Send more, or go on.
       *[other] 🖼 { $photos } photos. Send more, or go on.
    }
admin-new_summary =
    🏢 <b>{ $name }</b>
    📍 { $address } ({ $lat }, { $lon })
    🕒 { $timezone } · 💶 { $price }/h
    🗓 { $hours }
    ✨ { $features }
    📝 { $description }
    { $photos ->
        [one] 🖼 { $photos } photo
       *[other] 🖼 { $photos } photos
    }
    Create it? Add its spots in Spots afterwards.
admin-btn_keep = ✅ Keep { $value }
admin-btn_always_open = 🕛 24/7
admin-btn_next = ➡️ Next
admin-btn_skip = ⏭ Skip
admin-btn_create_premise = ✅ Create
admin-premise_created = { $name } is created, code { $code }. Find it in /admin to add its spots.
admin-premise_invalid-coordinates = ⚠️ Send a location, or type coordinates like 50.45, 30.52.
admin-premise_invalid-price_per_hour = ⚠️ Type a price above zero, like 2.50.
admin-btn_bookings = 📋 Bookings
admin-bookings_find =
    📋 <b>Bookings</b>
    Type a booking number (like 1234) or the driver's phone with its country code (like +380501234567), or choose a car park for today's and the coming days' bookings.
admin-bookings_premise = 🅿️ { $name }
admin-bookings_bad_query = ⚠️ Type a booking number like 1234, or a phone with its country code like +380501234567.
admin-bookings_none = Nothing found for “{ $query }”.
admin-bookings_refused = ⚠️ { $why }
admin-bookings_found =
    📋 <b>Bookings found for “{ $query }”</b>: { $count }
    The most recent first.
admin-bookings_list =
    📋 <b>Bookings at { $name }</b>: { $count }
    Today and the next { $days } days, times in { $tz }. Type a number or a phone to find another.
admin-booking =
    📋 <b>Booking #{ $id }</b> · { $status }
    🅿️ { $name }, spot { $spot }
    🕒 { $window } ({ $tz })
    👤 { $driver } { $phone }
    { $money }
admin-booking_unpaid = 💶 { $price }, not paid
admin-booking_money = 💶 { $price } · paid { $paid } · refunded { $refunded }
admin-btn_booking_history = 📜 History
admin-btn_booking-refund = ↩️ Refund
admin-btn_booking-end = 🏁 End now
admin-btn_booking-extend = ➕ Extend for free
admin-btn_booking-move = 🔀 Move
admin-btn_booking-cancel = ✖️ Cancel booking
admin-booking_history =
    📜 <b>History of booking #{ $id }</b> ({ $tz }), { $first }–{ $last } of { $count }:
    { $lines }
admin-history-created = 📝 held, { $price }
admin-history-payment = 💶 payment #{ $id }: { $method }, { $amount }, { $status }
admin-history-payment_refunded = ↩️ payment #{ $id } refunded in full: { $amount } { $method }
admin-history-extension = ➕ extension to { $until }, { $price }: { $status }
admin-history-extension_failed = ➕ extension not applied ({ $price })
admin-history-refund = ↩️ refund #{ $id }: { $amount } { $method }, { $status }
admin-history-refund_succeeded = ↩️ refund #{ $id } confirmed by the card provider
admin-history-refund_failed = ⚠️ refund #{ $id } refused by the card provider: refundable again
admin-history-lowered = 🚗 blocker lowered: the driver arrived
admin-history-arrived = 🚗 the driver arrived (spot without a blocker)
admin-history-closed = 🏁 { $status }{ $no_show ->
        [yes] : nobody arrived
       *[other] {""}
    }
admin-history-admin_blocker_failed = ⚠️ blocker { $blocker } did not lower: { $status }
admin-history-admin_overstay = ⚠️ overstay: a car still on the spot (blocker { $blocker })
admin-history-notification = ✉️ { $kind } · { $channel ->
        [sms] SMS
        [telegram] Telegram
       *[other] { $channel }
    }: { $status }
admin-history-audit = { $mark } { $who }: { $action }{ $detail }
# A kind of event this version has no line for (a newer version recorded it).
admin-history-other = 📌 event “{ $kind }”
# The words inside history lines: how a payment was made and how it stands, where a refund
# goes and how it stands, an extension, a blocker's failure, why a console action was refused.
admin-payment_method = { $method ->
        [wallet] wallet
        [card] saved card
        [page] card on the payment page
       *[other] { $method }
    }
admin-payment_status = { $status ->
        [pending] awaiting payment
        [succeeded] paid
        [partly_refunded] paid, { $refunded } refunded since
        [failed] failed
        [cancelled] cancelled (not paid)
        [refund_pending] refund to the card under way
        [refunded] refunded
        [refund_failed] refund to the card failed
        [needs_review] needs review: the provider charged another amount
       *[other] { $status }
    }
admin-refund_to = { $method ->
        [wallet] to the wallet
        [card] to the card
        [page] to the card
       *[other] ({ $method })
    }
admin-refund_status = { $status ->
        [pending] waiting for the card provider
        [succeeded] done
        [failed] refused by the card provider
       *[other] { $status }
    }
admin-extension_status = { $status ->
        [pending_payment] awaiting payment
        [applied] applied
        [failed] not applied
       *[other] { $status }
    }
admin-lower_failure = { $status ->
        [obstacle] something is in the way
        [jammed] jammed
        [expired] the command came too late
        [low_battery] battery too low
        [busy] busy with another command
        [offline] the device is offline
        [timeout] no answer in time
        [not_connected] no connection to the broker
       *[other] { $status }
    }
admin-audit_refusal = { $code ->
        [not_found] not found, or no access
        [not_permitted] no permission
        [invalid_transition] not possible in the booking's state
        [refund_too_large] more than is left to refund
        [invalid_refund] not a valid amount
        [no_spot_to_move_to] that spot is not free
        [spot_taken] the spot is taken
        [payment_unavailable] the card provider could not be reached
        [too_late_to_cancel] too late to cancel
       *[other] refused: { $raw }
    }
# A notification in a booking's history: what it said, and how far its sending got.
admin-notification_kind = { $kind ->
        [booking_confirmed] Booking confirmed
        [booking_cancelled] Booking cancelled
        [booking_completed] Booking ended
        [booking_extended] Booking extended
        [booking_moved] Moved to another spot
        [booking_reminder] Reminder: the booking ends soon
        [booking_left] Left early
        [no_show_check] “Still coming?”
        [no_show_released] Released: nobody arrived
        [bay_blocked] Spot blocked: move or refund
        [hold_expiring] Unpaid hold about to lapse
        [hold_expired] Unpaid hold released
        [lower_late] Blocker's late answer
        [lower_failed_after_all] Blocker failed after all
        [guest_pass] Guest pass
        [guest_pass_revoked] Guest pass cancelled
        [waitlist_offer] Waitlist: a spot offered
        [waitlist_offer_lapsed] Waitlist: the offer lapsed
        [waitlist_wish_ended] Waitlist: the wish ended
        [payment_refunded] Refund issued
        [wallet_topped_up] Wallet topped up
        [card_saved] Card saved
        [review_published] Review published
        [admin_blocker_failed] Staff alert: the blocker did not lower
        [admin_overstay] Staff alert: overstay
        [admin_incident] Staff alert: blocker incident
        [admin_incident_ended] Staff alert: incident over
        [admin_payment_mismatch] Staff alert: payment amount mismatch
        [admin_refund_failed] Staff alert: a refund failed
        [admin_blockers_unhealthy] Staff alert: blockers out of service
        [admin_blockers_recovered] Staff alert: blockers back in service
        [admin_blocker_unhealthy] Staff alert: a blocker out of service
        [admin_blocker_recovered] Staff alert: a blocker back in service
        [admin_blocker_ack_conflict] Staff alert: conflicting blocker answers
       *[other] Message “{ $kind }”
    }
admin-notification_status = { $status ->
        [pending] waiting to be sent
        [sending] being sent
        [sent] sent at { $sent }
        [failed] could not be sent
       *[other] { $status }
    }
admin-refund_amount =
    ↩️ <b>Refund for booking #{ $id }</b>
    Paid { $paid }, refunded { $refunded }: up to <b>{ $left }</b> can be refunded, to where it came from (wallet or card).
    Type the amount (like 2.50), or refund all of it.
admin-btn_refund_all = ↩️ All of it: { $amount }
admin-refund_bad_amount = ⚠️ Type an amount like 2.50.
admin-refund_too_large = Only { $left } is left to refund on this booking.
admin-extend_minutes = ➕ Booking #{ $id } ends at { $until }. Extend it for free by:
admin-btn_extend_by = ➕ { $duration }
admin-move_spot = 🔀 Move booking #{ $id } from spot { $spot } to which free spot?
admin-move_none = 🔀 No other spot of this car park is free for the time of booking #{ $id }.
admin-booking_reason =
    ✍️ <b>Why?</b> { $what }
    Choose a reason or type your own. The audit log keeps it; the driver is not shown it.
admin-booking_what-refund = (refund)
admin-booking_what-end = (end now)
admin-booking_what-extend = (free extension)
admin-booking_what-move = (move)
admin-booking_what-cancel = (cancel)
admin-reason-blocker = 🔌 The blocker did not work
admin-reason-bay_blocked = 🚧 The spot was taken or blocked
admin-reason-driver_asked = 📞 The driver asked
admin-reason-billing = 💶 Charged wrongly
admin-reason-goodwill = 🤝 Goodwill
admin-booking_confirm-refund =
    ↩️ Refund <b>{ $amount }</b> of booking #{ $id } to where it was paid from? The driver is told.
    Reason: { $reason }
admin-booking_confirm-end =
    🏁 End booking #{ $id } now? The spot is freed; where this car park refunds unused time, the unused whole 15 minutes go back to the driver's wallet. The driver is told.
    Reason: { $reason }
admin-booking_confirm-extend =
    ➕ Extend booking #{ $id } by { $duration } for free? The driver is told.
    Reason: { $reason }
admin-booking_confirm-move =
    🔀 Move booking #{ $id } from spot { $spot_from } to spot <b>{ $spot_to }</b>? The driver is told and lowers the new spot's blocker.
    Reason: { $reason }
admin-booking_confirm-cancel =
    ✖️ Cancel booking #{ $id }? What is left of its payments goes back to where they came from. The driver is told.
    Reason: { $reason }
admin-btn_booking_confirm = ✅ Confirm
admin-booking_refunded = ✅ Refunded { $amount }: { $where } The driver is told.
admin-booking_refund_failed = ⚠️ The card refused the refund of { $failed }: it is refundable again, and admins are alerted. { $where }
admin-booking_done-end = ✅ Booking #{ $id } is ended. { $refund } The driver is told.
admin-booking_end_no_refund = Nothing is refunded: no whole 15 minutes were left unused, or this car park does not refund unused time.
admin-booking_done-extend = ✅ Booking #{ $id } now ends at { $until }. The driver is told.
admin-booking_done-move = ✅ Booking #{ $id } is moved to spot { $spot }. The driver is told.
admin-booking_done-cancel = ✅ Booking #{ $id } is cancelled. { $refund } The driver is told.
admin-refund_to_wallet = { $amount } back in the driver's wallet.
admin-refund_to_card = { $amount } on its way to the driver's card.
admin-refund_to_nothing = Nothing was paid, so nothing is refunded.
admin-btn_now = 📊 Now
admin-btn_revenue = 💶 Revenue
admin-btn_refresh = 🔄 Refresh
admin-now_scope = 📊 <b>Now</b>: which car park?
admin-now =
    📊 <b>Now: { $scope }</b> · updated { $time }
    { $counts }
admin-now_everywhere = all car parks
admin-now_counts = { $total ->
        [one] { $total } spot
       *[other] { $total } spots
    }: 🟢 { $free } free · 🟡 { $held } held · 🔵 { $booked } booked · 🚗 { $occupied } car in · ⛔ { $closed } closed · ⚠️ { $unhealthy } { $unhealthy ->
        [one] blocker down
       *[other] blockers down
    }
admin-now_premise_line = • <b>{ $name }</b>: { $counts }
admin-now_arrivals = 🅿️ <b>Next arrivals</b>
admin-now_arrival = • #{ $id } { $when } { $spot }{ $premise }, { $driver }{ $late ->
        [yes] {" "}(late)
       *[other] {""}
    }
admin-now_departures = 🚙 <b>Next departures</b>
admin-now_departure = • #{ $id } { $when } { $spot }{ $premise }, { $driver }
admin-now_overstays = ⏰ <b>Overstays</b>
admin-now_overstay = • #{ $id } { $spot }{ $premise }, { $driver }: ended { $ended }
admin-now_intruder = • { $spot }{ $premise }: a car, no booking
admin-now_none = none
admin-now_more = …and { $count } more
admin-now_open = 📊 { $name }
admin-btn_now_booking = { $kind ->
        [arrival] 🅿️
        [departure] 🚙
       *[other] ⏰
    } #{ $id } { $spot } { $when }
admin-revenue_scope = 💶 <b>Revenue</b>: which car park?
admin-revenue_all = 🏢 All car parks
admin-revenue_everywhere = all car parks
admin-revenue_pick_period =
    💶 <b>Revenue: { $name }</b>
    Which period?
admin-revenue_period-today = Today
admin-revenue_period-yesterday = Yesterday
admin-revenue_period-week = This week
admin-revenue_period-month = This month
admin-revenue_period-custom = Custom range
admin-revenue_first_day = 🗓 Custom range: tap its first day.
admin-revenue_last_day = 🗓 From { $first }: tap the last day.
admin-revenue =
    💶 <b>Revenue: { $name }</b>
    { $period }: { $span } ({ $timezone })
admin-revenue_no_money = No payments or refunds.
admin-revenue_currency =
    <b>{ $net } net</b> = { $gross } gross − { $refunds } refunds
    { $methods }
    { $payments ->
        [one] { $payments } payment
       *[other] { $payments } payments
    }, { $refund_count ->
        [one] { $refund_count } refund
       *[other] { $refund_count } refunds
    }
admin-revenue_method-card = 💳 card { $gross } − { $refunds }
admin-revenue_method-wallet = 👛 wallet { $gross } − { $refunds }
admin-revenue_pending = ⏳ Card refunds still in progress (not counted yet): { $amount }
admin-revenue_stays = 🅿️ { $bookings ->
        [one] { $bookings } booking
       *[other] { $bookings } bookings
    } · average stay { $average } · occupancy { $occupancy }
admin-revenue_by_premise = <b>By car park</b>
admin-revenue_premise_line = • { $name }: { $net } · { $bookings ->
        [one] { $bookings } booking
       *[other] { $bookings } bookings
    } · occupancy { $occupancy }
admin-revenue_btn_chart = 📈 Chart
admin-revenue_btn_csv = 📄 CSV
admin-revenue_btn_other_period = 🗓 Another period
admin-revenue_chart_title = Revenue: { $name }, { $span } ({ $timezone })
admin-revenue_chart_axis = Net revenue a day, { $currency }
admin-revenue_chart_net = Net revenue
admin-revenue_chart_occupancy = Occupancy
admin-revenue_chart_caption = 📈 Revenue and occupancy, { $span }
admin-revenue_csv_caption = 📄 Payments and refunds, { $span } (CSV)
admin-btn_reviews = { $count ->
        [0] ⭐ Reviews
       *[other] ⭐ Reviews ({ $count } waiting)
    }
admin-reviews_empty = ⭐ <b>Reviews</b>
    No reviews are waiting for moderation.
admin-review =
    ⭐ <b>Review { $n } of { $total }</b> waiting for moderation
    { $stars } ({ $rating }/5) · { $premise }{ $booking } · { $when }
    «{ $text }»
    — { $driver }
admin-review_booking = {" "}· booking #{ $id }
admin-review_no_text = (no text)
admin-btn_review_approve = ✅ Approve
admin-btn_review_reject = ❌ Reject
admin-btn_review_next = ⏭ Next review
admin-review_approved = Published. The driver is told.
admin-review_reject = ❌ Why is review #{ $id } rejected? Pick a reason or type one (the driver is not told):
admin-review_reason-spam = Spam or advertising
admin-review_reason-offensive = Offensive language
admin-review_reason-off_topic = Not about this car park
admin-review_reason-personal_data = Personal data
admin-review_rejected = ❌ Review rejected.
admin-reviews_refused = ⚠️ { $why }
admin-review_invalid = This review cannot be decided: it was decided already, or the reason is empty.
admin-section-operator = 🧾 Operator & VAT
admin-operator =
    🧾 <b>Operator and VAT</b> · { $premise }
    Who sells the parking here, as its receipts say:

    Legal name: { $name }
    Address: { $address }
    VAT number: { $vat_number }
    VAT included in prices: { $vat_rate }

    Car parks with the same VAT number share one receipt numbering.
admin-operator_field-operator_name = ✏️ Legal name
admin-operator_field-operator_address = ✏️ Address
admin-operator_field-vat_number = ✏️ VAT number
admin-operator_field-vat_rate = ✏️ VAT rate
admin-operator_edit =
    { $field }: now <code>{ $current }</code>
    { $hint }
admin-operator_hint-operator_name = Type the operator's legal name, as receipts print it:
admin-operator_hint-operator_address = Type the operator's registered address (a dash - leaves it empty):
admin-operator_hint-vat_number = Type the VAT number, e.g. UA123456789012 (a dash - leaves it empty):
admin-operator_hint-vat_rate = Type the VAT rate the prices include, in per cent: e.g. 20, 7.5 or 0.
admin-operator_invalid = ⚠️ That cannot be stored here: a name of up to 200 characters, an address of up to 300, a VAT number of up to 32, a VAT rate from 0 to 50 %.
admin-btn_refund_unused = { $on ->
        [yes] ↩️ Refund unused time on early leave: on
       *[no] ↩️ Refund unused time on early leave: off
    }
admin-btn_refund_no_show = { $on ->
        [yes] 🚫 Refund released no-shows: on
       *[no] 🚫 Refund released no-shows: off
    }
