"""English texts. Keys are shared with every other language (tests check they match)."""

TEXTS: dict[str, str] = {
    # onboarding and menu
    "start.greeting": "Hi, {name}! 👋",
    "start.about": (
        "I find you a parking spot nearby, book it and take the payment.\n"
        "Once paid, the spot's blocker is raised and waits for you.\n"
        "When you arrive, you lower it from this chat and park."
    ),
    "start.share_phone": "Share your phone number to get receipts and SMS updates when Telegram cannot reach you.",
    "btn.share_phone": "📱 Share my phone number",
    "btn.skip": "Skip",
    "phone.saved": "Thanks, your number {phone} is saved.",
    "phone.not_yours": "Please share your own contact with the button below.",
    "menu.title": "What would you like to do?",
    "btn.find": "🅿️ Find parking",
    "btn.bookings": "📋 My bookings",
    "btn.wallet": "👛 Wallet",
    "btn.language": "🌐 Language",
    "btn.help": "❓ Help",
    "btn.menu": "🏠 Menu",
    "btn.back": "⬅️ Back",
    "btn.cancel": "✖️ Cancel",
    "help.text": (
        "<b>How it works</b>\n"
        "1. /find: share your location or type an address.\n"
        "2. Pick a car park, a start time and how long you stay.\n"
        "3. Pay from your wallet, with a saved card or on a secure Stripe page.\n"
        "4. On arrival tap <i>Lower the blocker</i> and park.\n\n"
        "/bookings: your bookings · /wallet: balance, top-ups, cards\n"
        "/language: change language · /cancel: leave the current step"
    ),
    "cancelled": "Done, nothing was changed. Here is the menu.",
    "unknown_input": "I did not get that. Use the buttons, or /help to see what I can do.",
    "stale_button": "This button is out of date. Here is the current menu.",
    "throttled": "Too many messages at once. Please wait a moment.",
    "error.generic": "Something went wrong on our side. Please try again in a moment.",
    "error.not_owner": "This booking is not yours.",
    "error.not_found": "This item no longer exists.",
    # language
    "language.title": "Choose your language:",
    "language.saved": "Language set to English.",
    # find
    "find.ask_location": "Send your location with the button below, or type an address.",
    "btn.send_location": "📍 Send my location",
    "find.geocoding": "Looking up the address…",
    "find.address_not_found": "I could not find “{query}”. Try adding the city, or send your location.",
    "find.geocoder_down": "Address search is unavailable right now. Please send your location instead.",
    "find.results_title": "🅿️ Parking near {place}\n🕒 {window}",
    "find.item": "{name} · {distance} · {price}/h · {free}",
    "find.free": "{count} free",
    "find.no_results": "No free parking within {radius} for that time.",
    "btn.wider": "🔎 Search within {radius}",
    "btn.change_time": "🕒 Change time",
    "btn.filters": "⚙️ Filters",
    "btn.more": "More ▶️",
    "btn.prev": "◀️",
    "filters.title": "Show only car parks with:",
    "filters.max_price": "Max price per hour: {price}",
    "filters.any_price": "Any price",
    "btn.apply": "✅ Show results",
    "feature.covered": "🏠 Covered",
    "feature.ev_charging": "⚡ EV charging",
    "feature.cctv": "📹 CCTV",
    "feature.24_7": "🕐 24/7",
    "feature.accessible": "♿ Accessible",
    "feature.guarded": "💂 Guarded",
    "premise.card": (
        "<b>{name}</b>\n📍 {address}\n💶 {price} per hour\n🕐 {hours}\n{rating}\n{features}\n\n{description}"
    ),
    "premise.rating": "⭐ {rating} ({count} reviews)",
    "premise.no_rating": "⭐ no reviews yet",
    "premise.review": "“{text}” — {stars}",
    "btn.book": "✅ Book here",
    "btn.navigate": "🧭 Navigate",
    # time and duration
    "when.title": "When do you arrive?",
    "btn.now": "Now",
    "btn.pick_date": "📅 Another day",
    "when.pick_time": "Arrival time on {date} ({tz}):",
    "duration.title": "How long do you stay?",
    "btn.custom_duration": "Other…",
    "duration.ask": "Type the duration in hours and minutes, e.g. 1:30 or 2 (from 0:30 to 24:00, in 15-minute steps).",
    "duration.invalid": "That does not look like a duration from 0:30 to 24:00 in 15-minute steps. Try e.g. 1:45.",
    "duration.hours": "{hours} h",
    "duration.hm": "{hours} h {minutes} min",
    "duration.minutes": "{minutes} min",
    # quote and hold
    "quote.title": (
        "<b>{name}</b>\n📍 {address}\n🕒 {window}\n⏱ {duration}\n\n"
        "Total: <b>{price}</b> ({per_hour}/h)\n{free}"
    ),
    "quote.no_spot": "Sorry, every spot is taken for that time. Try another time or car park.",
    "btn.confirm_hold": "✅ Hold the spot ({price})",
    "hold.title": (
        "Spot <b>{spot}</b> at {name} is held for you.\n🕒 {window}\n💶 <b>{price}</b>\n\n"
        "⏳ Pay within {minutes} min (until {until}) or the spot is released."
    ),
    "hold.expired": "⌛ The hold ran out and the spot was released. You can book again.",
    "btn.pay_wallet": "👛 Wallet ({balance})",
    "btn.pay_wallet_short": "👛 Wallet: {balance}, not enough",
    "btn.pay_card": "💳 {brand} •••• {last4}",
    "btn.pay_link": "🔗 Pay by card (secure Stripe page)",
    "btn.release_hold": "✖️ Release the spot",
    "pay.wallet_short": "Your wallet has {balance}; this booking costs {price}. Top up in /wallet or pay by card.",
    "pay.processing": "Processing your payment…",
    "pay.link": "Open the secure payment page. I will confirm here as soon as the payment arrives.",
    "btn.open_payment": "💳 Pay {price}",
    "btn.check_payment": "🔄 I have paid",
    "pay.not_yet": "The payment has not arrived yet. It can take a few seconds.",
    "pay.card_needs_auth": "Your bank wants to confirm this payment. Please finish it on the secure page:",
    "pay.card_declined": "The card was declined ({reason}). You can pay on the secure page with another card:",
    "pay.unavailable": "Card payments are unavailable right now. Please use your wallet or try again later.",
    "pay.released": "The spot was released. Nothing was charged.",
    # confirmation
    "confirmed.title": (
        "✅ <b>Booking confirmed</b>\n{name}, spot <b>{spot}</b>\n📍 {address}\n🕒 {window}\n💶 {price}"
    ),
    "btn.cancel_booking": "❌ Cancel booking",
    # bookings
    "bookings.title": "Your bookings",
    "bookings.empty": "You have no bookings yet. Use /find to book a spot.",
    "bookings.tab.upcoming": "Upcoming",
    "bookings.tab.active": "Now",
    "bookings.tab.past": "Past",
    "bookings.item": "{date} · {name} · {status}",
    "status.pending_payment": "⏳ awaiting payment",
    "status.confirmed": "✅ confirmed",
    "status.active": "🚗 parked",
    "status.completed": "✔️ completed",
    "status.expired": "⌛ expired",
    "status.cancelled": "✖️ cancelled",
    "booking.detail": (
        "<b>Booking #{id}</b> · {status}\n{name}, spot {spot}\n📍 {address}\n🕒 {window}\n💶 {price}\n{payments}"
    ),
    "booking.payment_line": "• {method}: {amount} — {status}",
    "method.wallet": "wallet",
    "method.card": "card",
    "paystatus.pending": "pending",
    "paystatus.succeeded": "paid",
    "paystatus.failed": "failed",
    "paystatus.cancelled": "cancelled",
    "paystatus.refund_pending": "refund in progress",
    "paystatus.refunded": "refunded",
    "paystatus.refund_failed": "refund delayed, our team is on it",
    "cancel.confirm": "Cancel booking #{id}? {refund}",
    "cancel.refund_wallet": "{amount} goes back to your wallet at once.",
    "cancel.refund_card": "{amount} goes back to your card (5–10 days).",
    "cancel.refund_none": "Nothing was paid, so nothing is refunded.",
    "cancel.too_late": "The booking has already started, so it can no longer be cancelled.",
    "btn.yes_cancel": "Yes, cancel",
    "btn.no_keep": "No, keep it",
    "cancel.done": "Booking #{id} is cancelled. {refund}",
    # wallet
    "wallet.title": "👛 <b>Wallet</b>\nBalance: <b>{balance}</b>",
    "btn.topup": "➕ {amount}",
    "btn.topup_custom": "➕ Other amount",
    "btn.history": "🧾 History",
    "btn.cards": "💳 Saved cards",
    "topup.ask": "How much do you want to add? From {min} to {max}, e.g. 15 or 12.50.",
    "topup.invalid": "Please type an amount from {min} to {max}.",
    "topup.link": "Top up {amount}: open the secure payment page. The balance updates as soon as it is paid.",
    "history.title": "🧾 Wallet history",
    "history.empty": "No wallet transactions yet.",
    "history.item": "{date} · {amount} · {kind}",
    "txkind.deposit": "top-up",
    "txkind.payment": "payment",
    "txkind.refund": "refund",
    "txkind.adjustment": "adjustment",
    "cards.title": "💳 Saved cards",
    "cards.empty": "No saved cards. Add one to pay in one tap.",
    "cards.item": "{brand} •••• {last4} (exp. {month:02d}/{year})",
    "btn.add_card": "➕ Add a card",
    "btn.remove_card": "🗑 {brand} •••• {last4}",
    "cards.add_link": "Add a card on the secure Stripe page. Only Stripe sees the card number.",
    "cards.removed": "Card removed.",
    # notifications
    "notify.booking_confirmed": (
        "✅ <b>Payment received, booking confirmed</b>\n{name}, spot <b>{spot}</b>\n📍 {address}\n🕒 {window}\n💶 {price}"
    ),
    "notify.booking_cancelled": "✖️ Booking #{id} ({name}, {window}) is cancelled. {refund}",
    "notify.booking_completed": "🧾 Booking #{id} at {name} has ended ({window}). Total paid: {price}. Thank you!",
    "notify.booking_completed_no_show": "🧾 Booking #{id} at {name} ({window}) ended without arrival. Total paid: {price}.",
    "notify.booking_extended": "⏱ Extended: {name}, spot {spot}, now until <b>{until}</b>. Added {added}.",
    "notify.hold_expired": "⌛ Your unpaid booking #{id} was released because the payment did not arrive in time.",
    "notify.payment_refunded": "↩️ {amount} is being refunded for booking #{id}: {reason}",
    "refund_reason.spot_taken": "the spot was taken before your payment arrived.",
    "refund_reason.duplicate": "this booking was already paid.",
    "refund_reason.other": "the booking could not be honoured.",
    "notify.wallet_topped_up": "👛 {amount} added to your wallet. Balance: {balance}.",
    "notify.card_saved": "💳 {brand} •••• {last4} is saved for one-tap payments.",
    "notify.admin_payment_mismatch": "⚠️ Payment #{payment_id}: amount mismatch: {reason}",
    "notify.admin_refund_failed": "⚠️ Refund of payment #{payment_id} ({amount}) failed: {error}",
    "notify.generic": "You have an update about your parking.",
}
