# SMS texts (plain text, GSM-7 only in English: one other character makes a message UCS-2,
# 70 characters a part instead of 160). Each must fit 2 parts with long values and a payment
# link (tests/sms). The verbs are PARK, PAY, LOWER, EXT, STATUS, LEAVE, HELP: never YES, START
# or STOP, which are Twilio's opt-in and opt-out words (YES to a quote still pays, unadvertised).

## Notifications (the outbox)
notify-booking_confirmed = Booked #{ $id }: { $name }, spot { $spot }, { $start }-{ $end }, paid { $price }. At the spot reply LOWER. EXT 30 extends, LEAVE ends, STATUS shows it.
notify-booking_cancelled = Booking #{ $id } at { $name } is cancelled. { $amount } is refunded.
notify-booking_cancelled_free = Booking #{ $id } at { $name } is cancelled. Nothing was paid.
notify-booking_completed = Receipt: booking #{ $id }, { $name }, spot { $spot }, { $start }-{ $end }, { $price } paid. Thank you!
notify-booking_completed_no_show = Booking #{ $id } at { $name } ended at { $end } without arrival. { $price } paid, no refund.
notify-booking_left = You left spot { $spot } at { $at }: booking #{ $id } ended. { $amount } for { $minutes } unused min is back in your wallet.
notify-booking_left_none = You left spot { $spot } at { $at }: booking #{ $id } ended. No unused time to refund.
notify-no_show_check = Still coming? Booking #{ $id } at { $name }, spot { $spot }, started at { $start }. At { $at } it is released for others. At the spot reply LOWER; LEAVE releases it now.
notify-no_show_released = Nobody arrived at { $name }, spot { $spot }, by { $at }: booking #{ $id } was released for others. No refund.
notify-bay_blocked = Spot { $spot } at { $name } is blocked (booking #{ $id }). Staff are alerted; in the Telegram bot you can move to a free spot or get a full refund.
notify-no_show_released_refund = Nobody arrived at { $name }, spot { $spot }, by { $at }: booking #{ $id } was released for others. { $amount } is back in your wallet.
notify-booking_extended = Booking #{ $id } now ends at { $until }. Paid { $added }.
notify-booking_extended_free = Booking #{ $id } now ends at { $until }, at no extra cost.
notify-booking_moved = Booking #{ $id } moved to spot { $spot } at { $name }: spot { $from_spot } was closed. Same time.
notify-booking_moved_by_staff = Staff moved booking #{ $id } at { $name } from spot { $from_spot } to spot { $spot }. Same time; LOWER lowers the new spot's blocker.
notify-booking_moved_blocker = The blocker of spot { $from_spot } at { $name } is out of order: booking #{ $id } moved to spot { $spot }. Same time.
notify-booking_reminder = { $name }, spot { $spot }: ends at { $until }. Reply { $options }
notify-booking_reminder_leave = { $name }, spot { $spot }: ends at { $until }. The spot is booked next at { $at }: please leave by { $until }.
notify-booking_reminder_end = { $name }, spot { $spot }: ends at { $until }. It cannot be extended. Reply LEAVE to end now.
notify-hold_expiring = Your hold at { $name } ends at { $until } unless paid ({ $price }). Pay at the link we sent, or reply PAY.
notify-hold_expired = Booking #{ $id } at { $name } was not paid in time; the spot is free again. Book again with PARK.
notify-lower_late_ok = The blocker of spot { $spot } is down: park now. Booked until { $until }.
notify-lower_late_failed = The blocker did not go down. Reply LOWER to try again, or call the car park.
notify-lower_failed_after_all = The blocker of spot { $spot } did not stay down (booking #{ $id }). Reply LOWER to try again.
notify-guest_pass = Guest parking for you: { $name }, { $address }, spot { $spot }, { $start }-{ $end }. Reply LOWER when you arrive to lower the blocker.
notify-guest_pass_revoked = Your guest pass for spot { $spot } at { $name }, { $start }-{ $end }, was cancelled by the driver who shared it. LOWER no longer works for you.
notify-guest_pass_revoked_parked = Your guest pass for spot { $spot } at { $name } was cancelled by the driver who shared it. The booking stays theirs until { $end }: if your car is there, agree with them when to move it. LOWER no longer works for you.
notify-waitlist_offer = A spot is free at { $name }, { $start }-{ $end }. Hold it in Telegram by { $until }; then it goes to the next in line.
notify-waitlist_offer_lapsed = The spot at { $name }, { $start }-{ $end }, went to the next driver in line: it was not held within { $minutes } min.
notify-waitlist_wish_ended = Your wish for a spot at { $name }, { $start }-{ $end }, has ended: no spot freed up in time.
notify-payment_refunded = { $amount } for booking #{ $id } is refunded.
notify-wallet_topped_up = Wallet topped up by { $amount }. Balance: { $balance }.
notify-card_saved = Card { $brand } *{ $last4 } saved for your next payments.
notify-review_published = Your review of { $name } is published. Thank you!
notify-generic = You have news about your parking. Reply STATUS.
notify-admin = Operator alert: open /admin in Telegram.

## Replies to commands
reply-help = Park by SMS: PARK <code> <time>, like PARK 1042 2H (the code is on the sign). PAY pays from your wallet or saved card, else sends a link. At the spot: LOWER. EXT 30 adds 30 min. STATUS shows your booking, LEAVE ends it. STOP opts out.
reply-unknown = Not understood. Try PARK 1042 2H, PAY, LOWER, EXT 30, STATUS, LEAVE or HELP.
reply-no_premise = No car park has code { $code }. Check the code on the sign at the entrance and text PARK <code> <time>, like PARK 1042 2H.
reply-bad_duration = How long? Text PARK { $code } 2H, or PARK { $code } 90 for minutes: 30 min to 24 h, in 15-min steps.
reply-no_spot = { $name } has no free spot now.
reply-closed = { $name } is closed at that time.
reply-too_many_holds = You have unpaid holds already. Reply PAY to pay the latest, or wait until they lapse.
reply-quote_link = { $name }, spot { $spot } until { $end }: { $price }. Held { $hold } min. Pay at { $link } (your card is kept for next time).
reply-quote_yes = { $name }, spot { $spot } until { $end }: { $price }. Reply PAY within { $hold } min to pay with { $method }.
reply-method_wallet = your wallet ({ $balance })
reply-method_card = card *{ $last4 }
reply-pay_link = Your saved card could not be charged. Pay { $price } at { $link }
reply-pay_link_new = Pay { $price } at { $link } (your card is kept for next time).
reply-nothing_to_pay = Nothing to pay. Start with PARK <code> <time>.
reply-payments_off = Card payments are off here. Top up your wallet in Telegram, or ask the operator.
reply-no_booking = You have no booking now. Start with PARK <code> <time>.
reply-lower_ok = Blocker down at spot { $spot }: park now. Until { $until }.
reply-lower_too_early = Too early: the blocker can be lowered from { $at }.
reply-lower_no_blocker = Spot { $spot } has no blocker: just park. Until { $until }.
reply-lower_busy = The blocker is moving already. Wait a moment.
reply-lower_down = The blocker of spot { $spot } is down already.
reply-lower_failed = The blocker did not go down. Reply LOWER to try again, or call the car park.
reply-lower_off = Blockers cannot be reached now. Please try again in a minute.
reply-ext_done = Extended: ends at { $until }. Paid { $price }.
reply-ext_free = Extended at no cost: ends at { $until }.
reply-ext_link = Extension to { $until }: { $price }. Pay at { $link }
reply-ext_refused = Cannot extend: the spot is booked next or the car park closes.
reply-ext_bad = Extend by 15-min steps, 24 h in all, like EXT 30.
reply-status = #{ $id } { $name }, spot { $spot }, { $start }-{ $end }: { $state }.
reply-state_pending = awaiting payment
reply-state_confirmed = booked
reply-state_active = parked
reply-left = Booking #{ $id } ended at { $end }. Receipt follows.
reply-released = Booking #{ $id } released: the spot is free for others. No refund.
reply-released_refund = Booking #{ $id } released: the spot is free for others. { $amount } is back in your wallet.
reply-hold_released = Hold on spot { $spot } at { $name } released. Nothing was charged.
reply-hold_paid = Booking #{ $id } was paid meanwhile, so it stays yours: { $name }, spot { $spot }, { $start }-{ $end }.
reply-hold_gone = The hold on spot { $spot } at { $name } had ended already. Nothing is held now.
reply-cancelled = Booking #{ $id } cancelled before its start. { $amount } is refunded.
reply-cancelled_free = Booking #{ $id } cancelled before its start. Nothing was paid.
reply-leave_later = Booking #{ $id } starts { $start }, so LEAVE did not cancel it. Reply LEAVE from { $at } to cancel it (refunded), or cancel it in the Telegram bot.
reply-error = Sorry, that did not work. Please try again.
