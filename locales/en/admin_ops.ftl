# The admin operations pages: overview, all orders, one order, manual order, review
# queue, refills and cancels, status sync, system (with its charts).

# Overview (/admin)
ops-alert = Alert:
ops-orders-today = Orders today
ops-revenue-today = Revenue today
ops-provider-cost-today = Provider cost today
ops-profit-today = Profit today
ops-forwarding-queue = Forwarding queue
ops-waiting-for-review = Waiting for review
ops-orders-per-day = Orders per day (14 days)
ops-orders-per-day-label = Orders per day
ops-last-success = Last success
ops-error-rate = Error rate
ops-avg-response = Avg response
ops-enabled = enabled
ops-disabled = disabled
ops-never = never
ops-no-providers = No providers yet.
ops-last-sync-round = Last sync round
ops-last-round = Round { $id } ({ $trigger }) at { $at }: { $checked } checked, { $changed } changed, { $errors } errors.
ops-all-rounds = All rounds
ops-no-round = No round yet.

# What started a sync round.
ops-trigger-schedule = schedule
ops-trigger-admin = admin
ops-trigger-force = force

# All orders (/admin/orders) and the pagers
ops-sync-now = Sync now
ops-sync-rounds = Sync rounds
ops-all-statuses = All statuses
ops-forward-state = Forward state
ops-all-forward-states = All forward states
ops-manual = Manual
ops-manual-and-forwarded = Manual and forwarded
ops-manual-only = Manual only
ops-forwarded-only = Forwarded only
ops-all-providers = All providers
ops-needs-review = Needs review
ops-user-id = User id
ops-orders-of-user = All orders of user { $id }
ops-from = From
ops-to = To
ops-search-placeholder = Order id, link or provider order id
ops-sync-selected = Sync selected
ops-new-manual-order = New manual order
ops-review-queue = Review queue
ops-date = Date
ops-qty = Qty
ops-provider-order = Provider order
ops-forward = Forward
ops-select = Select
ops-select-order = Select order { $id }
ops-no-orders-match = No orders match.
ops-pages = Pages
ops-newest = Newest
ops-page = Page { $n }
ops-page-of = Page { $n } of { $total }

# One order (/admin/orders/{id}) and the review decision
ops-order-n = Order { $id }
ops-sync = Sync
ops-provider-status = Provider status
ops-start-count = Start count
ops-remains = Remains
ops-last-checked = Last checked
ops-provider-service = (service { $id })
ops-rate-used = Rate used
ops-rate-used-value = { $rate } USD/1000 at { $exchange } { $currency }/USD
ops-provider-cost = Provider cost
ops-attempts = Attempts
ops-status-check-errors = Status check errors
ops-in-a-row = { $n } in a row
ops-last-error = Last error
ops-admin-notes = Admin notes
ops-no-clear-answer = No clear answer from the provider after sending: it may have created the order. Check the provider's panel.
ops-edit = Edit
ops-edit-hint = A status change settles the order at once: partial refunds charge × remains ÷ quantity, canceled or failed refunds the rest.
ops-edit-in-flight = A worker is sending this order to the provider right now; it can be edited once the answer is in.
ops-edit-resolve-first = Resolve the review above first; then the order can be edited.
ops-provider-order-id = Provider order id
ops-attach-aria = Provider order id to attach to order { $id }
ops-attach = Attach
ops-resend = Resend
ops-resume-sync = Resume sync
ops-fail-refund = Fail & refund

# Manual order (/admin/orders/manual)
ops-manual-intro = A manual order is never sent to a provider: you deliver it and set its status. It is priced like a customer order (1 USD = { $rate } { $currency }).
ops-for = For
ops-user-paren = (user { $id })
ops-user-paren-disabled = (user { $id }, disabled)
ops-balance-is = balance { $amount }
ops-choose-another = choose another user
ops-find-user = Find the user by email
ops-email-part = part of an email address
ops-no-user-match = No user's email contains “{ $query }”.
ops-user-n = user { $id }
ops-first-ten = Showing the first 10: type more of the address to narrow it.
ops-or-find-above = (or find the user above)
ops-category = Category
ops-all-categories = All categories
ops-choose-service = Choose a service…
ops-charge-balance = Charge the user's balance
ops-create-manual = Create manual order

