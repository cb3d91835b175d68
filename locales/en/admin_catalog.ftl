# Admin: providers, services and categories, users, settings, audit log, admins.

# Providers list and provider form
cat-col-api-url = API URL
cat-col-key = Key
cat-col-last-success = Last success
cat-col-error-rate = Error rate
cat-col-avg-response = Avg response
cat-provider-enabled = enabled
cat-provider-disabled = disabled
cat-never = never
cat-of-calls = of { $n }
cat-manage = Manage
cat-no-providers = No providers yet: add the first one below.
cat-add-a-provider = Add a provider
cat-add-provider = Add provider
cat-api-key = API key
cat-key-keep = Leave empty to keep { $key }
cat-on-ambiguous = When an order gets no clear answer
cat-ambiguous-review = Hold it for review (never risk buying twice)
cat-ambiguous-retry = Retry it (this provider ignores duplicates)
cat-currency = Currency it charges in
cat-currency-placeholder = As its balance says (USD, BDT, …)

# One provider
cat-provider-n = provider { $id }
cat-average-response = Average response
cat-errors-of-calls = { $errors } of { $calls } calls
cat-last-error = Last error:
cat-test-ok = Connection OK: balance { $balance }, answered in { $ms } ms.
cat-test-failed = Connection failed after { $ms } ms
cat-test-connection = Test connection
cat-import-services = Import services
cat-import-help = Reads the provider's service list and adds or updates one service each, priced at the provider's rate plus your markup. Re-importing updates rates without adding duplicates.
cat-markup = Markup (percent)
cat-into-category = Into category
cat-own-categories = The provider's own categories
cat-remove = Remove
cat-remove-help = A provider that services use is kept for the records of past orders, and its services are disabled.
cat-remove-provider = Remove provider

# Services and categories
cat-usd-equals = 1 USD = { $rate } { $currency }
cat-change = change
cat-col-category = Category
cat-col-provider-id = Provider id
cat-col-cost = Cost USD/1000
cat-col-rate = Rate USD/1000
cat-col-price = Price { $currency }/1000
cat-col-min = Min
cat-col-max = Max
cat-col-mode = Mode
cat-mode-auto = auto
cat-mode-manual = manual
cat-on = on
cat-off = off
cat-edit = Edit
cat-no-services = No services yet: import them from a
cat-no-services-link = provider
cat-no-services-after = or add one below.
cat-categories = Categories
cat-shown-to-customers = Shown to customers
cat-hide = Hide
cat-show = Show
cat-new-category-name = New category name
cat-add-category = Add category
cat-add-a-service = Add a service
cat-add-service = Add service

# The service form
cat-choose = Choose…
cat-selling-rate = Selling rate (USD per 1000)
cat-min-quantity = Minimum quantity
cat-max-quantity = Maximum quantity
cat-mode-auto-option = Auto: forward to the provider
cat-mode-manual-option = Manual: an admin handles it
cat-provider-none = None (manual only)
cat-provider-service-id = Provider's service id
cat-refill-supported = Refill supported
cat-refill-days = Refill period (days after ordering)
cat-cancel-supported = Cancel supported
cat-dripfeed-supported = Drip-feed supported (runs × quantity, one run every interval)
cat-type-before = Type (the provider's;
cat-type-after = takes one comment per line)
cat-enabled-customers = Enabled (customers can order it)
cat-accepts-username = Accepts a bare username as the link
cat-service-n = service { $id }
cat-provider-charges = The provider charges { $cost } USD per 1000.
cat-all-services = All services

# Users
cat-search-by-email = Search by email
cat-col-role = Role
cat-col-balance-in = Balance ({ $currency })
cat-col-last-sign-in = Last sign-in
cat-user-disabled = disabled
cat-user-active = active
cat-enable = Enable
cat-disable = Disable
cat-adjust = Adjust
cat-amount-hint = Amount (negative deducts)
cat-note-required = Note (required)
cat-apply = Apply
cat-no-users = No users match.
cat-page-of = Page { $page } of { $pages }

# Settings
cat-exchange-rate = Exchange rate
cat-exchange-help = Service rates are set in USD; customers pay in { $currency } at this rate. Orders already placed keep the rate they were charged at.
cat-usd-in = 1 USD in { $currency }

# Audit log
cat-audit-log = Audit log
cat-audit-placeholder = Action, e.g. order.edit or user.balance
cat-col-who = Who
cat-col-from = From
cat-col-action = Action
cat-col-target = Target
cat-col-before = Before
cat-col-after = After
cat-audit-user = user { $id }
cat-audit-system = system
cat-no-audit = No audit rows.

# Admins
cat-add-an-admin = Add an admin
cat-admins-help = Admins run orders, providers, services and users. Only a super admin can add them.
cat-create-admin = Create admin
