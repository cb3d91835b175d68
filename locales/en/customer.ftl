# The customer pages: new order, mass order, my orders, one order, transactions,
# services and the account.

# My orders (and the pager the lists share).
cust-my-orders = My orders
cust-all-statuses = All statuses
cust-order-search-placeholder = Order id or link
cust-date = Date
cust-start-count = Start count
cust-remains = Remains
cust-no-orders-match = No orders match.
cust-no-orders-yet = No orders yet:
cust-place-first = place your first.
cust-pages = Pages
cust-newest = Newest
cust-page-n = Page { $n }

# One order.
cust-order-n = Order { $id }
cust-placed = Placed
cust-last-checked = Last checked
cust-refresh-status = Refresh status
cust-ask-refill = Ask for a refill
cust-cancel-order = Cancel order
cust-requests = Refill and cancel requests
cust-asked = Asked
cust-what = What
cust-request-status-pending = pending
cust-request-status-in-progress = in progress
cust-request-status-completed = completed
cust-request-status-rejected = rejected

# New order and mass order.
cust-category = Category
cust-all-categories = All categories
cust-choose-service = Choose a service…
cust-per-1000 = { $price } per 1000
cust-price-note = (charged from your balance; computed again when you order)
cust-place-order = Place order
cust-mass-order = Mass order
cust-all-services = All services and prices
cust-mass-one-per-line = One order per line:
cust-mass-format = service id|link|quantity
cust-mass-at-most = , at most { $n } lines. All are placed and charged together, or none is.
cust-place-orders = Place orders

# Services.
cust-services-and-prices = Services and prices
cust-price-per-1000 = Price per 1000
cust-min = Min
cust-max = Max
cust-refill = Refill
cust-no-services = No services are on offer yet.

# Transactions.
cust-no-transactions = No transactions yet.

# Account.
cust-profile = Profile
cust-role = Role
cust-member-since = Member since
cust-api-key = API key
cust-api-use = Use this key with any standard SMM panel client (API v2) at
cust-api-secret = . Keep it secret.
cust-show-key = Show my key
cust-new-key = Generate a new key
cust-change-password = Change password
cust-current-password = Current password
cust-new-password = New password
cust-repeat-new-password = Repeat the new password
cust-password-note = Changing the password signs out every other session and every API token (API v2 keys are not affected: regenerate the key above to cut those off).
cust-sessions = Sessions
cust-sessions-note = Signed in on a device you no longer have, or a shared computer? End every session and token of this account.
cust-sign-out-everywhere = Sign out everywhere