# Review queue (/admin/review)
ops-review-intro = These orders wait for your decision. Some got no usable answer after they were sent: the provider may have created them, so check the provider's panel, then attach its order id, resend, or fail and refund. Others were flagged by status sync or by a late answer from the provider; the reason is given with each.
ops-placed = Placed
ops-why = Why
ops-no-usable-answer = No usable answer after sending.
ops-no-usable-answer-error = No usable answer after sending: { $error }
ops-nothing-waits = Nothing waits for review.

# Refills and cancels (/admin/requests)
ops-refills-and-cancels = Refills and cancels
ops-refills = Refills
ops-cancels = Cancels
ops-show-closed = Show closed too
ops-open-only = Open only
ops-requests-intro-a = Requests are sent to the provider by the workers. Those that got no usable answer
ops-requests-intro-b = or have no provider to go to
ops-requests-intro-c = wait for you here. A cancel's refund follows the order's status: edit the order to settle it by hand.
ops-request-n = Request { $id }
ops-rstatus-pending = pending
ops-rstatus-in-progress = in progress
ops-rstatus-completed = completed
ops-rstatus-rejected = rejected
ops-asked = Asked
ops-provider-refill = Provider refill
ops-provider-refill-id = Provider refill id
ops-provider-refill-aria = Provider refill id for request { $id }
ops-mark-done = Mark done
ops-note-customer = Note for the customer
ops-note-aria = Note for request { $id }
ops-reject = Reject
ops-no-open-requests = No open { $kind } requests.
ops-no-requests = No { $kind } requests.

# Status sync (/admin/sync)
ops-status-sync = Status sync
ops-now = Now
ops-round-running = Round { $id } running since { $at }
ops-idle = Idle
ops-next-round = Next scheduled round
ops-every-n-s = every { $n } s
ops-round = Round
ops-trigger = Trigger
ops-started = Started
ops-took = Took
ops-checked = Checked
ops-changed = Changed
ops-errors = Errors
ops-problems = Problems
ops-seconds = { $n } s
ops-running = running
ops-no-rounds = No rounds yet.

# System (/admin/system)
ops-metrics-off-a = This instance does not measure itself
ops-metrics-off-b = other instances' history still shows.
ops-instances-last-hour = Instances (last hour)
ops-instance = Instance
ops-last-seen = Last seen
ops-requests = Requests
ops-5xx = 5xx
ops-memory = Memory
ops-this-minute = this minute
ops-min-ago = { $n } min ago
ops-mib = MiB
ops-no-instance = No instance has written a minute yet: the first row appears a minute after start.
ops-retention = Each instance writes one row a minute; rows older than two days are kept as hourly rows, and everything older than 30 days is deleted.
ops-prometheus-a = Prometheus can scrape
ops-prometheus-b = on each instance.
ops-last-hour = Last hour
ops-last-24-hours = Last 24 hours
ops-ten-minute-points = (10-minute points)
ops-alert-thresholds = Alert thresholds
ops-thresholds-intro-a = Judged over the last 5 minutes of every instance (at least 10 requests or calls); leave a field empty for no alert. Alerts show here and on the admin dashboard, and each instance logs
ops-thresholds-intro-b = when one starts and stops.
ops-threshold-error-rate = Server error rate at or above (%)
ops-threshold-p95 = p95 response time at or above (ms)
ops-threshold-queue = Forwarding queue at or above (orders)
ops-threshold-provider-error = A provider's error rate at or above (%)
ops-threshold-provider-balance = A provider's balance below (its currency)
ops-save-thresholds = Save thresholds

# The System page's charts (titles, units, legends)
ops-chart-requests = Requests per minute
ops-chart-response = Response time (all instances)
ops-chart-server-errors = Server errors
ops-chart-cpu = CPU (percent of one core)
ops-chart-memory = Memory (resident)
ops-chart-sync = Sync rounds (longest)
ops-chart-provider-latency = Provider latency (average)
ops-chart-provider-errors = Provider errors
ops-chart-provider-n = provider #{ $id }
ops-chart-empty = No data in this range yet.
ops-unit-per-min = /min
ops-unit-orders = orders
ops-unit-s = s
